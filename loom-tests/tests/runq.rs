//! loom model of the `runnext` slot (gmp-sched's `RunNext`): the owner P puts and takes, a
//! thief on its last stealing pass takes. Every G put is taken exactly once: never lost,
//! never run twice.
//!
//! The local run queue itself is crossbeam-deque's `Worker`/`Stealer`, which has no loom
//! support; loom cannot see inside it, so only our own protocol is modelled here.
#![cfg(loom)]

use gmp_sched::internal::RunNext;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

#[test]
fn runnext_each_g_taken_once() {
    loom::model(|| {
        let slot: Arc<RunNext<usize>> = Arc::new(RunNext::new());
        let taken: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let (s, t) = (slot.clone(), taken.clone());
        let thief = thread::spawn(move || {
            if let Some(g) = s.take() {
                t[*g].fetch_add(1, Ordering::Relaxed);
            }
        });
        // Owner: put G0, then G1 (which displaces G0 unless the thief took it), then take.
        let mut queue = Vec::new();
        if let Some(old) = slot.put(Arc::new(0usize)) {
            queue.push(old);
        }
        if let Some(old) = slot.put(Arc::new(1usize)) {
            queue.push(old);
        }
        if let Some(g) = slot.take() {
            queue.push(g);
        }
        for g in queue {
            taken[*g].fetch_add(1, Ordering::Relaxed);
        }
        thief.join().unwrap();
        // Whatever the thief did not take, nobody else can: drain it.
        if let Some(g) = slot.take() {
            taken[*g].fetch_add(1, Ordering::Relaxed);
        }
        assert_eq!(taken[0].load(Ordering::Relaxed), 1);
        assert_eq!(taken[1].load(Ordering::Relaxed), 1);
    });
}
