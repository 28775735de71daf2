//! The poller raises the soft RLIMIT_NOFILE to the hard limit when it starts, as Go does at
//! start-up (os/rlimit.go): a program of plain threads never starts the scheduler, which does
//! it too. Checked in a child process (this binary again) started with a soft limit of 256.
#![cfg(not(loom))]

use std::os::unix::process::CommandExt;
use std::process::Command;

const LOW: libc::rlim_t = 256;
const CHILD_ENV: &str = "GOPOLL_RLIMIT_CHILD";

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
fn poller_start_raises_nofile_soft_limit_to_hard() {
    if std::env::var_os(CHILD_ENV).is_some() {
        assert_eq!(nofile().rlim_cur, LOW, "the parent set the soft limit");
        // Threads only: the first socket starts the poller, not the scheduler.
        let (a, b) = gopoll::net::UnixStream::pair().unwrap();
        let lim = nofile();
        let mut socks = vec![(a, b)];
        while socks.len() < LOW as usize {
            socks.push(gopoll::net::UnixStream::pair().unwrap());
        }
        // Every socket works: a byte through each pair.
        for (a, b) in &socks {
            std::io::Write::write_all(&mut &*a, b"x").unwrap();
            let mut buf = [0];
            std::io::Read::read_exact(&mut &*b, &mut buf).unwrap();
            assert_eq!(&buf, b"x");
        }
        println!(
            "RLIMIT soft={} hard={} sockets={} goroutines={}",
            lim.rlim_cur,
            lim.rlim_max,
            socks.len() * 2,
            gmp_sched::debug::num_goroutine()
        );
        return;
    }
    let hard = nofile().rlim_max;
    if hard <= 2 * LOW + 64 {
        eprintln!("skipped: the hard RLIMIT_NOFILE ({hard}) leaves no room above {LOW}");
        return;
    }
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "poller_start_raises_nofile_soft_limit_to_hard",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, "1");
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
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = format!(
        "RLIMIT soft={hard} hard={hard} sockets={} goroutines=0",
        2 * LOW
    );
    assert!(stdout.contains(&want), "want {want:?} in:\n{stdout}");
}
