//! A live view of a running program: `goro::debug::serve`, Go's `net/http/pprof`.
//!
//! ```go
//! import _ "net/http/pprof"
//! go http.ListenAndServe("localhost:6060", nil)
//! // then: curl 'localhost:6060/debug/pprof/goroutine?debug=2'
//! ```
//!
//! Starts a few goroutines that wait in different ways (workers on a job channel, a mutex
//! waiter, sleepers, a ticker reader), serves the view, prints where, asks it for the grouped
//! goroutines itself and checks them. Open the address in a browser, or ask with curl:
//!
//! ```text
//! curl http://127.0.0.1:6060/                               # the HTML page
//! curl 'http://127.0.0.1:6060/debug/pprof/goroutine?debug=1' # grouped, counted
//! curl 'http://127.0.0.1:6060/debug/pprof/goroutine?debug=2' # every goroutine
//! curl http://127.0.0.1:6060/debug/goro/metrics
//! ```
//!
//! Run: `cargo run --release -p goroutines --example debug_view [ADDR] [SECONDS]` (default
//! `127.0.0.1:6060`, serving for 2 s; 0 serves until killed).

use goro::prelude::*;
use std::io::{Read, Write};
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:6060".to_string());
    let secs: u64 = args.next().map_or(2, |s| s.parse().unwrap_or(2));

    // SAFETY: no goroutine started with `sp` keeps thread-bound state across a blocking call.
    let sp = unsafe { Spawner::new() };
    let jobs = Chan::<u32>::new(0);
    for _ in 0..6 {
        let jobs = jobs.clone();
        go!(sp, move || while let Some(_job) = jobs.recv() {});
    }
    let lock = std::sync::Arc::new(goro::Mutex::new(0));
    let held = lock.lock();
    let l = lock.clone();
    go!(sp, move || *l.lock() += 1);
    for _ in 0..3 {
        go!(sp, || goro::sleep(Duration::from_secs(3600)));
    }
    let ticks = goro::tick(Duration::from_millis(100));
    go!(sp, move || while ticks.c().recv().is_some() {});

    let server = goro::debug::serve(addr)?;
    println!("serving the live view on http://{}/", server.local_addr());

    // Once the eleven goroutines above wait, ask the view, as curl would, and check it.
    let waiting = || {
        let gs = goro::debug::goroutines();
        gs.iter()
            .filter(|g| matches!(g.state, goro::debug::GoroutineState::Waiting(_)))
            .count()
    };
    while waiting() < 11 {
        goro::sleep(Duration::from_millis(1));
    }
    let mut c = goro::net::TcpStream::connect(server.local_addr())?;
    c.write_all(b"GET /debug/pprof/goroutine?debug=1 HTTP/1.1\r\nHost: goro\r\n\r\n")?;
    let mut resp = String::new();
    c.read_to_string(&mut resp)?;
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    print!("{body}");
    for group in ["6 @ [chan receive]", "3 @ [sleep]", "1 @ [sync.Mutex.Lock]"] {
        assert!(body.contains(group), "{group} missing");
    }
    if secs == 0 {
        loop {
            goro::sleep(Duration::from_secs(3600));
        }
    }
    goro::sleep(Duration::from_secs(secs));
    drop(held);
    Ok(())
}
