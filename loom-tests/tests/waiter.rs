//! loom model of the goroutine park/unpark hand-shake (gmp-sched's `ParkState`), with the
//! scheduler's part played by a "resume" slot: an unparker that wins the PARKED -> RUNNING
//! CAS resumes the parked G, exactly as `sched::ready` would queue it.
//!
//! Checked: an unpark before the park is kept (no lost wake-up); concurrent unparks resume
//! the G at most once; a stale unpark makes a later park return spuriously, and a caller
//! that loops on its condition still ends with it true.
//!
//! The last model drives gmp-sched's loom `Waiter` itself, which parks through the same
//! `ParkState` (every gosync and gochan park under loom goes through it): one `park`
//! returns only after the one `unpark`, on every path (pending permit, an unpark between
//! the switch and the commit, a real sleep), and sees what the unparker wrote before it.
#![cfg(loom)]

use gmp_sched::internal::ParkState;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// A G: its park state and the slot through which an unparker resumes it.
struct G {
    park: ParkState,
    resumed: Mutex<bool>,
    cv: Condvar,
    resumes: AtomicUsize,
}

impl G {
    fn new() -> Arc<G> {
        Arc::new(G {
            park: ParkState::new(),
            resumed: Mutex::new(false),
            cv: Condvar::new(),
            resumes: AtomicUsize::new(0),
        })
    }

    /// `sched::park_current` + `execute`'s ACT_PARK branch.
    fn park(&self) {
        if self.park.take_notified() {
            return;
        }
        // (the context switch and `release` happen here)
        if !self.park.commit_park() {
            return; // an unpark came meanwhile: the M runs the G again
        }
        let mut r = self.resumed.lock().unwrap();
        while !*r {
            r = self.cv.wait(r).unwrap();
        }
        *r = false;
    }

    /// `Waiter::unpark` for a G.
    fn unpark(&self) {
        if self.park.unpark() {
            self.resumes.fetch_add(1, Ordering::Relaxed);
            *self.resumed.lock().unwrap() = true;
            self.cv.notify_one();
        }
    }
}

#[test]
fn unpark_is_never_lost() {
    loom::model(|| {
        let g = G::new();
        let g2 = g.clone();
        let t = thread::spawn(move || g2.unpark());
        g.park(); // must return whichever side runs first
        t.join().unwrap();
        assert!(g.resumes.load(Ordering::Relaxed) <= 1);
    });
}

#[test]
fn concurrent_unparks_resume_once() {
    loom::model(|| {
        let g = G::new();
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let g = g.clone();
                thread::spawn(move || g.unpark())
            })
            .collect();
        g.park();
        for t in ts {
            t.join().unwrap();
        }
        assert!(g.resumes.load(Ordering::Relaxed) <= 1);
    });
}

#[test]
fn stale_unpark_is_a_spurious_wakeup_callers_survive() {
    loom::model(|| {
        let g = G::new();
        let flag = Arc::new(AtomicBool::new(false));
        let (g1, f1) = (g.clone(), flag.clone());
        let waker = thread::spawn(move || {
            f1.store(true, Ordering::Release);
            g1.unpark();
        });
        let g2 = g.clone();
        let stale = thread::spawn(move || g2.unpark());
        while !flag.load(Ordering::Acquire) {
            g.park();
        }
        waker.join().unwrap();
        stale.join().unwrap();
        assert!(flag.load(Ordering::Acquire));
    });
}

/// gmp-sched's loom `Waiter`: a single park against a single unpark returns only after it
/// (whichever of `take_notified`, a failed `commit_park`, or a wake-up from the sleep lets
/// it go) and sees the unparker's write, with no other synchronisation in the model.
#[test]
fn waiter_park_sees_the_unparkers_writes() {
    loom::model(|| {
        let data = Arc::new(loom::cell::UnsafeCell::new(0u32));
        let (w, d) = (gmp_sched::sys::Waiter::current(), data.clone());
        let t = thread::spawn(move || {
            // SAFETY: the only write; loom checks it against the parker's read after `park`.
            d.with_mut(|p| unsafe { *p = 7 });
            w.wake();
        });
        gmp_sched::sys::park(gmp_sched::sys::WaitReason::Other("model"), || {});
        // SAFETY: `park` returned after the unpark, which follows the only write (loom checks
        // that they are ordered).
        assert_eq!(data.with(|p| unsafe { *p }), 7);
        t.join().unwrap();
    });
}

/// The same through the fast path (`take_notified`), which loom's search never reaches in
/// the model above (it does not try the unparker's CAS ahead of the parker's first plain
/// load): the parker waits, through a Relaxed flag that carries no ordering, until the
/// unpark is pending, so only `take_notified` can order the unparker's write before the read.
#[test]
fn waiter_pending_unpark_orders_the_fast_path() {
    loom::model(|| {
        let data = Arc::new(loom::cell::UnsafeCell::new(0u32));
        let unparked = Arc::new(AtomicBool::new(false));
        let (w, d, u) = (
            gmp_sched::sys::Waiter::current(),
            data.clone(),
            unparked.clone(),
        );
        let t = thread::spawn(move || {
            // SAFETY: the only write; loom checks it against the parker's read after `park`.
            d.with_mut(|p| unsafe { *p = 7 });
            w.wake();
            u.store(true, Ordering::Relaxed);
        });
        while !unparked.load(Ordering::Relaxed) {
            thread::yield_now();
        }
        gmp_sched::sys::park(gmp_sched::sys::WaitReason::Other("model"), || {});
        // SAFETY: `park` returned after the unpark, which follows the only write (loom checks
        // that they are ordered).
        assert_eq!(data.with(|p| unsafe { *p }), 7);
        t.join().unwrap();
    });
}
