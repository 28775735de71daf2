//! Timers taken off a heap whose callbacks have not returned yet, so the test clock's
//! `advance` can wait for them (`timer.rs`): when it returns, every timer due by then has
//! fired, whichever thread (an M's schedule loop, sysmon, `advance` itself) took it.
//!
//! The count goes up (`taken`) under the heap's lock, before the heap publishes its next
//! deadline with a Release store, and down (`fired`, Release) once the batch's callbacks
//! have returned. `settle` waits for zero with Acquire loads after the caller's own look
//! at the heap, which either took the heap's lock or read the published deadline (Acquire)
//! stored after the increment. So a batch taken before that look is counted when `settle`
//! reads, and once `settle` returns the callbacks' writes are visible to its caller.
//! loom-tests/tests/firing.rs checks exactly this.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};

/// Batches of due timers taken off one heap and not yet fired (see the top of this file).
///
/// Public only for loom-tests (through `internal`); the module is private.
#[derive(Debug)]
pub struct FiringCount(AtomicUsize);

impl FiringCount {
    /// Nothing firing.
    #[allow(clippy::new_without_default)]
    pub fn new() -> FiringCount {
        FiringCount(AtomicUsize::new(0))
    }

    /// A batch was taken off the heap: call under the heap's lock, before it publishes
    /// its next deadline. The returned guard counts the batch out when its callbacks have
    /// run (or unwound).
    pub fn taken(&self) -> Fired<'_> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Fired(&self.0)
    }

    /// Waits until every batch taken before the caller's last look at the heap has fired.
    /// Callbacks must not block, so this waits briefly.
    pub fn settle(&self) {
        while self.0.load(Ordering::Acquire) != 0 {
            #[cfg(not(loom))]
            std::thread::yield_now();
            #[cfg(loom)]
            loom::thread::yield_now();
        }
    }
}

/// Counts a batch out of its [`FiringCount`] when dropped.
#[derive(Debug)]
pub struct Fired<'a>(&'a AtomicUsize);

impl Drop for Fired<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Release);
    }
}
