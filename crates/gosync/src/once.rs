//! Go's sync.Once: run a function exactly once, however many callers race to run it.
//! Ports Go's sync/once.go: a `done` flag checked without a lock, and a mutex the slow path takes.
//!
//! States: not done (`done == false`) -> done (`done == true`), never back. The first caller
//! through the mutex runs `f` and stores `done` when `f` returns *or panics* (Go defers the
//! store, so a panicking `f` still counts as run); callers that arrived meanwhile park on the
//! mutex and find `done` set.
//!
//! Invariant: `done` is stored (Release) only by the mutex holder after `f` finished, and read
//! with Acquire, so whoever sees it set also sees everything `f` did.

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::pin;

use crate::loom::{AtomicBool, Ordering};
use crate::mutex::{RawLockFuture, RawMutex};

/// Runs a function exactly once, like Go's sync.Once.
///
/// Callers that arrive while the function runs park (goroutines yield their thread) until it has
/// finished. A panic in the function still counts as done, as in Go: later calls return at once
/// and the panic goes on to the caller that ran it. Calling [`call_once`](Once::call_once) again
/// from inside the function deadlocks, as in Go.
///
/// # Examples
///
/// ```
/// use gosync::Once;
///
/// static INIT: Once = Once::new();
/// let mut runs = 0;
/// INIT.call_once(|| runs += 1);
/// INIT.call_once(|| runs += 1);
/// assert_eq!(runs, 1);
/// assert!(INIT.is_completed());
/// ```
pub struct Once {
    /// The function has run (or panicked). Stored only under `m`.
    done: AtomicBool,
    /// Held while the function runs; later callers park here.
    m: RawMutex,
}

impl Once {
    /// A `Once` that has not run yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = gosync::Once::new();
    /// assert!(!once.is_completed());
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Once {
            done: AtomicBool::new(false),
            m: RawMutex::new(),
        }
    }

    /// A `Once` that has not run yet.
    #[cfg(loom)]
    pub fn new() -> Self {
        Once {
            done: AtomicBool::new(false),
            m: RawMutex::new(),
        }
    }

    /// Runs `f` if no call has run a function on this `Once` yet; otherwise waits until that
    /// call has finished and returns without running `f` (Go: `Do`).
    ///
    /// When this returns, the function has run, and everything it did is visible to the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::panic;
    /// use gosync::Once;
    ///
    /// let once = Once::new();
    /// let r = panic::catch_unwind(|| once.call_once(|| panic!("boom")));
    /// assert!(r.is_err());
    /// // The panic counted as done, as in Go: this does not run.
    /// once.call_once(|| unreachable!());
    /// assert!(once.is_completed());
    /// ```
    #[inline]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        if !self.done.load(Ordering::Acquire) {
            self.call_once_slow(f);
        }
    }

    /// Go: `doSlow`.
    #[cold]
    fn call_once_slow<F: FnOnce()>(&self, f: F) {
        self.m.lock();
        let mut finish = Finish {
            once: self,
            ran: false,
        };
        if !self.done.load(Ordering::Relaxed) {
            finish.ran = true;
            f();
        }
    }

    /// [`call_once`](Once::call_once) for async code, with an async initialiser: runs `f()` to
    /// completion if no call has run a function on this `Once` yet; otherwise waits (the task
    /// waits, no thread blocks) until that call has finished.
    ///
    /// A panic in the initialiser counts as done, as in `call_once`. A future dropped while
    /// its initialiser runs does not: the next caller runs its own.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::Once;
    ///
    /// static SETUP: Once = Once::new();
    /// gmp_sched::block_on(async {
    ///     SETUP.call_once_async(|| async { println!("configured") }).await;
    ///     SETUP.call_once_async(|| async { unreachable!() }).await;
    /// });
    /// assert!(SETUP.is_completed());
    /// ```
    pub async fn call_once_async<F, Fut>(&self, f: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ()>,
    {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        RawLockFuture::new(&self.m).await;
        let mut finish = Finish {
            once: self,
            ran: false,
        };
        if self.done.load(Ordering::Relaxed) {
            return;
        }
        let mut init = pin!(f());
        // A panic counts as done (Go); being dropped mid-way does not.
        let r = poll_fn(
            |cx| match catch_unwind(AssertUnwindSafe(|| init.as_mut().poll(cx))) {
                Ok(p) => p.map(Ok),
                Err(payload) => std::task::Poll::Ready(Err(payload)),
            },
        )
        .await;
        finish.ran = true;
        if let Err(payload) = r {
            drop(finish);
            resume_unwind(payload);
        }
    }

    /// Whether a function has run (or panicked) on this `Once`. A `true` means the caller also
    /// sees everything the function did.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = gosync::Once::new();
    /// once.call_once(|| {});
    /// assert!(once.is_completed());
    /// ```
    pub fn is_completed(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

/// Unlocks a `Once`'s mutex on the way out (returned, panicked, or a dropped future), and marks
/// it done first when armed: Go's two `defer`s in `doSlow`.
struct Finish<'a> {
    once: &'a Once,
    ran: bool,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        if self.ran {
            self.once.done.store(true, Ordering::Release);
        }
        self.once.m.unlock();
    }
}

impl Default for Once {
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("done", &self.is_completed())
            .finish_non_exhaustive()
    }
}
