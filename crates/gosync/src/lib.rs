//! Go's sync primitives for goro: [`Mutex`], [`RwMutex`], [`Once`], [`WaitGroup`] and [`Cond`],
//! ported from Go's `sync` package and the runtime semaphore they park on.
//!
//! Every primitive parks through `gmp_sched`'s waiter: inside a goroutine a blocked call parks
//! the goroutine and its thread runs other goroutines; on a plain thread (main, a std thread, a
//! test) it parks the thread. So a `Mutex` can be shared by goroutines, threads, or both at once.
//!
//! # Tour
//!
//! [`Mutex`] follows Go's sync.Mutex: an uncontended lock is one CAS; under contention a caller
//! spins briefly, then parks; a waiter passed over for more than 1 ms puts the mutex into
//! *starvation mode*, where each unlock hands it to the longest waiter. The data lives inside, as
//! with std's Mutex, and the guard unlocks on drop:
//!
//! ```
//! use std::sync::Arc;
//! use gosync::{Mutex, WaitGroup};
//!
//! let hits = Arc::new(Mutex::new(0u32));
//! let wg = WaitGroup::new();
//! for _ in 0..8 {
//!     wg.add(1);
//!     let (hits, wg) = (Arc::clone(&hits), wg.clone());
//!     // SAFETY: the closure keeps no thread-bound state across a blocking call (the guard of a
//!     // gosync Mutex is not thread-bound).
//!     unsafe {
//!         gmp_sched::spawn(move || {
//!             *hits.lock() += 1;
//!             wg.done();
//!         })
//!     };
//! }
//! wg.wait(); // a plain thread waiting for goroutines
//! assert_eq!(*hits.lock(), 8);
//! ```
//!
//! [`RwMutex`] admits many readers or one writer; a waiting writer holds back new readers:
//!
//! ```
//! use gosync::RwMutex;
//!
//! let routes = RwMutex::new(vec!["/"]);
//! assert_eq!(routes.read().len(), 1);
//! routes.write().push("/health");
//! assert_eq!(*routes.read(), ["/", "/health"]);
//! ```
//!
//! [`Once`] runs a function once; a panic in it still counts, as in Go:
//!
//! ```
//! use gosync::Once;
//!
//! static SETUP: Once = Once::new();
//! SETUP.call_once(|| println!("configured"));
//! SETUP.call_once(|| unreachable!());
//! assert!(SETUP.is_completed());
//! ```
//!
//! [`WaitGroup`] waits for a counted set of goroutines; clones share one counter. [`Cond`] waits
//! for a condition under a [`Mutex`]:
//!
//! ```
//! use std::sync::Arc;
//! use gosync::{Cond, Mutex};
//!
//! let queue = Arc::new((Mutex::new(Vec::<u32>::new()), Cond::new()));
//! let consumer = {
//!     let queue = Arc::clone(&queue);
//!     std::thread::spawn(move || {
//!         let mut items = queue.1.wait_while(queue.0.lock(), |items| items.is_empty());
//!         items.pop().unwrap()
//!     })
//! };
//! queue.0.lock().push(5);
//! queue.1.signal();
//! assert_eq!(consumer.join().unwrap(), 5);
//! ```
//!
//! # Go to gosync
//!
//! | Go                          | gosync                                    |
//! |-----------------------------|-------------------------------------------|
//! | `mu.Lock()` / `mu.Unlock()` | `let g = mu.lock();` / `drop(g)`          |
//! | `mu.TryLock()`              | `mu.try_lock()` (an `Option` of a guard)  |
//! | `rw.RLock()` / `rw.Lock()`  | `rw.read()` / `rw.write()`                |
//! | `once.Do(f)`                | `once.call_once(f)`                       |
//! | `wg.Add(n)`, `Done`, `Wait` | `wg.add(n)`, `done()`, `wait()`           |
//! | `sync.NewCond(&mu)`, `c.Wait()` | `Cond::new()`, `g = c.wait(g)`        |
//!
//! Differences: nothing poisons (as in Go, a panic while a guard is held just unlocks); the
//! guards may be sent to another goroutine or thread and dropped there (Go lets any goroutine
//! unlock); a [`Cond`] takes the mutex guard at each `wait` instead of at construction;
//! [`WaitGroup`] is a cloneable handle (Go passes a pointer) and [`WaitGroup::go`] is `unsafe`
//! like every goroutine spawn.
//!
//! # Testing and model checking
//!
//! A few `#[doc(hidden)]` methods give tests a view of the state without timing: a mutex's
//! starvation bit and waiter counts (`Mutex::is_starving`, `waiters`, `queued`) and a wait
//! group's counter and waiters (`WaitGroup::count`, `waiters`). They are not part of the stable
//! API. Under `cfg(loom)` the crate builds against loom (atomics, the queue lock, a clock the
//! models drive), and `loom-tests` checks the semaphore, the mutex including starvation hand-off,
//! `RwMutex`, `Once`, `WaitGroup` and `Cond`.

mod cond;
mod loom;
mod mutex;
mod once;
mod rwmutex;
mod sema;
mod waitgroup;

pub use cond::Cond;
pub use mutex::{LockFuture, Mutex, MutexGuard};
pub use once::Once;
pub use rwmutex::{RwMutex, RwMutexReadGuard, RwMutexWriteGuard};
pub use waitgroup::{WaitFuture, WaitGroup};

/// A broken internal invariant or a misuse the process cannot survive (Go: `throw`/`fatal`):
/// prints `fatal error: {msg}` and aborts, as every fatal error of the runtime does (see
/// `loom::fatal`). Under loom it panics instead, so the model reports it.
#[cold]
pub(crate) fn throw(msg: &str) -> ! {
    loom::fatal(format_args!("{msg}"))
}

/// What the loom models in `loom-tests` need. Not part of the API.
#[cfg(loom)]
#[doc(hidden)]
pub mod internal {
    pub use crate::loom::set_spin;

    pub use crate::loom::clock::{
        set_step as set_clock_step, set_thread_step as set_thread_clock_step,
    };
    pub use crate::mutex::STARVATION_THRESHOLD_NS;
    pub use crate::sema::Sema;

    /// How many times, over all executions so far of models run from the calling test thread,
    /// a mutex entered and left starvation mode.
    pub fn starvation_transitions() -> StarvationTransitions {
        use crate::mutex::internal_stats::*;
        StarvationTransitions {
            entered: STARVATION_ENTERED.with(|c| c.get()),
            left_by_last_waiter: STARVATION_LEFT_LAST.with(|c| c.get()),
            left_by_short_waiter: STARVATION_LEFT_SHORT.with(|c| c.get()),
        }
    }

    /// How many times, over all executions so far of models run from the calling test thread,
    /// a spinning mutex waiter set WOKEN (needs `set_spin(true)`).
    pub fn spinners_that_set_woken() -> usize {
        crate::mutex::internal_stats::SPINNER_SET_WOKEN.with(|c| c.get())
    }

    /// Counts of starvation-mode transitions (see [`starvation_transitions`]).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct StarvationTransitions {
        /// A waiter that waited over 1 ms set STARVING.
        pub entered: usize,
        /// A hand-off receiver that waited long cleared STARVING as the last waiter.
        pub left_by_last_waiter: usize,
        /// A hand-off receiver cleared STARVING because it waited under 1 ms.
        pub left_by_short_waiter: usize,
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    #[test]
    fn unlock_of_unlocked_mutex_is_a_fatal_error() {
        goro_test_support::expect_fatal(
            "tests::unlock_of_unlocked_mutex_is_a_fatal_error",
            "sync: unlock of unlocked mutex",
            || crate::mutex::RawMutex::new().unlock(),
        );
    }
}

/// The README's examples, run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
