//! Go's G/M/P scheduler for Rust: stackful goroutines multiplexed onto OS threads.
//!
//! - **G**: a goroutine, a stackful coroutine with its own fixed-size, guard-paged stack,
//!   switched with Boost.Context (`context`).
//! - **M**: an OS thread. It runs goroutines only while it holds a P.
//! - **P**: the right to run goroutines; there are [`gomaxprocs`] of them, each with a local
//!   run queue, a `runnext` slot and a timer heap. Idle Ms steal half of a busy P's queue.
//!
//! Depend on this crate alone to spawn goroutines or to write a blocking primitive that
//! parks goroutines and threads alike (through the [`Waiter`]); the `goro` crate re-exports
//! all of it beside channels, sync and networking.
//!
//! ```
//! use std::time::Duration;
//!
//! let handles: Vec<_> = (0..10u64)
//!     .map(|i| {
//!         // The closure is built outside the `unsafe` block, so its body stays safe code.
//!         let f = move || {
//!             gmp_sched::sleep(Duration::from_millis(1)); // parks only this goroutine
//!             i * i
//!         };
//!         // SAFETY: `f` keeps no thread-bound state across blocking calls.
//!         unsafe { gmp_sched::spawn(f) }
//!     })
//!     .collect();
//! let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
//! assert_eq!(sum, 285);
//! ```
//!
//! Spawning is `unsafe`: a goroutine can move between OS threads whenever it blocks, so it
//! must not keep thread-bound state across a blocking call; [`spawn`] states the contract.
//! The `unsafe` covers that promise, not the goroutine's body: build the closure outside the
//! `unsafe` block (`goro::Spawner` and `goro::go!` do so for you).
//! [`goroutine_local!`] is the safe replacement for `thread_local!`.
//!
//! A goroutine that overflows its stack aborts the process with a message naming the
//! goroutine and its stack size; [`Builder::stack_size`] and `GORO_STACK_SIZE` give more
//! (see [`DEFAULT_STACK_SIZE`] for why stacks are fixed-size).

#![cfg_attr(loom, allow(dead_code, unused_imports))]

mod inflight;
mod loom;
mod p;
mod park_state;
mod rand;
mod waiter;

#[cfg(not(loom))]
mod clock;
#[cfg(not(loom))]
mod config;
#[cfg(not(loom))]
mod dump;
mod fatal;
#[cfg(not(loom))]
mod g;
#[cfg(not(loom))]
mod gfree;
#[cfg(not(loom))]
mod local;
#[cfg(not(loom))]
mod m;
#[cfg(not(loom))]
mod netpoll;
#[cfg(not(loom))]
mod overflow;
#[cfg(not(loom))]
mod park;
#[cfg(not(loom))]
mod procresize;
#[cfg(not(loom))]
mod registry;
#[cfg(not(loom))]
mod sched;
#[cfg(not(loom))]
mod sleep;
#[cfg(not(loom))]
mod spawn;
#[cfg(not(loom))]
mod stack;
#[cfg(not(loom))]
mod syscall;
#[cfg(not(loom))]
mod sysmon;
#[cfg(not(loom))]
mod timer;

pub use park_state::WaitReason;
pub use rand::{cheaprand, cheaprand_n};
pub use waiter::{park, park_until, Waiter};

#[cfg(not(loom))]
pub use config::{Builder, Error, DEFAULT_STACK_SIZE, MAX_PROCS, MIN_STACK_SIZE};
#[cfg(not(loom))]
pub use dump::{
    check_leaks, dump, dump_on_sigquit, goroutines, metrics, run, GoroutineInfo, GoroutineState,
    Metrics,
};
#[doc(hidden)]
pub use fatal::fatal;
#[cfg(not(loom))]
pub use local::LocalKey;
#[cfg(not(loom))]
pub use netpoll::{set_netpoller, NetPoller};
#[cfg(not(loom))]
pub use sleep::{sleep, Timer};
#[cfg(not(loom))]
pub use spawn::{spawn, JoinHandle};
#[cfg(not(loom))]
pub use syscall::{lock_os_thread, preempt_point, syscall, unlock_os_thread};

/// What loom-tests need to reach (under `cfg(loom)` only).
#[cfg(loom)]
#[doc(hidden)]
pub mod internal {
    pub use crate::inflight::InFlightCount;
    pub use crate::p::{gen_of, owner, state_of, Owner, PState, Pin, RunNext};
    pub use crate::park_state::ParkState;
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit, once per process, as Go does at
/// start-up (os/rlimit.go). The runtime calls it when it starts; gopoll calls it when its
/// poller starts. Errors are ignored. See [`Builder`].
#[cfg(not(loom))]
#[doc(hidden)]
pub fn raise_nofile_limit() {
    config::raise_nofile_limit()
}

/// Moves the calling goroutine to the back of its P's run queue, letting others run (Go's
/// `runtime.Gosched`). On a plain thread, `std::thread::yield_now`.
///
/// ```
/// gmp_sched::yield_now();
/// ```
#[cfg(not(loom))]
pub fn yield_now() {
    match g::current() {
        Some(g) => park::yield_current(&g),
        None => std::thread::yield_now(),
    }
}

/// The number of Ps: how many goroutines run in parallel (Go's `runtime.GOMAXPROCS(0)`).
///
/// ```
/// assert!(gmp_sched::gomaxprocs() >= 1);
/// ```
#[cfg(not(loom))]
pub fn gomaxprocs() -> usize {
    sched::get()
        .gomaxprocs
        .load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets the number of Ps (clamped to the room the runtime has: [`MAX_PROCS`], or the
/// GOMAXPROCS it started with if larger) and returns the previous number; `0`
/// changes nothing (Go's `runtime.GOMAXPROCS(n)`). Ps beyond the new number are given up
/// at their next schedule, their goroutines moving to the global queue.
///
/// ```
/// let before = gmp_sched::set_gomaxprocs(0);
/// assert_eq!(gmp_sched::set_gomaxprocs(before), before);
/// ```
#[cfg(not(loom))]
pub fn set_gomaxprocs(n: usize) -> usize {
    procresize::set_gomaxprocs(n)
}

/// The number of goroutines that exist: running, runnable or parked (Go's
/// `runtime.NumGoroutine`, less the main goroutine, which Rust does not have).
///
/// ```
/// let n = gmp_sched::num_goroutine();
/// # let _ = n;
/// ```
#[cfg(not(loom))]
pub fn num_goroutine() -> usize {
    sched::try_get().map_or(0, |s| {
        s.ngoroutine.load(std::sync::atomic::Ordering::Relaxed)
    })
}

/// True when called from a goroutine (false on a plain OS thread).
///
/// ```
/// assert!(!gmp_sched::in_goroutine());
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// assert!(unsafe { gmp_sched::spawn(gmp_sched::in_goroutine) }.join().unwrap());
/// ```
#[cfg(not(loom))]
pub fn in_goroutine() -> bool {
    !g::current_ptr().is_null()
}

/// The calling goroutine's id, or `None` on a plain thread.
///
/// ```
/// assert_eq!(gmp_sched::goroutine_id(), None);
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(gmp_sched::goroutine_id) };
/// let id = h.id();
/// assert_eq!(h.join().unwrap(), Some(id));
/// ```
#[cfg(not(loom))]
pub fn goroutine_id() -> Option<u64> {
    let g = g::current_ptr();
    // SAFETY: a non-null current G is running on this thread, hence alive.
    (!g.is_null()).then(|| unsafe { (*g).id() })
}

/// The index of the P the calling goroutine runs on (`0..gomaxprocs()`), or `None` on a
/// plain thread. It can change at every blocking call.
///
/// ```
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let p = unsafe { gmp_sched::spawn(gmp_sched::processor_id) }.join().unwrap();
/// assert!(p.unwrap() < gmp_sched::gomaxprocs());
/// ```
#[cfg(not(loom))]
pub fn processor_id() -> Option<usize> {
    if !in_goroutine() {
        return None;
    }
    sched::current_p().map(|p| p.id)
}

/// The size in bytes of every goroutine's stack in this runtime.
///
/// ```
/// assert!(gmp_sched::stack_size() >= gmp_sched::MIN_STACK_SIZE);
/// ```
#[cfg(not(loom))]
pub fn stack_size() -> usize {
    sched::get().stacks.stack_size()
}

/// True when stack guard pages are installed with `MADV_GUARD_INSTALL` (Linux >= 6.13), so
/// each guard costs no memory mapping; false on the `mprotect` fallback or before the first
/// goroutine.
///
/// ```
/// let f = || ();
/// // SAFETY: `f` keeps no thread-bound state across a blocking call.
/// unsafe { gmp_sched::spawn(f) }.join().unwrap();
/// println!("guards in page tables: {}", gmp_sched::guards_in_page_tables());
/// ```
#[cfg(not(loom))]
pub fn guards_in_page_tables() -> bool {
    sched::get().stacks.guards_in_page_tables()
}

/// Go's `sync_runtime_canSpin`: whether a lock waiter should spin (iteration `iter`) rather
/// than park: fewer than 4 spins so far, several CPUs, and, in a goroutine, other Ps busy
/// (someone may be about to unlock) and no goroutine waiting in the local run queue.
///
/// ```
/// assert!(!gmp_sched::can_spin(4));
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
/// gmp_sched::do_spin();
/// ```
pub fn do_spin() {
    for _ in 0..30 {
        std::hint::spin_loop();
    }
}
