//! Helpers shared by gosync's tests: start work as a goroutine or as a plain thread.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// Where a test body runs.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A goroutine on the gmp-sched runtime.
    Goroutine,
    /// A plain OS thread.
    Thread,
}

/// Goroutines only, threads only, and both alternating.
pub const MIXES: [&[Kind]; 3] = [
    &[Kind::Goroutine],
    &[Kind::Thread],
    &[Kind::Goroutine, Kind::Thread],
];

/// A running goroutine or thread.
pub enum Handle {
    /// A goroutine.
    G(gmp_sched::JoinHandle<()>),
    /// A thread.
    T(std::thread::JoinHandle<()>),
}

impl Handle {
    /// Waits for it, re-raising its panic.
    pub fn join(self) {
        let r = match self {
            Handle::G(h) => h.join(),
            Handle::T(h) => h.join(),
        };
        if let Err(e) = r {
            std::panic::resume_unwind(e);
        }
    }
}

/// Starts `f` as a goroutine.
pub fn go<F: FnOnce() + Send + 'static>(f: F) -> Handle {
    // SAFETY: test bodies keep no thread-bound state (thread_local borrows, std guards) across
    // blocking calls: they hold only gosync guards, Arcs and atomics.
    Handle::G(unsafe { gmp_sched::spawn(f) })
}

/// Starts `f` on `kind`.
pub fn start<F: FnOnce() + Send + 'static>(kind: Kind, f: F) -> Handle {
    match kind {
        Kind::Goroutine => go(f),
        Kind::Thread => Handle::T(std::thread::spawn(f)),
    }
}

/// Starts `n` copies of `f(i)`, cycling through `kinds`, and joins them all.
pub fn run_all<F>(kinds: &[Kind], n: usize, f: F)
where
    F: Fn(usize) + Send + Sync + 'static + Clone,
{
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let f = f.clone();
            start(kinds[i % kinds.len()], move || f(i))
        })
        .collect();
    for h in handles {
        h.join();
    }
}

/// Yields (goroutine or thread) until `cond` holds. Panics after a minute: a hang, not a
/// timing assumption.
pub fn wait_until(mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "condition never came true"
        );
        gmp_sched::yield_now();
    }
}

/// Busy-waits at least `d` (keeps the caller on its CPU, unlike sleep).
pub fn spin_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}
