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
    for run in runs {
        run.join();
    }
}

/// Runs test `name` of this test binary again in a child process with `env` set (and
/// `GOMAXPROCS` unset unless `env` sets it), where `child_mode()` returns `Some(mode)`. A
/// child still running after 120 s is killed: a hang fails the test instead of stalling it.
/// (After crates/gmp-sched/tests/common/mod.rs, plus that hang guard.)
pub fn run_child(name: &str, mode: &str, env: &[(&str, &str)]) -> std::process::Output {
    use std::process::Command;
    use std::time::{Duration, Instant};
    // Output goes to files, not pipes: a child never blocks on a full pipe while we poll it.
    let base = std::env::temp_dir().join(format!("goro-child-{}-{name}", std::process::id()));
    let (out_path, err_path) = (base.with_extension("out"), base.with_extension("err"));
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("GORO_TEST_CHILD", mode)
        .env_remove("GOMAXPROCS")
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = std::fs::read(&out_path).unwrap_or_default();
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    let Some(status) = status else {
        panic!(
            "child {name} ({mode}) hung for 120 s; stderr:\n{}",
            String::from_utf8_lossy(&stderr)
        );
    };
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

/// The mode this process was started in by `run_child`, if it is a child.
pub fn child_mode() -> Option<String> {
    std::env::var("GORO_TEST_CHILD").ok()
}

impl<T> Party<T> {
    /// Waits until this party is blocked in the netpoller: `parked()` holds (gopoll's
    /// `read_parked`/`write_parked` on the fd it blocks on: its waiter is stored where a
    /// close or a deadline must wake it) and, for a goroutine, `goro::goroutines()` shows it
    /// in IO wait. No sleep decides it; a minute without it is a hang.
    pub fn wait_parked_in_io(&self, parked: impl Fn() -> bool) {
        match self {
            Party::G(h) => {
                let id = h.id();
                wait_until(|| {
                    parked()
                        && goro::goroutines().iter().any(|g| {
                            g.id == id
                                && g.state
                                    == goro::GoroutineState::Waiting(goro::WaitReason::IoWait)
                        })
                })
            }
            Party::T(_) => wait_until(parked),
        }
    }
}

/// A connected TCP pair on 127.0.0.1: (dialed, accepted).
pub fn tcp_pair() -> (goro::net::TcpStream, goro::net::TcpStream) {
    let l = goro::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = goro::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    (c, s)
}

/// True if `r` failed with `TimedOut` (Go: `os.ErrDeadlineExceeded`).
pub fn is_timeout<T>(r: &std::io::Result<T>) -> bool {
    matches!(r, Err(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// A fresh directory for this test's Unix socket paths, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("goro-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `body` in a child process of its own (a fresh runtime, with `env` such as
/// `GOMAXPROCS`), for tests that need a setting no other test may see; in that child, runs
/// `body` itself. Fails if the child fails.
pub fn in_child(name: &str, env: &[(&str, &str)], body: impl FnOnce()) {
    if child_mode().as_deref() == Some(name) {
        body();
        return;
    }
    let out = run_child(name, name, env);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "child for {name} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
