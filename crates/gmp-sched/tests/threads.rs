//! Threads stay bounded: a burst of blocking syscalls makes Ms, and once it is over the
//! idle ones beyond a few exit again. (A binary of its own, so no other test's threads
//! count.)
#![cfg(not(loom))]

use gmp_sched::{spawn, syscall, Builder};
use std::time::{Duration, Instant};

fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn thread_count_comes_back_down_after_a_burst_of_blocking_syscalls() {
    Builder::new().gomaxprocs(2).init().unwrap();
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    unsafe { spawn(|| ()) }.join().unwrap();
    let base = threads();
    let hs: Vec<_> = (0..32)
        // SAFETY: as above.
        .map(|_| unsafe { spawn(|| syscall(|| std::thread::sleep(Duration::from_millis(200)))) })
        .collect();
    let mut peak = 0;
    for h in hs {
        peak = peak.max(threads());
        h.join().unwrap();
    }
    assert!(
        peak > base + 8,
        "syscalls did not get Ms of their own: peak {peak}, base {base}"
    );
    // Bounded wait for the idle Ms to exit (they linger 1 s).
    let t0 = Instant::now();
    let limit = base + 4;
    while threads() > limit && t0.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        threads() <= limit,
        "{} threads left, base {base}",
        threads()
    );
}
