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

/// Whether party `i` of a test runs on a goroutine in `mode` (in `Mixed`, the even ones do).
pub fn is_goroutine(mode: Mode, i: usize) -> bool {
    match mode {
        Mode::Goroutines => true,
        Mode::Threads => false,
        Mode::Mixed => i & 1 == 0,
    }
}

/// Starts party `i` of a test: a goroutine or a thread, by `mode`.
pub fn go<T: Send + 'static>(
    mode: Mode,
    i: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> Party<T> {
    if is_goroutine(mode, i) {
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
/// `GOMAXPROCS` removed unless `env` sets it), where [`child_mode`] is `Some`. A child that
/// runs for two minutes is killed: a hang guard, not a time limit.
pub fn run_child(name: &str, env: &[(&str, &str)]) -> std::process::Output {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("GORO_TEST_CHILD", name)
        .env_remove("GOMAXPROCS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // Drain the pipes on threads, so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    std::process::Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The name of the test this process was started for by [`run_child`], if it is a child.
pub fn child_mode() -> Option<String> {
    std::env::var("GORO_TEST_CHILD").ok()
}

/// Runs `body` in a child process of its own (a fresh runtime, with `env` such as
/// `GOMAXPROCS`), for tests that need a setting no other test may see; in that child, runs
/// `body` itself. Fails if the child fails.
pub fn in_child(name: &str, env: &[(&str, &str)], body: impl FnOnce()) {
    if child_mode().as_deref() == Some(name) {
        body();
        return;
    }
    let out = run_child(name, env);
    assert!(
        out.status.success(),
        "child for {name} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
