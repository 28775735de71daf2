//! Go by Example's "Timers" and "Timeouts" with Go 1.23's channel `Timer` and
//! `time.AfterFunc`, `goro::scope` for goroutines that borrow `main`'s data, all under
//! `#[goro::main]` and on a paused clock (`goro::testing`): the example waits through
//! minutes of runtime time in no real time.
//!
//! ```go
//! timer1 := time.NewTimer(2 * time.Second)
//! <-timer1.C
//! timer2 := time.NewTimer(time.Second)
//! stopped := timer2.Stop() // Go 1.23: nothing arrives on timer2.C after this
//! time.AfterFunc(5*time.Second, func() { done <- "ran" }) // f runs on its own goroutine
//! ```
//!
//! Run: `cargo run --release -p goroutines --example timers`.

use goro::prelude::*;
use goro::Timer;
use std::time::{Duration, Instant};

// SAFETY: main and its goroutines hold only channels, timers and borrows of main's locals
// across blocking calls: no thread-local, no std lock guard.
#[goro::main(unsafe)]
fn main(sp: Spawner) {
    let real = Instant::now();
    // Runtime time stands still; whenever every goroutine waits on a timer it jumps to the
    // earliest one (auto-advance), so the sleeps and timeouts below take no real time.
    goro::testing::pause();
    let t0 = goro::now();
    let since = || goro::now() - t0;

    // "Timers": one timer fires, one is stopped before it does.
    let timer1 = Timer::new(Duration::from_secs(2));
    timer1.c().recv().unwrap();
    println!("timer 1 fired at {:?}", since());
    assert_eq!(since(), Duration::from_secs(2));

    let timer2 = Timer::new(Duration::from_secs(1));
    let stopped = timer2.stop();
    println!("timer 2 stopped: {stopped}");
    assert!(stopped);
    let fired = select! {
        recv(timer2) -> _ => true,
        recv(after(Duration::from_secs(3))) -> _ => false,
    };
    assert!(!fired, "no value arrives after stop returns");

    // Reset says whether a value was still to come: timer 1's was received, so false.
    assert!(!timer1.reset(Duration::from_secs(1)));
    timer1.c().recv().unwrap();

    // "Timeouts": a slow call raced against a timer; the timer wins after 30 s.
    let reply = Chan::<&str>::new(1);
    let tx = reply.clone();
    go!(sp, move || {
        sleep(Duration::from_secs(60));
        let _ = tx.try_send("slow reply");
    });
    let timeout = Timer::new(Duration::from_secs(30));
    let got = select! {
        recv(reply) -> r => r,
        recv(timeout) -> _ => None,
    };
    println!(
        "request: {:?} after {:?}",
        got.unwrap_or("timed out"),
        since()
    );
    assert!(got.is_none());

    // AfterFunc: the function runs on a goroutine of its own, so it may block (here until
    // main receives).
    let done = Chan::new(0);
    let tx = done.clone();
    let af = sp.after_func(Duration::from_secs(5), move || {
        tx.send("after_func ran").unwrap()
    });
    println!("{} at {:?}", done.recv().unwrap(), since());
    assert!(!af.stop(), "it had started");

    // Scoped goroutines borrow main's locals and have all ended when `scope` returns.
    let words = ["go", "goro", "goroutine"];
    let mut lens = [0; 3];
    let start = since();
    goro::scope(sp, |s| {
        for (w, len) in words.iter().zip(lens.iter_mut()) {
            s.go(move || {
                sleep(Duration::from_secs(w.len() as u64)); // in parallel: the longest counts
                *len = w.len();
            });
        }
    });
    println!("lengths {lens:?} after {:?}", since() - start);
    assert_eq!(lens, [2, 4, 9]);
    assert_eq!(since() - start, Duration::from_secs(9));

    println!(
        "{:?} of runtime time in {:?} of real time",
        since(),
        real.elapsed()
    );
    goro::testing::resume();
}
