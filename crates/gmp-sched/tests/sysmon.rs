//! With GOMAXPROCS=1, a goroutine that never yields, or that blocks its thread, must not
//! stall the goroutines queued behind it (sysmon retakes its P); a wired goroutine stays on
//! its thread. Each test waits for *progress* (a count reached), with a generous bound only
//! so a broken runtime fails instead of hanging: no timing decides a result. And after a
//! burst of goroutines, sysmon's scavenger gives their memory back.
#![cfg(not(loom))]

use gmp_sched::{lock_os_thread, sleep, spawn, syscall, unlock_os_thread, yield_now, Builder};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());
const BOUND: Duration = Duration::from_secs(30);

fn one_p() -> MutexGuard<'static, ()> {
    let g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _ = Builder::new().gomaxprocs(1).init();
    gmp_sched::set_gomaxprocs(1);
    g
}

/// Spawns a goroutine that completes `n` 1 ms sleeps, then sets `done`.
fn sleeper(n: usize, done: Arc<AtomicBool>) -> gmp_sched::JoinHandle<usize> {
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    unsafe {
        spawn(move || {
            for _ in 0..n {
                sleep(Duration::from_millis(1));
            }
            done.store(true, Ordering::Release);
            n
        })
    }
}

#[test]
fn a_goroutine_spinning_without_yielding_does_not_stall_others() {
    let _g = one_p();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let hog = unsafe {
        spawn(move || {
            // Spins, never reaching a safe point, until the sleeper has finished.
            let t0 = Instant::now();
            while !d.load(Ordering::Acquire) && t0.elapsed() < BOUND {
                std::hint::spin_loop();
            }
            d.load(Ordering::Acquire)
        })
    };
    // Let the hog take the only P first.
    std::thread::sleep(Duration::from_millis(20));
    let s = sleeper(20, done.clone());
    assert!(
        hog.join().unwrap(),
        "the sleeper made no progress behind the hog"
    );
    assert_eq!(s.join().unwrap(), 20);
}

fn blocked_thread_does_not_stall_others(wrap_in_syscall: bool) {
    let _g = one_p();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let blocker = unsafe {
        spawn(move || {
            let t0 = Instant::now();
            while !d.load(Ordering::Acquire) && t0.elapsed() < BOUND {
                let nap = || std::thread::sleep(Duration::from_millis(50));
                if wrap_in_syscall {
                    syscall(nap);
                } else {
                    nap();
                }
            }
            d.load(Ordering::Acquire)
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    let s = sleeper(20, done.clone());
    assert!(blocker.join().unwrap(), "the sleeper made no progress");
    assert_eq!(s.join().unwrap(), 20);
}

#[test]
fn std_sleep_in_syscall_does_not_stall_others() {
    blocked_thread_does_not_stall_others(true);
}

#[test]
fn std_sleep_without_syscall_does_not_stall_others() {
    blocked_thread_does_not_stall_others(false);
}

fn thread_id() -> String {
    // Not std::thread::current(): its TLS address could be cached across the blocking
    // calls in between, which is the very thing this test must not be fooled by.
    std::fs::read_link("/proc/thread-self")
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn lock_os_thread_keeps_a_goroutine_on_its_thread_across_1000_blocking_calls() {
    let _g = one_p();
    let others = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // Other goroutines keep the P busy meanwhile.
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (o, st) = (others.clone(), stop.clone());
            // SAFETY: the closure keeps no thread-bound state across a blocking call.
            unsafe {
                spawn(move || {
                    while !st.load(Ordering::Acquire) {
                        o.fetch_add(1, Ordering::Relaxed);
                        yield_now();
                    }
                })
            }
        })
        .collect();
    // SAFETY: the goroutine wires itself to its thread before relying on it.
    let wired = unsafe {
        spawn(|| {
            lock_os_thread();
            let tid = thread_id();
            let mut moved = 0;
            for i in 0..1000 {
                if i % 10 == 0 {
                    sleep(Duration::from_micros(50));
                } else {
                    yield_now();
                }
                if thread_id() != tid {
                    moved += 1;
                }
            }
            unlock_os_thread();
            moved
        })
    };
    assert_eq!(
        wired.join().unwrap(),
        0,
        "the wired goroutine changed threads"
    );
    stop.store(true, Ordering::Release);
    for w in workers {
        w.join().unwrap();
    }
    assert!(others.load(Ordering::Relaxed) > 0, "the others never ran");
}

#[test]
fn preempt_point_is_cheap_and_harmless_when_nothing_waits() {
    let _g = one_p();
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let h = unsafe {
        spawn(|| {
            let mut x = 0u64;
            for i in 0..100_000u64 {
                x = x.wrapping_add(i);
                gmp_sched::preempt_point();
            }
            x
        })
    };
    assert_eq!(h.join().unwrap(), 4_999_950_000);
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Sysmon's scavenger gives back the stack pages and the Gs of a burst of goroutines once
/// they have ended (Go's scavenger returns heap likewise). Waits for the RSS to come down,
/// bounded only against a hang; in a child, so that no other test's memory is counted.
#[test]
fn a_burst_s_stack_pages_come_back() {
    goro_test_support::in_child(
        "a_burst_s_stack_pages_come_back",
        &[("GOMAXPROCS", "2")],
        || {
            const N: usize = 4096;
            // SAFETY: the closure keeps no thread-bound state across a blocking call.
            unsafe { spawn(|| ()) }.join().unwrap();
            let before = rss_kib();
            let started = Arc::new(AtomicUsize::new(0));
            let release = Arc::new(AtomicBool::new(false));
            let hs: Vec<_> = (0..N)
                .map(|_| {
                    let (started, release) = (started.clone(), release.clone());
                    let f = move || {
                        // Touches 32 KiB of its stack: nine pages with the park frames.
                        let buf = [7u8; 32 * 1024];
                        std::hint::black_box(&buf);
                        started.fetch_add(1, Ordering::Release);
                        while !release.load(Ordering::Acquire) {
                            sleep(Duration::from_millis(1));
                        }
                    };
                    // SAFETY: `f` keeps no thread-bound state across a blocking call.
                    unsafe { spawn(f) }
                })
                .collect();
            goro_test_support::wait_until(|| started.load(Ordering::Acquire) == N);
            let height = rss_kib();
            assert!(
                height > before + 64 * 1024,
                "the burst touched too little: {before} KiB before, {height} KiB at its height"
            );
            release.store(true, Ordering::Release);
            hs.into_iter().for_each(|h| h.join().unwrap());
            // The per-P caches keep a few stacks (64 and 64 dead Gs each); the rest goes.
            let target = before + (height - before) / 4;
            goro_test_support::wait_until(|| rss_kib() < target);
        },
    );
}
