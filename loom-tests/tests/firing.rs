//! loom model of the test clock's wait for timers firing elsewhere (gmp-sched's
//! `FiringCount`, `firing.rs`, used by `timer.rs` and `testing.rs`'s `advance`): a timer
//! heap (a mutex and the deadline it publishes) holds one due timer; an M and the advancing
//! thread both run the heap's due timers, and the advancer then settles. Whoever took the
//! timer, once `settle` returns the advancer sees the callback's write (a loom `UnsafeCell`,
//! so a read not ordered after it is an error). Known to catch (planted one at a time,
//! `cargo xtask loom advance_sees --ci`, then reverted), each a causality violation on the
//! cell: `Fired::drop`'s Release weakened to `Relaxed`; `settle`'s Acquire load weakened to
//! `Relaxed`; `taken` moved after the heap publishes its deadline (here, in `run`: the
//! advancer reads the published "nothing due", skips the lock, settles on 0 and reads the
//! cell while the M writes it).
#![cfg(loom)]

use gmp_sched::internal::FiringCount;
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;

struct Heap {
    /// The one timer, while it is on the heap.
    entry: Mutex<bool>,
    /// The heap's published "something is due" (its `next` deadline).
    due: AtomicBool,
    firing: FiringCount,
    /// What the timer's callback writes.
    fired: UnsafeCell<u32>,
}

// SAFETY: `fired` is written only by the one thread that took the timer off the heap (the
// mutex hands it to exactly one), and read by the advancer after `settle`, which is what the
// model checks; loom reports any access pair not ordered by that.
unsafe impl Sync for Heap {}

/// `TimerHeap::run`: the fast path on the published deadline, then take the timer under the
/// lock, count the batch before publishing, fire with no lock held.
fn run(h: &Heap) {
    if !h.due.load(Ordering::Acquire) {
        return;
    }
    let fired = {
        let mut entry = h.entry.lock().unwrap();
        let took = std::mem::replace(&mut *entry, false);
        let fired = took.then(|| h.firing.taken());
        h.due.store(*entry, Ordering::Release);
        fired
    };
    if fired.is_some() {
        // SAFETY: only the thread that took the entry under the lock writes the cell.
        h.fired.with_mut(|p| unsafe { *p = 1 });
    }
}

#[test]
fn advance_sees_a_timer_fired_by_an_m() {
    loom::model(|| {
        let h = Arc::new(Heap {
            entry: Mutex::new(true),
            due: AtomicBool::new(true),
            firing: FiringCount::new(),
            fired: UnsafeCell::new(0),
        });
        let m = {
            let h = h.clone();
            thread::spawn(move || run(&h))
        };
        run(&h);
        h.firing.settle();
        // SAFETY: the timer has fired (here, or on `m`, and `settle` ordered it before us).
        let v = h.fired.with(|p| unsafe { *p });
        assert_eq!(v, 1, "advance returned before the due timer fired");
        m.join().unwrap();
    });
}
