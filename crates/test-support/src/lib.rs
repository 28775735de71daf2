//! The harness goro's tests share (see docs/testing.md): a test's parties run as goroutines,
//! as plain threads, or mixed ([`Mode`], [`go`], [`each_mode`]); [`wait_until`] waits for a
//! condition with a hang guard instead of a sleep; [`in_child`] and [`run_child`] run a test
//! again in a child process (for `GOMAXPROCS` and other process-wide settings), killed if it
//! hangs, and [`expect_fatal`] expects it to die of a fatal error; [`Gate`] parks goroutines
//! and threads alike. Feature `net` adds `tcp_pair`, feature `sync` adds `start`.
//!
//! Every goroutine here is started with `gmp_sched::spawn`, whose promise the test bodies keep:
//! they hold only channels, gosync guards, sockets, `Arc`s and atomics across blocking calls,
//! nothing thread-bound (no `thread_local!` borrows, no std lock guards).

mod child;
mod party;

pub use child::{child_command, child_mode, child_output, in_child, run_child};
pub use party::{each_mode, go, goroutine, is_goroutine, run_all, Mode, Party, MODES};

use gmp_sched::sys::{park, WaitReason, Waiter};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a condition or a child may take before the test calls it a hang. A bound on
/// hangs only: no test's result depends on it.
pub const HANG: Duration = Duration::from_secs(60);

/// Yields (goroutine or thread) until `cond` holds. Panics after [`HANG`]: a hang, not a
/// timing assumption.
pub fn wait_until(mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < HANG, "condition never came true");
        gmp_sched::yield_now();
    }
}

/// Runs test `name` of this binary again in a child process and asserts that the child dies
/// with Go's `fatal error: {message}` on stderr (a process that must end: the abort of a
/// broken invariant); in that child, runs `body`, which must end the process.
pub fn expect_fatal(name: &str, message: &str, body: impl FnOnce()) {
    if child_mode().as_deref() == Some(name) {
        body();
        unreachable!("{name}: the fatal error did not end the process");
    }
    let out = run_child(name, name, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child survived: {err}");
    assert!(err.contains(&format!("fatal error: {message}")), "{err}");
}

/// Busy-waits at least `d`: keeps the caller on its CPU, unlike a sleep.
pub fn spin_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// A one-shot gate: [`wait`](Gate::wait) parks the caller (goroutine or thread) until
/// [`open`](Gate::open).
#[derive(Default)]
pub struct Gate(Mutex<(bool, Vec<Waiter>)>);

impl Gate {
    /// Parks the caller until the gate opens.
    pub fn wait(&self) {
        let mut st = self.0.lock().unwrap();
        while !st.0 {
            st.1.push(Waiter::current());
            park(WaitReason::Other("gate"), move || drop(st));
            st = self.0.lock().unwrap();
        }
    }

    /// Opens the gate and wakes everyone parked on it.
    pub fn open(&self) {
        let waiters = {
            let mut st = self.0.lock().unwrap();
            st.0 = true;
            std::mem::take(&mut st.1)
        };
        for w in waiters {
            w.unpark();
        }
    }
}

/// True if `r` failed with `TimedOut` (Go: `os.ErrDeadlineExceeded`).
pub fn is_timeout<T>(r: &std::io::Result<T>) -> bool {
    matches!(r, Err(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// A fresh directory for a test's files (Unix socket paths), removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// Creates `goro-<tag>-<pid>` under the system's temporary directory, empty.
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("goro-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The path of `name` inside the directory.
    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A connected TCP pair on 127.0.0.1: (dialed, accepted).
#[cfg(feature = "net")]
pub fn tcp_pair() -> (gopoll::net::TcpStream, gopoll::net::TcpStream) {
    let l = gopoll::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = gopoll::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    (c, s)
}

/// Starts `f` on a goroutine (`goroutine == true`) or a plain thread, counted in `wg`: `wg`
/// is done when `f` returns.
#[cfg(feature = "sync")]
pub fn start(goroutine: bool, wg: &gosync::WaitGroup, f: impl FnOnce() + Send + 'static) {
    wg.add(1);
    let wg = wg.clone();
    let body = move || {
        f();
        wg.done();
    };
    if goroutine {
        drop(party::goroutine(body));
    } else {
        drop(std::thread::spawn(body));
    }
}
