//! loom model of `Mutex::lock_async` (crates/gosync/src/mutex.rs: `poll_lock`,
//! `leave_async`, the ASYNC bit and `wake_async` in `unlock_slow`): an async waiter registers
//! its waker in the list, sets ASYNC with one RMW on the state word, and tries the lock again;
//! unlock's `fetch_sub` sees ASYNC and wakes the list.
//!
//! Checked: no lost wake-up (the polling thread sleeps until its waker fires: a lost one is a
//! deadlock), mutual exclusion between async and blocking lockers, and a future dropped while
//! registered leaves the mutex usable. Left out: the semaphore path (see `mutex.rs`).
#![cfg(loom)]

use gosync::Mutex;
use loom::sync::Arc;
use loom::thread;
use loom_tests::executor::{block_on, poll_once};
use std::pin::pin;

#[test]
fn mutex_async_against_a_blocking_locker() {
    loom::model(|| {
        let m = Arc::new(Mutex::new(0));
        let m2 = m.clone();
        let t = thread::spawn(move || {
            *m2.lock() += 1;
        });
        {
            let mut g = block_on(m.lock_async());
            *g += 1;
        }
        t.join().unwrap();
        assert_eq!(*m.lock(), 2);
        assert_eq!(m.waiters(), 0);
    });
}

/// A future registered while the lock is held, then dropped: the unlock that races the drop
/// and later lockers are unaffected.
#[test]
fn mutex_async_dropped_waiter_leaves() {
    loom::model(|| {
        let m = Arc::new(Mutex::new(0));
        let g = m.lock();
        let m2 = m.clone();
        let t = thread::spawn(move || {
            *m2.lock() += 1;
        });
        {
            let mut fut = pin!(m.lock_async());
            let r = poll_once(fut.as_mut());
            assert!(r.is_pending(), "the lock is held");
        }
        drop(g);
        t.join().unwrap();
        *block_on(m.lock_async()) += 1;
        assert_eq!(*m.lock(), 2);
    });
}
