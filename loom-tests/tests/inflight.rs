//! loom model of the deadlock detector's view of work in flight (gmp-sched's
//! `InFlightCount`, `inflight.rs`): a mover (sysmon firing a timer) takes work out of one
//! place and puts it in another inside a section; a checker that finds both places empty
//! concludes "deadlock" only if the count says nothing was in flight. It never may while
//! the work exists. The places are Acquire/Release atomics, weaker than the mutexes and
//! published deadlines the runtime uses. A check that gives up is repeated by the section
//! that stopped it (`a_check_that_gives_up_is_always_repeated`). Known to catch: a
//! `still_quiet` that checks only the open count (a section that began and ended during
//! the look) fails the first two models.
#![cfg(loom)]

use gmp_sched::internal::InFlightCount;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

struct World {
    count: InFlightCount,
    /// The work in its first place (a timer heap).
    heap: AtomicBool,
    /// The work in its second place (a run queue).
    queue: AtomicBool,
}

/// The work in the heap, nothing in flight.
fn world() -> Arc<World> {
    Arc::new(World {
        count: InFlightCount::new(),
        heap: AtomicBool::new(true),
        queue: AtomicBool::new(false),
    })
}

/// The check: true means "deadlock", which must never be concluded while work exists.
fn check(w: &World) -> bool {
    let Some(quiet) = w.count.quiet() else {
        return false;
    };
    let empty = !w.heap.load(Ordering::Acquire) && !w.queue.load(Ordering::Acquire);
    empty && w.count.still_quiet(quiet)
}

/// Moves the work from the heap to the queue in a section; returns `end`'s answer (check
/// again?).
fn mover(w: Arc<World>) -> thread::JoinHandle<bool> {
    thread::spawn(move || {
        w.count.begin();
        w.heap.store(false, Ordering::Release);
        w.queue.store(true, Ordering::Release);
        w.count.end()
    })
}

#[test]
fn a_move_in_flight_is_never_a_deadlock() {
    loom::model(|| {
        let w = world();
        let m = mover(w.clone());
        assert!(
            !check(&w),
            "the work was in one place or the other all along"
        );
        m.join().unwrap();
    });
}

/// Two movers in a row (sysmon's rounds), the checker between them: still never.
#[test]
fn back_to_back_moves_are_never_a_deadlock() {
    loom::model(|| {
        let w = world();
        let w2 = w.clone();
        let m = thread::spawn(move || {
            // Heap -> queue, then queue -> heap (the goroutine ran and slept again).
            w2.count.begin();
            w2.heap.store(false, Ordering::Release);
            w2.queue.store(true, Ordering::Release);
            w2.count.end();
            w2.count.begin();
            w2.queue.store(false, Ordering::Release);
            w2.heap.store(true, Ordering::Release);
            w2.count.end();
        });
        assert!(!check(&w));
        m.join().unwrap();
    });
}

/// The model can fail: without the count, the same look concludes "deadlock" in some
/// interleaving (the look reads the heap after the move and the queue before it).
#[test]
fn without_the_count_a_move_looks_like_a_deadlock() {
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen2 = seen.clone();
    loom::model(move || {
        let w = world();
        let m = mover(w.clone());
        let queue = w.queue.load(Ordering::Acquire);
        let heap = w.heap.load(Ordering::Acquire);
        if !heap && !queue {
            seen2.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        m.join().unwrap();
    });
    assert!(seen.load(std::sync::atomic::Ordering::Relaxed));
}

/// A check that gives up because of a section is repeated: either the section that was
/// open asks for it when it ends, or the checker looks again itself (none open any more).
/// Otherwise a deadlock found while sysmon ran would never be reported: every M is parked.
#[test]
fn a_check_that_gives_up_is_always_repeated() {
    loom::model(|| {
        let w = world();
        let m = mover(w.clone());
        // The checker's loop, as `dump::check_dead` runs it.
        let deferred = loop {
            let quiet = w.count.quiet();
            if let Some(quiet) = quiet {
                let _ = w.heap.load(Ordering::Acquire) || w.queue.load(Ordering::Acquire);
                if w.count.still_quiet(quiet) {
                    break false;
                }
            }
            if w.count.defer_check() {
                break true;
            }
        };
        let asked_again = m.join().unwrap();
        assert!(
            !deferred || asked_again,
            "a deferred check was never repeated"
        );
    });
}
