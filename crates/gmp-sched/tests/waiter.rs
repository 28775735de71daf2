//! The waiter: park/unpark between goroutines, between threads, and mixed; unpark before
//! park; `release` runs exactly once.
#![cfg(not(loom))]

use gmp_sched::{
    spawn,
    sys::{park, WaitReason, Waiter},
};
use std::sync::{Arc, Mutex};

/// A one-slot mailbox built only on the waiter, as a channel would be.
#[derive(Default)]
struct Mailbox(Mutex<(Option<u64>, Option<Waiter>)>);

impl Mailbox {
    fn put(&self, v: u64) {
        let w = {
            let mut st = self.0.lock().unwrap();
            assert!(st.0.is_none());
            st.0 = Some(v);
            st.1.take()
        };
        if let Some(w) = w {
            w.unpark();
        }
    }

    fn take(&self) -> u64 {
        let mut st = self.0.lock().unwrap();
        loop {
            if let Some(v) = st.0.take() {
                return v;
            }
            st.1 = Some(Waiter::current());
            park(WaitReason::Other("mailbox"), move || drop(st));
            st = self.0.lock().unwrap();
        }
    }
}

/// Bounces `n` values between two parties; `a` and `b` say who is a goroutine.
fn ping_pong(n: u64, a_goroutine: bool, b_goroutine: bool) {
    let (ab, ba) = (Arc::new(Mailbox::default()), Arc::new(Mailbox::default()));
    let (ab2, ba2) = (ab.clone(), ba.clone());
    let a = move || {
        for i in 0..n {
            ab.put(i);
            assert_eq!(ba.take(), i + 1);
        }
    };
    let b = move || {
        for _ in 0..n {
            let v = ab2.take();
            ba2.put(v + 1);
        }
    };
    let run = |goroutine: bool, f: Box<dyn FnOnce() + Send>| -> Box<dyn FnOnce()> {
        if goroutine {
            // SAFETY: the closure keeps no thread-bound state across a blocking call.
            let h = unsafe { spawn(f) };
            Box::new(move || h.join().unwrap())
        } else {
            let h = std::thread::spawn(f);
            Box::new(move || h.join().unwrap())
        }
    };
    let ja = run(a_goroutine, Box::new(a));
    let jb = run(b_goroutine, Box::new(b));
    ja();
    jb();
}

#[test]
fn ping_pong_goroutines() {
    ping_pong(20_000, true, true);
}

#[test]
fn ping_pong_threads() {
    ping_pong(5_000, false, false);
}

#[test]
fn ping_pong_mixed() {
    ping_pong(5_000, true, false);
    ping_pong(5_000, false, true);
}

#[test]
fn unpark_before_park_returns_at_once_and_release_runs_once() {
    let body = || {
        Waiter::current().unpark();
        let mut n = 0;
        park(WaitReason::Other("test"), || n += 1);
        n
    };
    assert_eq!(body(), 1);
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    assert_eq!(unsafe { spawn(body) }.join().unwrap(), 1);
}
