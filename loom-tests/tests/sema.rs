//! loom model of gosync's semaphore (Go's sema.go): count, waiter count and FIFO queue, with
//! direct hand-off.
//!
//! Checked: no lost wake-up between a release's `count += 1; load(nwait)` and an acquire's
//! `nwait += 1; load(count)` (every execution ends with both acquirers through); units are
//! conserved (what was released is acquired exactly once); a hand-off unit cannot be stolen.
#![cfg(loom)]

use gmp_sched::sys::WaitReason;
use gosync::internal::Sema;
use loom::sync::Arc;
use loom::thread;

/// Two acquirers, two releases from the main thread, one of them a hand-off.
#[test]
fn sema_acquire_release() {
    loom::model(|| {
        let s = Arc::new(Sema::new(0));
        let ts: Vec<_> = (0..2)
            .map(|i| {
                let s = Arc::clone(&s);
                thread::spawn(move || s.acquire(i == 1, WaitReason::Semaphore))
            })
            .collect();
        s.release(false);
        s.release(true);
        for t in ts {
            t.join().unwrap();
        }
        assert!(!s.try_acquire(), "a unit was acquired twice or never taken");
    });
}

/// A hand-off races a try_acquire: the thief may only take a unit released for it.
#[test]
fn sema_handoff_vs_thief() {
    loom::model(|| {
        let s = Arc::new(Sema::new(0));
        let s2 = Arc::clone(&s);
        let waiter = thread::spawn(move || s2.acquire(false, WaitReason::Semaphore));
        let s3 = Arc::clone(&s);
        let thief = thread::spawn(move || s3.try_acquire());
        s.release(true);
        let stole = thief.join().unwrap();
        if stole {
            // The waiter needs another unit.
            s.release(false);
        }
        waiter.join().unwrap();
        assert!(!s.try_acquire());
    });
}
