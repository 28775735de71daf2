//! Fan-out and fan-in: the Go blog's `merge` and Rob Pike's select-based fan-in, ported to
//! goro.
//!
//! ```go
//! func merge(cs ...<-chan int) <-chan int {
//!     var wg sync.WaitGroup
//!     out := make(chan int)
//!     for _, c := range cs {
//!         wg.Go(func() { for n := range c { out <- n } })
//!     }
//!     go func() { wg.Wait(); close(out) }()
//!     return out
//! }
//! ```
//!
//! Fan-out: eight workers read one channel of numbers and test each for primality. Fan-in:
//! `merge` joins their output channels into one, closing it once all are drained. The second
//! half fans in with a single `select` loop instead, setting each input to the nil channel
//! once it is closed so that `select` stops choosing it (Go's nil-channel idiom).
//!
//! Run: `cargo run --release -p goroutines --example fan_in_fan_out`

use goro::prelude::*;

const WORKERS: usize = 8;
const LIMIT: u64 = 100_000;

/// Sends `0..LIMIT` on a new channel, then closes it.
fn numbers() -> Receiver<u64> {
    let out = Chan::new(64);
    let tx = out.sender();
    // SAFETY: the producer keeps no thread-bound state across blocking calls.
    go!(unsafe { Spawner::new() }, {
        for n in 0..LIMIT {
            tx.send(n).unwrap();
        }
        tx.close();
    });
    out.receiver()
}

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

/// One fan-out worker: passes on the primes among the numbers it takes.
fn primes(id: usize, input: Receiver<u64>) -> Receiver<(usize, u64)> {
    let out = Chan::new(64);
    let tx = out.sender();
    // SAFETY: the worker keeps no thread-bound state across blocking calls.
    go!(unsafe { Spawner::new() }, {
        for n in input.iter().filter(|&n| is_prime(n)) {
            tx.send((id, n)).unwrap();
        }
        tx.close();
    });
    out.receiver()
}

/// Go: `func merge(cs ...<-chan int) <-chan int`.
fn merge<T: Send + 'static>(cs: Vec<Receiver<T>>) -> Receiver<T> {
    let out = Chan::new(0);
    let wg = WaitGroup::new();
    for c in cs {
        let tx = out.sender();
        // SAFETY: the forwarder keeps no thread-bound state across blocking calls.
        let sp = unsafe { Spawner::new() };
        sp.spawn_in(&wg, move || {
            for v in &c {
                tx.send(v).unwrap();
            }
        });
    }
    let tx = out.sender();
    // SAFETY: the closer keeps no thread-bound state across blocking calls.
    go!(unsafe { Spawner::new() }, {
        wg.wait();
        tx.close();
    });
    out.receiver()
}

/// Sends `from, from + step, ...` below `to`, then closes the channel.
fn counter(from: u64, step: u64, to: u64) -> Receiver<u64> {
    let out = Chan::new(0);
    let tx = out.sender();
    // SAFETY: the counter keeps no thread-bound state across blocking calls.
    go!(unsafe { Spawner::new() }, {
        for n in (from..to).step_by(step as usize) {
            tx.send(n).unwrap();
        }
        tx.close();
    });
    out.receiver()
}

fn fan() {
    // Fan-out to WORKERS prime testers, fan-in with merge.
    let input = numbers();
    let outputs = (0..WORKERS).map(|id| primes(id, input.clone())).collect();
    let mut per_worker = [0u64; WORKERS];
    let mut count = 0;
    for (id, _prime) in &merge(outputs) {
        per_worker[id] += 1;
        count += 1;
    }
    println!("{count} primes below {LIMIT}, found by {WORKERS} workers: {per_worker:?}");
    assert_eq!(count, 9592);
    assert_eq!(per_worker.iter().sum::<u64>(), count);

    // Fan-in with select; a closed input becomes the nil channel, which select never picks.
    let (mut evens, mut odds) = (counter(0, 2, 1000), counter(1, 2, 1000));
    let (mut n_even, mut n_odd, mut sum) = (0, 0, 0);
    while !evens.is_nil() || !odds.is_nil() {
        select! {
            recv(evens) -> v => match v {
                Some(v) => { n_even += 1; sum += v; }
                None => evens = Receiver::nil(),
            },
            recv(odds) -> v => match v {
                Some(v) => { n_odd += 1; sum += v; }
                None => odds = Receiver::nil(),
            },
        }
    }
    println!("select fan-in: {n_even} evens and {n_odd} odds, sum {sum}");
    assert_eq!((n_even, n_odd, sum), (500, 500, 999 * 1000 / 2));
    println!("ok");
}

fn main() {
    // SAFETY: main and the goroutines it starts keep no thread-bound state across blocking
    // calls. `run` makes main a goroutine, with Go's deadlock detection.
    unsafe { goro::run(fan) }
}
