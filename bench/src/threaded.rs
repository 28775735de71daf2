//! Channel workloads on plain OS threads, written once over [`Channel`] so crossbeam-channel,
//! flume, std's `sync_channel` and goro's own `Chan` (used from threads) run the same code.

use crate::{ns_per, report, spec, timed, Args};

/// A bounded channel of `u64` used from OS threads.
pub trait Channel {
    /// The sending half.
    type Tx: Clone + Send + 'static;
    /// The receiving half.
    type Rx: Send + 'static;
    /// A channel of capacity `cap` (0: rendezvous).
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx);
    /// Sends `v`; false when the channel is closed.
    fn send(tx: &Self::Tx, v: u64) -> bool;
    /// Receives; None once closed and drained.
    fn recv(rx: &Self::Rx) -> Option<u64>;
    /// Closes the channel from the sending side (drops `tx` where dropping is closing).
    fn close(tx: Self::Tx);
}

/// `pingpong`: unbuffered round trips between two threads.
pub fn pingpong<C: Channel>(args: &Args, peer: &str) {
    let n = args.usize("n", spec::PINGPONG_N);
    let (ping_tx, ping_rx) = C::bounded(0);
    let (pong_tx, pong_rx) = C::bounded(0);
    let echo = std::thread::spawn(move || {
        while let Some(v) = C::recv(&ping_rx) {
            if !C::send(&pong_tx, v) {
                break;
            }
        }
    });
    let (d, ()) = timed(|| {
        for i in 0..n as u64 {
            C::send(&ping_tx, i);
            assert_eq!(C::recv(&pong_rx), Some(i));
        }
    });
    C::close(ping_tx);
    echo.join().unwrap();
    report(args, peer, "ns_per_op", ns_per(d, n), &[]);
}

/// `prodcons`: 4 producer threads and 4 consumer threads on one channel of capacity `cap`.
pub fn prodcons<C: Channel>(args: &Args, peer: &str)
where
    C::Rx: Clone,
{
    let n = args.usize("n", spec::PRODCONS_N);
    let cap = args.usize("cap", 0);
    let sides = spec::PRODCONS_SIDES;
    let per = n / sides;
    let (tx, rx) = C::bounded(cap);
    let (d, sum) = timed(|| {
        let consumers: Vec<_> = (0..sides)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || {
                    let mut sum = 0u64;
                    while let Some(v) = C::recv(&rx) {
                        sum += v;
                    }
                    sum
                })
            })
            .collect();
        let producers: Vec<_> = (0..sides)
            .map(|_| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..per as u64 {
                        C::send(&tx, i);
                    }
                    C::close(tx);
                })
            })
            .collect();
        producers.into_iter().for_each(|p| p.join().unwrap());
        C::close(tx);
        consumers
            .into_iter()
            .map(|c| c.join().unwrap())
            .sum::<u64>()
    });
    let per64 = per as u64;
    assert_eq!(sum, sides as u64 * per64 * per64.saturating_sub(1) / 2);
    report(args, peer, "ns_per_msg", ns_per(d, per * sides), &[]);
}

/// `chan-threads`: one sender thread, one receiver thread, capacity `cap`.
pub fn chan_threads<C: Channel>(args: &Args, peer: &str) {
    let n = args.usize("n", spec::CHAN_THREADS_N);
    let cap = args.usize("cap", 100);
    let (tx, rx) = C::bounded(cap);
    let (d, sum) = timed(|| {
        let producer = std::thread::spawn(move || {
            for i in 0..n as u64 {
                C::send(&tx, i);
            }
            C::close(tx);
        });
        let mut sum = 0u64;
        while let Some(v) = C::recv(&rx) {
            sum += v;
        }
        producer.join().unwrap();
        sum
    });
    assert_eq!(sum, (n as u64) * (n as u64).saturating_sub(1) / 2);
    report(args, peer, "ns_per_msg", ns_per(d, n), &[]);
}

/// Feeds `select`: `cases` threads, each sending `n / cases` values into its own channel.
/// Returns the receivers and the feeder handles.
pub fn feeders<C: Channel>(
    n: usize,
    cases: usize,
    cap: usize,
) -> (Vec<C::Rx>, Vec<std::thread::JoinHandle<()>>) {
    let per = n / cases;
    let mut rxs = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..cases {
        let (tx, rx) = C::bounded(cap);
        rxs.push(rx);
        handles.push(std::thread::spawn(move || {
            for i in 0..per as u64 {
                C::send(&tx, i);
            }
            C::close(tx);
        }));
    }
    (rxs, handles)
}

/// crossbeam-channel.
pub struct Crossbeam;

impl Channel for Crossbeam {
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(cap)
    }
    fn send(tx: &Self::Tx, v: u64) -> bool {
        tx.send(v).is_ok()
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx) {
        drop(tx);
    }
}

/// flume.
pub struct Flume;

impl Channel for Flume {
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(cap)
    }
    fn send(tx: &Self::Tx, v: u64) -> bool {
        tx.send(v).is_ok()
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx) {
        drop(tx);
    }
}

/// std's `sync_channel` (single consumer: no `prodcons`, no `select`).
pub struct Std;

impl Channel for Std {
    type Tx = std::sync::mpsc::SyncSender<u64>;
    type Rx = std::sync::mpsc::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        std::sync::mpsc::sync_channel(cap)
    }
    fn send(tx: &Self::Tx, v: u64) -> bool {
        tx.send(v).is_ok()
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx) {
        drop(tx);
    }
}
