//! loom model of the channel lock (gochan's `SpinLock`, `hchan.rs`, the production
//! `SpinLock`): test-and-test-and-set, whose slow path spins one `loom::hint::spin_loop` per
//! round under loom. Two parties: with three, executions outgrow loom's branch limit (that
//! is also why the channel models lock with a loom `Mutex` instead).
//!
//! Checked: mutual exclusion and publication (a loom `UnsafeCell` guarded by the lock: any
//! two unsynchronised accesses fail the model), and every locker gets in.
#![cfg(loom)]

use gochan::internal::SpinLock;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

struct Guarded {
    lock: SpinLock,
    count: UnsafeCell<usize>,
}

fn add_one(g: &Guarded) {
    g.lock.lock();
    // SAFETY: under the lock (loom checks it).
    g.count.with_mut(|p| unsafe { *p += 1 });
    g.lock.unlock();
}

/// Two parties (a thread and the main one) take the lock once each.
#[test]
fn chan_lock_two_lockers() {
    loom::model(|| {
        let g = Arc::new(Guarded {
            lock: SpinLock::new(),
            count: UnsafeCell::new(0),
        });
        let ts: Vec<_> = (0..1)
            .map(|_| {
                let g = g.clone();
                thread::spawn(move || add_one(&g))
            })
            .collect();
        add_one(&g);
        for t in ts {
            t.join().unwrap();
        }
        g.lock.lock();
        // SAFETY: the lock is held, so no one writes the count (loom checks it).
        assert_eq!(g.count.with(|p| unsafe { *p }), 2);
        g.lock.unlock();
    });
}
