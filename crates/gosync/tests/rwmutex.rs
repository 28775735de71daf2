//! RwMutex from goroutines, threads, and both at once.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::Arc;

use goro_test_support::{go, run_all, wait_until, Mode, MODES};
use gosync::RwMutex;

/// Writers exclude everyone, readers exclude writers, and every write is counted once.
#[test]
fn readers_and_writers_exclude_each_other() {
    const WORKERS: usize = 8;
    const ITERS: usize = 1_000;
    for mode in MODES {
        let rw = Arc::new(RwMutex::new(0usize));
        // > 0: readers inside; -1: a writer inside.
        let activity = Arc::new(AtomicIsize::new(0));
        let (rw2, act) = (Arc::clone(&rw), Arc::clone(&activity));
        run_all(mode, WORKERS, move |i| {
            for j in 0..ITERS {
                if (i + j) % 4 == 0 {
                    let mut g = rw2.write();
                    assert_eq!(act.swap(-1, Ordering::Relaxed), 0, "writer not alone");
                    *g += 1;
                    act.store(0, Ordering::Relaxed);
                } else {
                    let g = rw2.read();
                    assert!(
                        act.fetch_add(1, Ordering::Relaxed) >= 0,
                        "reader beside writer"
                    );
                    let _ = *g;
                    act.fetch_sub(1, Ordering::Relaxed);
                }
            }
        });
        let writes: usize = (0..WORKERS)
            .map(|i| (0..ITERS).filter(|j| (i + j) % 4 == 0).count())
            .sum();
        assert_eq!(*rw.read(), writes, "{mode:?}");
    }
}

/// Many readers hold the lock at once, from goroutines and threads.
#[test]
fn readers_share() {
    for kind in [Mode::Goroutines, Mode::Threads] {
        let rw = Arc::new(RwMutex::new(7));
        let g = rw.read();
        let rw2 = Arc::clone(&rw);
        go(kind, 0, move || assert_eq!(*rw2.read(), 7)).join();
        assert!(rw.try_write().is_none());
        drop(g);
        assert!(rw.try_write().is_some());
    }
}

/// A waiting writer holds back new readers (Go's writer preference), and gets in once the old
/// readers leave; the held-back reader follows.
#[test]
fn waiting_writer_blocks_new_readers() {
    for kind in [Mode::Goroutines, Mode::Threads] {
        let rw = Arc::new(RwMutex::new(0));
        let first = rw.read();
        let wrote = Arc::new(AtomicBool::new(false));
        let (rw2, wrote2) = (Arc::clone(&rw), Arc::clone(&wrote));
        let writer = go(kind, 0, move || {
            *rw2.write() = 1;
            wrote2.store(true, Ordering::Relaxed);
        });
        // The writer has announced itself once new readers are refused.
        wait_until(|| rw.try_read().is_none());
        let rw3 = Arc::clone(&rw);
        let reader = go(kind, 0, move || assert_eq!(*rw3.read(), 1));
        assert!(!wrote.load(Ordering::Relaxed));
        drop(first);
        writer.join();
        assert!(wrote.load(Ordering::Relaxed));
        reader.join();
        assert_eq!(*rw.read(), 1);
    }
}

/// Goroutines parked as readers behind a writer free their threads.
#[test]
fn parked_readers_do_not_hold_threads() {
    let n = 4 * gmp_sched::gomaxprocs() + 4;
    let rw = Arc::new(RwMutex::new(()));
    let w = rw.write();
    let done = Arc::new(AtomicIsize::new(0));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (rw, done) = (Arc::clone(&rw), Arc::clone(&done));
            go(Mode::Goroutines, 0, move || {
                let _r = rw.read();
                done.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    go(Mode::Goroutines, 0, || ()).join();
    assert_eq!(done.load(Ordering::Relaxed), 0);
    drop(w);
    for h in handles {
        h.join();
    }
    assert_eq!(done.load(Ordering::Relaxed), n as isize);
}

/// RwMutex<T> is Sync iff T: Send + Sync.
#[test]
fn auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<RwMutex<Vec<u8>>>();
    send_sync::<gosync::RwMutexReadGuard<'static, u8>>();
}
