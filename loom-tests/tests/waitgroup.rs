//! loom model of gosync's WaitGroup: the counter/waiter word and the semaphore waiters park on.
//!
//! Checked: a waiter returns only after every `done` (it sees what the workers wrote), a waiter
//! is never left parked (every execution ends), and the group is back at zero for reuse.
#![cfg(loom)]

use gosync::WaitGroup;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// Two workers, two waiters (one of them the main thread).
#[test]
fn waitgroup_two_workers_two_waiters() {
    loom::model(|| {
        let wg = WaitGroup::new();
        let work = Arc::new(AtomicUsize::new(0));
        wg.add(2);
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (wg, work) = (wg.clone(), Arc::clone(&work));
                thread::spawn(move || {
                    work.fetch_add(1, Ordering::Relaxed);
                    wg.done();
                })
            })
            .collect();
        let waiter = {
            let (wg, work) = (wg.clone(), Arc::clone(&work));
            thread::spawn(move || {
                wg.wait();
                assert_eq!(work.load(Ordering::Relaxed), 2);
            })
        };
        wg.wait();
        assert_eq!(work.load(Ordering::Relaxed), 2);
        for t in workers {
            t.join().unwrap();
        }
        waiter.join().unwrap();
        assert_eq!((wg.count(), wg.waiters()), (0, 0));
    });
}

/// Reuse: a second round after the first round's wait returned.
#[test]
fn waitgroup_reuse() {
    loom::model(|| {
        let wg = WaitGroup::new();
        for _ in 0..2 {
            wg.add(1);
            let w = wg.clone();
            let t = thread::spawn(move || w.done());
            wg.wait();
            t.join().unwrap();
        }
        assert_eq!((wg.count(), wg.waiters()), (0, 0));
    });
}
