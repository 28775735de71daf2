//! `Spawner`: the promise of the safety contract, made once with `unsafe`, after which starting
//! a goroutine is a safe call.
//!
//! Why a value and not an `unsafe` around each spawn: an `unsafe` block is lexical, so an
//! unsafe block around `spawn(|| body)` (or the old `go! { body }`) made the whole goroutine
//! body an unsafe context, where a raw-pointer dereference compiled with no `unsafe` of its own.
//! Here the `unsafe` wraps only `Spawner::new()`; the goroutine's closure is written outside
//! any unsafe block and checked as safe code. The promise stays an explicit `unsafe` in the
//! caller's own code (seen by `#![forbid(unsafe_code)]`, clippy and `grep`), with its
//! `// SAFETY:` comment, once per program or once per call site.
//!
//! Invariant: a `Spawner` exists only where someone called `Spawner::new()` in an unsafe
//! block, and so answers for every goroutine started through it or its copies.

use crate::{JoinHandle, WaitGroup};

/// The caller's promise that the goroutines it starts keep **no thread-bound state across a
/// blocking call**; with it, [`go!`](crate::go), [`spawn`](Spawner::spawn),
/// [`run`](Spawner::run) and [`spawn_in`](Spawner::spawn_in) are safe.
///
/// Make it with `unsafe` once, in `main` (Go style: every `go` statement of the program is
/// covered), or inline at one call site (the promise then covers that goroutine alone). It is
/// a zero-sized `Copy` value: move it into goroutines that start goroutines.
///
/// ```
/// use goro::prelude::*;
///
/// // SAFETY: no goroutine started with `sp` keeps thread-bound state across a blocking call.
/// let sp = unsafe { Spawner::new() };
///
/// let ch = Chan::new(0);
/// let tx = ch.clone();
/// let h = go!(sp, {
///     tx.send("hello").unwrap(); // the body is safe code: no `unsafe` around it
/// });
/// assert_eq!(ch.recv(), Some("hello"));
/// h.join().unwrap();
///
/// // The same promise made for a single goroutine:
/// // SAFETY: this goroutine keeps no thread-bound state across a blocking call.
/// let h = go!(unsafe { Spawner::new() }, move || 6 * 7);
/// assert_eq!(h.join().unwrap(), 42);
/// ```
///
/// The goroutine's body stays safe code: an unsafe operation in it needs its own `unsafe`
/// block, which the promise does not give (error E0133):
///
/// ```compile_fail,E0133
/// // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
/// let sp = unsafe { goro::Spawner::new() };
/// let x = Box::leak(Box::new(7u32));
/// let addr = x as *const u32 as usize;
/// let h = goro::go!(sp, move || *(addr as *const u32)); // error: deref of a raw pointer
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Spawner {
    _promise: (),
}

impl Spawner {
    /// Makes the promise.
    ///
    /// # Safety
    ///
    /// Every goroutine started through the returned value or its copies keeps the contract of
    /// [`spawn`](crate::spawn#safety): it may move to another OS thread whenever it blocks (a
    /// channel operation, a lock, `sleep`, `join`, I/O, ...), so across such a call it holds
    /// no `thread_local!` borrow or value, no guard that must be released on the thread that
    /// took it (`std::sync::MutexGuard`, `RwLock` guards), and nothing that assumes it stays
    /// on one thread, unless it first holds itself to its thread with
    /// [`lock_os_thread`](crate::lock_os_thread). Hand a `Spawner` only to code you have
    /// checked for this: safe code holding one can start any goroutine.
    pub const unsafe fn new() -> Self {
        Spawner { _promise: () }
    }

    /// Starts a goroutine running `f` (Go's `go f()`); [`go!`](crate::go) is the short form.
    ///
    /// ```
    /// // SAFETY: the goroutines started here keep no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// let h = sp.spawn(|| "hello from a goroutine");
    /// assert_eq!(h.join().unwrap(), "hello from a goroutine");
    /// ```
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // SAFETY: whoever made `self` promised the contract for every goroutine started
        // through it; `f` was built outside this block, so its body stays safe code.
        unsafe { gmp_sched::spawn(f) }
    }

    /// Runs `f` as the program's main goroutine with Go's deadlock detection and waits for it:
    /// [`run`](crate::run) under this promise.
    ///
    /// ```
    /// // SAFETY: main keeps no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// assert_eq!(sp.run(move || sp.spawn(|| 42).join().unwrap()), 42);
    /// ```
    #[track_caller]
    pub fn run<F, T>(self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // SAFETY: as in `spawn`: the promise covers `f`, built outside this block.
        unsafe { gmp_sched::run(f) }
    }

    /// Starts `f` in a goroutine counted in `wg` (Go 1.25's `wg.Go(f)`): [`WaitGroup::go`]
    /// under this promise.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// // SAFETY: the goroutines hold only an Arc of an atomic.
    /// let sp = unsafe { goro::Spawner::new() };
    /// let wg = goro::WaitGroup::new();
    /// let sum = Arc::new(AtomicUsize::new(0));
    /// for i in 1..=3 {
    ///     let sum = sum.clone();
    ///     sp.spawn_in(&wg, move || sum.fetch_add(i, Ordering::Relaxed));
    /// }
    /// wg.wait();
    /// assert_eq!(sum.load(Ordering::Relaxed), 6);
    /// ```
    #[track_caller]
    pub fn spawn_in<F, T>(self, wg: &WaitGroup, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // SAFETY: as in `spawn`: the promise covers `f`, built outside this block.
        unsafe { wg.go(f) }
    }
}

impl Spawner {
    /// Starts `f` on a goroutine of its own after `d` (Go: `time.AfterFunc`); `f` may block.
    /// The returned handle stops or re-arms it. See [`gochan::after_func`].
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // SAFETY: the function keeps no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// let done = goro::Chan::new(0);
    /// let c = done.clone();
    /// let _t = sp.after_func(Duration::from_millis(1), move || c.send("fired").unwrap());
    /// assert_eq!(done.recv(), Some("fired"));
    /// ```
    pub fn after_func(
        self,
        d: std::time::Duration,
        f: impl Fn() + Send + Sync + 'static,
    ) -> gochan::AfterFunc {
        // SAFETY: a `Spawner` is the promise that goroutines started through it keep
        // spawn's contract; `f` is started as one.
        unsafe { gochan::after_func(d, f) }
    }
}
