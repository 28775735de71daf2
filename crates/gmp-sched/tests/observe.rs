//! Observability: goroutine dumps with wait reasons, deadlock detection under `run`, the
//! leak check, schedtrace and metrics.
#![cfg(not(loom))]

use gmp_sched::{
    debug::{check_leaks, goroutines, metrics, GoroutineState},
    run, sleep, spawn,
    sys::WaitReason,
};
use goro_test_support::{child_mode, run_child, Gate};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn a_deadlocked_program_says_so_with_a_dump_and_exits_2() {
    if child_mode().as_deref() == Some("deadlock") {
        let gate = Arc::new(Gate::default());
        // SAFETY: main keeps no thread-bound state across a blocking call.
        unsafe {
            run(move || {
                let g = gate.clone();
                let child = spawn(move || g.wait());
                child.join().unwrap();
            })
        };
        unreachable!("the deadlock ends the process");
    }
    let out = run_child(
        "a_deadlocked_program_says_so_with_a_dump_and_exits_2",
        "deadlock",
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("fatal error: all goroutines are asleep - deadlock!"),
        "{err}"
    );
    assert!(err.contains("[join]") && err.contains("[gate]"), "{err}");
    assert!(
        err.contains("spawned at crates/gmp-sched/tests/observe.rs:"),
        "{err}"
    );
}

/// `run` turns deadlock detection on for the whole process, so it runs in a child: in this
/// process other tests' goroutines wait for test threads, which the detector cannot see.
#[test]
fn run_returns_and_sleeping_goroutines_are_not_a_deadlock() {
    if child_mode().as_deref() == Some("run") {
        // SAFETY: main keeps no thread-bound state across a blocking call.
        let v = unsafe {
            run(|| {
                let h = spawn(|| {
                    sleep(Duration::from_millis(30));
                    7
                });
                h.join().unwrap()
            })
        };
        assert_eq!(v, 7);
        return;
    }
    let out = run_child(
        "run_returns_and_sleeping_goroutines_are_not_a_deadlock",
        "run",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_dump_shows_each_goroutines_wait_reason() {
    let gate = Arc::new(Gate::default());
    let g = gate.clone();
    // SAFETY: the closures keep no thread-bound state across a blocking call.
    let parked = unsafe { spawn(move || g.wait()) };
    // SAFETY: as above.
    let sleeping = unsafe { spawn(|| sleep(Duration::from_secs(2))) };
    let (pid, sid) = (parked.id(), sleeping.id());
    let state_of = |id| {
        goroutines()
            .into_iter()
            .find(|g| g.id == id)
            .map(|g| g.state)
    };
    while state_of(pid) != Some(GoroutineState::Waiting(WaitReason::Other("gate")))
        || state_of(sid) != Some(GoroutineState::Waiting(WaitReason::Sleep))
    {
        std::thread::yield_now();
    }
    let text = gmp_sched::debug::dump();
    assert!(text.contains(&format!("goroutine {pid} [gate]")), "{text}");
    assert!(text.contains(&format!("goroutine {sid} [sleep]")), "{text}");
    gate.open();
    parked.join().unwrap();
    sleeping.join().unwrap();
    assert!(goroutines().iter().all(|g| g.id != pid && g.id != sid));
}

#[test]
fn leak_check_names_a_leaked_goroutine_and_passes_when_none_is_left() {
    let gate = Arc::new(Gate::default());
    let g = gate.clone();
    let leaked = std::panic::catch_unwind(|| {
        check_leaks(Duration::from_millis(50), || {
            // SAFETY: the closure keeps no thread-bound state across a blocking call.
            unsafe { spawn(move || g.wait()) }
        })
    });
    let msg = leaked.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("1 goroutine(s) leaked") && msg.contains("[gate]"),
        "{msg}"
    );
    gate.open();
    let v = check_leaks(Duration::from_secs(5), || {
        // SAFETY: as above.
        let hs: Vec<_> = (0..10).map(|i| unsafe { spawn(move || i) }).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
    });
    assert_eq!(v, 45);
}

#[test]
fn schedtrace_prints_gos_line_and_it_parses() {
    if child_mode().as_deref() == Some("schedtrace") {
        // SAFETY: the closure keeps no thread-bound state across a blocking call.
        unsafe { spawn(|| sleep(Duration::from_millis(100))) }
            .join()
            .unwrap();
        return;
    }
    let out = run_child(
        "schedtrace_prints_gos_line_and_it_parses",
        "schedtrace",
        &[("GODEBUG", "schedtrace=10"), ("GOMAXPROCS", "2")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("SCHED "))
        .expect("no SCHED line");
    // SCHED 12ms: gomaxprocs=2 idleprocs=1 threads=2 spinningthreads=0 idlethreads=1 runqueue=0 [0 0]
    let (head, queues) = line.split_once(" [").unwrap();
    let fields: Vec<(&str, usize)> = head
        .split_whitespace()
        .skip(2)
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k, v.parse().unwrap())
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "gomaxprocs",
            "idleprocs",
            "threads",
            "spinningthreads",
            "idlethreads",
            "runqueue"
        ]
    );
    assert_eq!(fields[0].1, 2);
    let q: Vec<usize> = queues
        .trim_end_matches(']')
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(q.len(), 2);
}

#[test]
fn metrics_count_spawns_switches_and_parks() {
    let before = metrics();
    // SAFETY: the closures keep no thread-bound state across a blocking call.
    let hs: Vec<_> = (0..50)
        .map(|_| unsafe { spawn(|| sleep(Duration::from_millis(1))) })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let after = metrics();
    assert!(after.spawned_total >= before.spawned_total + 50);
    assert!(after.switches_total >= before.switches_total + 100);
    assert!(after.parks_total >= before.parks_total + 50);
    assert_eq!(after.local_queues.len(), after.gomaxprocs);
}

/// Go exits when main returns, whatever other goroutines are doing: no false deadlock.
#[test]
fn run_returning_with_goroutines_parked_forever_is_not_a_deadlock() {
    if child_mode().as_deref() == Some("leftover") {
        for _ in 0..20 {
            let gate = Arc::new(Gate::default());
            // SAFETY: main keeps no thread-bound state across a blocking call.
            let v = unsafe {
                run(move || {
                    let g = gate.clone();
                    drop(spawn(move || g.wait())); // parked forever, no timer
                    3
                })
            };
            assert_eq!(v, 3);
        }
        return;
    }
    let out = run_child(
        "run_returning_with_goroutines_parked_forever_is_not_a_deadlock",
        "leftover",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A panicking body goes on panicking with its own payload, no leak check, and the caller's
/// leak scope comes back: an outer check sees what is spawned after the inner one unwound.
#[test]
fn leak_check_lets_a_panic_through_and_restores_the_outer_scope() {
    let gate = Arc::new(Gate::default());
    let (g1, g2) = (gate.clone(), gate.clone());
    let outer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_leaks(Duration::from_millis(50), || {
            let inner = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                check_leaks(Duration::from_secs(60), || {
                    // SAFETY: the closure keeps no thread-bound state across a blocking call.
                    let _h = unsafe { spawn(move || g1.wait()) };
                    panic!("the test failed");
                })
            }));
            let e = inner.unwrap_err();
            assert_eq!(e.downcast_ref::<&str>(), Some(&"the test failed"));
            // SAFETY: as above.
            unsafe { spawn(move || g2.wait()) }
        })
    }));
    gate.open();
    let msg = outer.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.contains("1 goroutine(s) leaked"), "{msg}");
}

#[test]
fn leak_check_works_from_inside_a_goroutine() {
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let h = unsafe {
        spawn(|| {
            let gate = Arc::new(Gate::default());
            let g = gate.clone();
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                check_leaks(Duration::from_millis(50), || spawn(move || g.wait()))
            }));
            gate.open();
            caught.is_err()
        })
    };
    assert!(h.join().unwrap(), "a leak from a goroutine went unnoticed");
}

/// A goroutine blocked in `syscall` shows as such (it once printed as "dead").
#[test]
fn a_goroutine_in_a_syscall_shows_as_syscall() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let h = unsafe { spawn(move || gmp_sched::syscall(|| rx.recv().unwrap())) };
    let id = h.id();
    let state = || {
        goroutines()
            .into_iter()
            .find(|g| g.id == id)
            .map(|g| g.state)
    };
    while state() != Some(GoroutineState::Syscall) {
        assert!(!h.is_finished());
        std::thread::yield_now();
    }
    let text = gmp_sched::debug::dump();
    assert!(
        text.contains(&format!("goroutine {id} [syscall]")),
        "{text}"
    );
    tx.send(()).unwrap();
    h.join().unwrap();
}

/// Two `run` mains at once, from two threads: the one that returns first must not switch
/// deadlock detection off for the other (it was one global flag).
#[test]
fn overlapping_runs_keep_deadlock_detection_on() {
    if child_mode().as_deref() == Some("overlap") {
        let short_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let started = Arc::new(std::sync::Barrier::new(2));
        let (done, st) = (short_done.clone(), started.clone());
        let short = std::thread::spawn(move || {
            st.wait();
            // SAFETY: main keeps no thread-bound state across a blocking call.
            unsafe { run(|| sleep(Duration::from_millis(20))) };
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        // SAFETY: as above.
        unsafe {
            run(move || {
                started.wait();
                while !short_done.load(std::sync::atomic::Ordering::SeqCst) {
                    sleep(Duration::from_millis(1));
                }
                // Now a real deadlock: main waits on a gate nobody opens.
                Gate::default().wait();
            })
        };
        let _ = short.join();
        unreachable!("the deadlock ends the process");
    }
    // Before the fix the child hung: run_child's hang guard bounds it.
    let out = run_child(
        "overlapping_runs_keep_deadlock_detection_on",
        "overlap",
        &[("GOMAXPROCS", "2")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("all goroutines are asleep - deadlock!"),
        "{err}"
    );
}
