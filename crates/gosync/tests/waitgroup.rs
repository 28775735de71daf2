//! WaitGroup from goroutines, threads, and both at once.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use goro_test_support::{go, goroutine, wait_until, Mode, MODES};
use gosync::WaitGroup;

/// Waiters of every kind return only once every counted worker of every kind is done.
#[test]
fn several_waiters_and_workers() {
    for mode in MODES {
        let wg = WaitGroup::new();
        let finished = Arc::new(AtomicUsize::new(0));
        wg.add(8);
        let waiters: Vec<_> = (0..4)
            .map(|i| {
                let (wg, finished) = (wg.clone(), Arc::clone(&finished));
                go(mode, i, move || {
                    wg.wait();
                    assert_eq!(finished.load(Ordering::Relaxed), 8);
                })
            })
            .collect();
        wait_until(|| wg.waiters() == 4);
        let workers: Vec<_> = (0..8)
            .map(|i| {
                let (wg, finished) = (wg.clone(), Arc::clone(&finished));
                go(mode, i, move || {
                    finished.fetch_add(1, Ordering::Relaxed);
                    wg.done();
                })
            })
            .collect();
        for h in waiters.into_iter().chain(workers) {
            h.join();
        }
        assert_eq!(wg.count(), 0);
        assert_eq!(wg.waiters(), 0);
    }
}

/// A group is reused for several rounds once each round's waits returned.
#[test]
fn reuse_after_wait() {
    let wg = WaitGroup::new();
    for round in 0..20 {
        let kind = if round % 2 == 0 {
            Mode::Goroutines
        } else {
            Mode::Threads
        };
        wg.add(3);
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let wg = wg.clone();
                go(kind, 0, move || wg.done())
            })
            .collect();
        wg.wait();
        for h in hs {
            h.join();
        }
    }
}

/// done() on a zero counter panics with Go's message, in a goroutine too.
#[test]
fn negative_counter_panics_in_goroutine() {
    let wg = WaitGroup::new();
    let h = goroutine(move || wg.done());
    let err = h.join().unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().unwrap(),
        "sync: negative WaitGroup counter"
    );
}

/// `go` counts the goroutine in; a panicking one still counts as done and its panic reaches
/// join.
#[test]
fn go_counts_goroutines_even_when_they_panic() {
    let wg = WaitGroup::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for i in 0..4 {
        let ran = Arc::clone(&ran);
        // SAFETY: the closure holds only an Arc of an atomic.
        handles.push(unsafe {
            wg.go(move || {
                ran.fetch_add(1, Ordering::Relaxed);
                assert_ne!(i, 3, "goroutine 3 panics");
            })
        });
    }
    wg.wait();
    assert_eq!(ran.load(Ordering::Relaxed), 4);
    let failed = handles.into_iter().filter_map(|h| h.join().err()).count();
    assert_eq!(failed, 1);
}

/// More goroutines waiting than there are Ps: they leave their threads free, so the goroutine
/// that calls `done` still runs.
#[test]
fn parked_waiters_do_not_hold_threads() {
    let n = 4 * gmp_sched::gomaxprocs() + 4;
    let wg = WaitGroup::new();
    wg.add(1);
    let waiters: Vec<_> = (0..n)
        .map(|_| {
            let wg = wg.clone();
            go(Mode::Goroutines, 0, move || wg.wait())
        })
        .collect();
    wait_until(|| wg.waiters() == n as u32);
    let wg2 = wg.clone();
    go(Mode::Goroutines, 0, move || wg2.done()).join();
    for h in waiters {
        h.join();
    }
}
