//! Go's src/sync/waitgroup_test.go, ported as behaviours: TestWaitGroup, TestWaitGroupMisuse,
//! TestWaitGroupRace. Go's TestWaitGroupMisuse2/3 provoke "Add called concurrently with Wait" by
//! racing for seconds; that check is covered deterministically by gosync's unit test of the
//! state word (`add_outcomes_follow_go`).

use goro_test_support::goroutine;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gosync::WaitGroup;

/// Go's testWaitGroup: n goroutines each wait on wg1 after marking wg2 done; the main thread
/// waits on wg2, then releases wg1. Run twice: the groups are reused.
fn test_waitgroup(wg1: &WaitGroup, wg2: &WaitGroup) {
    let n = 16;
    wg1.add(n);
    wg2.add(n);
    let exited = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (wg1, wg2, exited) = (wg1.clone(), wg2.clone(), Arc::clone(&exited));
            goroutine(move || {
                wg1.done();
                wg2.wait();
                exited.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    wg1.wait();
    for _ in 0..n {
        assert_eq!(
            exited.load(Ordering::SeqCst),
            0,
            "WaitGroup released a group too soon"
        );
        wg2.done();
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(exited.load(Ordering::SeqCst), n as usize);
}

/// TestWaitGroup.
#[test]
fn waitgroup() {
    let (wg1, wg2) = (WaitGroup::new(), WaitGroup::new());
    for _ in 0..8 {
        test_waitgroup(&wg1, &wg2);
    }
}

/// TestWaitGroupMisuse: a negative counter panics with Go's message.
#[test]
fn waitgroup_misuse() {
    let wg = WaitGroup::new();
    wg.add(1);
    wg.done();
    let r = std::panic::catch_unwind(|| wg.done());
    let err = r.expect_err("a negative counter did not panic");
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("sync: negative WaitGroup counter")
    );
}

/// TestWaitGroupRace: two workers and a waiter, many rounds; wait never returns early.
#[test]
fn waitgroup_race() {
    for _ in 0..300 {
        let wg = WaitGroup::new();
        let n = Arc::new(AtomicUsize::new(0));
        for _ in 0..2 {
            wg.add(1);
            let (wg, n) = (wg.clone(), Arc::clone(&n));
            goroutine(move || {
                n.fetch_add(1, Ordering::SeqCst);
                wg.done();
            });
        }
        wg.wait();
        assert_eq!(n.load(Ordering::SeqCst), 2, "spurious wake-up from wait");
    }
}
