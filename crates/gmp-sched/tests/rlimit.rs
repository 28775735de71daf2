//! The runtime raises the soft RLIMIT_NOFILE to the hard limit when it starts, as Go does
//! since 1.19 (os/rlimit.go). Checked in a child process started with a soft limit of 256.
//! And under an RLIMIT_AS, goroutine stacks fill the address space the limit leaves.
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

/// Address space the child may map beyond what it has when the test starts.
const AS_HEADROOM: u64 = 1 << 30;

fn vm_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

/// Under an address-space limit, stack slabs the kernel refuses are asked for again at half
/// the size, so goroutines fill the space the limit leaves (Go's stacks are heap memory and
/// fill it too); spawning past it is a clear panic, not a hang or a SIGSEGV.
#[test]
fn an_address_space_limit_caps_goroutines_near_what_it_allows() {
    if child_mode().as_deref() == Some("rlimit-as") {
        let limit = vm_size() + AS_HEADROOM;
        let lim = libc::rlimit {
            rlim_cur: limit,
            rlim_max: limit,
        };
        // SAFETY: `lim` is a valid rlimit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) }, 0);
        std::panic::set_hook(Box::new(|_| {}));
        let mut n = 0u64;
        let err = loop {
            let f = || gmp_sched::sleep(std::time::Duration::from_secs(3600));
            // SAFETY: the goroutine only sleeps.
            match std::panic::catch_unwind(|| unsafe { gmp_sched::spawn(f) }) {
                Ok(h) => {
                    std::mem::forget(h);
                    n += 1;
                }
                Err(e) => break e.downcast_ref::<String>().cloned().unwrap_or_default(),
            }
        };
        println!(
            "SPAWNED {n} stack={} error={err}",
            gmp_sched::debug::stack_size()
        );
        // The goroutines sleep on; the process ends here.
        std::process::exit(0);
    }
    let out = child_output(child_command(
        "an_address_space_limit_caps_goroutines_near_what_it_allows",
        "rlimit-as",
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("SPAWNED "))
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no SPAWNED line in:\n{stdout}"));
    let mut words = line.split_whitespace();
    let n: u64 = words.next().unwrap().parse().unwrap();
    let stack: u64 = words.next().unwrap()["stack=".len()..].parse().unwrap();
    assert!(line.contains("cannot allocate a goroutine stack"), "{line}");
    // Slabs of 64, 128, .. 1024 stacks reserve 0.5 GiB; the next, 2048 stacks, does not fit
    // in 1 GiB: without the fallback the count stops at 1984. The threads' stacks and malloc
    // arenas take some of the rest.
    let used = n * (stack + 4096);
    assert!(
        used >= AS_HEADROOM * 6 / 10,
        "{n} goroutines of {stack} bytes use {used} of {AS_HEADROOM} bytes"
    );
}
