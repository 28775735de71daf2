//! Scoped goroutines (`goro::scope`): borrows of the caller's stack, the wait for every
//! goroutine, panics joined and not, nesting, from goroutines and from plain threads.

use goro::{scope, Chan, Spawner};
use goro_test_support::{each_mode, go, wait_until, Gate, Mode};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

// SAFETY: the scoped goroutines of these tests hold only borrows of plain data, atomics,
// channels and gates across blocking calls: no thread-bound state.
const SP: Spawner = unsafe { Spawner::new() };

/// Shared and mutable borrows of the caller's locals, from a goroutine, a thread and mixed.
#[test]
fn goroutines_borrow_the_callers_stack() {
    each_mode(|_| {
        let words = ["go", "goro", "goroutine"];
        let total = AtomicUsize::new(0);
        let mut squares = [0u64; 64];
        let mut longest = "";
        let n = scope(SP, |s| {
            for w in &words {
                s.go(|| total.fetch_add(w.len(), Ordering::Relaxed));
            }
            for (i, sq) in squares.iter_mut().enumerate() {
                s.go(move || *sq = (i * i) as u64);
            }
            s.go(|| longest = words.iter().max_by_key(|w| w.len()).unwrap());
            // A result that borrows from outside the scope.
            s.go(|| &words[1]).join().unwrap().len()
        });
        assert_eq!(n, 4);
        assert_eq!(total.into_inner(), 15);
        assert!(squares
            .iter()
            .enumerate()
            .all(|(i, &v)| v == (i * i) as u64));
        assert_eq!(longest, "goroutine");
    });
}

/// `scope` returns only after every goroutine ended, joined or not: here they are held at a
/// gate that another party opens once they all wait there.
#[test]
fn scope_waits_for_goroutines_nobody_joined() {
    for opener in [Mode::Goroutines, Mode::Threads] {
        let gate = Arc::new(Gate::default());
        let at_gate = Arc::new(AtomicUsize::new(0));
        let returned = Arc::new(AtomicBool::new(false));
        let (g, a, r) = (gate.clone(), at_gate.clone(), returned.clone());
        let open = go(opener, 0, move || {
            wait_until(|| a.load(Ordering::SeqCst) == 8);
            assert!(
                !r.load(Ordering::SeqCst),
                "scope returned before its goroutines ended"
            );
            g.open();
        });
        let done = AtomicUsize::new(0);
        scope(SP, |s| {
            for _ in 0..8 {
                s.go(|| {
                    at_gate.fetch_add(1, Ordering::SeqCst);
                    gate.wait();
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        returned.store(true, Ordering::SeqCst);
        assert_eq!(done.load(Ordering::SeqCst), 8);
        open.join();
    }
}

/// A panic nobody joined resumes out of `scope`, with its payload, once the other goroutines
/// have ended; a joined panic is `join`'s `Err` and nothing more.
#[test]
fn unjoined_panic_propagates_after_all_ended() {
    each_mode(|_| {
        let done = AtomicUsize::new(0);
        let r = catch_unwind(AssertUnwindSafe(|| {
            scope(SP, |s| {
                s.go(|| panic!("scoped boom"));
                for _ in 0..4 {
                    s.go(|| {
                        goro::yield_now();
                        done.fetch_add(1, Ordering::SeqCst);
                    });
                }
            })
        }));
        let p = r.unwrap_err();
        assert_eq!(p.downcast_ref::<&str>(), Some(&"scoped boom"));
        assert_eq!(done.load(Ordering::SeqCst), 4);

        let v = scope(SP, |s| {
            let h = s.go(|| -> u8 { panic!("joined boom") });
            let e = h.join().unwrap_err();
            assert_eq!(e.downcast_ref::<&str>(), Some(&"joined boom"));
            7
        });
        assert_eq!(v, 7);
    });
}

/// A panic in the scope's own closure waits for the goroutines, then wins over theirs.
#[test]
fn closure_panic_waits_then_resumes() {
    let gate = Gate::default();
    let done = AtomicBool::new(false);
    let r = catch_unwind(AssertUnwindSafe(|| {
        scope(SP, |s| {
            s.go(|| {
                gate.wait();
                done.store(true, Ordering::SeqCst);
            });
            s.go(|| panic!("goroutine's panic"));
            s.go(|| gate.open());
            panic!("closure's panic");
        })
    }));
    assert_eq!(
        r.unwrap_err().downcast_ref::<&str>(),
        Some(&"closure's panic")
    );
    assert!(done.load(Ordering::SeqCst));
}

/// Scopes inside scoped goroutines and inside plain goroutines, each level borrowing from the
/// one above; a scoped goroutine starting more goroutines in its own scope.
#[test]
fn nested_scopes() {
    let outer = [1u64, 2, 3, 4];
    let sum = AtomicUsize::new(0);
    scope(SP, |s| {
        for chunk in outer.chunks(2) {
            let sum = &sum;
            s.go(move || {
                let local = chunk.iter().map(|v| v * 10).collect::<Vec<_>>();
                scope(SP, |s2| {
                    for v in &local {
                        s2.go(move || sum.fetch_add(*v as usize, Ordering::SeqCst));
                    }
                });
            });
        }
        // Spawning into the same scope from one of its goroutines.
        s.go(|| {
            s.go(|| sum.fetch_add(1000, Ordering::SeqCst));
        });
    });
    assert_eq!(sum.into_inner(), 1100);

    // From a goroutine that is no scope's.
    let h = SP.spawn(|| {
        let mut v = vec![0u8; 16];
        scope(SP, |s| {
            for (i, b) in v.iter_mut().enumerate() {
                s.go(move || *b = i as u8);
            }
        });
        v
    });
    assert_eq!(h.join().unwrap(), (0..16).collect::<Vec<u8>>());
}

/// Scoped goroutines talk to parties outside the scope (goroutines or threads): producers in
/// the scope, consumers of every mode outside it; every message arrives exactly once.
#[test]
fn stress_every_message_once() {
    const PRODUCERS: usize = 8;
    const PER: usize = 2_000;
    each_mode(|mode| {
        let ch = Chan::<usize>::new(16);
        let seen: Arc<Vec<AtomicUsize>> =
            Arc::new((0..PRODUCERS * PER).map(|_| AtomicUsize::new(0)).collect());
        let consumers: Vec<_> = (1..=3)
            .map(|i| {
                let (ch, seen) = (ch.clone(), seen.clone());
                go(mode, i, move || {
                    let mut n = 0;
                    while let Some(v) = ch.recv() {
                        seen[v].fetch_add(1, Ordering::Relaxed);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let base: Vec<usize> = (0..PRODUCERS).map(|p| p * PER).collect();
        scope(SP, |s| {
            for b in &base {
                let ch = &ch;
                s.go(move || (0..PER).for_each(|k| ch.send(b + k).unwrap()));
            }
        });
        ch.close();
        let got: usize = consumers.into_iter().map(|c| c.join()).sum();
        assert_eq!(got, PRODUCERS * PER);
        assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) == 1));
    });
}

/// Goroutines of a scope are covered by the leak check of the code around them, and none is
/// left once `scope` returns.
#[test]
fn nothing_leaks_from_a_scope() {
    goro::testing::check_leaks(std::time::Duration::from_secs(5), || {
        let data = [3u8; 32];
        scope(SP, |s| {
            for b in &data {
                s.go(move || *b as usize);
            }
        });
    });
}

/// A `&Scope` goes into goroutines (`Scope` is Sync); a handle moves between goroutines
/// when its result may (Send for `T: Send`), and, as goro's `JoinHandle`, is not Sync:
/// joining is its one owner's business.
#[test]
fn scope_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<goro::Scope<'static, 'static>>();
    send::<goro::ScopedJoinHandle<'static, String>>();
    send_sync::<goro::debug::DebugServer>();
}
