//! Child processes: a test run again in this binary, for settings (`GOMAXPROCS`, rlimits) that
//! are the whole process's, or for a process that must end (a deadlock, a fatal error).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The variable that tells a child which mode it was started in.
const CHILD_ENV: &str = "GORO_TEST_CHILD";

/// A child running longer than this is killed and the test fails: a hang bound only.
const CHILD_HANG: Duration = Duration::from_secs(120);

/// The mode this process was started in by [`run_child`] or [`child_command`], if it is a child.
pub fn child_mode() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// The command that runs test `name` of this test binary alone in a child, where
/// [`child_mode`] returns `Some(mode)` and `GOMAXPROCS` is unset; for a test that must set more
/// than the environment. Run it with [`child_output`].
pub fn child_command(name: &str, mode: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .env_remove("GOMAXPROCS");
    cmd
}

/// Runs `cmd` to its end and returns its output; a child still running after 120 s is killed
/// and the test fails, so a hang fails the test instead of stalling it.
pub fn child_output(mut cmd: Command) -> Output {
    // Output goes to files, not pipes: a child never blocks on a full pipe while we poll it.
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let base = std::env::temp_dir().join(format!("goro-child-{}-{seq}", std::process::id()));
    let (out_path, err_path) = (base.with_extension("out"), base.with_extension("err"));
    cmd.stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > CHILD_HANG {
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
            "child {:?} hung for {CHILD_HANG:?}; stderr:\n{}",
            cmd.get_args().next(),
            String::from_utf8_lossy(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Runs test `name` of this test binary again in a child process with `env` set (and
/// `GOMAXPROCS` unset unless `env` sets it), where [`child_mode`] returns `Some(mode)`; with
/// [`child_output`]'s hang guard.
pub fn run_child(name: &str, mode: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = child_command(name, mode);
    for (k, v) in env {
        cmd.env(k, v);
    }
    child_output(cmd)
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
