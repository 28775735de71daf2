//! flume between OS threads: `pingpong`, `prodcons`, `select` (`Selector`), `fairness` and
//! `chan-threads`.

use goro_bench::threaded::{self, Flume};
use goro_bench::{ns_per, pin_to_cpus, report, report_fairness, spec, timed, unsupported, Args};

const PEER: &str = "flume";

fn main() {
    let args = Args::from_env();
    pin_to_cpus(args.procs());
    match args.workload.as_str() {
        "pingpong" => threaded::pingpong::<Flume>(&args, PEER),
        "prodcons" => threaded::prodcons::<Flume>(&args, PEER),
        "chan-threads" => threaded::chan_threads::<Flume>(&args, PEER),
        "select" => select(&args),
        "fairness" => fairness(&args),
        _ => unsupported(&args, PEER),
    }
}

/// One select over the receivers still open: `Some(index)` with a value, or `Err(index)` when
/// that channel is closed and drained.
fn select_once(rxs: &[Option<flume::Receiver<u64>>]) -> Result<usize, usize> {
    let mut sel = flume::Selector::new();
    for (i, rx) in rxs.iter().enumerate() {
        if let Some(rx) = rx {
            sel = sel.recv(rx, move |r| r.map(|_| i).map_err(|_| i));
        }
    }
    sel.wait()
}

fn select(args: &Args) {
    let n = args.usize("n", spec::SELECT_N);
    let cap = args.usize("cap", 100);
    let cases = spec::SELECT_CASES;
    let (d, got) = timed(|| {
        let (rxs, feeders) = threaded::feeders::<Flume>(n, cases, cap);
        let mut rxs: Vec<_> = rxs.into_iter().map(Some).collect();
        let (mut got, mut open) = (0usize, cases);
        while open > 0 {
            match select_once(&rxs) {
                Ok(_) => got += 1,
                Err(i) => {
                    rxs[i] = None;
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
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..cases).map(|_| flume::bounded::<u64>(1)).unzip();
    for tx in &txs {
        tx.send(0).unwrap();
    }
    let rxs: Vec<_> = rxs.into_iter().map(Some).collect();
    let mut counts = vec![0u64; cases];
    for _ in 0..n {
        let i = select_once(&rxs).expect("always ready");
        counts[i] += 1;
        txs[i].send(0).unwrap();
    }
    report_fairness(args, PEER, &counts);
}
