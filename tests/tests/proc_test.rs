//! Go's src/runtime/proc_test.go, ported as behaviours, with the testprog programs it runs
//! (src/runtime/testdata/testprog: LockOSThreadMain/Alt, AsyncPreempt, GCFairness,
//! GCFairness2, NumGoroutine, mexitSTW).
//!
//! Where Go sleeps for a goroutine to get going, these tests wait until it shows it has (a
//! counter, a parked party); where Go calls `runtime.GC()` to stop the world, they call what
//! in goro reads or changes every P and G at once (`goroutines()`, `metrics()`,
//! `set_gomaxprocs`). A test that needs its own GOMAXPROCS runs in a child process
//! (`goro_test_support::in_child`), since the tests of this file share one runtime. Time bounds are hang
//! guards only.

use gochan::internal::wait_parked;
use gochan::{after, select, Chan};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use goro_test_support::{go, goroutine, in_child, wait_until, MODES};

/// Starts a goroutine.
/// Joins a goroutine, re-raising its panic.
fn join<T>(h: goro::JoinHandle<T>) -> T {
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Spins until `cond` holds, without yielding (the spinning of Go's tests); a minute
/// without it is a hang.
fn spin_until(cond: impl Fn() -> bool) {
    let start = Instant::now();
    let mut n = 0u32;
    while !cond() {
        std::hint::spin_loop();
        n = n.wrapping_add(1);
        if n.is_multiple_of(4096) {
            assert!(start.elapsed() < Duration::from_secs(60), "spun a minute");
        }
    }
}

/// The calling OS thread's kernel id.
fn gettid() -> i64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) }
}

/// TestStopTheWorldDeadlock: changing GOMAXPROCS over and over, and reading every P and G
/// (Go's `runtime.GC()`), while a chain of goroutines keeps spawning its successor, must not
/// deadlock. Go sets GOMAXPROCS(3) each time; this alternates 2 and 3 so Ps really retire.
#[test]
fn stop_the_world_deadlock() {
    in_child("stop_the_world_deadlock", &[("GOMAXPROCS", "3")], || {
        fn perpetuum_mobile(stop: Chan<()>) {
            select! {
                recv(stop) -> _ => {}
                default => {
                    let s = stop.clone();
                    goroutine(move || perpetuum_mobile(s));
                }
            }
        }
        let stop = Chan::new(1);
        let compl = Chan::new(2);
        let c = compl.clone();
        goroutine(move || {
            for _ in 0..1000 {
                black_box(goro::debug::goroutines());
                black_box(goro::debug::metrics());
            }
            c.send(()).unwrap();
        });
        let c = compl.clone();
        goroutine(move || {
            for i in 0..1000 {
                goro::set_gomaxprocs(2 + (i & 1));
            }
            c.send(()).unwrap();
        });
        let s = stop.clone();
        goroutine(move || perpetuum_mobile(s));
        compl.recv().unwrap();
        compl.recv().unwrap();
        stop.send(()).unwrap();
        goro::set_gomaxprocs(3);
        // The chain took the stop: it has ended.
        wait_until(|| stop.is_empty());
    });
}

/// testYieldProgress: a goroutine that only polls a channel and yields lets the party that
/// will send on it run. The sender starts once the poller has yielded 100 times.
fn yield_progress_with(locked: bool) {
    for mode in MODES {
        let c = Chan::new(0);
        let cack = Chan::new(0);
        let polls = Arc::new(AtomicUsize::new(0));
        let (c1, cack1, polls1) = (c.clone(), cack.clone(), polls.clone());
        let poller = go(mode, 0, move || {
            if locked {
                goro::lock_os_thread();
            }
            loop {
                select! {
                    recv(c1) -> _ => {
                        cack1.send(true).unwrap();
                        return;
                    }
                    default => {
                        polls1.fetch_add(1, Ordering::Relaxed);
                        goro::yield_now();
                    }
                }
            }
        });
        let main = go(mode, 1, move || {
            wait_until(|| polls.load(Ordering::Relaxed) >= 100);
            c.send(true).unwrap();
            assert_eq!(cack.recv(), Some(true));
        });
        main.join();
        poller.join();
    }
}

/// TestYieldProgress.
#[test]
fn yield_progress() {
    yield_progress_with(false);
}

/// TestYieldLockedProgress: the same with the poller wired to its thread.
#[test]
fn yield_locked_progress() {
    yield_progress_with(true);
}

/// TestYieldLocked: a wired goroutine yields and sleeps, then ends without unlocking (on
/// purpose, as in Go); the receiver runs on a goroutine and on a thread.
#[test]
fn yield_locked() {
    const N: usize = 10;
    for receiver_goroutine in [true, false] {
        let c = Chan::new(0);
        let c1 = c.clone();
        let h = goroutine(move || {
            goro::lock_os_thread();
            for _ in 0..N {
                goro::yield_now();
                goro::sleep(Duration::from_millis(1));
            }
            c1.send(true).unwrap();
            // unlock_os_thread is deliberately omitted
        });
        let r = move || assert_eq!(c.recv(), Some(true));
        if receiver_goroutine {
            join(goroutine(r));
        } else {
            r();
        }
        join(h);
    }
}

/// TestGoroutineParallelism: P goroutines run at the same time. Each waits, spinning and
/// never yielding, for its turn on a shared counter, so the round completes only if all P
/// run in parallel (or the runtime hands the P of a spinning goroutine to another thread).
#[test]
fn goroutine_parallelism() {
    const P: u32 = 4;
    const N: usize = 3;
    in_child("goroutine_parallelism", &[("GOMAXPROCS", "4")], || {
        for _ in 0..N {
            let done = Chan::new(0);
            let x = Arc::new(AtomicU32::new(0));
            for p in 0..P {
                let (done, x) = (done.clone(), x.clone());
                goroutine(move || {
                    for i in 0..3 {
                        let expected = P * i + p;
                        spin_until(|| x.load(Ordering::SeqCst) == expected);
                        x.store(expected + 1, Ordering::SeqCst);
                    }
                    done.send(true).unwrap();
                });
            }
            for _ in 0..P {
                done.recv().unwrap();
            }
        }
    });
}

/// testGoroutineParallelism2: the same with the goroutines spawned by goroutines, after a
/// round that leaves worker threads parking (`load`) and/or with the netpoller in use
/// (`netpoll`).
fn goroutine_parallelism2_with(load: bool, netpoll: bool) {
    const P: u32 = 4;
    const N: usize = 3;
    let mut listeners = Vec::new();
    for _ in 0..N {
        if load {
            // P goroutines that wait until all P run; worker threads park afterwards.
            let done = Chan::new(0);
            let x = Arc::new(AtomicU32::new(0));
            for _ in 0..P {
                let (done, x) = (done.clone(), x.clone());
                goroutine(move || {
                    if x.fetch_add(1, Ordering::SeqCst) + 1 == P {
                        done.send(true).unwrap();
                        return;
                    }
                    spin_until(|| x.load(Ordering::SeqCst) == P);
                });
            }
            done.recv().unwrap();
        }
        if netpoll {
            listeners.push(goro::net::TcpListener::bind("127.0.0.1:0").unwrap());
        }
        let done = Chan::new(0);
        let x = Arc::new(AtomicU32::new(0));
        for p in 0..P / 2 {
            let (done, x) = (done.clone(), x.clone());
            goroutine(move || {
                for p2 in 0..2 {
                    let (done, x) = (done.clone(), x.clone());
                    goroutine(move || {
                        for i in 0..3 {
                            let expected = P * i + p * 2 + p2;
                            spin_until(|| x.load(Ordering::SeqCst) == expected);
                            x.store(expected + 1, Ordering::SeqCst);
                        }
                        done.send(true).unwrap();
                    });
                }
            });
        }
        for _ in 0..P {
            done.recv().unwrap();
        }
    }
}

/// TestGoroutineParallelism2.
#[test]
fn goroutine_parallelism2() {
    in_child("goroutine_parallelism2", &[("GOMAXPROCS", "4")], || {
        goroutine_parallelism2_with(true, false);
        goroutine_parallelism2_with(false, true);
        goroutine_parallelism2_with(true, true);
    });
}

/// TestBlockLocked: a wired goroutine blocks on each send of an unbuffered channel; its
/// thread waits for it each time. The receiver runs on a goroutine and on a thread.
#[test]
fn block_locked() {
    const N: usize = 10;
    for receiver_goroutine in [true, false] {
        let c = Chan::new(0);
        let c1 = c.clone();
        let h = goroutine(move || {
            goro::lock_os_thread();
            let tid = gettid();
            for _ in 0..N {
                c1.send(true).unwrap();
                assert_eq!(gettid(), tid, "a wired goroutine moved threads");
            }
            goro::unlock_os_thread();
        });
        let r = move || {
            for _ in 0..N {
                assert_eq!(c.recv(), Some(true));
            }
        };
        if receiver_goroutine {
            join(goroutine(r));
        } else {
            r();
        }
        join(h);
    }
}

/// TestTimerFairness: two parties keep a channel always ready; a select over it and a timer
/// still sees the timer fire.
#[test]
fn timer_fairness() {
    for mode in MODES {
        let done = Chan::<()>::new(0);
        let c = Chan::new(0);
        let senders: Vec<_> = (0..2)
            .map(|i| {
                let (done, c) = (done.clone(), c.clone());
                go(mode, i, move || loop {
                    select! {
                        send(c, true) -> _ => {}
                        recv(done) -> _ => return,
                    }
                })
            })
            .collect();
        let main = go(mode, 2, move || {
            let timer = after(Duration::from_millis(20));
            let mut got = 0u64;
            loop {
                select! {
                    recv(c) -> _ => got += 1,
                    recv(timer) -> _ => {
                        done.close();
                        return got;
                    }
                }
            }
        });
        main.join();
        for s in senders {
            s.join();
        }
    }
}

/// TestTimerFairness2: the same with each party making a (zero-byte) read syscall before
/// each select, and both selecting on send, receive and their own timer.
#[test]
fn timer_fairness2() {
    for mode in MODES {
        let done = Chan::new(0);
        let c = Chan::new(0);
        let parties: Vec<_> = (0..2)
            .map(|i| {
                let (done, c) = (done.clone(), c.clone());
                go(mode, i, move || {
                    let timer = after(Duration::from_millis(20));
                    let mut buf = [0u8; 1];
                    loop {
                        goro::syscall(|| {
                            // SAFETY: `buf` is valid for writes of 0 bytes (of 1, in fact).
                            unsafe { libc::read(0, buf.as_mut_ptr().cast(), 0) }
                        });
                        select! {
                            send(c, true) -> _ => {}
                            recv(c) -> _ => {}
                            recv(timer) -> _ => {
                                done.send(true).unwrap();
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        done.recv().unwrap();
        done.recv().unwrap();
        for p in parties {
            p.join();
        }
    }
}

/// TestPreemption, at GOMAXPROCS=1: two goroutines take turns on a counter, each spinning
/// until it is its turn. The one spinning must be preempted for the other to run: at its
/// preemption points (Go's function-call check), and also when it has none at all (goro
/// hands the P of a goroutine that hogs it to another thread).
#[test]
fn preemption() {
    const N: u32 = 5;
    in_child("preemption", &[("GOMAXPROCS", "1")], || {
        for with_points in [true, false] {
            let c = Chan::new(0);
            let x = Arc::new(AtomicU32::new(0));
            for g in 0..2u32 {
                let (c, x) = (c.clone(), x.clone());
                goroutine(move || {
                    for _ in 0..N {
                        while x.load(Ordering::SeqCst) != g {
                            if with_points {
                                goro::preempt_point();
                            } else {
                                std::hint::spin_loop();
                            }
                        }
                        x.store(1 - g, Ordering::SeqCst);
                    }
                    c.send(true).unwrap();
                });
            }
            c.recv().unwrap();
            c.recv().unwrap();
        }
    });
}

/// TestPreemptionGC: Go's pending GC must preempt goroutines spinning on every P. Here the
/// main goroutine needs its turn: it yields again and again while more spinning goroutines
/// than Ps run, and reads every P and G each time.
#[test]
fn preemption_gc() {
    const P: usize = 3;
    const N: usize = 10;
    in_child("preemption_gc", &[("GOMAXPROCS", "2")], || {
        let stop = Arc::new(AtomicBool::new(false));
        let spinners: Vec<_> = (0..P)
            .map(|_| {
                let stop = stop.clone();
                goroutine(move || {
                    while !stop.load(Ordering::Relaxed) {
                        goro::preempt_point();
                    }
                })
            })
            .collect();
        let main = goroutine(move || {
            for _ in 0..N {
                goro::yield_now();
                assert!(goro::debug::goroutines().len() > P);
                black_box(goro::debug::metrics());
            }
            stop.store(true, Ordering::Relaxed);
        });
        join(main);
        spinners.into_iter().for_each(join);
    });
}

/// TestAsyncPreempt (testprog AsyncPreempt), at GOMAXPROCS=1: goroutines in loops with no
/// preemption point at all (calls, a loop around a call-free function, an empty loop) must
/// not keep the main goroutine from running.
#[test]
fn async_preempt() {
    in_child("async_preempt", &[("GOMAXPROCS", "1")], || {
        #[inline(never)]
        fn dummy(x: u64) -> u64 {
            black_box(x).wrapping_mul(3)
        }
        let stop = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(AtomicU32::new(0));
        let ready2 = Arc::new(AtomicU32::new(0));
        let mut hs = Vec::new();
        let (s, r) = (stop.clone(), ready.clone());
        hs.push(goroutine(move || {
            let mut x = 0;
            while !s.load(Ordering::Relaxed) {
                r.store(1, Ordering::Relaxed);
                x = dummy(dummy(x));
            }
            black_box(x);
        }));
        for _ in 0..2 {
            let (s, r2) = (stop.clone(), ready2.clone());
            hs.push(goroutine(move || {
                r2.fetch_add(1, Ordering::Relaxed);
                while !s.load(Ordering::Relaxed) {}
            }));
        }
        let main = goroutine(move || {
            wait_until(|| {
                ready.load(Ordering::Relaxed) == 1 && ready2.load(Ordering::Relaxed) == 2
            });
            black_box(goro::debug::goroutines());
            stop.store(true, Ordering::Relaxed);
        });
        join(main);
        hs.into_iter().for_each(join);
    });
}

/// TestGCFairness (testprog GCFairness), at GOMAXPROCS=1: two goroutines write to /dev/null
/// in a loop (blocking syscalls, never parking); the main goroutine's 10 ms sleep still ends.
#[test]
fn gc_fairness() {
    in_child("gc_fairness", &[("GOMAXPROCS", "1")], || {
        let stop = Arc::new(AtomicBool::new(false));
        let writes = Arc::new(AtomicU64::new(0));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let (stop, writes) = (stop.clone(), writes.clone());
                goroutine(move || {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/null")
                        .unwrap();
                    while !stop.load(Ordering::Relaxed) {
                        goro::syscall(|| f.write_all(b".")).unwrap();
                        writes.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let w = writes.clone();
        let main = goroutine(move || {
            wait_until(|| w.load(Ordering::Relaxed) > 0);
            goro::sleep(Duration::from_millis(10));
            stop.store(true, Ordering::Relaxed);
        });
        join(main);
        writers.into_iter().for_each(join);
    });
}

/// TestGCFairness2 (testprog GCFairness2), at GOMAXPROCS=1: three goroutines allocate in
/// endless loops; each of them gets to run, and so does the main goroutine that waits for it.
#[test]
fn gc_fairness2() {
    in_child("gc_fairness2", &[("GOMAXPROCS", "1")], || {
        let stop = Arc::new(AtomicBool::new(false));
        let count: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let hogs: Vec<_> = (0..3)
            .map(|i| {
                let (stop, count) = (stop.clone(), count.clone());
                goroutine(move || {
                    while !stop.load(Ordering::Relaxed) {
                        black_box(vec![0u8; 1024]);
                        count[i].fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let main = goroutine(move || {
            wait_until(|| count.iter().all(|c| c.load(Ordering::Relaxed) > 0));
            stop.store(true, Ordering::Relaxed);
        });
        join(main);
        hogs.into_iter().for_each(join);
    });
}

/// TestNumGoroutine (testprog NumGoroutine and the dump check): a fresh runtime counts no
/// goroutine (Go counts its main goroutine: 1), and the count agrees with the goroutine
/// listing.
#[test]
fn num_goroutine() {
    const K: usize = 10;
    in_child("num_goroutine", &[], || {
        assert_eq!(goro::debug::num_goroutine(), 0);
        let gate = Chan::<()>::new(0);
        let hs: Vec<_> = (0..K)
            .map(|_| {
                let gate = gate.clone();
                goroutine(move || {
                    gate.recv();
                })
            })
            .collect();
        wait_parked(&gate, 0, K);
        assert_eq!(goro::debug::num_goroutine(), K);
        assert_eq!(goro::debug::goroutines().len(), K);
        gate.close();
        hs.into_iter().for_each(join);
        wait_until(|| goro::debug::num_goroutine() == 0);
        assert_eq!(goro::debug::goroutines().len(), 0);
    });
}

/// TestPingPongHog, at GOMAXPROCS=1: a pair of goroutines handing a token back and forth
/// with a lot of work per turn (the hogs) and a pair doing the same with little work (the
/// light pair) both make progress. Go compares the counts after 100 ms (within 20x); here the
/// light pair must complete 1000 hand-offs (and the hogs 10) while the hog pair keeps going, the hogs must have
/// handed off too, and nothing else is measured.
#[test]
fn ping_pong_hog() {
    in_child("ping_pong_hog", &[("GOMAXPROCS", "1")], || {
        let done = Chan::<()>::new(0);
        let hog_chan = Chan::new(0);
        let light_chan = Chan::new(0);
        let hog_count = Arc::new(AtomicU64::new(0));
        let light_count = Arc::new(AtomicU64::new(0));
        let hog_turns = Arc::new(AtomicU64::new(0));
        let light_turns = Arc::new(AtomicU64::new(0));
        let run =
            |limit: u64, counter: &Arc<AtomicU64>, turns: &Arc<AtomicU64>, wake: &Chan<bool>| {
                let (done, counter, turns, wake) =
                    (done.clone(), counter.clone(), turns.clone(), wake.clone());
                goroutine(move || loop {
                    select! {
                        recv(done) -> _ => return,
                        recv(wake) -> _ => {
                            let mut n = 0u64;
                            for _ in 0..limit {
                                n = black_box(n + 1);
                            }
                            counter.fetch_add(n, Ordering::Relaxed);
                            turns.fetch_add(1, Ordering::Relaxed);
                            wake.send(true).unwrap();
                        }
                    }
                })
            };
        let mut hs = Vec::new();
        for _ in 0..2 {
            hs.push(run(1_000_000, &hog_count, &hog_turns, &hog_chan));
        }
        for _ in 0..2 {
            hs.push(run(1_000, &light_count, &light_turns, &light_chan));
        }
        let start = Instant::now();
        let guard = Duration::from_secs(30);
        hog_chan.send(true).unwrap();
        // With the hog pair running, the light pair must get the P to take its token.
        light_chan
            .send_timeout(true, guard)
            .expect("starved: the light pair never ran while the hog pair ping-ponged");
        while light_turns.load(Ordering::Relaxed) < 1000 || hog_turns.load(Ordering::Relaxed) < 10 {
            assert!(
                start.elapsed() < guard,
                "starved: light pair {} hand-offs, hog pair {}",
                light_turns.load(Ordering::Relaxed),
                hog_turns.load(Ordering::Relaxed)
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        done.close();
        // One of each pair still holds the token: take it, so both can see `done`.
        hog_chan.recv().unwrap();
        light_chan.recv().unwrap();
        hs.into_iter().for_each(join);

        assert!(hog_count.load(Ordering::Relaxed) > 0 && light_count.load(Ordering::Relaxed) > 0);
    });
}

/// TestLockOSThreadNesting: locking twice and unlocking once leaves the goroutine wired (it
/// stays on its thread across many blocking hand-offs with a partner, while other goroutines
/// run); the second unlock unwires it, and extra unlocks do nothing.
#[test]
fn lock_os_thread_nesting() {
    const ROUNDS: usize = 200;
    for partner_goroutine in [true, false] {
        let ping = Chan::new(0);
        let pong = Chan::new(0);
        let (ping1, pong1) = (ping.clone(), pong.clone());
        let wired = goroutine(move || {
            goro::lock_os_thread();
            goro::lock_os_thread();
            goro::unlock_os_thread();
            let tid = gettid();
            for i in 0..ROUNDS {
                ping1.send(i).unwrap();
                assert_eq!(pong1.recv(), Some(i));
                if i.is_multiple_of(10) {
                    goro::sleep(Duration::from_micros(10));
                }
                goro::yield_now();
                assert_eq!(gettid(), tid, "round {i}: a wired goroutine moved threads");
            }
            goro::unlock_os_thread();
            goro::unlock_os_thread(); // one more than locked: nothing to undo
                                      // Unwired, it still works.
            for i in 0..ROUNDS {
                ping1.send(i).unwrap();
                assert_eq!(pong1.recv(), Some(i));
            }
        });
        // Goroutines keep the other Ps busy meanwhile.
        let stop = Arc::new(AtomicBool::new(false));
        let others: Vec<_> = (0..4)
            .map(|_| {
                let stop = stop.clone();
                goroutine(move || {
                    while !stop.load(Ordering::Relaxed) {
                        goro::yield_now();
                    }
                })
            })
            .collect();
        let partner = move || {
            for _ in 0..2 * ROUNDS {
                let v = ping.recv().unwrap();
                pong.send(v).unwrap();
            }
        };
        if partner_goroutine {
            join(goroutine(partner));
        } else {
            partner();
        }
        join(wired);
        stop.store(true, Ordering::Relaxed);
        others.into_iter().for_each(join);
    }
}

/// The body of `lock_os_thread_exit`: Go's LockOSThreadMain and LockOSThreadAlt shapes.
fn lock_os_thread_exit_body() {
    // LockOSThreadMain: a goroutine wires itself (twice) and exits wired. goro does not end
    // the thread as Go does: the M goes back to running other goroutines, and the G it
    // recycles starts unwired. The runtime must go on as before.
    let ready = Chan::new(1);
    let r = ready.clone();
    let exited = goroutine(move || {
        goro::lock_os_thread();
        goro::lock_os_thread();
        r.send(gettid()).unwrap();
    });
    let wired_tid = ready.recv().unwrap();
    join(exited);
    goro::sleep(Duration::from_millis(1));

    // LockOSThreadAlt: the main goroutine is wired; a goroutine it starts wires itself and
    // exits wired; the main goroutine unlocks and goes on.
    let main = goroutine(move || {
        goro::lock_os_thread();
        let main_tid = gettid();
        let ready = Chan::new(1);
        let r = ready.clone();
        let sub = goroutine(move || {
            goro::lock_os_thread();
            r.send(gettid()).unwrap();
        });
        let sub_tid = ready.recv().unwrap();
        assert_ne!(
            sub_tid, main_tid,
            "a goroutine ran on another's wired thread"
        );
        assert_eq!(gettid(), main_tid);
        join(sub);
        goro::unlock_os_thread();
        for _ in 0..10 {
            goro::sleep(Duration::from_micros(100));
        }
    });
    join(main);

    // Healthy afterwards: goroutines (recycled Gs among them) run, block, hand off and
    // exit; every message is counted. None of them is stuck to the thread of a goroutine
    // that exited wired.
    const G: usize = 50;
    const MSGS: usize = 100;
    let c = Chan::new(0);
    let total = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..G)
        .map(|_| {
            let c = c.clone();
            goroutine(move || {
                for i in 0..MSGS {
                    c.send(i).unwrap();
                }
            })
        })
        .collect();
    let t = total.clone();
    let receiver = goroutine(move || {
        for _ in 0..G * MSGS {
            c.recv().unwrap();
            t.fetch_add(1, Ordering::Relaxed);
        }
    });
    senders.into_iter().for_each(join);
    join(receiver);
    assert_eq!(total.load(Ordering::Relaxed), G * MSGS);
    let _ = wired_tid;
}

/// TestLockOSThreadExit (testprog LockOSThreadMain at GOMAXPROCS=1 and LockOSThreadAlt):
/// goroutines that exit while wired leave the runtime healthy.
#[test]
fn lock_os_thread_exit() {
    in_child("lock_os_thread_exit", &[("GOMAXPROCS", "1")], || {
        lock_os_thread_exit_body();
        wait_until(|| goro::debug::num_goroutine() == 0);
    });
}

/// TestLockOSThreadExit's LockOSThreadMain shape as Go runs it: inside the program's main
/// goroutine (`goro::run`, with deadlock detection on).
#[test]
fn lock_os_thread_exit_run() {
    in_child("lock_os_thread_exit_run", &[("GOMAXPROCS", "1")], || {
        // SAFETY: main keeps only channels, Arcs and atomics across blocking calls.
        unsafe { goro::run(lock_os_thread_exit_body) };
    });
}

/// TestPreemptionAfterSyscall, at GOMAXPROCS=2: eight goroutines make short blocking calls
/// (10 us, 100 us, 1 ms of busy work inside `syscall`) in a loop; the main goroutine still
/// gets to run and stop them.
#[test]
fn preemption_after_syscall() {
    const NROUTINES: usize = 8;
    in_child("preemption_after_syscall", &[("GOMAXPROCS", "2")], || {
        for us in [10, 100, 1000] {
            let d = Duration::from_micros(us);
            let main = goroutine(move || {
                let c = Chan::new(NROUTINES);
                let stop = Arc::new(AtomicBool::new(false));
                for _ in 0..NROUTINES {
                    let (c, stop) = (c.clone(), stop.clone());
                    goroutine(move || {
                        c.send(true).unwrap();
                        while !stop.load(Ordering::SeqCst) {
                            goro::syscall(|| {
                                let start = Instant::now();
                                while start.elapsed() < d {
                                    std::hint::spin_loop();
                                }
                            });
                        }
                        c.send(true).unwrap();
                    });
                }
                for _ in 0..NROUTINES {
                    c.recv().unwrap();
                }
                stop.store(true, Ordering::SeqCst);
                for _ in 0..NROUTINES {
                    c.recv().unwrap();
                }
            });
            join(main);
        }
    });
}

/// TestGetgThreadSwitch (runtime.RunGetgThreadSwitchTest): a goroutine that blocks while
/// the goroutine that wakes it wires a thread, likely resuming on another thread, still
/// sees its own identity.
#[test]
fn getg_thread_switch() {
    for _ in 0..100 {
        let h = goroutine(|| {
            let g1 = goro::debug::goroutine_id();
            let ch = Chan::new(0);
            let c = ch.clone();
            goroutine(move || {
                c.send(5).unwrap();
                goro::lock_os_thread();
            });
            assert_eq!(ch.recv(), Some(5));
            let g2 = goro::debug::goroutine_id();
            assert_eq!(g1, g2);
            assert!(goro::sys::in_goroutine());
            assert!(goro::sys::processor_id().unwrap() < goro::gomaxprocs());
            assert_eq!(goro::debug::goroutine_id(), g1);
        });
        join(h);
    }
}

/// TestNetpollBreak: a thread blocked in the netpoller (here: the runtime's, with a socket
/// waited on) is woken when other work arrives, here a goroutine made ready by a plain
/// thread; no timer is pending to end the poll otherwise.
#[test]
fn netpoll_break() {
    use std::io::{Read, Write};
    let ln = goro::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let acceptor = goroutine(move || {
        let (mut conn, _) = ln.accept().unwrap();
        let mut b = [0u8; 1];
        conn.read_exact(&mut b).unwrap();
        b[0]
    });
    let c = Chan::new(0);
    let done = Chan::new(1);
    let (c1, done1) = (c.clone(), done.clone());
    let waiter = goroutine(move || {
        let v = c1.recv().unwrap();
        done1.send(v).unwrap();
    });
    wait_parked(&c, 0, 1);
    // Give idle threads the chance to reach a blocking poll (this only makes the case
    // likely; the result does not depend on it).
    std::thread::sleep(Duration::from_millis(5));
    c.send(7).unwrap();
    assert_eq!(done.recv_timeout(Duration::from_secs(30)), Ok(7));
    join(waiter);
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(&[9]).unwrap();
    assert_eq!(join(acceptor), 9);
}

/// TestBigGOMAXPROCS: a program started with GOMAXPROCS=1024 runs with 1024 Ps, as Go's
/// does; at run time it may shrink and grow back up to that, and a larger request clamps to
/// the room the runtime started with.
#[test]
fn big_gomaxprocs() {
    in_child("big_gomaxprocs", &[("GOMAXPROCS", "1024")], || {
        assert_eq!(join(goroutine(|| 6 * 7)), 42);
        assert_eq!(goro::gomaxprocs(), 1024);
        let hs: Vec<_> = (0..2000u64).map(|i| goroutine(move || i)).collect();
        assert_eq!(hs.into_iter().map(join).sum::<u64>(), 1999 * 2000 / 2);
        assert_eq!(goro::set_gomaxprocs(3), 1024);
        assert_eq!(join(goroutine(|| 1)), 1);
        assert_eq!(goro::set_gomaxprocs(5000), 3);
        assert_eq!(goro::gomaxprocs(), 1024);
        assert_eq!(join(goroutine(|| 2)), 2);
    });
}

/// TestMexitSTW (testprog mexitSTW), at GOMAXPROCS=4: 100 goroutines exit wired while two
/// others spin, each exit followed by a read of every P and G (Go's ReadMemStats, a
/// stop-the-world); all complete.
#[test]
fn mexit_stw() {
    in_child("mexit_stw", &[("GOMAXPROCS", "4")], || {
        let stop = Arc::new(AtomicBool::new(false));
        let ping = Arc::new(AtomicBool::new(false));
        let pong: Arc<[AtomicBool; 2]> = Arc::new(Default::default());
        let busy: Vec<_> = (0..2)
            .map(|i| {
                let (stop, ping, pong) = (stop.clone(), ping.clone(), pong.clone());
                goroutine(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if ping.load(Ordering::Relaxed) {
                            pong[i].store(true, Ordering::Relaxed);
                        }
                        goro::preempt_point();
                    }
                })
            })
            .collect();
        ping.store(true, Ordering::Relaxed);
        wait_until(|| pong.iter().all(|p| p.load(Ordering::Relaxed)));
        for _ in 0..100 {
            let h = goroutine(goro::lock_os_thread);
            black_box(goro::debug::metrics());
            black_box(goro::debug::goroutines());
            join(h);
        }
        stop.store(true, Ordering::Relaxed);
        busy.into_iter().for_each(join);
    });
}
