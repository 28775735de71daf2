//! A guided tour of goro: `cargo run --release -p goroutines --example tour`.
//!
//! Each stop prints what it shows; the whole tour takes a few seconds.

use goro::prelude::*;
use goro::{Cond, Context, ContextError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn stop(title: &str) {
    println!("\n== {title}");
}

fn main() {
    println!(
        "goro tour: GOMAXPROCS={} (set GOMAXPROCS to change it), goroutine stacks of {} KiB",
        goro::gomaxprocs(),
        goro::debug::stack_size() / 1024
    );
    // The safety contract's promise, made once for the whole program as Go makes it: every
    // `go!` below is then a safe call, and each goroutine's body is checked as safe code.
    // SAFETY: every goroutine in this tour keeps no thread-bound state across a blocking
    // call (it holds only channels, Arcs of atomics and goro's own locks there).
    let sp = unsafe { Spawner::new() };
    // `run` makes `tour` the program's main goroutine, with Go's deadlock detection.
    sp.run(move || tour(sp));
}

fn tour(sp: Spawner) {
    stop("1. goroutines are cheap: spawn and join 100,000");
    let t0 = Instant::now();
    let sum = Arc::new(AtomicU64::new(0));
    let hs: Vec<_> = (0..100_000u64)
        .map(|i| {
            let sum = sum.clone();
            go!(sp, move || sum.fetch_add(i, Ordering::Relaxed))
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    println!(
        "   sum = {} in {:?} ({} goroutines alive now)",
        sum.load(Ordering::Relaxed),
        t0.elapsed(),
        goro::debug::num_goroutine()
    );

    stop("2. unbuffered channels hand values over: ping-pong 100,000 times");
    let (ping, pong) = (Chan::new(0), Chan::new(0));
    let (pi, po) = (ping.clone(), pong.clone());
    let player = go!(sp, {
        for v in &pi {
            po.send(v + 1).unwrap();
        }
    });
    let t0 = Instant::now();
    let mut v = 0u64;
    for _ in 0..100_000 {
        ping.send(v).unwrap();
        v = pong.recv().unwrap();
    }
    ping.close();
    player.join().unwrap();
    println!(
        "   ball reached {v}; {:?} per round trip",
        t0.elapsed() / 100_000
    );

    stop("3. select: first ready case wins, `after` gives a timeout");
    let slow = Chan::<&str>::new(0);
    let s = slow.clone();
    let late = go!(sp, {
        sleep(Duration::from_millis(200));
        let _ = s.try_send("too late");
    });
    select! {
        recv(slow) -> msg => println!("   got {msg:?}"),
        recv(after(Duration::from_millis(20))) -> _ => println!("   timed out after 20 ms, as Go's time.After"),
    }
    late.join().unwrap();

    stop("4. a worker pool: WaitGroup, Mutex, buffered channel of jobs");
    let jobs = Chan::new(64);
    let results = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    for w in 0..4 {
        wg.add(1);
        let (jobs, results, wg) = (jobs.clone(), results.clone(), wg.clone());
        // The gosync guard may move between threads with its goroutine: no promise broken.
        go!(sp, {
            for n in &jobs {
                results.lock().push((w, n * n));
            }
            wg.done();
        });
    }
    for n in 0..1000u64 {
        jobs.send(n).unwrap();
    }
    jobs.close();
    wg.wait();
    let results = results.lock();
    let total: u64 = results.iter().map(|r| r.1).sum();
    let per_worker: Vec<usize> = (0..4)
        .map(|w| results.iter().filter(|r| r.0 == w).count())
        .collect();
    println!("   sum of squares = {total}; jobs per worker {per_worker:?}");
    drop(results);

    stop("5. Context: cancel a tree of goroutines");
    let (ctx, cancel) = Context::with_timeout(&Context::background(), Duration::from_secs(10));
    let done = Arc::new((Mutex::new(0u32), Cond::new()));
    for _ in 0..3 {
        let (ctx, done) = (ctx.clone(), done.clone());
        go!(sp, {
            let ticker = tick(Duration::from_millis(5));
            loop {
                select! {
                    recv(ticker.c()) -> _ => {}
                    recv(ctx.done()) -> _ => break,
                }
            }
            *done.0.lock() += 1;
            done.1.broadcast();
        });
    }
    sleep(Duration::from_millis(20));
    cancel.cancel();
    let mut n = done.0.lock();
    while *n < 3 {
        n = done.1.wait(n);
    }
    println!("   {} goroutines stopped; ctx.err() = {:?}", *n, ctx.err());
    assert_eq!(ctx.err(), Some(ContextError::Canceled));
    drop(n);

    stop("6. the runtime, observed");
    let m = goro::debug::metrics();
    println!(
        "   {} goroutines spawned, {} switches, {} parks, {} steals, {} threads",
        m.spawned_total, m.switches_total, m.parks_total, m.steals_total, m.threads
    );
    println!("\nDone. See crates/goro/examples/ for more, and docs/ for the design.");
}
