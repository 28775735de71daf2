//! loom model of gosync's Mutex in normal mode: the state word (LOCKED, WOKEN, waiter count)
//! and the semaphore its waiters park on, with the starvation clock stopped (no waiter ever
//! waits "over 1 ms").
//!
//! Checked: mutual exclusion (loom's cell tracking sees any unsynchronised access to the
//! data), no lost wake-up (every execution ends: a parked waiter is always woken), and the
//! state word back at zero (no waiter counted twice, WOKEN given back).
#![cfg(loom)]

use gosync::Mutex;
use loom::sync::Arc;
use loom::thread;

/// Two threads each lock once while the main thread locks too.
#[test]
fn mutex_three_lockers() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let m = Arc::new(Mutex::new(0usize));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || *m.lock() += 1)
            })
            .collect();
        *m.lock() += 1;
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(*m.lock(), 3);
        assert_eq!(m.waiters(), 0);
        assert!(!m.is_locked() && !m.is_starving());
    });
}

/// One thread locks twice in a row (re-locking before a woken waiter runs), the other once;
/// a woken waiter that loses the race re-queues.
#[test]
fn mutex_relock_races_woken_waiter() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let m = Arc::new(Mutex::new(0usize));
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || {
            *m2.lock() += 1;
            *m2.lock() += 1;
        });
        *m.lock() += 1;
        t.join().unwrap();
        assert_eq!(*m.lock(), 3);
        assert_eq!(m.waiters(), 0);
    });
}

/// try_lock against lock: never two owners, and a failed try_lock changes nothing.
#[test]
fn mutex_try_lock() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let m = Arc::new(Mutex::new(0usize));
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || {
            if let Some(mut g) = m2.try_lock() {
                *g += 1;
            }
        });
        *m.lock() += 10;
        t.join().unwrap();
        let v = *m.lock();
        assert!(v == 10 || v == 11);
        assert_eq!(m.waiters(), 0);
    });
}

/// Two threads lock twice each, the main thread once: woken waiters race re-lockers, lose,
/// re-queue at the front, spin bits come and go.
#[test]
fn mutex_two_threads_twice_each() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let m = Arc::new(Mutex::new(0usize));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for _ in 0..2 {
                        *m.lock() += 1;
                    }
                })
            })
            .collect();
        *m.lock() += 1;
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(*m.lock(), 5);
        assert_eq!(m.waiters(), 0);
        assert!(!m.is_locked() && !m.is_starving());
    });
}
