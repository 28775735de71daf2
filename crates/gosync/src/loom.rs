//! The loom shim: everything gosync takes from `std` that loom must see, picked by `cfg(loom)`.
//!
//! Atomics, the short lock that guards wait queues, `UnsafeCell` (with loom's `with`/`with_mut`
//! interface) and the clock. Under loom there is no time, so the clock is a per-thread counter
//! that moves by a fixed step per reading; a model picks the step before it starts
//! (`clock::set_step`) and so decides whether a mutex waiter "waited over 1 ms".

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex as QueueLock, MutexGuard as QueueGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex as QueueLock, MutexGuard as QueueGuard};

#[cfg(loom)]
pub use self::model::set_spin;
#[cfg(loom)]
pub(crate) use self::model::{can_spin, do_spin};
#[cfg(not(loom))]
pub(crate) use gmp_sched::sys::{can_spin, do_spin};
pub(crate) use gmp_sched::sys::{park, Waiter};

/// Under loom: the spinner path of the mutex (gmp-sched's `can_spin` is always false there).
#[cfg(loom)]
mod model {

    std::thread_local! {
        /// Whether `can_spin` allows a spin, for models run from the calling test thread
        /// (a std thread-local of the thread that runs `loom::model`, as the clock step).
        static SPIN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Lets a lock waiter spin once (`can_spin(0)`) in models run from the calling test
    /// thread. Call it before `loom::model`, never inside one.
    pub fn set_spin(on: bool) {
        SPIN.with(|s| s.set(on));
    }

    /// Go's `sync_runtime_canSpin`, shrunk for loom: one spin iteration when the model asks
    /// for spinning ([`set_spin`]), none otherwise.
    pub(crate) fn can_spin(iter: u32) -> bool {
        iter < 1 && SPIN.with(|s| s.get())
    }

    /// Go's `procyield`: one loom spin hint (loom lets the other threads run).
    pub(crate) fn do_spin() {
        loom::hint::spin_loop();
    }
}

/// Locks a wait-queue lock. Nothing panics while one is held, but a poisoned lock is taken
/// anyway: the queue it guards is consistent between any two statements that touch it.
pub(crate) fn lock_queue<T>(lock: &QueueLock<T>) -> QueueGuard<'_, T> {
    match lock.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// `std::cell::UnsafeCell` with loom's closure interface, so the same code compiles both ways.
#[cfg(not(loom))]
#[derive(Debug, Default)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(data: T) -> Self {
        Self(std::cell::UnsafeCell::new(data))
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> UnsafeCell<T> {
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }

    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T: ?Sized>(loom::cell::UnsafeCell<T>);

#[cfg(loom)]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(data: T) -> Self {
        Self(loom::cell::UnsafeCell::new(data))
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

#[cfg(loom)]
impl<T: ?Sized> UnsafeCell<T> {
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.0.with(f)
    }

    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no other access to the cell exists.
        self.0.with_mut(|p| unsafe { &mut *p })
    }
}

/// The clock the mutex measures waiting with (Go: `runtime_nanotime`).
pub(crate) mod clock {
    /// Nanoseconds on the runtime's one monotonic clock (`gmp_sched::sys::nanotime`).
    #[cfg(not(loom))]
    pub(crate) fn now_nanos() -> u64 {
        gmp_sched::sys::nanotime()
    }

    // The global step and the counters below live in *std* thread-locals of the thread that
    // runs `loom::model`: loom runs every model thread as a coroutine on that one OS thread, so
    // each test (one OS thread each) gets its own, and parallel tests cannot disturb each other.
    #[cfg(loom)]
    std::thread_local! {
        static STEP_NS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    #[cfg(loom)]
    loom::thread_local! {
        static NOW: std::cell::Cell<u64> = std::cell::Cell::new(0);
        static THREAD_STEP: std::cell::Cell<Option<u64>> = std::cell::Cell::new(None);
    }

    /// Under loom: each reading on a thread is one step later than that thread's last one.
    #[cfg(loom)]
    pub(crate) fn now_nanos() -> u64 {
        let step = THREAD_STEP
            .with(|s| s.get())
            .unwrap_or_else(|| STEP_NS.with(|s| s.get()));
        NOW.with(|now| {
            now.set(now.get() + step);
            now.get()
        })
    }

    /// Sets the step of the calling loom thread's clock, overriding [`set_step`]. Call it inside
    /// the model, at the start of a thread.
    #[cfg(loom)]
    pub fn set_thread_step(nanos: u64) {
        THREAD_STEP.with(|s| s.set(Some(nanos)));
    }

    /// Sets how far the loom clock moves per reading, for models run from the calling test
    /// thread. Call it before `loom::model`, never inside one (the step must be the same in
    /// every execution).
    #[cfg(loom)]
    pub fn set_step(nanos: u64) {
        STEP_NS.with(|s| s.set(nanos));
    }
}

/// The runtime's one fatal path (`gmp_sched::fatal`): `fatal error: {msg}` on stderr, then
/// abort; under loom a panic with the same text, so the model fails.
pub(crate) use gmp_sched::fatal;
