//! The loom shim: what gopoll takes from `std` that loom must see, picked by `cfg(loom)`.
//!
//! Only the poll descriptor's slots are modelled (their atomics and the short lock that
//! guards the parked waiter); the poller, sockets and deadlines are compiled out under loom.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

/// Locks a slot's queue lock. Nothing panics while one is held, so a poisoned lock is taken
/// anyway: the queue is consistent between any two statements that touch it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}
