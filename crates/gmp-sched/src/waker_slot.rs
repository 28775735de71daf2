//! The task side of the waiter: one future's [`Waker`], kept where a waker of any kind finds
//! it. A [`Waiter`](crate::sys::Waiter) made with `Waiter::task` wakes this slot instead of
//! readying a G or unparking a thread, so a wait queue that holds goroutines and threads holds
//! async tasks too, and its wakers need not know which is which.
//!
//! ## The task's "park word"
//!
//! A goroutine parks through its `ParkState` (RUNNING/NOTIFIED/PARKED, see `park_state.rs`); a
//! task parks by returning `Poll::Pending`, and its park word is the slot's [`AtomicWaker`]
//! (from the `atomic-waker` crate: one waker per waiter, register and wake without a lock):
//!
//! | goroutine (`ParkState`)              | task (`WakerSlot`)                                   |
//! |--------------------------------------|------------------------------------------------------|
//! | `take_notified`: a pending unpark    | the future re-checks its own state after `register`  |
//! | `commit_park` (after `release`)      | `register(cx.waker())`, re-check, `Poll::Pending`    |
//! | `unpark`: PARKED -> RUNNING, ready G | `wake`: take the registered waker and wake it        |
//!
//! The one rule (the same as `take_notified` then `commit_park`): a future **registers first,
//! then re-checks** the state its waker writes, and returns `Pending` only if that re-check
//! fails; a waker **writes the state first, then wakes** the slot. `AtomicWaker` orders the two
//! (AcqRel on its state word), so either the future sees the write, or the wake finds the
//! registered waker: no wake-up is lost. A wake with nobody registered does nothing: the
//! condition it reports is already written, and the future's next poll re-checks it (that
//! re-check plays the permit of `ParkState`'s NOTIFIED).
//!
//! `atomic-waker` has no loom support, so under `cfg(loom)` the slot is a loom `Mutex` around
//! an `Option<Waker>`, with the same two calls: the models check the
//! register/re-check and write/wake order of the code that uses the slot, not `AtomicWaker`
//! itself (futures-rs and tokio model that one).

use std::fmt;
use std::task::Waker;

/// One async task's waker, where the parties that wake it find it: the task side of a
/// [`Waiter`](crate::sys::Waiter) (see `Waiter::task`).
///
/// A future that waits registers its context's waker here on every poll, then re-checks the
/// condition it waits for; a party that makes the condition true then calls
/// [`wake`](WakerSlot::wake). A wake that finds no registered waker does nothing: the
/// future re-checks the condition after its next `register`.
///
/// ```
/// use gmp_sched::sys::WakerSlot;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use std::task::{Wake, Waker};
///
/// struct Count(AtomicUsize);
/// impl Wake for Count {
///     fn wake(self: Arc<Self>) {
///         self.0.fetch_add(1, Ordering::SeqCst);
///     }
/// }
/// let count = Arc::new(Count(AtomicUsize::new(0)));
/// let slot = WakerSlot::new();
/// slot.register(&Waker::from(count.clone()));
/// slot.wake();
/// assert_eq!(count.0.load(Ordering::SeqCst), 1);
/// ```
#[derive(Default)]
pub struct WakerSlot {
    #[cfg(not(loom))]
    waker: atomic_waker::AtomicWaker,
    #[cfg(loom)]
    waker: loom::sync::Mutex<Option<Waker>>,
}

impl WakerSlot {
    /// An empty slot.
    ///
    /// ```
    /// let slot = gmp_sched::sys::WakerSlot::new();
    /// slot.wake(); // nobody registered: nothing to wake
    /// ```
    pub fn new() -> WakerSlot {
        WakerSlot::default()
    }

    /// Stores `waker` (replacing any earlier one) so the next [`wake`](WakerSlot::wake) wakes
    /// it. Call it before re-checking the condition, on every poll that returns `Pending`.
    ///
    /// ```
    /// use std::task::Waker;
    /// gmp_sched::sys::WakerSlot::new().register(Waker::noop());
    /// ```
    pub fn register(&self, waker: &Waker) {
        #[cfg(not(loom))]
        self.waker.register(waker);
        #[cfg(loom)]
        {
            *self.waker.lock().unwrap() = Some(waker.clone());
        }
    }

    /// Wakes the registered waker, taking it out; with none registered, does nothing.
    ///
    /// ```
    /// gmp_sched::sys::WakerSlot::new().wake();
    /// ```
    pub fn wake(&self) {
        #[cfg(not(loom))]
        self.waker.wake();
        #[cfg(loom)]
        {
            let taken = self.waker.lock().unwrap().take();
            if let Some(w) = taken {
                w.wake();
            }
        }
    }
}

impl fmt::Debug for WakerSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WakerSlot")
    }
}
