//! Go's src/sync/rwmutex_test.go, ported as behaviours: parallel readers (TestParallelReaders),
//! readers and writers hammering one lock (TestRWMutex), and Go's writer preference.
//! (TestRLocker has no counterpart: gosync has no Locker interface.)

use goro_test_support::{start, wait_until};

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;

use gosync::{RwMutex, WaitGroup};

/// TestParallelReaders: n readers all hold the read lock at the same time.
#[test]
fn parallel_readers() {
    for n in [4, 16] {
        for goroutines in [true, false] {
            let rw = Arc::new(RwMutex::new(()));
            let locked = Arc::new(AtomicUsize::new(0));
            let unlock = Arc::new(AtomicBool::new(false));
            let wg = WaitGroup::new();
            for _ in 0..n {
                let (rw, locked, unlock) =
                    (Arc::clone(&rw), Arc::clone(&locked), Arc::clone(&unlock));
                start(goroutines, &wg, move || {
                    let _r = rw.read();
                    locked.fetch_add(1, Ordering::SeqCst);
                    wait_until(|| unlock.load(Ordering::SeqCst));
                });
            }
            // Every reader is inside at once.
            wait_until(|| locked.load(Ordering::SeqCst) == n);
            assert!(rw.try_write().is_none());
            unlock.store(true, Ordering::SeqCst);
            wg.wait();
            assert!(rw.try_write().is_some());
        }
    }
}

/// Go's HammerRWMutex: 2 writers and `readers` readers; `activity` counts readers inside plus
/// 10000 per writer inside, so any overlap shows.
fn hammer_rwmutex(readers: usize, iterations: usize) {
    let rw = Arc::new(RwMutex::new(0usize));
    let activity = Arc::new(AtomicI32::new(0));
    let wg = WaitGroup::new();
    for i in 0..readers + 2 {
        let (rw, activity) = (Arc::clone(&rw), Arc::clone(&activity));
        let writer = i == 0 || i == readers / 2 + 1;
        start(i % 3 != 2, &wg, move || {
            for _ in 0..iterations {
                if writer {
                    let mut g = rw.write();
                    let n = activity.fetch_add(10_000, Ordering::SeqCst) + 10_000;
                    assert_eq!(n, 10_000, "writer not alone");
                    *g += 1;
                    activity.fetch_sub(10_000, Ordering::SeqCst);
                } else {
                    let _g = rw.read();
                    let n = activity.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!((1..10_000).contains(&n), "reader beside a writer");
                    activity.fetch_sub(1, Ordering::SeqCst);
                }
            }
        });
    }
    wg.wait();
    assert_eq!(*rw.read(), 2 * iterations);
}

/// TestRWMutex: the hammer with 1, 3, 10 readers, goroutines and threads mixed.
#[test]
fn rwmutex() {
    for readers in [1, 3, 10] {
        hammer_rwmutex(readers, 1000);
    }
}

/// Writer preference: once a writer waits, a new reader waits behind it, even though only
/// readers hold the lock.
#[test]
fn writer_holds_back_new_readers() {
    let rw = Arc::new(RwMutex::new(Vec::new()));
    let wg = WaitGroup::new();
    let first = rw.read();
    {
        let rw = Arc::clone(&rw);
        start(true, &wg, move || rw.write().push("writer"));
    }
    wait_until(|| rw.try_read().is_none());
    {
        let rw = Arc::clone(&rw);
        start(false, &wg, move || {
            let seen = rw.read().clone();
            assert_eq!(
                seen,
                ["writer"],
                "a new reader got in ahead of a waiting writer"
            );
        });
    }
    drop(first);
    wg.wait();
}
