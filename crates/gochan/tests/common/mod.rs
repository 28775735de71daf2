//! Helpers shared by the test files: run the same body from goroutines, threads, or both.
#![allow(dead_code)]

/// Where a test's concurrent parties run.
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

/// A handle to a party started by [`spawn`].
pub enum Handle<T> {
    /// A goroutine.
    G(gmp_sched::JoinHandle<T>),
    /// A thread.
    T(std::thread::JoinHandle<T>),
}

impl<T> Handle<T> {
    /// Waits for the party; re-raises its panic.
    pub fn join(self) -> T {
        match self {
            Handle::G(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
            Handle::T(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
        }
    }
}

/// Starts party number `i` of a test in `mode`.
pub fn spawn<F, T>(mode: Mode, i: usize, f: F) -> Handle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let goroutine = match mode {
        Mode::Goroutines => true,
        Mode::Threads => false,
        Mode::Mixed => i % 2 == 0,
    };
    if goroutine {
        // SAFETY: the test closures keep no thread-bound state (thread locals, std lock
        // guards) across the channel operations they block in.
        Handle::G(unsafe { gmp_sched::spawn(f) })
    } else {
        Handle::T(std::thread::spawn(f))
    }
}

/// Starts a goroutine.
pub fn go<F, T>(f: F) -> gmp_sched::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // SAFETY: as in `spawn`.
    unsafe { gmp_sched::spawn(f) }
}
