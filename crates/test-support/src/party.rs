//! A test's parties: goroutines, threads, or both.

use crate::wait_until;
use gmp_sched::{debug::GoroutineState, sys::WaitReason, JoinHandle};

/// Where the parties of a test run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every party is a goroutine.
    Goroutines,
    /// Every party is an OS thread.
    Threads,
    /// Even parties are goroutines, odd ones threads.
    Mixed,
}

/// All modes, for tests that loop over them.
pub const MODES: [Mode; 3] = [Mode::Goroutines, Mode::Threads, Mode::Mixed];

/// Whether party `i` of a test runs on a goroutine in `mode` (in `Mixed`, the even ones do).
pub fn is_goroutine(mode: Mode, i: usize) -> bool {
    match mode {
        Mode::Goroutines => true,
        Mode::Threads => false,
        Mode::Mixed => i % 2 == 0,
    }
}

/// Starts `f` on a goroutine (Go's `go` statement).
pub fn goroutine<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    // SAFETY: test bodies keep nothing thread-bound across blocking calls (the crate's doc).
    unsafe { gmp_sched::spawn(f) }
}

/// A started party; [`join`](Party::join) re-raises its panic.
pub enum Party<T> {
    /// A goroutine.
    G(JoinHandle<T>),
    /// A thread.
    T(std::thread::JoinHandle<T>),
}

impl<T> Party<T> {
    /// Waits for the party; re-raises its panic.
    pub fn join(self) -> T {
        let r = match self {
            Party::G(h) => h.join(),
            Party::T(h) => h.join(),
        };
        r.unwrap_or_else(|e| std::panic::resume_unwind(e))
    }

    /// Waits until this party is blocked in the netpoller: `parked()` holds (gopoll's
    /// `read_parked`/`write_parked` on the fd it blocks on: its waiter is stored where a close
    /// or a deadline must wake it) and, for a goroutine, `goroutines()` shows it in IO wait.
    /// No sleep decides it; [`HANG`](crate::HANG) without it is a hang.
    pub fn wait_parked_in_io(&self, parked: impl Fn() -> bool) {
        match self {
            Party::G(h) => {
                let id = h.id();
                wait_until(|| {
                    parked()
                        && gmp_sched::debug::goroutines().iter().any(|g| {
                            g.id == id && g.state == GoroutineState::Waiting(WaitReason::IoWait)
                        })
                })
            }
            Party::T(_) => wait_until(parked),
        }
    }
}

/// Starts party `i` of a test: a goroutine or a thread, by `mode`.
pub fn go<T: Send + 'static>(
    mode: Mode,
    i: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> Party<T> {
    if is_goroutine(mode, i) {
        Party::G(goroutine(f))
    } else {
        Party::T(std::thread::spawn(f))
    }
}

/// Starts parties `0..n` running `f(i)` in `mode`, and joins them all.
pub fn run_all<F>(mode: Mode, n: usize, f: F)
where
    F: Fn(usize) + Send + Sync + Clone + 'static,
{
    let parties: Vec<_> = (0..n)
        .map(|i| {
            let f = f.clone();
            go(mode, i, move || f(i))
        })
        .collect();
    parties.into_iter().for_each(Party::join);
}

/// Runs `body` once in each mode, the three at once, each driven from party 0 of its mode (a
/// goroutine, a thread, a goroutine); its own parties are parties 1, 2, ... Re-raises a panic.
pub fn each_mode(body: impl Fn(Mode) + Send + Sync + 'static) {
    let body = std::sync::Arc::new(body);
    let runs: Vec<_> = MODES
        .iter()
        .map(|&mode| {
            let body = body.clone();
            go(mode, 0, move || body(mode))
        })
        .collect();
    runs.into_iter().for_each(Party::join);
}
