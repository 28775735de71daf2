//! Rate limiting with a ticker: Go by Example's "Rate Limiting", ported to goro.
//!
//! ```go
//! limiter := time.Tick(20 * time.Millisecond)
//! for req := range requests {
//!     <-limiter
//!     fmt.Println("request", req, time.Now())
//! }
//!
//! bursty := make(chan time.Time, 3)
//! for range 3 { bursty <- time.Now() }
//! go func() {
//!     for t := range time.Tick(20 * time.Millisecond) {
//!         select { case bursty <- t: default: } // a full bucket drops the token
//!     }
//! }()
//! ```
//!
//! The steady limiter serves one request per tick. The bursty limiter is a buffered channel
//! of tokens: it starts full, so a burst of three is served at once, and a goroutine refills
//! it from a ticker, one token per tick.
//!
//! Run: `cargo run --release -p goroutines --example rate_limit`

use goro::prelude::*;
use std::time::{Duration, Instant};

const PERIOD: Duration = Duration::from_millis(20);
const REQUESTS: u32 = 5;

/// Queues `REQUESTS` requests on a closed, buffered channel.
fn requests() -> Chan<u32> {
    let requests = Chan::new(REQUESTS as usize);
    for r in 1..=REQUESTS {
        requests.send(r).unwrap();
    }
    requests.close();
    requests
}

fn limit() {
    println!("steady: one request per {PERIOD:?} tick");
    let t0 = Instant::now();
    let limiter = tick(PERIOD);
    for req in &requests() {
        limiter.c().recv(); // Go: <-limiter
        println!("   request {req} at {:>5.1?}", t0.elapsed());
    }
    limiter.stop();
    let steady = t0.elapsed();
    // Ticks come at PERIOD, 2 * PERIOD, ... after the ticker starts, never sooner.
    assert!(
        steady >= PERIOD * REQUESTS,
        "{steady:?} for {REQUESTS} ticks"
    );

    println!("bursty: a burst of 3, then one request per tick");
    let bursty = Chan::new(3);
    for _ in 0..3 {
        bursty.send(Instant::now()).unwrap();
    }
    let t0 = Instant::now(); // before the refill ticker starts: its ticks come later
    let quit = Chan::<()>::new(0);
    let refill = {
        let (bursty, quit) = (bursty.sender(), quit.receiver());
        // SAFETY: the refiller keeps no thread-bound state across blocking calls.
        go!(unsafe { Spawner::new() }, {
            let ticker = tick(PERIOD);
            loop {
                select! {
                    // A full bucket drops the token rather than wait for room.
                    recv(ticker) -> t => { let _ = bursty.try_send(t.unwrap()); }
                    recv(quit) -> _ => break,
                }
            }
        })
    };
    let mut at = Vec::new();
    for req in &requests() {
        bursty.recv();
        at.push(t0.elapsed());
        println!("   request {req} at {:>5.1?}", at[at.len() - 1]);
    }
    quit.close();
    refill.join().unwrap();
    // The last two waited for one refill tick each.
    assert!(at[4] >= PERIOD * 2, "{at:?}");
    println!(
        "{REQUESTS} requests took {steady:.0?} steadily, {:.0?} with a burst of 3; ok",
        at[4]
    );
}

fn main() {
    // SAFETY: main and the goroutine it starts keep no thread-bound state across blocking
    // calls. `run` makes main a goroutine, with Go's deadlock detection.
    unsafe { goro::run(limit) }
}
