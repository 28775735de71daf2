//! With GOMAXPROCS=1, a goroutine that never yields, or that blocks its thread, must not
//! stall the goroutines queued behind it (sysmon retakes its P); a wired goroutine stays on
//! its thread. Each test waits for *progress* (a count reached), with a generous bound only
//! so a broken runtime fails instead of hanging: no timing decides a result.
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
