//! loom model of gosync's Mutex spinner path (crates/gosync/src/mutex.rs, `lock_slow`): with
//! `gosync::internal::set_spin(true)` a waiter may spin once (`can_spin(0)`) while the mutex
//! is locked in normal mode; when a parked waiter is counted it sets WOKEN, so the unlock it
//! races wakes nobody, and it takes the mutex as it is released (or parks, giving WOKEN back).
//! Parks go through gmp-sched's `ParkState` hand-shake (gosync's loom shim).
//!
//! Checked: mutual exclusion, no lost wake-up (every execution ends: a spinner's WOKEN never
//! strands a parked waiter), WOKEN owned by one party at a time (`throw` on an inconsistent
//! state fails the model), and the state word back at zero; and that the spinner path ran.
#![cfg(loom)]

use gosync::Mutex;
use loom::sync::Arc;
use loom::thread;

/// The main thread holds the mutex; one thread parks on it, the other spins (setting WOKEN
/// once the first is counted) and takes the mutex as it is released.
#[test]
fn mutex_spinner_sets_woken_and_takes_it() {
    gosync::internal::set_clock_step(0);
    gosync::internal::set_spin(true);
    let before = gosync::internal::spinners_that_set_woken();
    loom::model(|| {
        let m = Arc::new(Mutex::new(0usize));
        let g = m.lock();
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || *m.lock() += 1)
            })
            .collect();
        // Let the lockers arrive (one parks, the other spins) before the unlock.
        thread::yield_now();
        thread::yield_now();
        drop(g);
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(*m.lock(), 2);
        assert_eq!(m.waiters(), 0);
        assert!(!m.is_locked() && !m.is_starving());
    });
    gosync::internal::set_spin(false);
    assert!(
        gosync::internal::spinners_that_set_woken() > before,
        "no execution ran the spinner path"
    );
}
