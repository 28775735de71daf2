//! Picks std or loom types by `cfg(loom)`, so the protocols are written once and
//! model-checked as written. (Thread parking under loom is in `waiter.rs`.) Under loom the scheduler itself is compiled out and the
//! waiter parks loom threads.

#[cfg(not(loom))]
pub(crate) use std::sync;

#[cfg(loom)]
pub(crate) use loom::sync;

/// A busy-wait hint; under loom a yield, so a spinning thread lets the others run.
#[inline]
pub(crate) fn spin_loop() {
    #[cfg(not(loom))]
    std::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}
