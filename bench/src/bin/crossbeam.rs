//! crossbeam-channel between OS threads: `pingpong`, `prodcons`, `select` (`Select`),
//! `fairness` and `chan-threads`.

use crossbeam_channel::{bounded, Select};
use goro_bench::threaded::{self, Crossbeam};
use goro_bench::{ns_per, pin_to_cpus, report, report_fairness, spec, timed, unsupported, Args};

const PEER: &str = "crossbeam";

fn main() {
    let args = Args::from_env();
    pin_to_cpus(args.procs());
    match args.workload.as_str() {
        "pingpong" => threaded::pingpong::<Crossbeam>(&args, PEER),
        "prodcons" => threaded::prodcons::<Crossbeam>(&args, PEER),
        "chan-threads" => threaded::chan_threads::<Crossbeam>(&args, PEER),
        "select" => select(&args),
        "fairness" => fairness(&args),
        _ => unsupported(&args, PEER),
    }
}

fn select(args: &Args) {
    let n = args.usize("n", spec::SELECT_N);
    let cap = args.usize("cap", 100);
    let cases = spec::SELECT_CASES;
    let (d, got) = timed(|| {
        let (rxs, feeders) = threaded::feeders::<Crossbeam>(n, cases, cap);
        let mut sel = Select::new();
        for rx in &rxs {
            sel.recv(rx);
        }
        let (mut got, mut open) = (0usize, cases);
        while open > 0 {
            let oper = sel.select();
            let i = oper.index();
            match oper.recv(&rxs[i]) {
                Ok(_) => got += 1,
                Err(_) => {
                    sel.remove(i);
                    open -= 1;
                }
            }
        }
        feeders.into_iter().for_each(|f| f.join().unwrap());
        got
    });
    assert_eq!(got, n / cases * cases);
    report(args, PEER, "ns_per_select", ns_per(d, got), &[]);
}

fn fairness(args: &Args) {
    let n = args.usize("n", spec::FAIRNESS_N);
    let cases = spec::SELECT_CASES;
    let chans: Vec<_> = (0..cases).map(|_| bounded::<u64>(1)).collect();
    let mut sel = Select::new();
    for (tx, rx) in &chans {
        tx.send(0).unwrap();
        sel.recv(rx);
    }
    let mut counts = vec![0u64; cases];
    for _ in 0..n {
        let oper = sel.select();
        let i = oper.index();
        let v = oper.recv(&chans[i].1).unwrap();
        counts[i] += 1;
        chans[i].0.send(v).unwrap();
    }
    report_fairness(args, PEER, &counts);
}
