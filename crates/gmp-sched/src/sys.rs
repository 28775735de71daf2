//! The pieces for building blocking primitives on the scheduler: how gochan, gosync and gopoll
//! park and wake goroutines, spin before parking, pick at random and plug in the netpoller.
//!
//! A program that only spawns goroutines and uses channels, locks and sockets needs nothing
//! here; a crate writing its own channel, lock or I/O source does. The pattern: store a
//! [`Waiter`] where a waker will find it, [`park`] (releasing your lock in its `release`
//! function, which runs only once the party is parked), and have the waker call
//! [`Waiter::unpark`]. It works the same on goroutines and on plain threads.
//!
//! ```
//! use gmp_sched::sys::{park, WaitReason, Waiter};
//! use std::sync::{Arc, Mutex};
//!
//! // A one-shot flag a goroutine or a thread can wait on.
//! let slot: Arc<Mutex<(bool, Option<Waiter>)>> = Arc::default();
//! let s = slot.clone();
//! let setter = std::thread::spawn(move || {
//!     let mut g = s.lock().unwrap();
//!     g.0 = true;
//!     if let Some(w) = g.1.take() {
//!         w.unpark();
//!     }
//! });
//! loop {
//!     let mut g = slot.lock().unwrap();
//!     if g.0 {
//!         break;
//!     }
//!     g.1 = Some(Waiter::current());
//!     park(WaitReason::Other("flag"), move || drop(g));
//! }
//! setter.join().unwrap();
//! ```

pub use crate::park_state::WaitReason;
pub use crate::rand::{cheaprand, cheaprand_n};
pub use crate::waiter::{park, park_until, Waiter};
pub use crate::waker_slot::WakerSlot;

#[cfg(not(loom))]
pub use crate::netpoll::{set_netpoller, NetPoller};
#[cfg(not(loom))]
pub use crate::sleep::Timer;

#[cfg(not(loom))]
use crate::{g, sched};

/// Go's `sync_runtime_canSpin`: whether a lock waiter should spin (iteration `iter`) rather
/// than park: fewer than 4 spins so far, several CPUs, and, in a goroutine, other Ps busy
/// (someone may be about to unlock) and no goroutine waiting in the local run queue.
///
/// ```
/// assert!(!gmp_sched::sys::can_spin(4));
/// ```
pub fn can_spin(iter: u32) -> bool {
    #[cfg(not(loom))]
    {
        sched::can_spin(iter)
    }
    #[cfg(loom)]
    {
        let _ = iter;
        false
    }
}

/// Go's `procyield(30)`: a short busy-wait for a spinning lock waiter.
///
/// ```
/// gmp_sched::sys::do_spin();
/// ```
pub fn do_spin() {
    for _ in 0..30 {
        std::hint::spin_loop();
    }
}

/// True when called from a goroutine (false on a plain OS thread).
///
/// ```
/// assert!(!gmp_sched::sys::in_goroutine());
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// assert!(unsafe { gmp_sched::spawn(gmp_sched::sys::in_goroutine) }.join().unwrap());
/// ```
#[cfg(not(loom))]
pub fn in_goroutine() -> bool {
    !g::current_ptr().is_null()
}

/// The index of the P the calling goroutine runs on (`0..gomaxprocs()`), or `None` on a
/// plain thread. It can change at every blocking call; per-P sharding (Go's `procPin`, as
/// `sync.Pool` uses it) is what it is for.
///
/// ```
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let p = unsafe { gmp_sched::spawn(gmp_sched::sys::processor_id) }.join().unwrap();
/// assert!(p.unwrap() < gmp_sched::gomaxprocs());
/// ```
#[cfg(not(loom))]
pub fn processor_id() -> Option<usize> {
    if !in_goroutine() {
        return None;
    }
    sched::current_p().map(|p| p.id)
}

/// Nanoseconds since the runtime's epoch on its one monotonic clock (Go's
/// `runtime.nanotime`), for primitives that measure waits (gosync's 1 ms starvation
/// threshold). Real time: a paused test clock (`gmp_sched::testing`) does not stop it.
/// Saturates far in the future; never wraps.
///
/// ```
/// let a = gmp_sched::sys::nanotime();
/// let b = gmp_sched::sys::nanotime();
/// assert!(b >= a);
/// ```
#[cfg(not(loom))]
pub fn nanotime() -> u64 {
    crate::clock::real_nanos()
}
