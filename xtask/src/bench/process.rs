//! One benchmark process: started with a clean environment and, for a case with fewer Ps than
//! CPUs, on a CPU affinity mask of `procs` CPUs; waited for with a time limit; its wall time
//! and CPU time (user + system, its reaped descendants included, from `wait4`'s rusage)
//! measured from outside.
//!
//! Pinning is what makes "one P" mean one CPU for every peer alike: without it a runtime that
//! hands its P to another thread (goro's sysmon retaking a P from a goroutine that never
//! yields) gets a second CPU that Go, preempting on the one, does not use. The CPU time beside
//! the wall time shows how many CPUs a run kept busy.
//!
//! Unsafe here: `pre_exec` (the closure runs between fork and exec, so it may only make
//! async-signal-safe calls: it makes one, `sched_setaffinity`), and the libc calls `waitid`,
//! `wait4` and `kill` on the child's pid, which stays ours until `wait4` reaps it.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Environment variables that change how a peer's runtime behaves: a shell that exported one
/// would skew that peer's figures alone.
pub(crate) const CLEARED_ENV: [&str; 3] = ["GODEBUG", "GOGC", "GOMEMLIMIT"];

/// How a process ended.
pub(crate) struct Exit {
    pub(crate) status: ExitStatus,
    /// From spawn to exit, measured by the driver.
    pub(crate) wall: Duration,
    /// User + system CPU time of the process and its reaped descendants.
    pub(crate) cpu: Duration,
}

/// A CPU set of the first `n` CPUs of this process's affinity mask; None when `n` covers them
/// all (nothing to pin) or the mask cannot be read.
pub(crate) fn first_cpus(n: usize) -> Option<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is a plain bit array; all-zero is the empty set.
    let mut mask: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `mask` is a valid, writable cpu_set_t of `size` bytes.
    if unsafe { libc::sched_getaffinity(0, size, &mut mask) } != 0 {
        return None;
    }
    // SAFETY: as above.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let mut taken = 0;
    for cpu in 0..libc::CPU_SETSIZE as usize {
        if taken == n {
            // Fewer CPUs asked than the mask holds: pin.
            return Some(set);
        }
        // SAFETY: `cpu` < CPU_SETSIZE, the bit range of a cpu_set_t.
        if unsafe { libc::CPU_ISSET(cpu, &mask) } {
            // SAFETY: as above.
            unsafe { libc::CPU_SET(cpu, &mut set) };
            taken += 1;
        }
    }
    None
}

/// Starts `cmd` (on `pin` when given, without [`CLEARED_ENV`]) and waits for it, killing it
/// after `timeout`.
pub(crate) fn run(
    mut cmd: Command,
    pin: Option<libc::cpu_set_t>,
    timeout: Duration,
) -> Result<Exit, String> {
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    if let Some(set) = pin {
        // SAFETY: the closure runs in the forked child before exec and makes a single
        // async-signal-safe system call on a cpu_set_t copied into it; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                let size = std::mem::size_of::<libc::cpu_set_t>();
                if libc::sched_setaffinity(0, size, &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let start = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let pid = child.id() as libc::pid_t;
    // A watchdog kills the child at the deadline. The main thread first waits for the exit
    // without reaping (WNOWAIT), so the pid cannot be reused while the watchdog may still
    // signal it; only after the watchdog is stopped does `wait4` reap it.
    let (stop, stopped) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if stopped.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
            // SAFETY: `pid` is our unreaped child (a zombie at worst): the signal cannot
            // reach another process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            true
        } else {
            false
        }
    });
    loop {
        // SAFETY: siginfo_t is plain data; waitid fills it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our child; `info` is writable.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("waitid: {e}"));
        }
    }
    let wall = start.elapsed();
    let _ = stop.send(());
    let killed = watchdog.join().unwrap_or(false);
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our exited, unreaped child; `status` and `usage` are writable.
    if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    // The child is reaped: std's handle must not wait for it again, and dropping it does not.
    drop(child);
    if killed {
        return Err(format!("timed out after {}s", timeout.as_secs()));
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Exit {
        status: ExitStatus::from_raw(status),
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_cpu_and_wall_and_clears_the_go_environment() {
        let mut cmd = Command::new("sh");
        // Busy for a while, then fail if any cleared variable reached the child.
        cmd.args([
            "-c",
            "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; \
             [ -z \"$GOGC$GODEBUG$GOMEMLIMIT\" ]",
        ])
        .env("GOGC", "off")
        .env("GODEBUG", "x=1");
        let exit = run(cmd, first_cpus(1), Duration::from_secs(60)).unwrap();
        assert!(
            exit.status.success(),
            "a cleared variable reached the child"
        );
        assert!(exit.cpu > Duration::ZERO);
        assert!(exit.wall > Duration::ZERO);
    }

    #[test]
    fn a_run_past_its_limit_is_killed() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let err = run(cmd, None, Duration::from_millis(50)).err().unwrap();
        assert!(err.contains("timed out"), "{err}");
    }

    #[test]
    fn pinning_reaches_the_child() {
        let Some(set) = first_cpus(1) else {
            // A single-CPU machine: nothing to pin.
            return;
        };
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "grep -q '^Cpus_allowed_list:[[:space:]]*[0-9]*$' /proc/self/status",
        ]);
        let exit = run(cmd, Some(set), Duration::from_secs(60)).unwrap();
        assert!(exit.status.success(), "the child is not on a single CPU");
    }
}
