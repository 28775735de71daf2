//! The async side of gosync: `Mutex::lock_async`, `WaitGroup::wait_async`,
//! `Once::call_once_async`, awaited (through `gmp_sched::block_on`) beside goroutines and
//! threads using the blocking calls, with futures dropped mid-wait.
#![cfg(not(loom))]

use gmp_sched::block_on;
use goro_test_support::{go, run_all, wait_until, MODES};
use gosync::{Mutex, Once, WaitGroup};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn lock_async_excludes_goroutines_threads_and_tasks() {
    const ROUNDS: usize = 500;
    for mode in MODES {
        let m = Arc::new(Mutex::new(0usize));
        let m2 = m.clone();
        run_all(mode, 4, move |i| {
            for _ in 0..ROUNDS {
                if i % 2 == 0 {
                    let mut g = block_on(m2.lock_async());
                    let v = *g;
                    gmp_sched::yield_now(); // hold it across a switch
                    *g = v + 1;
                } else {
                    let mut g = m2.lock();
                    let v = *g;
                    gmp_sched::yield_now();
                    *g = v + 1;
                }
            }
        });
        assert_eq!(*m.lock(), 4 * ROUNDS, "{mode:?}");
        assert_eq!(m.waiters(), 0);
    }
}

#[test]
fn a_dropped_lock_future_takes_nothing() {
    let m = Mutex::new(1);
    let g = m.lock();
    {
        let mut fut = pin!(m.lock_async());
        assert!(poll_once(fut.as_mut()).is_pending());
        assert!(poll_once(fut.as_mut()).is_pending());
    } // dropped while waiting
    drop(g);
    assert_eq!(*m.try_lock().expect("unlocked"), 1);
    // And a waiting future is woken by an unlock from another thread.
    let g = m.lock();
    let mut fut = pin!(m.lock_async());
    assert!(poll_once(fut.as_mut()).is_pending());
    std::thread::scope(|s| {
        s.spawn(move || drop(g));
    });
    assert_eq!(*block_on(fut), 1);
}

#[test]
fn lock_futures_dropped_at_random_lose_no_wake_up() {
    for mode in MODES {
        let m = Arc::new(Mutex::new(0usize));
        let m2 = m.clone();
        run_all(mode, 3, move |i| {
            for round in 0..300usize {
                if (round + i) % 3 == 0 {
                    // Poll once and give up.
                    let mut fut = pin!(m2.lock_async());
                    if let Poll::Ready(mut g) = poll_once(fut.as_mut()) {
                        *g += 1;
                        continue;
                    }
                    gmp_sched::yield_now();
                    continue;
                }
                *block_on(m2.lock_async()) += 1;
            }
        });
        // Every party finished: nobody was left waiting for a lost wake-up.
        assert!(*m.lock() >= 3 * 200, "{mode:?}");
    }
}

#[test]
fn wait_async_wakes_when_the_counter_reaches_zero() {
    for mode in MODES {
        let wg = WaitGroup::new();
        let finished = Arc::new(AtomicUsize::new(0));
        wg.add(4);
        let waiters: Vec<_> = (0..2)
            .map(|i| {
                let (wg, f) = (wg.clone(), finished.clone());
                go(mode, i, move || {
                    if i == 0 {
                        block_on(wg.wait_async());
                    } else {
                        wg.wait();
                    }
                    f.load(Ordering::SeqCst)
                })
            })
            .collect();
        wait_until(|| wg.waiters() == 2);
        for _ in 0..4 {
            finished.fetch_add(1, Ordering::SeqCst);
            wg.done();
        }
        for w in waiters {
            assert_eq!(w.join(), 4, "{mode:?}");
        }
        assert_eq!(wg.waiters(), 0);
    }
}

#[test]
fn a_dropped_wait_future_does_not_disturb_the_round() {
    let wg = WaitGroup::new();
    wg.add(1);
    {
        let mut fut = pin!(wg.wait_async());
        assert!(poll_once(fut.as_mut()).is_pending());
    } // counted in, then dropped
    let wg2 = wg.clone();
    let sync_waiter = std::thread::spawn(move || wg2.wait());
    wait_until(|| wg.waiters() == 2);
    wg.done();
    sync_waiter.join().unwrap();
    // The next round starts clean: a stray semaphore unit would let this wait return early.
    wg.add(1);
    let wg3 = wg.clone();
    let early = std::thread::spawn(move || {
        wg3.wait();
        wg3.count()
    });
    wait_until(|| wg.waiters() == 1);
    wg.done();
    assert_eq!(early.join().unwrap(), 0);
    block_on(wg.wait_async()); // zero counter: at once
}

#[test]
fn call_once_async_runs_once_and_waiters_see_it() {
    for mode in MODES {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let (o2, r2) = (once.clone(), runs.clone());
        run_all(mode, 4, move |i| {
            if i % 2 == 0 {
                block_on(o2.call_once_async(|| async {
                    gmp_sched::yield_now();
                    r2.fetch_add(1, Ordering::SeqCst);
                }));
            } else {
                o2.call_once(|| {
                    r2.fetch_add(1, Ordering::SeqCst);
                });
            }
            assert_eq!(r2.load(Ordering::SeqCst), 1);
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{mode:?}");
        assert!(once.is_completed());
    }
}

#[test]
fn a_dropped_async_initialiser_does_not_count() {
    let once = Once::new();
    {
        let mut fut = pin!(once.call_once_async(std::future::pending::<()>));
        assert!(poll_once(fut.as_mut()).is_pending());
    }
    assert!(!once.is_completed());
    block_on(once.call_once_async(|| async {}));
    assert!(once.is_completed());
    // A panicking one counts, as in Go.
    let once = Once::new();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block_on(once.call_once_async(|| async { panic!("boom") }))
    }));
    assert!(r.is_err());
    assert!(once.is_completed());
}
