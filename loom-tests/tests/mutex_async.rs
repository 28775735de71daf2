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
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Notify};
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

/// A waker that wakes one loom thread.
struct Wakeup {
    woken: AtomicBool,
    notify: Notify,
}

impl Wake for Wakeup {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // A swap, not a store: see gmp-sched's loom `Waiter` (`Slot::resumed`).
        self.woken.swap(true, Ordering::Release);
        self.notify.notify();
    }
}

/// Polls `fut` on the calling loom thread, sleeping until its waker fires between polls.
fn block_on<F: Future>(fut: F) -> F::Output {
    let wake = std::sync::Arc::new(Wakeup {
        woken: AtomicBool::new(false),
        notify: Notify::new(),
    });
    let waker = Waker::from(wake.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        while !wake.woken.swap(false, Ordering::Acquire) {
            wake.notify.wait();
        }
    }
}

/// An async locker against a blocking one: both get in, one at a time.
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
            let r = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
            assert!(r.is_pending(), "the lock is held");
        }
        drop(g);
        t.join().unwrap();
        *block_on(m.lock_async()) += 1;
        assert_eq!(*m.lock(), 2);
    });
}
