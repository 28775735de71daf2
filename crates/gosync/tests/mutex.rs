//! Mutex from goroutines, threads, and both at once.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use goro_test_support::{go, run_all, wait_until, Mode, MODES};
use gosync::Mutex;

/// Every critical section runs alone and is counted exactly once.
#[test]
fn counts_every_critical_section() {
    const WORKERS: usize = 8;
    const ITERS: usize = 2_000;
    for mode in MODES {
        let m = Arc::new(Mutex::new(0usize));
        let inside = Arc::new(AtomicBool::new(false));
        let (m2, inside2) = (Arc::clone(&m), Arc::clone(&inside));
        run_all(mode, WORKERS, move |_| {
            for _ in 0..ITERS {
                let mut g = m2.lock();
                assert!(!inside2.swap(true, Ordering::Relaxed), "two owners at once");
                *g += 1;
                inside2.store(false, Ordering::Relaxed);
            }
        });
        assert_eq!(*m.lock(), WORKERS * ITERS, "{mode:?}");
        assert_eq!(m.waiters(), 0);
        assert!(!m.is_locked());
    }
}

/// try_lock never waits and fails while anyone holds the lock.
#[test]
fn try_lock_fails_while_held_elsewhere() {
    for kind in [Mode::Goroutines, Mode::Threads] {
        let m = Arc::new(Mutex::new(1));
        let g = m.lock();
        let m2 = Arc::clone(&m);
        go(kind, 0, move || assert!(m2.try_lock().is_none())).join();
        drop(g);
        let m2 = Arc::clone(&m);
        go(kind, 0, move || assert_eq!(*m2.try_lock().unwrap(), 1)).join();
    }
}

/// A guard taken by a goroutine may be dropped by a thread (Go lets anyone unlock).
#[test]
fn guard_unlocks_on_another_thread() {
    static M: Mutex<u32> = Mutex::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    go(Mode::Goroutines, 0, move || {
        let mut g = M.lock();
        *g += 1;
        tx.send(g).unwrap();
    })
    .join();
    let g = rx.recv().unwrap();
    assert!(M.is_locked());
    drop(g);
    assert!(!M.is_locked());
    assert_eq!(*M.lock(), 1);
}

/// Goroutines parked on a mutex leave their threads free: with more blocked goroutines than
/// Ps, other goroutines still run, and a thread unlocks them all.
#[test]
fn parked_goroutines_do_not_hold_threads() {
    let n = 4 * gmp_sched::gomaxprocs() + 4;
    let m = Arc::new(Mutex::new(0usize));
    let g = m.lock();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let m = Arc::clone(&m);
            go(Mode::Goroutines, 0, move || *m.lock() += 1)
        })
        .collect();
    wait_until(|| m.waiters() == n);
    // Every P would be stuck if a parked goroutine kept its M.
    let ran = Arc::new(AtomicBool::new(false));
    let ran2 = Arc::clone(&ran);
    go(Mode::Goroutines, 0, move || {
        ran2.store(true, Ordering::Relaxed)
    })
    .join();
    assert!(ran.load(Ordering::Relaxed));
    drop(g);
    for h in handles {
        h.join();
    }
    assert_eq!(*m.lock(), n);
}

/// A panic while the guard is held unlocks the mutex; there is no poisoning.
#[test]
fn panic_unlocks_without_poison() {
    let m = Arc::new(Mutex::new(5));
    let m2 = Arc::clone(&m);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _g = m2.lock();
        panic!("inside");
    }));
    assert!(r.is_err());
    assert_eq!(*m.try_lock().unwrap(), 5);
}

/// Lock hand-over between a goroutine and a thread in strict alternation, driven by the lock
/// and a turn counter alone.
#[test]
fn ping_pong_between_goroutine_and_thread() {
    const ROUNDS: usize = 500;
    let turn = Arc::new(Mutex::new(0usize));
    let spins = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for (me, kind) in [(0, Mode::Goroutines), (1, Mode::Threads)] {
        let (turn, spins) = (Arc::clone(&turn), Arc::clone(&spins));
        handles.push(go(kind, 0, move || {
            let mut mine = 0;
            while mine < ROUNDS {
                let mut t = turn.lock();
                if *t % 2 == me {
                    *t += 1;
                    mine += 1;
                } else {
                    drop(t);
                    spins.fetch_add(1, Ordering::Relaxed);
                    gmp_sched::yield_now();
                }
            }
        }));
    }
    for h in handles {
        h.join();
    }
    assert_eq!(*turn.lock(), 2 * ROUNDS);
}

/// Mutex<T> is Sync iff T: Send; guards are Send (any goroutine may unlock).
#[test]
fn auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Mutex<std::cell::Cell<u8>>>();
    send::<gosync::MutexGuard<'static, u8>>();
}
