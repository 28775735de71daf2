//! Cond from goroutines, threads, and both at once.
#![cfg(not(loom))]

use std::sync::Arc;

use goro_test_support::{go, wait_until, Mode, MODES};
use gosync::{Cond, Mutex};

/// signal wakes waiters one at a time; every waiter of every kind gets woken once.
#[test]
fn signal_wakes_one_each() {
    for mode in MODES {
        let state = Arc::new((Mutex::new((0usize, 0usize)), Cond::new())); // (tokens, woken)
        let waiters: Vec<_> = (0..6)
            .map(|i| {
                let state = Arc::clone(&state);
                go(mode, i, move || {
                    let (m, c) = &*state;
                    let mut g = c.wait_while(m.lock(), |(tokens, _)| *tokens == 0);
                    g.0 -= 1;
                    g.1 += 1;
                })
            })
            .collect();
        for _ in 0..6 {
            state.0.lock().0 += 1;
            state.1.signal();
        }
        for h in waiters {
            h.join();
        }
        assert_eq!(*state.0.lock(), (0, 6), "{mode:?}");
    }
}

/// broadcast wakes every parked waiter.
#[test]
fn broadcast_wakes_all() {
    for mode in MODES {
        let state = Arc::new((Mutex::new((false, 0usize)), Cond::new())); // (open, parked)
        let waiters: Vec<_> = (0..8)
            .map(|i| {
                let state = Arc::clone(&state);
                go(mode, i, move || {
                    let (m, c) = &*state;
                    let mut g = m.lock();
                    g.1 += 1;
                    while !g.0 {
                        g = c.wait(g);
                    }
                })
            })
            .collect();
        // All 8 are inside wait (they count themselves with the mutex held, then park or are
        // about to: a broadcast now reaches every one of them, parked or not).
        wait_until(|| state.0.lock().1 == 8);
        state.0.lock().0 = true;
        state.1.broadcast();
        for h in waiters {
            h.join();
        }
    }
}

/// A signal sent between a waiter's unlock and its park is not lost (the ticket scheme): a
/// ping-pong of 1000 rounds between a goroutine and a thread with one Cond and no timeouts.
#[test]
fn ping_pong_loses_no_signal() {
    const ROUNDS: usize = 1_000;
    let state = Arc::new((Mutex::new(0usize), Cond::new()));
    let handles: Vec<_> = [(0, Mode::Goroutines), (1, Mode::Threads)]
        .into_iter()
        .map(|(me, kind)| {
            let state = Arc::clone(&state);
            go(kind, 0, move || {
                let (m, c) = &*state;
                for _ in 0..ROUNDS {
                    let mut g = c.wait_while(m.lock(), |turn| *turn % 2 != me);
                    *g += 1;
                    drop(g);
                    c.signal();
                }
            })
        })
        .collect();
    for h in handles {
        h.join();
    }
    assert_eq!(*state.0.lock(), 2 * ROUNDS);
}

/// More goroutines waiting on a Cond than there are Ps: a goroutine still runs to broadcast.
#[test]
fn parked_waiters_do_not_hold_threads() {
    let n = 4 * gmp_sched::gomaxprocs() + 4;
    let state = Arc::new((Mutex::new((false, 0usize)), Cond::new())); // (open, inside)
    let waiters: Vec<_> = (0..n)
        .map(|_| {
            let state = Arc::clone(&state);
            go(Mode::Goroutines, 0, move || {
                let (m, c) = &*state;
                let mut g = m.lock();
                g.1 += 1;
                drop(c.wait_while(g, |(open, _)| !*open));
            })
        })
        .collect();
    wait_until(|| state.0.lock().1 == n);
    let state2 = Arc::clone(&state);
    go(Mode::Goroutines, 0, move || {
        state2.0.lock().0 = true;
        state2.1.broadcast();
    })
    .join();
    for h in waiters {
        h.join();
    }
}
