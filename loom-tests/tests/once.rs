//! loom model of gosync's Once: a done flag checked without a lock, and a mutex for the slow
//! path.
//!
//! Checked: the function runs exactly once; every caller returns only after it finished and
//! sees what it wrote (loom's cell tracking flags an unsynchronised read).
#![cfg(loom)]

use gosync::Once;
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

struct Shared {
    once: Once,
    runs: AtomicUsize,
    value: UnsafeCell<usize>,
}

// SAFETY: `value` is written only inside `call_once`'s function and read only after
// `call_once` returned; loom checks that this is race-free.
unsafe impl Sync for Shared {}

#[test]
fn once_runs_once() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let s = Arc::new(Shared {
            once: Once::new(),
            runs: AtomicUsize::new(0),
            value: UnsafeCell::new(0),
        });
        let call = |s: &Shared| {
            s.once.call_once(|| {
                s.runs.fetch_add(1, Ordering::Relaxed);
                // SAFETY: only the one running function writes.
                s.value.with_mut(|p| unsafe { *p = 42 });
            });
            // SAFETY: the function has finished; call_once's return orders this after it.
            assert_eq!(s.value.with(|p| unsafe { *p }), 42);
        };
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || call(&s))
            })
            .collect();
        call(&s);
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(s.runs.load(Ordering::Relaxed), 1);
        assert!(s.once.is_completed());
    });
}
