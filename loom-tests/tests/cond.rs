//! loom model of gosync's Cond (Go's notifyList tickets).
//!
//! Checked: a signal sent between a waiter's unlock and its park is not lost (the waiter sees
//! its ticket notified, or is found in the list), so a waiter that loops on its condition
//! always finishes; broadcast reaches every waiter.
#![cfg(loom)]

use gosync::{Cond, Mutex};
use loom::sync::Arc;
use loom::thread;

/// One waiter, one signaller.
#[test]
fn cond_signal_not_lost() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let s = Arc::new((Mutex::new(false), Cond::new()));
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || {
            *s2.0.lock() = true;
            s2.1.signal();
        });
        let g = s.1.wait_while(s.0.lock(), |ready| !*ready);
        assert!(*g);
        drop(g);
        t.join().unwrap();
    });
}

/// Two waiters, one broadcast.
#[test]
fn cond_broadcast_reaches_all() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let s = Arc::new((Mutex::new(false), Cond::new()));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || drop(s.1.wait_while(s.0.lock(), |open| !*open)))
            })
            .collect();
        *s.0.lock() = true;
        s.1.broadcast();
        for t in ts {
            t.join().unwrap();
        }
    });
}
