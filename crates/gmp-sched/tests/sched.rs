//! Scheduling rules, with a known number of Ps (set by this binary before first use):
//! runnext hand-off, the 61-tick global-queue rule, the bounded local queue, stealing,
//! set_gomaxprocs.
//!
//! Tests here share one runtime and assert on scheduling order, so they take `SERIAL`.
#![cfg(not(loom))]

use gmp_sched::{spawn, sys::processor_id, yield_now, Builder};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the test lock and sets the runtime's P count for this test.
fn with_procs(n: usize) -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _ = Builder::new().gomaxprocs(n).init();
    gmp_sched::set_gomaxprocs(n);
    guard
}

#[test]
fn runnext_runs_the_goroutine_readied_last_before_the_queue() {
    let _g = with_procs(1);
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    // SAFETY: no closure here keeps thread-bound state across a blocking call.
    let x = unsafe {
        spawn(move || {
            let (o1, o2) = (o.clone(), o.clone());
            let c = spawn(move || o1.lock().unwrap().push('C')); // runnext
            let d = spawn(move || o2.lock().unwrap().push('D')); // runnext; C to the queue
            yield_now(); // X goes behind C
            o.lock().unwrap().push('X');
            c.join().unwrap();
            d.join().unwrap();
        })
    };
    x.join().unwrap();
    assert_eq!(*order.lock().unwrap(), ['D', 'C', 'X']);
}

#[test]
fn global_queue_is_served_every_61st_tick_under_busy_local_work() {
    let _g = with_procs(1);
    let queued = Arc::new(AtomicBool::new(false));
    let ran = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let (q, r, s) = (queued.clone(), ran.clone(), started.clone());
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let busy = unsafe {
        spawn(move || {
            // Keeps the only P's local queue busy: every yield puts it back on it.
            s.store(true, Ordering::Release);
            let mut after_queued = 0usize;
            while !r.load(Ordering::Acquire) {
                if q.load(Ordering::Acquire) {
                    after_queued += 1;
                }
                yield_now();
            }
            after_queued
        })
    };
    while !started.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
    let r = ran.clone();
    // From a plain thread: the new goroutine goes to the global queue.
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let late = unsafe { spawn(move || r.store(true, Ordering::Release)) };
    queued.store(true, Ordering::Release);
    let ticks = busy.join().unwrap();
    late.join().unwrap();
    assert!(
        ticks <= 62,
        "global goroutine waited {ticks} schedule ticks"
    );
}

#[test]
fn work_spawned_on_one_p_is_stolen_by_every_p() {
    let _g = with_procs(2);
    let seen = Arc::new(Mutex::new([false; 2]));
    let s = seen.clone();
    // SAFETY: no closure here keeps thread-bound state across a blocking call.
    let spawner = unsafe {
        spawn(move || {
            let hs: Vec<_> = (0..64)
                .map(|_| {
                    let s = s.clone();
                    spawn(move || {
                        // Busy until both Ps have run one of us (bounded, so a broken
                        // scheduler fails instead of hanging).
                        let until = Instant::now() + Duration::from_secs(20);
                        loop {
                            let mut seen = s.lock().unwrap();
                            seen[processor_id().unwrap()] = true;
                            if seen.iter().all(|&b| b) || Instant::now() > until {
                                break;
                            }
                            drop(seen);
                            yield_now();
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        })
    };
    spawner.join().unwrap();
    assert_eq!(*seen.lock().unwrap(), [true, true]);
}

#[test]
fn set_gomaxprocs_changes_the_p_count_at_run_time() {
    let _g = with_procs(2);
    assert_eq!(gmp_sched::set_gomaxprocs(1), 2);
    assert_eq!(gmp_sched::gomaxprocs(), 1);
    let n = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..200)
        .map(|_| {
            let n = n.clone();
            // SAFETY: the closure keeps no thread-bound state across a blocking call.
            unsafe {
                spawn(move || {
                    assert_eq!(processor_id(), Some(0));
                    yield_now();
                    n.fetch_add(1, Ordering::Relaxed);
                })
            }
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(n.load(Ordering::Relaxed), 200);
    assert_eq!(gmp_sched::set_gomaxprocs(0), 1, "0 only reads");
    assert_eq!(gmp_sched::set_gomaxprocs(2), 1);
}

/// A skynet node joining its ten children; leaves note the live goroutine count.
fn fan_out(size: u64, peak: &'static AtomicUsize) -> u64 {
    if size == 1 {
        peak.fetch_max(gmp_sched::debug::num_goroutine(), Ordering::Relaxed);
        return 1;
    }
    let hs: Vec<_> = (0..10)
        // SAFETY: a node holds nothing thread-bound.
        .map(|_| unsafe { spawn(move || fan_out(size / 10, peak)) })
        .collect();
    hs.into_iter().map(|h| h.join().unwrap()).sum()
}

#[test]
fn a_fan_out_runs_depth_first_with_go_s_bounded_local_queue() {
    let _g = with_procs(1);
    static PEAK: AtomicUsize = AtomicUsize::new(0);
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let root = unsafe { spawn(|| fan_out(100_000, &PEAK)) };
    assert_eq!(root.join().unwrap(), 100_000);
    // 111,111 goroutines in all. Go's rules (a local queue of 256 whose older half moves to
    // the global queue, which gives back one G every 61st tick or a batch when the local queue
    // is empty) keep about 9,600 alive at once here; an unbounded FIFO queue runs the oldest,
    // shallowest nodes first and had 74,700 alive.
    let peak = PEAK.load(Ordering::Relaxed);
    assert!(peak < 30_000, "{peak} goroutines alive at once");
}

#[test]
fn yields_rotate_through_the_local_queue_in_order() {
    // Three goroutines yielding on one P: every yield switches straight to the head of the
    // queue (a direct switch) and the yielder goes to the back, so after the first round
    // each window of three turns holds all three.
    let _g = with_procs(1);
    const ROUNDS: usize = 200;
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    // SAFETY: no closure here keeps thread-bound state across a blocking call.
    let driver = unsafe {
        spawn(move || {
            let hs: Vec<_> = (0..3u8)
                .map(|id| {
                    let l = l.clone();
                    spawn(move || {
                        for _ in 0..ROUNDS {
                            l.lock().unwrap().push(id);
                            yield_now();
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        })
    };
    driver.join().unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 3 * ROUNDS);
    // The first round starts in spawn order's runnext/queue shuffle; from then on, rotation.
    for w in log[3..].windows(3) {
        let mut seen = [false; 3];
        w.iter().for_each(|&id| seen[id as usize] = true);
        assert!(
            seen.iter().all(|&s| s),
            "not a rotation: {w:?} in {:?}",
            &log[..]
        );
    }
}

#[test]
fn global_queue_is_served_every_61st_tick_while_goroutines_yield_to_each_other() {
    // As above, but two goroutines keep the local queue non-empty, so their yields switch
    // directly to each other: those switches must still count ticks and give way to the
    // global queue on the 61st.
    let _g = with_procs(1);
    let queued = Arc::new(AtomicBool::new(false));
    let ran = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let (q, r, s) = (queued.clone(), ran.clone(), started.clone());
            // SAFETY: the closure keeps no thread-bound state across a blocking call.
            unsafe {
                spawn(move || {
                    s.fetch_add(1, Ordering::Release);
                    let mut after_queued = 0usize;
                    // Bounded, so that a scheduler that never serves the global queue fails
                    // the assertion below instead of hanging.
                    while !r.load(Ordering::Acquire) && after_queued < 10_000 {
                        if q.load(Ordering::Acquire) {
                            after_queued += 1;
                        }
                        yield_now();
                    }
                    after_queued
                })
            }
        })
        .collect();
    while started.load(Ordering::Acquire) < 2 {
        std::thread::yield_now();
    }
    let r = ran.clone();
    // From a plain thread: the new goroutine goes to the global queue.
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let late = unsafe { spawn(move || r.store(true, Ordering::Release)) };
    queued.store(true, Ordering::Release);
    let ticks: usize = busy.into_iter().map(|b| b.join().unwrap()).sum();
    late.join().unwrap();
    // Both yielders together take one tick per yield.
    assert!(
        ticks <= 63,
        "global goroutine waited {ticks} schedule ticks"
    );
}
