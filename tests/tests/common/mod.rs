//! Shared by the test files of this crate: running a test's parties as goroutines, as
//! threads, or mixed.
#![allow(dead_code)]

/// Where the parties of a test run.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Goroutines,
    Threads,
    Mixed,
}

pub const MODES: [Mode; 3] = [Mode::Goroutines, Mode::Threads, Mode::Mixed];

/// A started party; `join` re-raises its panic.
pub enum Party<T> {
    G(goro::JoinHandle<T>),
    T(std::thread::JoinHandle<T>),
}

impl<T> Party<T> {
    pub fn join(self) -> T {
        let r = match self {
            Party::G(h) => h.join(),
            Party::T(h) => h.join(),
        };
        r.unwrap_or_else(|e| std::panic::resume_unwind(e))
    }
}

/// Starts party `i` of a test: a goroutine or a thread, by `mode`.
pub fn go<T: Send + 'static>(
    mode: Mode,
    i: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> Party<T> {
    let goroutine = match mode {
        Mode::Goroutines => true,
        Mode::Threads => false,
        Mode::Mixed => i & 1 == 0,
    };
    if goroutine {
        // SAFETY: the test bodies keep only channels, Arcs, locks of goro's and atomics across
        // blocking calls: nothing thread-bound.
        Party::G(unsafe { goro::spawn(f) })
    } else {
        Party::T(std::thread::spawn(f))
    }
}

/// Starts `f` on a goroutine (`goroutine == true`) or a plain thread, counted in `wg`.
pub fn start(goroutine: bool, wg: &gosync::WaitGroup, f: impl FnOnce() + Send + 'static) {
    wg.add(1);
    let wg = wg.clone();
    let body = move || {
        f();
        wg.done();
    };
    if goroutine {
        // SAFETY: test bodies hold only gosync guards, Arcs and atomics across blocking calls.
        unsafe { goro::spawn(body) };
    } else {
        std::thread::spawn(body);
    }
}

/// Yields until `cond` holds; a minute without it is a hang.
pub fn wait_until(mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "condition never came true"
        );
        goro::yield_now();
    }
}

/// Runs test `name` of this test binary again in a child process with `env` set (and
/// GOMAXPROCS unset unless `env` sets it), where `child_mode()` returns `Some(mode)`.
pub fn run_child(name: &str, mode: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("GORO_TEST_CHILD", mode)
        .env_remove("GOMAXPROCS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The mode this process was started in by `run_child`, if it is a child.
pub fn child_mode() -> Option<String> {
    std::env::var("GORO_TEST_CHILD").ok()
}
