//! may's coroutines as the goroutine peer, `procs` workers (`may::config().set_workers`). Its
//! channels are unbounded (`may::sync::mpsc`), so it runs only the channel workloads where that
//! changes nothing (`pingpong`: one message in flight each way; `skynet`). Locks: `may::sync::Mutex`.
//! The `echo` server is `may::net` with a coroutine per connection.

use goro_bench::locks::{self, Join, Lock, Spawn};
use goro_bench::{ms, ns_per, report, rss_kib, skynet_sum, spec, timed, unsupported, Args};
use may::sync::mpsc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const PEER: &str = "may";

fn main() {
    let args = Args::from_env();
    goro_bench::exit_on_panic();
    if args.workload.ends_with("-server") {
        goro_bench::echo::raise_nofile_limit();
    }
    may::config().set_workers(args.procs());
    let a = args.clone();
    // The driver runs as a coroutine, as Go's main is a goroutine.
    let driver = may::go!(move || match a.workload.as_str() {
        "spawn" => spawn(&a),
        "yield" => yield_(&a),
        "parked" => parked(&a),
        "pingpong" => pingpong(&a),
        "skynet" => skynet_run(&a),
        "mutex" => locks::mutex::<MayMutex, Coroutines>(&a, PEER),
        "uncontended" => locks::uncontended::<MayMutex>(&a, PEER),
        "mutex-tail" => locks::tail::<MayMutex, Coroutines>(&a, PEER),
        "echo-server" => echo_server(),
        "http-server" => http_server(),
        _ => unsupported(&a, PEER),
    });
    driver.join().unwrap();
}

struct MayMutex(may::sync::Mutex<u64>);

impl Lock for MayMutex {
    fn new() -> Self {
        MayMutex(may::sync::Mutex::new(0))
    }
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
}

struct Coroutines;

impl Spawn for Coroutines {
    unsafe fn spawn(f: impl FnOnce() + Send + 'static) -> Join {
        let h = may::go!(f);
        Box::new(move || h.join().unwrap())
    }
}

fn spawn(args: &Args) {
    let n = args.usize("n", spec::SPAWN_N);
    let (d, sum) = timed(|| {
        let handles: Vec<_> = (0..n).map(|i| may::go!(move || i)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum::<usize>()
    });
    assert_eq!(sum, n * (n - 1) / 2);
    report(args, PEER, "ns_per_spawn", ns_per(d, n), &[("ms", ms(d))]);
}

fn yield_(args: &Args) {
    let n = args.usize("n", spec::YIELD_N);
    let (d, ()) = timed(|| {
        let hs: Vec<_> = (0..2)
            .map(|_| {
                may::go!(move || {
                    for _ in 0..n {
                        may::coroutine::yield_now();
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    report(args, PEER, "ns_per_yield", ns_per(d, 2 * n), &[]);
}

fn parked(args: &Args) {
    let n = args.usize("n", spec::PARKED_N);
    let before = rss_kib().unwrap_or(0);
    let ready = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::with_capacity(n);
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (tx, rx) = mpsc::channel::<()>();
        let ready = ready.clone();
        senders.push(tx);
        handles.push(may::go!(move || {
            ready.fetch_add(1, Ordering::Relaxed);
            rx.recv().unwrap();
        }));
    }
    while ready.load(Ordering::Relaxed) < n {
        may::coroutine::sleep(Duration::from_millis(1));
    }
    may::coroutine::sleep(Duration::from_millis(50));
    let during = rss_kib().unwrap_or(0);
    for tx in &senders {
        tx.send(()).unwrap();
    }
    handles.into_iter().for_each(|h| h.join().unwrap());
    let per = during.saturating_sub(before) as f64 * 1024.0 / n as f64;
    report(args, PEER, "bytes_per_g", per, &[]);
}

fn pingpong(args: &Args) {
    let n = args.usize("n", spec::PINGPONG_N);
    let (ping_tx, ping_rx) = mpsc::channel::<u64>();
    let (pong_tx, pong_rx) = mpsc::channel::<u64>();
    let echo = may::go!(move || {
        while let Ok(v) = ping_rx.recv() {
            if pong_tx.send(v).is_err() {
                break;
            }
        }
    });
    let (d, ()) = timed(|| {
        for i in 0..n as u64 {
            ping_tx.send(i).unwrap();
            assert_eq!(pong_rx.recv().unwrap(), i);
        }
    });
    drop(ping_tx);
    echo.join().unwrap();
    report(args, PEER, "ns_per_op", ns_per(d, n), &[]);
}

/// Classic skynet: every node makes a channel, spawns its ten children, each of which sends
/// its sum back on it.
fn skynet(out: mpsc::Sender<u64>, num: u64, size: u64, div: u64) {
    if size == 1 {
        out.send(num).unwrap();
        return;
    }
    let (tx, rx) = mpsc::channel::<u64>();
    for i in 0..div {
        let tx = tx.clone();
        may::go!(move || skynet(tx, num + i * (size / div), size / div, div));
    }
    let sum: u64 = (0..div).map(|_| rx.recv().unwrap()).sum();
    out.send(sum).unwrap();
}

fn skynet_run(args: &Args) {
    let size = args.usize("size", spec::SKYNET_SIZE) as u64;
    let (d, sum) = timed(|| {
        let (tx, rx) = mpsc::channel::<u64>();
        may::go!(move || skynet(tx, 0, size, 10));
        rx.recv().unwrap()
    });
    assert_eq!(sum, skynet_sum(size));
    report(args, PEER, "ms", ms(d), &[]);
}

/// The `http` server (`goro_bench::http`): a coroutine per connection running the shared
/// read-answer-write loop on `may::net`.
fn http_server() {
    let listener = may::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    goro_bench::echo::server_listening(listener.local_addr().expect("local_addr"));
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                let _ = conn.set_nodelay(true);
                may::go!(move || goro_bench::http::serve(conn));
            }
            Err(e) => {
                eprintln!("accept: {e}");
                may::coroutine::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// The `echo` server (`goro_bench::echo`): a coroutine per connection.
fn echo_server() {
    use std::io::{Read, Write};
    let listener = may::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    goro_bench::echo::server_listening(listener.local_addr().expect("local_addr"));
    loop {
        let mut conn = match listener.accept() {
            Ok((c, _)) => c,
            Err(e) => {
                eprintln!("accept: {e}");
                may::coroutine::sleep(Duration::from_millis(5));
                continue;
            }
        };
        let _ = conn.set_nodelay(true);
        may::go!(move || {
            let mut buf = [0u8; goro_bench::echo::SERVER_BUF];
            loop {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if conn.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
}
