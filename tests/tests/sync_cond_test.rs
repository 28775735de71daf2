//! Go's src/sync/cond_test.go, ported as behaviours: TestCondSignal, TestCondSignalGenerations,
//! TestCondBroadcast, TestCondSignalStealing. (TestCondCopy has no counterpart: Rust moves are
//! checked by the borrow checker.)

use goro_test_support::{goroutine, wait_until};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gosync::{Cond, Mutex};

/// TestCondSignal: n waiters, each signal wakes exactly one.
#[test]
fn cond_signal() {
    let n = 4;
    let s = Arc::new((Mutex::new((0usize, 0usize)), Cond::new())); // (waiting, awake)
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let s = Arc::clone(&s);
            goroutine(move || {
                let mut g = s.0.lock();
                g.0 += 1;
                g = s.1.wait(g);
                g.1 += 1;
            })
        })
        .collect();
    wait_until(|| s.0.lock().0 == n);
    for i in 1..=n {
        s.1.signal();
        // Exactly one more wakes (a spurious extra wake-up would show as awake > i).
        wait_until(|| s.0.lock().1 >= i);
        assert_eq!(s.0.lock().1, i, "signal woke more than one waiter");
    }
    for h in handles {
        h.join().unwrap();
    }
}

/// TestCondSignalGenerations: signals wake waiters in the order they started waiting.
#[test]
fn cond_signal_generations() {
    let n = 100;
    let s = Arc::new((Mutex::new((0usize, Vec::new())), Cond::new())); // (running, woken order)
    let mut handles = Vec::new();
    for i in 0..n {
        let s2 = Arc::clone(&s);
        handles.push(goroutine(move || {
            let mut g = s2.0.lock();
            g.0 += 1;
            g = s2.1.wait(g);
            g.1.push(i);
        }));
        // Waiter i is inside wait once it counted itself (it took its ticket with the mutex held).
        wait_until(|| s.0.lock().0 == i + 1);
        if i > 0 {
            wait_until(|| s.0.lock().1.len() == i);
            assert_eq!(s.0.lock().1[i - 1], i - 1, "wrong goroutine woke up");
        }
        let g = s.0.lock();
        s.1.signal();
        drop(g);
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.0.lock().1, (0..n).collect::<Vec<_>>());
}

/// TestCondBroadcast: n waiters are woken together, each exactly once, round after round.
#[test]
fn cond_broadcast() {
    let n = 50;
    // (round, waiting in this round, woken in this round, exit)
    let s = Arc::new((Mutex::new((0usize, 0usize, 0usize, false)), Cond::new()));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let s = Arc::clone(&s);
            goroutine(move || {
                let mut g = s.0.lock();
                while !g.3 {
                    g.1 += 1;
                    g = s.1.wait(g);
                    g.2 += 1;
                }
            })
        })
        .collect();
    for round in 0..n {
        wait_until(|| s.0.lock().1 == n);
        let mut g = s.0.lock();
        assert_eq!(g.2, 0, "goroutine not asleep");
        g.1 = 0;
        g.0 = round;
        if round == n - 1 {
            g.3 = true;
        }
        s.1.broadcast();
        drop(g);
        wait_until(|| s.0.lock().2 >= n);
        let mut g = s.0.lock();
        assert_eq!(g.2, n, "a goroutine woke up twice");
        g.2 = 0;
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.0.lock().1, 0, "goroutine did not exit");
}

/// TestCondSignalStealing: a broadcast racing a new waiter still wakes the old waiter.
#[test]
fn cond_signal_stealing() {
    for _ in 0..200 {
        let s = Arc::new((Mutex::new(false), Cond::new()));
        let first_in = Arc::new(AtomicBool::new(false));
        let first_out = Arc::new(AtomicBool::new(false));
        let first = {
            let (s, first_in, first_out) = (
                Arc::clone(&s),
                Arc::clone(&first_in),
                Arc::clone(&first_out),
            );
            goroutine(move || {
                let g = s.0.lock();
                first_in.store(true, Ordering::SeqCst);
                drop(s.1.wait(g));
                first_out.store(true, Ordering::SeqCst);
            })
        };
        wait_until(|| first_in.load(Ordering::SeqCst));
        // The waiter held the mutex when it said so; taking the mutex now means it is inside
        // wait (its ticket taken).
        drop(s.0.lock());
        let bcast = {
            let s = Arc::clone(&s);
            goroutine(move || s.1.broadcast())
        };
        let second = {
            let s = Arc::clone(&s);
            goroutine(move || drop(s.1.wait_while(s.0.lock(), |done| !*done)))
        };
        // The first waiter must get the broadcast.
        first.join().unwrap();
        assert!(first_out.load(Ordering::SeqCst));
        bcast.join().unwrap();
        *s.0.lock() = true;
        s.1.broadcast();
        second.join().unwrap();
    }
}
