//! Scoped goroutines: `std::thread::scope`'s shape, with goroutines. Every goroutine started
//! in a scope is joined before `scope` returns, so it may borrow the caller's stack.
//!
//! Ports the design of std's `thread/scoped.rs` onto the goroutine runtime:
//! - Each goroutine's result sits in a `Packet` shared by the goroutine and its
//!   `ScopedJoinHandle`. The scope counts packets alive in a `WaitGroup`: `go` adds one
//!   before the packet exists, the packet's drop (the last of its two owners) does `done`
//!   after it has dropped the result. `scope` waits for zero, so by the time it returns no
//!   packet, result or captured borrow of a scoped goroutine is left.
//! - The goroutine's closure has its lifetime erased to `'static` for `Spawner::spawn`; that
//!   is the one `unsafe` here, and the count above is what makes it hold: the closure and
//!   everything it captured are dropped inside the goroutine before its packet is.
//! - A panic is caught in the goroutine and kept in its packet: `join` returns it; if
//!   nobody joins, the packet's drop hands the first such panic to the scope, and `scope`
//!   resumes it once every goroutine has ended (std panics with "a scoped thread
//!   panicked"; the goroutine's own payload says more).
//!
//! Waiting is `WaitGroup::wait`, which parks a goroutine or a thread alike, so a scope works
//! from both; the count and the wake-up are the WaitGroup's (its loom model is
//! `loom-tests/tests/waitgroup.rs`). Nothing here is a new lock-free protocol.
//!
//! The promise of the safety contract is the `Spawner` handed to `scope`: a scoped goroutine
//! may move between OS threads at a blocking call like any other.

use crate::{JoinHandle, Spawner, WaitGroup};
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

/// Starts a scope for goroutines that may borrow the caller's data: std's
/// [`std::thread::scope`] with goroutines.
///
/// `f` gets a [`Scope`], whose [`go`](Scope::go) starts goroutines that may borrow anything
/// that outlives the call to `scope`. Every goroutine started in the scope has ended by the
/// time `scope` returns: those not joined by hand are waited for. `scope` returns what `f`
/// returns.
///
/// `sp` is the safety contract's promise ([`Spawner`]): the scoped goroutines keep no
/// thread-bound state across a blocking call. Works from a goroutine (only it waits) and
/// from a plain thread.
///
/// # Panics
///
/// If `f` panics, once every goroutine has ended, with `f`'s panic. Otherwise, if a
/// goroutine that nobody joined panicked, with the first such goroutine's panic (a joined
/// one's panic is [`ScopedJoinHandle::join`]'s `Err` instead).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
/// let sp = unsafe { goro::Spawner::new() };
/// let words = vec!["go", "goro", "goroutine"];
/// let total = AtomicUsize::new(0);
/// let mut longest = "";
///
/// goro::scope(sp, |s| {
///     for w in &words {
///         s.go(|| total.fetch_add(w.len(), Ordering::Relaxed)); // borrows `words`, `total`
///     }
///     // A handle gives the result back; the borrow of `longest` ends with the goroutine.
///     let h = s.go(|| longest = words.iter().max_by_key(|w| w.len()).unwrap());
///     h.join().unwrap();
/// });
/// assert_eq!(total.into_inner(), 15);
/// assert_eq!(longest, "goroutine");
/// ```
#[track_caller]
pub fn scope<'env, F, T>(sp: Spawner, f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let scope = Scope {
        data: Arc::new(ScopeData {
            running: WaitGroup::new(),
            panic: Mutex::new(None),
        }),
        sp,
        scope: PhantomData,
        env: PhantomData,
    };
    let r = catch_unwind(AssertUnwindSafe(|| f(&scope)));
    {
        // The borrows the goroutines hold end only when the count is zero: leaving this
        // frame before (by a panic out of `wait`, which Go's misuse checks could raise)
        // would free what they borrow under them, so that aborts instead.
        let abort = AbortOnUnwind;
        scope.data.running.wait();
        std::mem::forget(abort);
    }
    let r = r.unwrap_or_else(|p| resume_unwind(p));
    let unjoined = scope
        .data
        .panic
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(p) = unjoined {
        resume_unwind(p);
    }
    r
}

/// Aborts the process if dropped, which only an unwind does (it is forgotten otherwise).
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!("goro::scope: waiting for the scope's goroutines panicked; aborting");
        std::process::abort();
    }
}

/// A scope to start goroutines in, made by [`scope`]; std's [`std::thread::Scope`].
///
/// `'scope` is the scope's own lifetime: goroutines may borrow anything that outlives it,
/// and all of them end before it does. `'env` is the lifetime of what the scope borrows
/// from outside.
///
/// ```
/// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
/// let sp = unsafe { goro::Spawner::new() };
/// let mut counts = [0u32; 4];
/// goro::scope(sp, |s| {
///     for (i, c) in counts.iter_mut().enumerate() {
///         s.go(move || *c = i as u32 * 10); // each goroutine borrows one element mutably
///     }
/// });
/// assert_eq!(counts, [0, 10, 20, 30]);
/// ```
pub struct Scope<'scope, 'env: 'scope> {
    data: Arc<ScopeData>,
    sp: Spawner,
    /// Invariant in `'scope` and `'env`, as std's: neither may be shortened or lengthened.
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

/// What a scope's goroutines share with it; in an `Arc`, since the last `done` may still be
/// touching it when `scope` returns.
struct ScopeData {
    /// Packets alive: one per goroutine until both it and its handle are gone.
    running: WaitGroup,
    /// The first panic of a goroutine nobody joined.
    panic: Mutex<Option<Box<dyn Any + Send + 'static>>>,
}

/// A goroutine's result, shared by the goroutine and its [`ScopedJoinHandle`].
struct Packet<'scope, T> {
    scope: Arc<ScopeData>,
    /// Set by the goroutine as it ends; taken by `join`.
    result: Mutex<Option<std::thread::Result<T>>>,
    _scope: PhantomData<&'scope ()>,
}

impl<T> Drop for Packet<'_, T> {
    fn drop(&mut self) {
        let result = self
            .result
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // The result may borrow from the scope: drop it before `done` lets `scope` return.
        // Its drop may panic; the count must go down all the same.
        let dropped = catch_unwind(AssertUnwindSafe(move || match result {
            Some(Err(p)) => Some(p),
            other => {
                drop(other);
                None
            }
        }));
        let unjoined = match dropped {
            Ok(p) => p,
            Err(p) => Some(p),
        };
        if let Some(p) = unjoined {
            let mut first = self
                .scope
                .panic
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            first.get_or_insert(p);
        }
        self.scope.running.done();
    }
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Starts a goroutine in the scope (Go's `go` statement, std's `Scope::spawn`). Unlike
    /// [`Spawner::spawn`], `f` and its result may borrow anything that outlives the scope.
    ///
    /// The goroutine is joined by [`scope`] if its handle is not: dropping the handle
    /// does not detach it. It may start more goroutines in the same scope (a `&Scope` is
    /// `Send`), and [`scope`]s of its own.
    ///
    /// ```
    /// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// let data = vec![1, 2, 3, 4];
    /// let (left, right) = data.split_at(2);
    /// let sum = goro::scope(sp, |s| {
    ///     let l = s.go(|| left.iter().sum::<i32>());
    ///     let r = s.go(|| right.iter().sum::<i32>());
    ///     l.join().unwrap() + r.join().unwrap()
    /// });
    /// assert_eq!(sum, 10);
    /// ```
    ///
    /// A goroutine may not borrow what ends before the scope does (error E0373), and its
    /// handle may not leave the scope:
    ///
    /// ```compile_fail,E0373
    /// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// goro::scope(sp, |s| {
    ///     let inner = 5;
    ///     s.go(|| inner + 1); // `inner` is dropped before the goroutine is joined
    /// });
    /// ```
    ///
    /// ```compile_fail
    /// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// let h = goro::scope(sp, |s| s.go(|| 1));
    /// ```
    #[track_caller]
    pub fn go<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        // Counted before the packet exists, so every way the packet goes (a panic in
        // `spawn` included) is matched by its drop's `done`.
        self.data.running.add(1);
        let packet = Arc::new(Packet {
            scope: self.data.clone(),
            result: Mutex::new(None),
            _scope: PhantomData,
        });
        let theirs = packet.clone();
        let main = move || {
            let r = catch_unwind(AssertUnwindSafe(f));
            *theirs.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(r);
            // `f` and its captures are gone; this may be the packet's last owner, whose
            // drop lets the scope end: nothing of `'scope` is touched after it.
            drop(theirs);
        };
        let main: Box<dyn FnOnce() + Send + 'scope> = Box::new(main);
        // Should the spawn fail, `main` is dropped right here, inside `'scope`.
        // SAFETY: only `'scope` is erased, and nothing of it is used after `scope` returns:
        // running `main` drops `f`, its captures and its packet handle, and `scope` waits
        // for every packet's drop, which comes only after that.
        let main: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(main) };
        let handle = self.sp.spawn(main);
        ScopedJoinHandle { handle, packet }
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("running", &self.data.running.count())
            .finish_non_exhaustive()
    }
}

/// An owned permission to join a scoped goroutine: std's [`std::thread::ScopedJoinHandle`].
///
/// Dropping it does not detach the goroutine: [`scope`] still waits for it, and a panic in
/// it then makes `scope` panic.
///
/// ```
/// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
/// let sp = unsafe { goro::Spawner::new() };
/// let name = String::from("gopher");
/// goro::scope(sp, |s| {
///     let h = s.go(|| name.len());
///     assert!(h.id() >= 1);
///     assert_eq!(h.join().unwrap(), 6);
///     let p = s.go(|| -> usize { panic!("oops") });
///     assert!(p.join().is_err()); // joined: the scope does not panic
/// });
/// ```
pub struct ScopedJoinHandle<'scope, T> {
    handle: JoinHandle<()>,
    packet: Arc<Packet<'scope, T>>,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the goroutine to end. `Err` carries the payload of its panic.
    ///
    /// ```
    /// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// let v = vec![1, 2, 3];
    /// let n = goro::scope(sp, |s| s.go(|| v.len()).join().unwrap());
    /// assert_eq!(n, 3);
    /// ```
    pub fn join(self) -> std::thread::Result<T> {
        // The goroutine catches `f`'s panic; an `Err` here would be a bug in `go`.
        if let Err(p) = self.handle.join() {
            resume_unwind(p);
        }
        self.packet
            .result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("a scoped goroutine ended without storing its result")
    }

    /// True once the goroutine has ended (returned or panicked).
    ///
    /// ```
    /// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// goro::scope(sp, |s| {
    ///     let h = s.go(|| ());
    ///     while !h.is_finished() {
    ///         goro::yield_now();
    ///     }
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// The goroutine's id, as [`JoinHandle::id`].
    ///
    /// ```
    /// // SAFETY: the scoped goroutines hold no thread-bound state across a blocking call.
    /// let sp = unsafe { goro::Spawner::new() };
    /// goro::scope(sp, |s| assert!(s.go(|| ()).id() >= 1));
    /// ```
    pub fn id(&self) -> u64 {
        self.handle.id()
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
