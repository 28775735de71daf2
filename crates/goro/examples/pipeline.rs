//! A pipeline with cancellation: the Go blog's "Pipelines and cancellation", ported to goro.
//!
//! ```go
//! func sq(done <-chan struct{}, in <-chan int) <-chan int {
//!     out := make(chan int)
//!     go func() {
//!         defer close(out)
//!         for n := range in {
//!             select {
//!             case out <- n * n:
//!             case <-done:
//!                 return
//!             }
//!         }
//!     }()
//!     return out
//! }
//! ```
//!
//! Each stage is a goroutine that receives from the stage before it, sends downstream, and
//! closes its output when its input ends. A `done` channel, closed by the consumer, stops
//! every stage early: the second run reads five values from an endless pipeline and leaves.
//! The whole program runs under `goro::testing::check_leaks` (Go's goleak), which fails if
//! any stage is still alive at the end.
//!
//! Run: `cargo run --release -p goroutines --example pipeline`

use goro::prelude::*;
use std::time::Duration;

/// Go: `func gen(done <-chan struct{}, nums ...int) <-chan int`.
fn gen(done: &Receiver<()>, nums: impl Iterator<Item = u64> + Send + 'static) -> Receiver<u64> {
    let out = Chan::new(0);
    let (tx, done) = (out.sender(), done.clone());
    // SAFETY: the stage keeps no thread-bound state across blocking calls.
    go!(unsafe { Spawner::new() }, {
        for n in nums {
            select! {
                send(tx, n) -> _ => {}
                recv(done) -> _ => break,
            }
        }
        tx.close();
    });
    out.receiver()
}

/// Go: `func sq(done <-chan struct{}, in <-chan int) <-chan int`.
fn sq(done: &Receiver<()>, input: Receiver<u64>) -> Receiver<u64> {
    let out = Chan::new(0);
    let (tx, done) = (out.sender(), done.clone());
    // SAFETY: the stage keeps no thread-bound state across blocking calls.
    go!(unsafe { Spawner::new() }, {
        for n in &input {
            select! {
                send(tx, n.wrapping_mul(n)) -> _ => {}
                recv(done) -> _ => break,
            }
        }
        tx.close();
    });
    out.receiver()
}

fn pipeline() {
    // 1. Run to completion: gen -> sq -> sq, summing n^4 for n in 1..=1000.
    let done = Chan::<()>::new(0);
    let fourth = sq(
        &done.receiver(),
        sq(&done.receiver(), gen(&done.receiver(), 1..=1000)),
    );
    let sum: u64 = fourth.iter().sum();
    println!("sum of n^4 for n in 1..=1000, through gen -> sq -> sq: {sum}");
    assert_eq!(sum, (1..=1000u64).map(|n| n.pow(4)).sum());
    done.close();

    // 2. Leave early: an endless generator, stopped by closing `done`.
    let done = Chan::<()>::new(0);
    let squares = sq(&done.receiver(), gen(&done.receiver(), 1..));
    let first: Vec<u64> = squares.iter().take(5).collect();
    println!("first five squares of an endless pipeline: {first:?}");
    assert_eq!(first, [1, 4, 9, 16, 25]);
    done.close(); // Go: close(done); every stage returns
    println!(
        "closed done; {} goroutines alive right after (the stages are winding down)",
        goro::debug::num_goroutine()
    );
}

fn main() {
    goro::testing::check_leaks(Duration::from_secs(5), || {
        // SAFETY: main and its pipeline stages keep no thread-bound state across blocking
        // calls. `run` makes main a goroutine, with Go's deadlock detection.
        unsafe { goro::run(pipeline) }
    });
    println!("no goroutine leaked (goro::testing::check_leaks, Go's goleak); ok");
}
