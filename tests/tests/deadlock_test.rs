//! The deadlock detector never reports a live program (Go: runtime/proc.go checkdead; the
//! false positives of issue 12). Each shape below keeps work in flight in a different way
//! while every other goroutine is blocked: a wired goroutine handed its M, timers firing on
//! sysmon, timers moving off a retired P, a goroutine readied by the netpoller, a syscall
//! returning, a P handed off from a hog, a goroutine exiting while wired. Each runs
//! `GORO_DEADLOCK_ROUNDS` times (200 by default) under `run` in a child process, at
//! GOMAXPROCS 1 and 2; a false report kills the child with exit status 2 and its dump.
//!
//! A real deadlock is still reported: see `a_real_deadlock_is_still_reported`.
#![cfg(not(loom))]

use goro::{go, Chan, WaitGroup};
use goro_test_support::{child_mode, run_child};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rounds() -> usize {
    std::env::var("GORO_DEADLOCK_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// Runs `shape` as the main goroutine of `run`, `rounds()` times.
fn under_run(name: &str, shape: fn()) {
    let t0 = Instant::now();
    for _ in 0..rounds() {
        // SAFETY: the shapes keep no thread-bound state across blocking calls.
        unsafe { goro::run(shape) };
    }
    eprintln!("{name}: {} rounds in {:?}", rounds(), t0.elapsed());
}

/// A goroutine wired to its thread ping-pongs with main (Go: startlockedm hands it the P).
fn wired_ping_pong() {
    let (ping, pong) = (Chan::new(0), Chan::new(0));
    let (p, q) = (ping.clone(), pong.clone());
    // SAFETY: the wired goroutine holds only channels across blocking calls.
    let h = go!(unsafe { goro::Spawner::new() }, {
        goro::lock_os_thread();
        while let Some(v) = p.recv() {
            q.send(v + 1).unwrap();
        }
        goro::unlock_os_thread();
    });
    for i in 0..20 {
        ping.send(i).unwrap();
        assert_eq!(pong.recv(), Some(i + 1));
    }
    ping.close();
    h.join().unwrap();
}

/// A goroutine that exits while wired (its M exits with it, as in Go).
fn exit_while_wired() {
    let done = Chan::new(0);
    let d = done.clone();
    // SAFETY: as above.
    let h = go!(unsafe { goro::Spawner::new() }, {
        goro::lock_os_thread();
        goro::lock_os_thread();
        goro::unlock_os_thread();
        goro::sleep(Duration::from_micros(50));
        d.send(()).unwrap();
    });
    done.recv().unwrap();
    h.join().unwrap();
}

/// Many goroutines sleep to one shared deadline; main waits for all of them.
fn sleepers_one_deadline() {
    sleepers(500);
}

fn sleepers(n: usize) {
    let wg = WaitGroup::new();
    let woke = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_micros(500);
    for _ in 0..n {
        let (wg, woke) = (wg.clone(), woke.clone());
        wg.add(1);
        // SAFETY: the goroutine holds only Arcs across blocking calls.
        go!(unsafe { goro::Spawner::new() }, {
            goro::sleep(until.saturating_duration_since(Instant::now()));
            woke.fetch_add(1, Ordering::Relaxed);
            wg.done();
        });
    }
    wg.wait();
    assert_eq!(woke.load(Ordering::Relaxed), n);
}

/// Sleepers while GOMAXPROCS grows and shrinks: their timers move off retired Ps.
fn sleepers_while_procs_change() {
    let before = goro::set_gomaxprocs(4);
    let wg = WaitGroup::new();
    for _ in 0..50 {
        let wg2 = wg.clone();
        wg.add(1);
        // SAFETY: as above.
        go!(unsafe { goro::Spawner::new() }, {
            goro::sleep(Duration::from_micros(300));
            wg2.done();
        });
    }
    goro::set_gomaxprocs(1);
    wg.wait();
    goro::set_gomaxprocs(before);
}

/// Timers firing into channels main and goroutines wait on.
fn after_and_tick() {
    goro::after(Duration::from_micros(100)).recv().unwrap();
    let t = goro::tick(Duration::from_micros(100));
    for _ in 0..3 {
        t.c().recv().unwrap();
    }
    t.stop();
}

/// A goroutine parked in a read is readied by the netpoller when main writes.
fn netpoll_hand_off() {
    let ln = goro::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    // SAFETY: the goroutine holds only its socket across blocking calls.
    let reader = go!(unsafe { goro::Spawner::new() }, {
        let (mut c, _) = ln.accept().unwrap();
        let mut buf = [0u8; 1];
        for i in 0..5u8 {
            c.read_exact(&mut buf).unwrap();
            assert_eq!(buf[0], i);
        }
    });
    let mut c = goro::net::TcpStream::connect(addr).unwrap();
    for i in 0..5u8 {
        goro::sleep(Duration::from_micros(50));
        c.write_all(&[i]).unwrap();
    }
    reader.join().unwrap();
}

/// A goroutine returns from a blocking syscall after sysmon took its P.
fn syscall_exit() {
    // SAFETY: the goroutine holds nothing across the call.
    let h = go!(unsafe { goro::Spawner::new() }, {
        goro::syscall(|| std::thread::sleep(Duration::from_micros(200)))
    });
    h.join().unwrap();
}

/// A goroutine hogs its P (no safe point for over 10 ms) while main waits on a timer.
fn hog_hand_off() {
    // SAFETY: the goroutine holds nothing across a blocking call.
    let h = go!(unsafe { goro::Spawner::new() }, {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_millis(12) {
            std::hint::spin_loop();
        }
    });
    goro::sleep(Duration::from_micros(100));
    h.join().unwrap();
}

const SHAPES: [(&str, fn()); 8] = [
    ("wired_ping_pong", wired_ping_pong),
    ("exit_while_wired", exit_while_wired),
    ("sleepers_one_deadline", sleepers_one_deadline),
    ("sleepers_while_procs_change", sleepers_while_procs_change),
    ("after_and_tick", after_and_tick),
    ("netpoll_hand_off", netpoll_hand_off),
    ("syscall_exit", syscall_exit),
    ("hog_hand_off", hog_hand_off),
];

fn stress(test: &str, procs: &str) {
    if child_mode().is_some() {
        goro::debug::dump_on_sigquit();
        for (name, shape) in SHAPES {
            under_run(name, shape);
        }
        return;
    }
    let out = run_child(test, "stress", &[("GOMAXPROCS", procs)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}\n{err}", out.status);
    for (name, _) in SHAPES {
        assert!(
            err.contains(&format!("{name}: {} rounds", rounds())),
            "{err}"
        );
    }
}

#[test]
fn no_false_deadlock_gomaxprocs_1() {
    stress("no_false_deadlock_gomaxprocs_1", "1");
}

#[test]
fn no_false_deadlock_gomaxprocs_2() {
    stress("no_false_deadlock_gomaxprocs_2", "2");
}

/// The shape of the report: 20,000 sleepers on one deadline, 20 times.
#[test]
fn no_false_deadlock_twenty_thousand_sleepers() {
    if child_mode().is_some() {
        for _ in 0..20 {
            // SAFETY: as above.
            unsafe { goro::run(|| sleepers(20_000)) };
        }
        return;
    }
    let test = "no_false_deadlock_twenty_thousand_sleepers";
    let out = run_child(test, "sleepers", &[("GOMAXPROCS", "2")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_real_deadlock_is_still_reported() {
    if child_mode().is_some() {
        // SAFETY: main and its goroutine hold nothing across the blocking calls.
        let sp = unsafe { goro::Spawner::new() };
        sp.run(move || {
            let ch = Chan::<i32>::new(0);
            // A goroutine wired to its thread, parked too: no M is running.
            let c = ch.clone();
            let _h = go!(sp, {
                goro::lock_os_thread();
                c.recv();
            });
            ch.recv()
        });
        unreachable!("the deadlock ends the process");
    }
    let out = run_child("a_real_deadlock_is_still_reported", "dead", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("all goroutines are asleep - deadlock!"),
        "{err}"
    );
}

/// Two `run` calls from two threads: the first returns while the second's main is blocked
/// for good. The detector stays on for the second (a flag set by each `run` and cleared by
/// the first to return turned it off, and the child hung).
#[test]
fn a_deadlock_after_another_run_returned_is_reported() {
    if child_mode().is_some() {
        static SECOND_BLOCKED: AtomicUsize = AtomicUsize::new(0);
        let blocker = Chan::<i32>::new(0);
        let first = std::thread::spawn(|| {
            // SAFETY: main holds nothing across its blocking calls.
            unsafe {
                goro::run(|| {
                    while SECOND_BLOCKED.load(Ordering::SeqCst) == 0 {
                        goro::yield_now();
                    }
                })
            }
        });
        // SAFETY: as above.
        unsafe {
            goro::run(move || {
                SECOND_BLOCKED.store(1, Ordering::SeqCst);
                blocker.recv()
            })
        };
        unreachable!("the deadlock ends the process ({:?})", first.join());
    }
    let out = run_child(
        "a_deadlock_after_another_run_returned_is_reported",
        "dead",
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("all goroutines are asleep - deadlock!"),
        "{err}"
    );
}
