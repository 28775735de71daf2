//! A goroutine-per-connection echo server under 10,000 concurrent loopback connections,
//! every byte checked. The shape of Go's net tests that dial many connections at once
//! (src/net/tcpsock_test.go TestTCPConcurrentAccept, scaled to the 10,000).
//!
//! 10,000 connections need 10,000 fds on each side, and this machine's hard RLIMIT_NOFILE
//! is 20,000, so the clients run in a child process (this test binary, re-run with
//! `GORO_ECHO_CLIENT` set, running only `echo_client`). Each process raises its soft limit
//! to the hard one; if the hard limit is too low for 10,000 it scales down and says so.
//! The clients hold every connection open until all have had a first echo, so the server
//! really serves all of them at once; the server checks that its peak was all of them.

use gopoll::net::{TcpListener, TcpStream};
use goro_test_support::goroutine;
use gosync::WaitGroup;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNS: usize = 10_000;
/// Fds kept back for the runtime, the poller, stdio and the test harness.
const SPARE_FDS: u64 = 200;
const CLIENT_ENV: &str = "GORO_ECHO_CLIENT";
const CONNS_ENV: &str = "GORO_ECHO_CONNS";
/// Generous: the test takes a few seconds in --release on 2 cores.
const LIMIT: Duration = Duration::from_secs(120);

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
fn raise_nofile() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit to write into.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid rlimit; raising the soft limit to the hard one is allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    lim.rlim_cur
}

/// What client `i` sends in round `round`: its length and bytes differ per connection.
fn message(i: usize, round: usize) -> Vec<u8> {
    let len = 64 + (i * 7 + round * 131) % 1500;
    (0..len).map(|k| (k ^ i ^ (round << 5)) as u8).collect()
}

fn echo_round(c: &TcpStream, i: usize, round: usize) {
    let msg = message(i, round);
    (&*c).write_all(&msg).unwrap();
    let mut back = vec![0; msg.len()];
    (&*c).read_exact(&mut back).unwrap();
    assert!(
        back == msg,
        "connection {i} round {round}: echoed bytes differ"
    );
}

#[test]
fn echo_10k_concurrent_connections() {
    if std::env::var_os(CLIENT_ENV).is_some() {
        return; // we are the client process
    }
    let limit = raise_nofile();
    let conns = CONNS.min(limit.saturating_sub(SPARE_FDS) as usize);
    if conns < CONNS {
        eprintln!(
            "net_echo_test: RLIMIT_NOFILE hard limit {limit}: scaled down to {conns} connections"
        );
    }

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let echoed = Arc::new(AtomicUsize::new(0));
    let server = {
        let (active, peak, echoed) = (active.clone(), peak.clone(), echoed.clone());
        goroutine(move || {
            let mut handlers = Vec::with_capacity(conns);
            for _ in 0..conns {
                let (c, _) = listener.accept().expect("accept");
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                let (active, echoed) = (active.clone(), echoed.clone());
                handlers.push(goroutine(move || {
                    let mut buf = [0; 2048];
                    loop {
                        match (&c).read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                (&c).write_all(&buf[..n]).expect("echo write");
                                echoed.fetch_add(n, Ordering::Relaxed);
                            }
                            Err(e) => panic!("echo read: {e}"),
                        }
                    }
                    active.fetch_sub(1, Ordering::SeqCst);
                }));
            }
            for h in handlers {
                h.join().unwrap();
            }
        })
    };

    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args(["echo_client", "--exact", "--nocapture", "--test-threads=1"])
        .env(CLIENT_ENV, addr.to_string())
        .env(CONNS_ENV, conns.to_string())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("the echo clients took over {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "client process failed: {status}");
    server.join().unwrap();
    assert_eq!(
        peak.load(Ordering::SeqCst),
        conns,
        "not all connections were open at once"
    );
    assert_eq!(active.load(Ordering::SeqCst), 0);
    let expect: usize = (0..conns)
        .map(|i| message(i, 0).len() + message(i, 1).len())
        .sum();
    assert_eq!(echoed.load(Ordering::Relaxed), expect);
}

/// The client side, run in the child process only.
#[test]
fn echo_client() {
    let Some(addr) = std::env::var_os(CLIENT_ENV) else {
        return;
    };
    let addr: std::net::SocketAddr = addr.to_str().unwrap().parse().unwrap();
    let conns: usize = std::env::var(CONNS_ENV).unwrap().parse().unwrap();
    raise_nofile();
    let all_connected = WaitGroup::new();
    all_connected.add(conns as isize);
    let clients: Vec<_> = (0..conns)
        .map(|i| {
            let wg = all_connected.clone();
            goroutine(move || {
                let c = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {i}: {e}"));
                echo_round(&c, i, 0);
                // Hold the connection until every client has been served once.
                wg.done();
                wg.wait();
                echo_round(&c, i, 1);
            })
        })
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        if let Err(e) = c.join() {
            panic!("client {i} failed: {e:?}");
        }
    }
}
