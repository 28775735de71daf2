//! TCP from goroutines, threads and both: echo, half-close, reset, connect errors,
//! try_clone, and `close` waking parked ops.
#![cfg(not(loom))]

use gopoll::net::{TcpListener, TcpStream};
use goro_test_support::goroutine;
use std::io::{self, Read, Write};
use std::net::Shutdown;

/// Serves `n` connections, one goroutine each, echoing until EOF.
fn echo_server(n: usize) -> (std::net::SocketAddr, gmp_sched::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let h = goroutine(move || {
        let mut conns = Vec::new();
        for _ in 0..n {
            let (c, _) = l.accept().unwrap();
            conns.push(goroutine(move || {
                let mut buf = [0; 4096];
                loop {
                    match (&c).read(&mut buf) {
                        Ok(0) => break,
                        Ok(k) => (&c).write_all(&buf[..k]).unwrap(),
                        Err(e) => panic!("echo read: {e}"),
                    }
                }
            }));
        }
        for c in conns {
            c.join().unwrap();
        }
    });
    (addr, h)
}

fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ seed) as u8)
        .collect()
}

/// Writes `data` in one goroutine while reading it back in this party.
fn round_trip(addr: std::net::SocketAddr, data: Vec<u8>) {
    let c = TcpStream::connect(addr).unwrap();
    let w = c.try_clone().unwrap();
    let expect = data.clone();
    let writer = goroutine(move || {
        (&w).write_all(&data).unwrap();
        w.shutdown(Shutdown::Write).unwrap();
    });
    let mut got = Vec::new();
    (&c).read_to_end(&mut got).unwrap();
    writer.join().unwrap();
    assert!(got == expect, "echoed bytes differ");
}

#[test]
fn echo_goroutine_clients() {
    let (addr, server) = echo_server(8);
    let clients: Vec<_> = (0..8)
        .map(|i| goroutine(move || round_trip(addr, pattern(i, 200_000 + i * 1000))))
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.join().unwrap();
}

#[test]
fn echo_thread_clients() {
    let (addr, server) = echo_server(4);
    let clients: Vec<_> = (0..4)
        .map(|i| std::thread::spawn(move || round_trip(addr, pattern(i, 100_000))))
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.join().unwrap();
}

#[test]
fn thread_server_goroutine_client() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        let mut all = Vec::new();
        c.read_to_end(&mut all).unwrap();
        c.write_all(&all).unwrap();
    });
    goroutine(move || {
        let mut c = TcpStream::connect(addr).unwrap();
        let data = pattern(7, 300_000);
        // The server reads everything before answering: the write must not deadlock
        // against a full buffer because the read side is a thread.
        c.write_all(&data).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).unwrap();
        assert!(back == data);
    })
    .join()
    .unwrap();
    server.join().unwrap();
}

#[test]
fn half_close_then_reply() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    let server = goroutine(move || {
        let mut req = Vec::new();
        (&s).read_to_end(&mut req).unwrap(); // EOF after the client's CloseWrite
        (&s).write_all(&req).unwrap();
        (&s).write_all(b"!").unwrap();
    });
    (&c).write_all(b"request").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    (&c).read_to_end(&mut reply).unwrap();
    assert_eq!(reply, b"request!");
    server.join().unwrap();
}

/// Closes `s` with an RST (SO_LINGER 0), as a crashed peer would.
fn reset(s: TcpStream) {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `l` is a valid linger struct for the duration of the call.
    let r = unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&s),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0);
    drop(s);
}

#[test]
fn reset_peer_fails_read_and_write_without_sigpipe() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    goroutine(move || {
        // A goroutine parked in read is woken by the reset.
        let r = goroutine(move || {
            let mut buf = [0; 16];
            let e = (&c).read(&mut buf).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
            // Writing to a reset connection: an error (EPIPE/ECONNRESET), the process lives.
            let mut failed = false;
            for _ in 0..100 {
                if (&c).write_all(&[0; 65536]).is_err() {
                    failed = true;
                    break;
                }
            }
            assert!(failed, "writes to a reset peer kept succeeding");
        });
        gmp_sched::yield_now();
        reset(s);
        r.join().unwrap();
    })
    .join()
    .unwrap();
}

#[test]
fn write_to_closed_peer_is_an_error() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    drop(s);
    drop(l);
    let mut failed = None;
    for _ in 0..1000 {
        if let Err(e) = (&c).write(&[1; 1024]) {
            failed = Some(e);
            break;
        }
    }
    let e = failed.expect("writes to a closed peer kept succeeding");
    assert!(
        matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "{e:?}"
    );
}

#[test]
fn connect_refused() {
    // Bind then drop a listener: its port refuses connections.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let e = goroutine(move || TcpStream::connect(addr).unwrap_err())
        .join()
        .unwrap();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    let e = TcpStream::connect(addr).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn ipv6_loopback() {
    let Ok(l) = TcpListener::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    let addr = l.local_addr().unwrap();
    let h = goroutine(move || {
        let (mut s, peer) = l.accept().unwrap();
        assert!(peer.is_ipv6());
        s.write_all(b"v6").unwrap();
    });
    let mut c = TcpStream::connect(addr).unwrap();
    let mut buf = [0; 2];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"v6");
    h.join().unwrap();
}

#[test]
fn close_wakes_parked_read_and_accept() {
    let l = std::sync::Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let c = std::sync::Arc::new(TcpStream::connect(l.local_addr().unwrap()).unwrap());
    let (_s, _) = l.accept().unwrap();
    let (l2, c2) = (l.clone(), c.clone());
    let acceptor = goroutine(move || l2.accept().map(|_| ()).unwrap_err());
    let reader = goroutine(move || (&*c2).read(&mut [0; 8]).unwrap_err());
    let thread_reader = {
        let c3 = c.clone();
        std::thread::spawn(move || (&*c3).read(&mut [0; 8]).unwrap_err())
    };
    // Whether each op has parked yet or not, it must fail once closed.
    l.close();
    c.close();
    for e in [
        acceptor.join().unwrap(),
        reader.join().unwrap(),
        thread_reader.join().unwrap(),
    ] {
        assert!(gopoll::is_closed(&e), "{e:?}");
    }
    assert!(gopoll::is_closed(&(&*c).write(b"x").unwrap_err()));
}

#[test]
fn many_readers_on_one_stream_all_get_data() {
    // Several goroutines read one stream (through &TcpStream): ops in one direction run one
    // at a time, and no reader is left parked while bytes sit in the buffer.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = std::sync::Arc::new(TcpStream::connect(l.local_addr().unwrap()).unwrap());
    let (mut s, _) = l.accept().unwrap();
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            goroutine(move || {
                let mut b = [0; 1];
                (&*c).read_exact(&mut b).unwrap();
                b[0]
            })
        })
        .collect();
    for i in 0..4u8 {
        s.write_all(&[i]).unwrap();
    }
    let mut got: Vec<u8> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    got.sort();
    assert_eq!(got, [0, 1, 2, 3]);
}

#[test]
fn new_connections_have_nodelay_on_both_ends() {
    // Go's newTCPConn sets TCP_NODELAY on every connection, accepted and dialed, from
    // goroutines and threads alike.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    for on_goroutine in [true, false] {
        let dial = move || TcpStream::connect(addr).unwrap();
        let c = if on_goroutine {
            goroutine(dial).join().unwrap()
        } else {
            std::thread::spawn(dial).join().unwrap()
        };
        let (s, _) = l.accept().unwrap();
        assert!(c.nodelay().unwrap(), "connected stream");
        assert!(s.nodelay().unwrap(), "accepted stream");
        let t = TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(30)).unwrap();
        let (u, _) = l.accept().unwrap();
        assert!(t.nodelay().unwrap() && u.nodelay().unwrap());
        // It can still be turned off.
        c.set_nodelay(false).unwrap();
        assert!(!c.nodelay().unwrap());
    }
    // A std stream wrapped with from_std keeps what it had.
    let raw = std::net::TcpStream::connect(addr).unwrap();
    let (_s, _) = l.accept().unwrap();
    assert!(!TcpStream::from_std(raw).unwrap().nodelay().unwrap());
}
