//! Timers: sleep in goroutines and threads, Timer stop/reset/period, park_until.
#![cfg(not(loom))]

use gmp_sched::{
    sleep, spawn,
    sys::{park, park_until, Timer, WaitReason, Waiter},
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn sleep_in_many_goroutines_parks_only_them() {
    // 1,000 goroutines sleeping 50 ms each finish in far less than 1,000 x 50 ms: they
    // sleep concurrently while Ms run others. (Correctness, not speed: each one checks that
    // it slept at least its time.)
    let hs: Vec<_> = (0..1000)
        .map(|i| {
            // SAFETY: the closure keeps no thread-bound state across a blocking call.
            unsafe {
                spawn(move || {
                    let d = Duration::from_millis(10 + (i % 5) * 10);
                    let t0 = Instant::now();
                    sleep(d);
                    t0.elapsed() >= d
                })
            }
        })
        .collect();
    assert!(hs.into_iter().all(|h| h.join().unwrap()));
}

#[test]
fn timer_fires_once_and_stop_reports_whether_it_was_armed() {
    let fired = Arc::new(AtomicUsize::new(0));
    let f = fired.clone();
    let w = Waiter::current();
    let t = Timer::new(Instant::now() + Duration::from_millis(5), None, move || {
        f.fetch_add(1, Ordering::SeqCst);
        w.unpark();
    });
    while fired.load(Ordering::SeqCst) == 0 {
        park(WaitReason::Sleep, || {});
    }
    assert!(!t.stop(), "a fired one-shot timer is no longer armed");
    assert_eq!(fired.load(Ordering::SeqCst), 1);
}

#[test]
fn stopped_timer_never_fires_and_reset_rearms_it() {
    let fired = Arc::new(AtomicUsize::new(0));
    let f = fired.clone();
    let w = Waiter::current();
    let t = Timer::new(
        Instant::now() + Duration::from_millis(20),
        None,
        move || {
            f.fetch_add(1, Ordering::SeqCst);
            w.unpark();
        },
    );
    assert!(t.stop());
    // A later timer firing proves time passed the stopped one's deadline.
    let w2 = Waiter::current();
    let later = Arc::new(AtomicUsize::new(0));
    let l = later.clone();
    let _t2 = Timer::new(
        Instant::now() + Duration::from_millis(40),
        None,
        move || {
            l.store(1, Ordering::SeqCst);
            w2.unpark();
        },
    );
    while later.load(Ordering::SeqCst) == 0 {
        park(WaitReason::Sleep, || {});
    }
    assert_eq!(fired.load(Ordering::SeqCst), 0);
    assert!(!t.reset(Instant::now() + Duration::from_millis(1), None));
    while fired.load(Ordering::SeqCst) == 0 {
        park(WaitReason::Sleep, || {});
    }
    assert_eq!(fired.load(Ordering::SeqCst), 1);
}

#[test]
fn periodic_timer_ticks_until_stopped() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let k = ticks.clone();
    let w = Waiter::current();
    let t = Timer::new(
        Instant::now() + Duration::from_millis(1),
        Some(Duration::from_millis(1)),
        move || {
            k.fetch_add(1, Ordering::SeqCst);
            w.unpark();
        },
    );
    while ticks.load(Ordering::SeqCst) < 5 {
        park(WaitReason::Sleep, || {});
    }
    assert!(t.stop());
    let at_stop = ticks.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        ticks.load(Ordering::SeqCst) <= at_stop + 1,
        "ticked after stop"
    );
}

#[test]
fn park_until_returns_by_the_deadline_in_goroutines_and_threads() {
    let check = || {
        let deadline = Instant::now() + Duration::from_millis(10);
        while Instant::now() < deadline {
            park_until(WaitReason::Sleep, deadline, || {});
        }
        true
    };
    assert!(check());
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    assert!(unsafe { spawn(check) }.join().unwrap());
}
