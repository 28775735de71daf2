//! Go's src/sync/once_test.go, ported as behaviours: TestOnce and TestOncePanic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gosync::{Once, WaitGroup};

/// TestOnce: 10 goroutines and 10 threads call `call_once`; the function runs once and every
/// caller returns after it.
#[test]
fn once() {
    let once = Arc::new(Once::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    for i in 0..20 {
        let (once, runs, wg2) = (Arc::clone(&once), Arc::clone(&runs), wg.clone());
        wg.add(1);
        let body = move || {
            once.call_once(|| {
                runs.fetch_add(1, Ordering::SeqCst);
            });
            assert_eq!(
                runs.load(Ordering::SeqCst),
                1,
                "returned before the function ran"
            );
            wg2.done();
        };
        if i % 2 == 0 {
            // SAFETY: the body holds no thread-bound state across blocking calls.
            unsafe { goro::spawn(body) };
        } else {
            std::thread::spawn(body);
        }
    }
    wg.wait();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// TestOncePanic: the first function panics, the panic reaches its caller, and the Once is
/// done: a second call does not run its function.
#[test]
fn once_panic() {
    let once = Arc::new(Once::new());
    let once2 = Arc::clone(&once);
    // SAFETY: the body holds no thread-bound state across blocking calls.
    let h = unsafe { goro::spawn(move || once2.call_once(|| panic!("once"))) };
    let err = h.join().expect_err("the panic did not reach join");
    assert_eq!(err.downcast_ref::<&str>(), Some(&"once"));
    let mut ran = false;
    once.call_once(|| ran = true);
    assert!(!ran, "call_once ran its function again after a panic");
    assert!(once.is_completed());
}
