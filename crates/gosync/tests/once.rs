//! Once from goroutines, threads, and both at once.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use goro_test_support::{go, run_all, Mode, MODES};
use gosync::Once;

/// Racing callers run the function once, and all return after it finished.
#[test]
fn runs_once_and_callers_see_it() {
    for mode in MODES {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let (once2, runs2) = (Arc::clone(&once), Arc::clone(&runs));
        run_all(mode, 16, move |_| {
            once2.call_once(|| {
                // Long enough that others arrive and park meanwhile.
                for _ in 0..100 {
                    gmp_sched::yield_now();
                }
                runs2.fetch_add(1, Ordering::Relaxed);
            });
            assert!(once2.is_completed());
            assert_eq!(runs2.load(Ordering::Relaxed), 1);
        });
        assert_eq!(runs.load(Ordering::Relaxed), 1, "{mode:?}");
    }
}

/// A panic in the function counts as done (Go), on goroutines and threads.
#[test]
fn panic_counts_as_done() {
    for kind in [Mode::Goroutines, Mode::Threads] {
        let once = Arc::new(Once::new());
        let once2 = Arc::clone(&once);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            go(kind, 0, move || once2.call_once(|| panic!("first"))).join()
        }));
        assert!(r.is_err());
        assert!(once.is_completed());
        let once2 = Arc::clone(&once);
        go(kind, 0, move || once2.call_once(|| unreachable!())).join();
    }
}
