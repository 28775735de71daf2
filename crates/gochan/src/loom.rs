//! std or loom, picked by `cfg(loom)`: every atomic, lock and `UnsafeCell` in this crate
//! comes from here, so the code loom checks is the code that ships. Under loom the channel
//! lock blocks (the spin lock it is in production has a model of its own, see `hchan.rs`)
//! and parkers wait on gmp-sched's loom `Waiter` (the real `ParkState`); the parker's spin path runs when a model asks for it (`set_spin`).

#[cfg(not(loom))]
pub(crate) use std::{hint, sync};

#[cfg(loom)]
pub(crate) use loom::{hint, sync};

#[cfg(loom)]
pub use self::model::set_spin;
pub(crate) use gmp_sched::sys::{park, park_until, Waiter, WakerSlot};

/// Whether a parker on a plain thread spins before it parks (`Parker::wait`): on a
/// multicore machine, outside goroutines, as crossbeam's waiters do.
#[cfg(not(loom))]
pub(crate) fn parker_spins() -> bool {
    !gmp_sched::sys::in_goroutine() && gmp_sched::sys::can_spin(0)
}

/// Under loom: whether the model asked for the spinning parker ([`set_spin`]).
#[cfg(loom)]
pub(crate) fn parker_spins() -> bool {
    model::SPIN.with(|s| s.get())
}

/// How many rounds a spinning parker spins before it parks: a few under loom (each is a
/// branch of the model), ten in production.
pub(crate) const PARKER_SPINS: u32 = if cfg!(loom) { 1 } else { 10 };

/// Under loom: the parker's spin path (`can_spin` is false there).
#[cfg(loom)]
mod model {

    std::thread_local! {
        /// Whether parkers spin first, for models run from the calling test thread (a std
        /// thread-local of the thread that runs `loom::model`).
        pub(super) static SPIN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Makes parkers take the spin path (`Parker::wait`) in models run from the calling test
    /// thread. Call it before `loom::model`, never inside one.
    pub fn set_spin(on: bool) {
        SPIN.with(|s| s.set(on));
    }
}

/// Yields the OS thread (the spin lock's slow path; under loom it spins instead).
#[cfg(not(loom))]
pub(crate) fn yield_thread() {
    std::thread::yield_now();
}

/// Under loom the spin lock's slow path never yields (it spins one round at a time).
#[cfg(loom)]
pub(crate) fn yield_thread() {
    unreachable!("the loom channel lock does not yield")
}

/// Lets a claiming waker finish (`Parker::withdraw`): yields the OS thread, or the loom
/// thread under loom.
pub(crate) fn yield_waiting() {
    #[cfg(not(loom))]
    std::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// loom's `UnsafeCell` API (`with`/`with_mut` hand out raw pointers) over std's cell, so that
/// loom can check every access while the std build pays nothing. No `into_inner`: loom does not
/// check it, so a read of a handed-over value through it would hide a missing Release.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(v: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(v))
    }

    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// The runtime's one fatal path (`gmp_sched::fatal`): `fatal error: {msg}` on stderr, then
/// abort; under loom a panic with the same text, so the model fails.
pub(crate) use gmp_sched::fatal;

/// The runtime's time (`gmp_sched::now`: a test may pause it); under loom, real time.
#[cfg(not(loom))]
pub(crate) use gmp_sched::now;

/// The runtime's time; under loom, real time (models never reach a deadline).
#[cfg(loom)]
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}
