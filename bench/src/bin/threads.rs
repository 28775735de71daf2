//! Plain OS threads as the goroutine peer: `spawn` (10,000 threads, per spawn), `yield`
//! (`std::thread::yield_now` between two threads pinned to the P count's CPUs) and `parked`
//! (threads blocked on a channel each).

use goro_bench::{ms, ns_per, pin_to_cpus, report, rss_kib, spec, timed, unsupported, Args};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

const PEER: &str = "threads";

fn main() {
    let args = Args::from_env();
    pin_to_cpus(args.procs());
    match args.workload.as_str() {
        "spawn" => spawn(&args),
        "yield" => yield_(&args),
        "parked" => parked(&args),
        _ => unsupported(&args, PEER),
    }
}

fn spawn(args: &Args) {
    let n = args.usize("n", 10_000);
    let (d, sum) = timed(|| {
        let handles: Vec<_> = (0..n).map(|i| std::thread::spawn(move || i)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum::<usize>()
    });
    assert_eq!(sum, n * (n - 1) / 2);
    report(
        args,
        PEER,
        "ns_per_spawn",
        ns_per(d, n),
        &[("ms", ms(d)), ("n", n as f64)],
    );
}

fn yield_(args: &Args) {
    let n = args.usize("n", spec::YIELD_N);
    let (d, ()) = timed(|| {
        let ts: Vec<_> = (0..2)
            .map(|_| {
                std::thread::spawn(move || {
                    for _ in 0..n {
                        std::thread::yield_now();
                    }
                })
            })
            .collect();
        ts.into_iter().for_each(|t| t.join().unwrap());
    });
    report(args, PEER, "ns_per_yield", ns_per(d, 2 * n), &[]);
}

fn parked(args: &Args) {
    let n = args.usize("n", 10_000);
    let before = rss_kib().unwrap_or(0);
    let ready = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::with_capacity(n);
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (tx, rx) = mpsc::channel::<()>();
        let ready = ready.clone();
        senders.push(tx);
        handles.push(std::thread::spawn(move || {
            ready.fetch_add(1, Ordering::Relaxed);
            rx.recv().unwrap();
        }));
    }
    while ready.load(Ordering::Relaxed) < n {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(50));
    let during = rss_kib().unwrap_or(0);
    for tx in &senders {
        tx.send(()).unwrap();
    }
    handles.into_iter().for_each(|h| h.join().unwrap());
    let per = during.saturating_sub(before) as f64 * 1024.0 / n as f64;
    report(args, PEER, "bytes_per_g", per, &[("n", n as f64)]);
}
