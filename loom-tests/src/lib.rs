//! loom models of goro's protocols live in `tests/`, one file per protocol, each
//! `#![cfg(loom)]`. Run them with `cargo xtask loom [FILTER] [--ci]`.

/// The two-party channel model: a second loom thread sends 1 then 2 on `ch` while the calling
/// thread receives both in order; returns after the sender has finished (`chan.rs`,
/// `chan_spin.rs`).
#[cfg(loom)]
pub fn send_two_recv_two(ch: &gochan::Chan<i32>) {
    let tx = ch.clone();
    let t = loom::thread::spawn(move || {
        tx.send(1).unwrap();
        tx.send(2).unwrap();
    });
    assert_eq!(ch.recv(), Some(1));
    assert_eq!(ch.recv(), Some(2));
    t.join().unwrap();
}

/// A one-future executor for the async-bridge models (`chan_async.rs`, `mutex_async.rs`):
/// polls on the calling loom thread and sleeps until the future's waker fires.
#[cfg(loom)]
pub mod executor {
    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::sync::Notify;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    /// A waker that wakes one loom thread: a flag and a `Notify`.
    struct Wakeup {
        woken: AtomicBool,
        notify: Notify,
    }

    impl Wake for Wakeup {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            // A swap, not a store: loom orders a plain store concurrent with the sleeper's
            // earlier swap by causality only, and the sleeper could then read its own `false`
            // again (see gmp-sched's loom `Waiter`, `Slot::resumed`).
            self.woken.swap(true, Ordering::Release);
            self.notify.notify();
        }
    }

    /// Runs `fut` to completion on the calling loom thread: poll, and between polls sleep
    /// until the waker fires. A lost wake-up is a deadlock loom reports.
    pub fn block_on<F: Future>(fut: F) -> F::Output {
        let wake = Arc::new(Wakeup {
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

    /// Polls `fut` once with a waker that does nothing.
    pub fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(Waker::noop()))
    }
}
