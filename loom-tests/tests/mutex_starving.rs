//! loom model of gosync's Mutex starvation mode. The loom clock moves a fixed step per
//! reading; with a 2 ms step every waiter that parked once "waited over 1 ms" when it wakes.
//!
//! Checked: a woken waiter that finds the mutex re-locked sets STARVING; the next unlock hands
//! ownership straight to the queue head (LOCKED stays clear meanwhile, and nobody else takes
//! it); starvation mode is left by the last waiter, or by one that waited under 1 ms; mutual
//! exclusion throughout and a clean final state in every execution. Each model asserts that
//! the transitions it is about happened in some execution.
#![cfg(loom)]

use gosync::internal::{starvation_transitions, StarvationTransitions};
use gosync::Mutex;
use loom::sync::Arc;
use loom::thread;

const STEP: u64 = 2 * gosync::internal::STARVATION_THRESHOLD_NS;

/// Runs `model` and returns how many transitions of each kind its executions made.
fn transitions(model: impl Fn() + Sync + Send + 'static) -> StarvationTransitions {
    let before = starvation_transitions();
    loom::model(model);
    let after = starvation_transitions();
    StarvationTransitions {
        entered: after.entered - before.entered,
        left_by_last_waiter: after.left_by_last_waiter - before.left_by_last_waiter,
        left_by_short_waiter: after.left_by_short_waiter - before.left_by_short_waiter,
    }
}

/// Spawned threads lock `per_thread` times each, with the clock steps in `steps` (`None`: the
/// global step); the main thread locks `main_locks` times. Checks the count and the final
/// state.
fn lockers(steps: &[Option<u64>], per_thread: usize, main_locks: usize) {
    let threads = steps.len();
    let m = Arc::new(Mutex::new(0usize));
    let ts: Vec<_> = steps
        .iter()
        .map(|&step| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                if let Some(step) = step {
                    gosync::internal::set_thread_clock_step(step);
                }
                for _ in 0..per_thread {
                    *m.lock() += 1;
                }
            })
        })
        .collect();
    for _ in 0..main_locks {
        *m.lock() += 1;
    }
    for t in ts {
        t.join().unwrap();
    }
    assert_eq!(*m.lock(), threads * per_thread + main_locks);
    assert_eq!(m.waiters(), 0);
    assert_eq!(m.queued(), 0);
    assert!(!m.is_starving());
}

/// The owner unlocks and re-locks while the other thread waits: the waiter loses the race,
/// turns the mutex starving, gets it by hand-off, and leaves starvation mode as last waiter.
#[test]
fn mutex_starving_handoff() {
    gosync::internal::set_clock_step(STEP);
    let t = transitions(|| lockers(&[None], 1, 2));
    assert!(t.entered > 0, "no execution entered starvation mode: {t:?}");
    assert!(
        t.left_by_last_waiter > 0,
        "no execution left starvation mode: {t:?}"
    );
}

/// Starvation mode with a newcomer: while the mutex is starving a third party's lock queues
/// instead of barging.
#[test]
fn mutex_starving_newcomer_queues() {
    gosync::internal::set_clock_step(STEP);
    let t = transitions(|| lockers(&[None, None], 1, 2));
    assert!(t.entered > 0, "no execution entered starvation mode: {t:?}");
}

/// Starvation mode left by a waiter that waited under 1 ms: one spawned thread's clock runs
/// (it starves the mutex), the other's stands still (it receives the hand-off after it and
/// switches back to normal mode).
#[test]
fn mutex_starving_left_by_short_waiter() {
    gosync::internal::set_clock_step(0);
    let t = transitions(|| lockers(&[Some(STEP), None], 1, 2));
    assert!(t.entered > 0, "no execution entered starvation mode: {t:?}");
    assert!(
        t.left_by_short_waiter > 0,
        "no short waiter left starvation mode: {t:?}"
    );
}
