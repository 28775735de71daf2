//! A small echo load generator, for smoke-testing an echo server (such as goro's
//! `echo_server` example): N connections, each a goroutine sending a 64-byte message and
//! waiting for it to come back, for a fixed time; prints requests per second and the
//! p50/p99 round-trip latency. The `echo` benchmark proper lives in `bench/`.
//!
//! ```text
//! cargo run --release -p gopoll --example echo_load -- ADDR [CONNS] [SECONDS]
//! ```

use gopoll::net::TcpStream;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let addr: std::net::SocketAddr = args
        .next()
        .expect("usage: echo_load ADDR [CONNS] [SECONDS]")
        .parse()
        .expect("ADDR: ip:port");
    let conns: usize = args.next().map_or(100, |s| s.parse().expect("CONNS"));
    let secs: u64 = args.next().map_or(3, |s| s.parse().expect("SECONDS"));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..conns)
        .map(|_| {
            let stop = stop.clone();
            // SAFETY: the goroutine holds only its socket and an Arc across blocking calls.
            unsafe {
                gmp_sched::spawn(move || {
                    let c = TcpStream::connect(addr).expect("connect");
                    c.set_nodelay(true).unwrap();
                    let msg = [42u8; 64];
                    let mut back = [0u8; 64];
                    let mut lat = Vec::with_capacity(1 << 16);
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        (&c).write_all(&msg).unwrap();
                        (&c).read_exact(&mut back).unwrap();
                        lat.push(t.elapsed().as_nanos() as u64);
                    }
                    lat
                })
            }
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<u64> = clients
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)] as f64 / 1e3;
    println!(
        "conns {conns}: {:.0} req/s, p50 {:.1} us, p99 {:.1} us",
        all.len() as f64 / secs as f64,
        pct(0.50),
        pct(0.99)
    );
}
