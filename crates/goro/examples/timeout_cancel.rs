//! Timeouts and cancellation: `select` with `time.After` and `default`, and Go's `context`,
//! ported to goro.
//!
//! ```go
//! ctx, cancel := context.WithCancel(context.Background())
//! defer cancel()
//! result := make(chan string, 1)
//! go func() { result <- slowQuery(ctx) }()
//! select {
//! case r := <-result:
//!     fmt.Println(r)
//! case <-time.After(50 * time.Millisecond):
//!     fmt.Println("timed out")
//! }
//! ```
//!
//! 1. A request with a timeout: `select!` on the reply and `after`; on a timeout the caller
//!    cancels the abandoned work through its `Context`, so that goroutine ends too.
//! 2. Non-blocking operations: `select!` with `default`.
//! 3. A worker bounded by `Context::with_timeout` stops with `DeadlineExceeded`.
//! 4. Cancelling a parent context ends every context derived from it, and every goroutine
//!    waiting on their `done()` channels.
//!
//! Run: `cargo run --release -p goroutines --example timeout_cancel`

use goro::prelude::*;
use goro::{ContextError, Sender};
use std::time::{Duration, Instant};

/// A query that takes `latency`, unless `ctx` ends first.
fn slow_query(ctx: &Context, latency: Duration, reply: Sender<String>) -> Option<ContextError> {
    select! {
        recv(after(latency)) -> _ => {
            let _ = reply.send(format!("answer after {latency:?}"));
            None
        }
        recv(ctx.done()) -> _ => ctx.err(),
    }
}

/// Asks `slow_query` and waits for it at most `timeout` (`None`: timed out); then cancels
/// the work and returns how the worker ended as well.
fn query_with_timeout(
    latency: Duration,
    timeout: Duration,
) -> (Option<String>, Option<ContextError>) {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    // Buffered, so a late reply never blocks the worker (Go by Example's advice).
    let reply = Chan::new(1);
    let worker = {
        let (ctx, tx) = (ctx.clone(), reply.sender());
        // SAFETY: the worker keeps no thread-bound state across blocking calls.
        let sp = unsafe { Spawner::new() };
        go!(sp, move || slow_query(&ctx, latency, tx))
    };
    let answer = select! {
        recv(reply) -> r => r,
        recv(after(timeout)) -> _ => None,
    };
    cancel.cancel(); // Go: defer cancel()
    (answer, worker.join().unwrap())
}

fn demo() {
    println!("1. select! with after(): a request with a timeout");
    let (answer, worker) = query_with_timeout(Duration::from_millis(1), Duration::from_secs(5));
    println!("   1 ms query, 5 s timeout: {answer:?}; the worker's ctx.err() = {worker:?}");
    assert_eq!(answer.as_deref(), Some("answer after 1ms"));
    assert_eq!(worker, None);
    let (answer, worker) = query_with_timeout(Duration::from_secs(5), Duration::from_millis(50));
    println!(
        "   5 s query, 50 ms timeout: {answer:?} (timed out); the worker's ctx.err() = {worker:?}"
    );
    assert_eq!(answer, None);
    assert_eq!(
        worker,
        Some(ContextError::Canceled),
        "abandoned work is cancelled"
    );

    println!("2. select! with default: non-blocking send and receive");
    let messages = Chan::<&str>::new(0);
    let got = select! {
        recv(messages) -> m => m,
        default => None,
    };
    let sent = select! {
        send(messages, "hi") -> _ => true,
        default => false, // nobody is receiving on the unbuffered channel
    };
    println!("   receive found {got:?}; send went through: {sent}");
    assert_eq!((got, sent), (None, false));

    println!("3. Context::with_timeout bounds a worker loop");
    let t0 = Instant::now();
    let (ctx, cancel) = Context::with_timeout(&Context::background(), Duration::from_millis(30));
    let worker = {
        let ctx = ctx.clone();
        // SAFETY: the worker keeps no thread-bound state across blocking calls.
        go!(unsafe { Spawner::new() }, {
            let mut steps = 0;
            loop {
                select! {
                    recv(ctx.done()) -> _ => return (steps, ctx.err()),
                    default => {}
                }
                sleep(Duration::from_millis(1)); // one step of work
                steps += 1;
            }
        })
    };
    let (steps, err) = worker.join().unwrap();
    cancel.cancel(); // releases the timer; the context has already ended
    println!(
        "   worker did {steps} steps in {:.0?}, then ctx.err() = {err:?}",
        t0.elapsed()
    );
    assert_eq!(err, Some(ContextError::DeadlineExceeded));
    assert!(t0.elapsed() >= Duration::from_millis(30));

    println!("4. cancelling a parent ends the whole tree");
    let (root, cancel_root) = Context::with_cancel(&Context::background());
    let (timed, cancel_timed) = Context::with_timeout(&root, Duration::from_secs(60));
    let (leaf, _cancel_leaf) = Context::with_cancel(&timed);
    assert_eq!(
        leaf.deadline(),
        timed.deadline(),
        "a child inherits its parent's deadline"
    );
    let waiters: Vec<_> = [root.clone(), timed.clone(), leaf.clone()]
        .into_iter()
        .map(|ctx| {
            // SAFETY: the waiter keeps no thread-bound state across blocking calls.
            go!(unsafe { Spawner::new() }, {
                let _ = ctx.done().recv(); // Go: <-ctx.Done()
                ctx.err()
            })
        })
        .collect();
    cancel_root.cancel();
    let errs: Vec<_> = waiters.into_iter().map(|h| h.join().unwrap()).collect();
    println!("   after cancelling the root: {errs:?}");
    assert_eq!(errs, [Some(ContextError::Canceled); 3]);
    cancel_timed.cancel();
    println!("ok");
}

fn main() {
    // SAFETY: main and the goroutines it starts keep no thread-bound state across blocking
    // calls. `run` makes main a goroutine, with Go's deadlock detection.
    unsafe { goro::run(demo) }
}
