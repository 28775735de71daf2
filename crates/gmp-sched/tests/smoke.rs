//! Quick end-to-end checks of spawn, join, park and sleep.
use gmp_sched::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn smoke() {
    // SAFETY: no thread-bound state across blocking calls in these closures.
    let h = unsafe { spawn(|| 1 + 1) };
    assert_eq!(h.join().unwrap(), 2);
    let n = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..1000)
        .map(|_| {
            let n = n.clone();
            // SAFETY: as above.
            unsafe {
                spawn(move || {
                    let inner: Vec<_> = (0..10)
                        .map(|_| {
                            let n = n.clone();
                            spawn(move || {
                                yield_now();
                                n.fetch_add(1, Ordering::Relaxed);
                            })
                        })
                        .collect();
                    for h in inner {
                        h.join().unwrap();
                    }
                })
            }
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(n.load(Ordering::Relaxed), 10_000);
    // SAFETY: as above.
    let h = unsafe { spawn(|| sleep(Duration::from_millis(20))) };
    h.join().unwrap();
    // SAFETY: as above.
    let e = unsafe { spawn::<_, ()>(|| panic!("boom")) }.join().unwrap_err();
    assert_eq!(e.downcast_ref::<&str>(), Some(&"boom"));
}
