//! The runtime raises the soft RLIMIT_NOFILE to the hard limit when it starts, as Go does
//! since 1.19 (os/rlimit.go). Checked in a child process started with a soft limit of 256.
#![cfg(not(loom))]

use goro_test_support::{child_command, child_mode, child_output};
use std::os::unix::process::CommandExt;

const LOW: libc::rlim_t = 256;

fn nofile() -> libc::rlimit {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit to write into.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim
}

#[test]
fn runtime_start_raises_nofile_soft_limit_to_hard() {
    if child_mode().as_deref() == Some("rlimit") {
        let before = nofile();
        assert_eq!(before.rlim_cur, LOW, "the parent set the soft limit");
        // SAFETY: the closure keeps no thread-bound state across a blocking call.
        unsafe { gmp_sched::spawn(|| ()) }.join().unwrap();
        let after = nofile();
        // More sockets than the old soft limit allows.
        let socks: Vec<_> = (0..LOW)
            .map(|_| std::os::unix::net::UnixStream::pair().unwrap())
            .collect();
        println!(
            "RLIMIT soft={} hard={} sockets={}",
            after.rlim_cur,
            after.rlim_max,
            socks.len() * 2
        );
        return;
    }
    let hard = nofile().rlim_max;
    if hard <= 2 * LOW + 64 {
        eprintln!("skipped: the hard RLIMIT_NOFILE ({hard}) leaves no room above {LOW}");
        return;
    }
    let mut cmd = child_command("runtime_start_raises_nofile_soft_limit_to_hard", "rlimit");
    // SAFETY: the closure only calls setrlimit, which is async-signal-safe, on a local.
    unsafe {
        cmd.pre_exec(move || {
            let low = libc::rlimit {
                rlim_cur: LOW,
                rlim_max: hard,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &low) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let out = child_output(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = format!("RLIMIT soft={hard} hard={hard} sockets={}", 2 * LOW);
    assert!(stdout.contains(&want), "want {want:?} in:\n{stdout}");
}
