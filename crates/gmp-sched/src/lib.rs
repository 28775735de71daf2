//! Go's G/M/P scheduler for Rust: stackful goroutines multiplexed onto OS threads.
//!
//! - **G**: a goroutine, a stackful coroutine with its own fixed-size, guard-paged stack,
//!   switched with Boost.Context (`context`).
//! - **M**: an OS thread. It runs goroutines only while it holds a P.
//! - **P**: the right to run goroutines; there are [`gomaxprocs`] of them, each with a local
//!   run queue, a `runnext` slot and a timer heap. Idle Ms steal half of a busy P's queue.
//!
//! Depend on this crate alone to spawn goroutines or to write a blocking primitive that
//! parks goroutines and threads alike (through [`sys::Waiter`]); the `goroutines` package
//! (library `goro`) re-exports all of it beside channels, sync and networking.
//!
//! The names sit in three places, by who writes them:
//!
//! - **the root**: what a program writes: [`spawn`], [`JoinHandle`], [`sleep`],
//!   [`yield_now`], [`preempt_point`], [`block_on`], [`gomaxprocs`]/[`set_gomaxprocs`],
//!   [`lock_os_thread`]/[`unlock_os_thread`], [`syscall`], [`goroutine_local!`], [`run`], and
//!   the [`Builder`] with its [`BuildError`] and limits;
//! - **[`sys`]**: the pieces for building primitives: the [`sys::Waiter`] and
//!   [`sys::park`], the async task side [`sys::WakerSlot`], wait reasons, spinning, `cheaprand`, the callback [`sys::Timer`], the
//!   netpoller hook, `in_goroutine` and `processor_id`;
//! - **[`debug`]**: diagnostics: goroutine dumps, [`debug::metrics`], the goroutine count and
//!   ids, [`debug::check_leaks`].
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

mod firing;
mod inflight;
mod loom;
mod p;
mod park_state;
mod rand;
mod waiter;
mod waker_slot;

#[cfg(not(loom))]
mod block_on;
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

pub mod sys;

#[cfg(not(loom))]
pub mod debug;
#[cfg(not(loom))]
pub mod testing;

#[cfg(not(loom))]
pub use block_on::block_on;
#[cfg(not(loom))]
pub use clock::now;
#[cfg(not(loom))]
pub use config::{BuildError, Builder, DEFAULT_STACK_SIZE, MAX_PROCS, MIN_STACK_SIZE};
#[cfg(not(loom))]
pub use dump::run;
#[doc(hidden)]
pub use fatal::fatal;
#[cfg(not(loom))]
pub use local::LocalKey;
#[cfg(not(loom))]
pub use sleep::sleep;
#[cfg(not(loom))]
pub use spawn::{spawn, JoinFuture, JoinHandle};
#[cfg(not(loom))]
pub use syscall::{lock_os_thread, preempt_point, syscall, unlock_os_thread};

/// What loom-tests need to reach (under `cfg(loom)` only).
#[cfg(loom)]
#[doc(hidden)]
pub mod internal {
    pub use crate::firing::{Fired, FiringCount};
    pub use crate::inflight::InFlightCount;
    pub use crate::p::{gen_of, owner, state_of, Owner, PState, Pin, RunNext};
    pub use crate::park_state::{AtomicReason, ParkState};
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
    // A borrow of the running G, not a new reference: a reference count taken and dropped
    // here cost two atomic read-modify-writes per yield, about a fifth of its cost.
    let g = g::current_ptr();
    if g.is_null() {
        std::thread::yield_now();
    } else {
        // SAFETY: the running G is kept alive by its M's running slot while it runs, and
        // `yield_current` returns only once the G runs again.
        park::yield_current(unsafe { &*g });
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

/// The README's examples, run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
