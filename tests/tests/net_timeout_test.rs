//! Go's src/net/timeout_test.go, ported as behaviours, each test named after Go's. Parties
//! run as goroutines, threads and mixed (`goro_test_support::MODES`). No sleep or timing decides a
//! result: where Go waits "long enough" to see that an op did not return, these tests wait
//! until the op is parked in the netpoller (`Party::wait_parked_in_io`); where Go checks an
//! upper bound on a timeout's lateness, these check only that it never fires early.

use goro::net::{TcpListener, TcpStream, UdpSocket};
use goro_test_support::{go, is_timeout, tcp_pair, Mode, MODES};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Far enough to never pass during a test: a hang guard, not a result.
const LONG: Duration = Duration::from_secs(60);

/// Reads `r` to end-of-file, returning how many bytes came.
fn drain(mut r: impl Read) -> u64 {
    io::copy(&mut r, &mut io::sink()).unwrap()
}

#[test]
fn dial_timeout() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    for mode in MODES {
        // Go's table: a deadline already past (now, 5 s ago, the distant past) fails with a
        // timeout before dialing, even though a loopback connect could complete at once.
        let past = go(mode, 0, move || {
            let now = Instant::now();
            let far = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
            [now, now - Duration::from_millis(5), far]
                .into_iter()
                .all(|d| is_timeout(&TcpStream::connect_deadline(&addr, Some(d))))
        });
        assert!(past.join(), "{mode:?}");
    }
    // A dial that cannot complete: the listener's accept queue is full (backlog 0, one
    // connection queued), so the kernel drops our SYNs; the dial ends at its deadline.
    let full = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: plain syscall on a listening socket we own; it only lowers the backlog.
    assert_eq!(unsafe { libc::listen(full.as_raw_fd(), 0) }, 0);
    let full_addr = full.local_addr().unwrap();
    let _queued = std::net::TcpStream::connect(full_addr).unwrap();
    for mode in MODES {
        let h = go(mode, 1, move || {
            let start = Instant::now();
            let d = start + Duration::from_millis(20);
            let r = TcpStream::connect_deadline(&full_addr, Some(d));
            (is_timeout(&r), Instant::now() >= d)
        });
        assert_eq!(h.join(), (true, true), "{mode:?}");
        let t = go(mode, 0, move || {
            is_timeout(&TcpStream::connect_timeout(
                &full_addr,
                Duration::from_millis(5),
            ))
        });
        assert!(t.join(), "{mode:?}");
    }
    // std's rule for connect_timeout: a zero timeout is an error, not "no timeout".
    let e = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn dial_timeout_max_duration() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    // The largest timeout, and a deadline as far as Instant goes: both dial normally.
    let c = TcpStream::connect_timeout(&addr, Duration::MAX).unwrap();
    let far = Instant::now() + Duration::from_secs(100 * 365 * 86400);
    let d = TcpStream::connect_deadline(&addr, Some(far)).unwrap();
    for c in [c, d] {
        let (s, _) = l.accept().unwrap();
        assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
    }
}

#[test]
fn accept_timeout() {
    for mode in MODES {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        // A deadline in the past fails at once, and keeps failing, even with a connection
        // pending (Go dials one for this case).
        let _pending = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        l.set_deadline(Some(Instant::now() - Duration::from_secs(5)));
        for _ in 0..3 {
            assert!(is_timeout(&l.accept()));
        }
        // Cleared, the pending connection is accepted; then a future deadline with
        // nothing pending times out after waiting.
        l.set_deadline(None);
        drop(l.accept().unwrap());
        let l = go(mode, 0, move || {
            let d = Instant::now() + Duration::from_millis(10);
            l.set_deadline(Some(d));
            let r = l.accept();
            assert!(is_timeout(&r), "{mode:?}: {:?}", r.map(|_| ()));
            assert!(Instant::now() >= d, "timed out early");
            l
        })
        .join();
        // Cleared: accept works again.
        l.set_read_deadline(None);
        let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        assert_eq!(l.accept().unwrap().1, c.local_addr().unwrap());
    }
}

#[test]
fn accept_timeout_must_return() {
    for mode in MODES {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let r = go(mode, 0, move || {
            l.set_deadline(None);
            l.set_deadline(Some(Instant::now() + Duration::from_millis(10)));
            is_timeout(&l.accept())
        });
        assert!(r.join(), "{mode:?}");
    }
}

#[test]
fn accept_timeout_must_not_return() {
    // A deadline set in the past and then cleared leaves accept blocked (not timed out)
    // until the listener is closed; it then fails with ErrClosed, not a timeout.
    for mode in MODES {
        let l = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        l.set_deadline(Some(Instant::now() - Duration::from_secs(5)));
        l.set_deadline(None);
        let acc = {
            let l = l.clone();
            go(mode, 0, move || l.accept().map(|_| ()).unwrap_err())
        };
        acc.wait_parked_in_io(|| l.as_poll_fd().read_parked());
        let closer = {
            let l = l.clone();
            go(mode, 1, move || l.close())
        };
        closer.join();
        let e = acc.join();
        assert!(goro::net::is_closed(&e), "{mode:?}: {e:?}");
    }
}

#[test]
fn read_timeout() {
    for mode in MODES {
        let (c, s) = tcp_pair();
        // Once the deadline has passed, Read fails even with data waiting, every time.
        (&s).write_all(b"data").unwrap();
        c.set_read_deadline(Some(Instant::now() - Duration::from_secs(5)));
        assert!(is_timeout(&(&c).read(&mut [0; 8])));
        assert!(is_timeout(&(&c).read(&mut [0; 8])));
        // A future deadline: the data first, then a timeout once the deadline passes.
        let r = go(mode, 0, move || {
            c.set_read_deadline(Some(Instant::now() + LONG));
            let mut b = [0; 8];
            let n = (&c).read(&mut b).unwrap();
            let d = Instant::now() + Duration::from_millis(5);
            c.set_read_deadline(Some(d));
            let second = (&c).read(&mut b);
            (b[..n].to_vec(), is_timeout(&second), Instant::now() >= d)
        });
        assert_eq!(r.join(), (b"data".to_vec(), true, true), "{mode:?}");
    }
}

#[test]
fn read_timeout_must_not_return() {
    for mode in MODES {
        let (c, s) = tcp_pair();
        let c = Arc::new(c);
        c.set_deadline(Some(Instant::now() - Duration::from_secs(5)));
        c.set_write_deadline(Some(Instant::now() - Duration::from_secs(5)));
        c.set_read_deadline(None);
        let reader = {
            let c = c.clone();
            go(mode, 0, move || (&*c).read(&mut [0; 1]))
        };
        reader.wait_parked_in_io(|| c.as_poll_fd().read_parked());
        let closer = {
            let c = c.clone();
            go(mode, 1, move || c.close())
        };
        closer.join();
        let e = reader.join().unwrap_err();
        assert!(goro::net::is_closed(&e), "{mode:?}: {e:?}");
        assert_ne!(e.kind(), io::ErrorKind::TimedOut);
        drop(s);
    }
}

#[test]
fn read_timeout_cleared_while_parked() {
    // Not in Go's file: the other half of "must not return". A read parked under a
    // deadline that is then cleared waits for data instead of timing out.
    for mode in MODES {
        let (c, s) = tcp_pair();
        let c = Arc::new(c);
        c.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)));
        let reader = {
            let c = c.clone();
            go(mode, 0, move || {
                let mut b = [0; 3];
                (&*c).read_exact(&mut b).map(|()| b)
            })
        };
        reader.wait_parked_in_io(|| c.as_poll_fd().read_parked());
        c.set_deadline(None);
        (&s).write_all(b"end").unwrap();
        assert_eq!(&reader.join().unwrap(), b"end", "{mode:?}");
    }
}

#[test]
fn read_from_timeout() {
    for mode in MODES {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        let msg = b"READFROM TIMEOUT TEST";
        server.send_to(msg, c.local_addr().unwrap()).unwrap();
        let from = server.local_addr().unwrap();
        let r = go(mode, 0, move || {
            let mut b = [0; 64];
            // Past: a timeout, twice, with a datagram queued.
            c.set_read_deadline(Some(Instant::now() - Duration::from_secs(5)));
            assert!(is_timeout(&c.recv_from(&mut b)));
            assert!(is_timeout(&c.recv_from(&mut b)));
            // Future: the queued datagram, then timeouts, never early.
            c.set_read_deadline(Some(Instant::now() + LONG));
            let (n, src) = c.recv_from(&mut b).unwrap();
            assert_eq!((&b[..n], src), (&msg[..], from));
            let d = Instant::now() + Duration::from_millis(5);
            c.set_read_deadline(Some(d));
            for _ in 0..2 {
                assert!(is_timeout(&c.recv_from(&mut b)));
                assert!(Instant::now() >= d);
            }
        });
        r.join();
    }
}

#[test]
fn write_timeout() {
    for mode in MODES {
        let (c, s) = tcp_pair();
        // Past: a timeout, twice, nothing written.
        c.set_write_deadline(Some(Instant::now() - Duration::from_secs(5)));
        assert!(is_timeout(&(&c).write(b"WRITE TIMEOUT TEST")));
        assert!(is_timeout(&(&c).write(b"WRITE TIMEOUT TEST")));
        // Future: writes succeed until the send buffer fills, then park until the deadline.
        let w = go(mode, 0, move || {
            let d = Instant::now() + Duration::from_millis(10);
            c.set_write_deadline(Some(d));
            let mut sent = 0u64;
            loop {
                match (&c).write(&[7; 1 << 16]) {
                    Ok(n) => sent += n as u64,
                    Err(e) => {
                        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
                        assert!(Instant::now() >= d);
                        // A second write times out too.
                        assert!(is_timeout(&(&c).write(b"x")));
                        return sent;
                    }
                }
            }
        });
        let sent = w.join();
        // Every byte written before the timeout arrives (the writer is dropped: EOF).
        assert_eq!(drain(&s), sent, "{mode:?}");
    }
}

#[test]
fn write_timeout_must_not_return() {
    for mode in MODES {
        let (c, s) = tcp_pair();
        let c = Arc::new(c);
        c.set_deadline(Some(Instant::now() - Duration::from_secs(5)));
        c.set_read_deadline(Some(Instant::now() - Duration::from_secs(5)));
        c.set_write_deadline(None);
        let writer = {
            let c = c.clone();
            go(mode, 0, move || {
                let mut sent = 0u64;
                loop {
                    match (&*c).write(&[1; 1024]) {
                        Ok(n) => sent += n as u64,
                        Err(e) => return (sent, e),
                    }
                }
            })
        };
        // The send buffer fills and the writer parks: it did not return.
        writer.wait_parked_in_io(|| c.as_poll_fd().write_parked());
        let closer = {
            let c = c.clone();
            go(mode, 1, move || c.close())
        };
        closer.join();
        let (sent, e) = writer.join();
        assert!(goro::net::is_closed(&e), "{mode:?}: {e:?}");
        drop(c);
        assert_eq!(drain(&s), sent, "{mode:?}");
    }
}

#[test]
fn write_to_timeout() {
    let c1 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = c1.local_addr().unwrap();
    for mode in MODES {
        for past in [true, false] {
            let c2 = UdpSocket::bind("127.0.0.1:0").unwrap();
            let r = go(mode, 0, move || {
                let d = if past {
                    Instant::now() - Duration::from_secs(5)
                } else {
                    Instant::now() + Duration::from_millis(10)
                };
                c2.set_write_deadline(Some(d));
                // Datagrams go out until the deadline passes; then two timeouts in a row.
                let mut timeouts = 0;
                while timeouts < 2 {
                    match c2.send_to(b"WRITETO TIMEOUT TEST", to) {
                        Ok(n) => {
                            assert!(timeouts == 0 && !past, "wrote after a timeout");
                            assert_eq!(n, 20);
                        }
                        Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                            assert!(Instant::now() >= d);
                            timeouts += 1;
                        }
                        Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {}
                        Err(e) => panic!("send_to: {e}"),
                    }
                }
            });
            r.join();
        }
    }
}

/// The deadlines the fluctuation tests try: a timeout never returns before its deadline.
const FLUCTUATION: [Duration; 4] = [
    Duration::from_millis(1),
    Duration::from_micros(1250),
    Duration::from_micros(1562),
    Duration::from_millis(2),
];

#[test]
fn read_timeout_fluctuation() {
    for mode in MODES {
        let (c, _s) = tcp_pair();
        go(mode, 0, move || {
            for d in FLUCTUATION {
                let deadline = Instant::now() + d;
                c.set_read_deadline(Some(deadline));
                let r = (&c).read(&mut [0; 256]);
                assert!(is_timeout(&r), "{r:?}");
                assert!(Instant::now() >= deadline, "timed out before the deadline");
            }
        })
        .join();
    }
}

#[test]
fn read_from_timeout_fluctuation() {
    for mode in MODES {
        let c1 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let c2 = UdpSocket::bind("127.0.0.1:0").unwrap();
        c2.connect(c1.local_addr().unwrap()).unwrap();
        go(mode, 0, move || {
            for d in FLUCTUATION {
                let deadline = Instant::now() + d;
                c2.set_read_deadline(Some(deadline));
                let r = c2.recv_from(&mut [0; 256]);
                assert!(is_timeout(&r), "{r:?}");
                assert!(Instant::now() >= deadline, "timed out before the deadline");
            }
        })
        .join();
    }
}

#[test]
fn write_timeout_fluctuation() {
    for mode in MODES {
        let (c, s) = tcp_pair();
        let w = go(mode, 0, move || {
            let mut sent = 0u64;
            for d in FLUCTUATION {
                let deadline = Instant::now() + d;
                c.set_write_deadline(Some(deadline));
                loop {
                    match (&c).write(b"TIMEOUT TRANSMITTER") {
                        Ok(n) => sent += n as u64,
                        Err(e) => {
                            assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
                            assert!(Instant::now() >= deadline, "timed out early");
                            break;
                        }
                    }
                }
            }
            sent
        });
        let sent = w.join();
        assert_eq!(drain(&s), sent, "{mode:?}");
    }
}

/// Go's testVariousDeadlines: a client copies from a server that never writes, under a
/// deadline on both directions; every copy ends with a timeout and no data.
fn test_various_deadlines(mode: Mode) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = go(mode, 1, move || {
        // Serve until the test closes the listener; each connection waits for its
        // client to close.
        let mut served = 0;
        while let Ok((c, _)) = l.accept() {
            assert_eq!((&c).read(&mut [0; 1]).unwrap(), 0);
            served += 1;
            if served == 3 * DEADLINES.len() {
                break;
            }
        }
        served
    });
    const DEADLINES: [Duration; 15] = [
        Duration::from_nanos(1),
        Duration::from_nanos(2),
        Duration::from_nanos(5),
        Duration::from_nanos(50),
        Duration::from_nanos(100),
        Duration::from_nanos(200),
        Duration::from_nanos(500),
        Duration::from_nanos(750),
        Duration::from_micros(1),
        Duration::from_micros(5),
        Duration::from_micros(25),
        Duration::from_micros(250),
        Duration::from_micros(500),
        Duration::from_millis(1),
        Duration::from_millis(5),
    ];
    for d in DEADLINES {
        for run in 0..3 {
            let client = go(mode, run, move || {
                let c = TcpStream::connect(addr).unwrap();
                let t0 = Instant::now();
                c.set_deadline(Some(t0 + d));
                let mut n = 0;
                let r = loop {
                    match (&c).read(&mut [0; 512]) {
                        Ok(0) => break Ok(()),
                        Ok(k) => n += k,
                        Err(e) => break Err(e),
                    }
                };
                (n, is_timeout(&r), Instant::now() >= t0 + d)
            });
            assert_eq!(client.join(), (0, true, true), "{mode:?} {d:?} run {run}");
        }
    }
    assert_eq!(server.join(), 3 * DEADLINES.len());
}

#[test]
fn various_deadlines() {
    for mode in MODES {
        test_various_deadlines(mode);
    }
}

/// Runs `f` with GOMAXPROCS at `n`, restoring it after.
fn with_gomaxprocs(n: usize, f: impl FnOnce()) {
    let before = goro::set_gomaxprocs(n);
    f();
    goro::set_gomaxprocs(before);
}

#[test]
fn various_deadlines_1_proc() {
    with_gomaxprocs(1, || test_various_deadlines(Mode::Goroutines));
}

#[test]
fn various_deadlines_4_proc() {
    with_gomaxprocs(4, || test_various_deadlines(Mode::Mixed));
}

#[test]
fn read_write_prolonged_timeout() {
    // The server re-arms an hour-long deadline before each op, in two parties; the client
    // ping-pongs 1000 single bytes. Every byte is counted on both sides.
    const ROUNDS: u64 = 1000;
    for mode in MODES {
        let (c, s) = tcp_pair();
        let s = Arc::new(s);
        let reader = {
            let s = s.clone();
            go(mode, 0, move || {
                let mut got = 0u64;
                loop {
                    s.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)));
                    match (&*s).read(&mut [0; 1]) {
                        Ok(0) => return got, // the client's CloseWrite
                        Ok(n) => got += n as u64,
                        Err(e) => panic!("read: {e}"),
                    }
                }
            })
        };
        let writer = {
            let s = s.clone();
            go(mode, 1, move || loop {
                s.set_write_deadline(Some(Instant::now() + Duration::from_secs(3600)));
                if let Err(e) = (&*s).write(&[1]) {
                    assert_ne!(e.kind(), io::ErrorKind::TimedOut);
                    return;
                }
            })
        };
        let mut read = 0u64;
        for _ in 0..ROUNDS {
            (&c).write_all(&[2]).unwrap();
            (&c).read_exact(&mut [0; 1]).unwrap();
            read += 1;
        }
        // CloseWrite: the server's reader sees EOF after exactly our bytes. Then closing
        // with the writer's bytes unread resets the connection: the writer fails.
        c.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(reader.join(), ROUNDS, "{mode:?}");
        drop(c);
        writer.join();
        assert_eq!(read, ROUNDS);
    }
}

#[test]
fn read_write_deadline_race() {
    // Readers and writers run while another party keeps moving both deadlines; every op
    // ends (data, or a timeout) and nothing hangs or panics.
    const N: u64 = 1000;
    for mode in MODES {
        let (c, s) = tcp_pair();
        let c = Arc::new(c);
        let setter = {
            let c = c.clone();
            go(mode, 0, move || {
                for _ in 0..N {
                    c.set_read_deadline(Some(Instant::now() + Duration::from_micros(2)));
                    c.set_write_deadline(Some(Instant::now() + Duration::from_micros(2)));
                    goro::yield_now();
                }
            })
        };
        let reader = {
            let c = c.clone();
            go(mode, 1, move || {
                for _ in 0..N {
                    match (&*c).read(&mut [0; 1]) {
                        Ok(n) => panic!("read {n} bytes from a silent peer"),
                        Err(e) => assert_eq!(e.kind(), io::ErrorKind::TimedOut, "read: {e}"),
                    }
                }
            })
        };
        let writer = {
            let c = c.clone();
            go(mode, 2, move || {
                let mut sent = 0u64;
                for _ in 0..N {
                    match (&*c).write(&[1]) {
                        Ok(n) => sent += n as u64,
                        Err(e) => assert_eq!(e.kind(), io::ErrorKind::TimedOut, "write: {e}"),
                    }
                }
                sent
            })
        };
        setter.join();
        reader.join();
        let sent = writer.join();
        drop(c);
        assert_eq!(drain(&s), sent, "{mode:?}");
    }
}

#[test]
fn concurrent_set_deadline() {
    // Go's shape: 8 parties set both deadlines on 10 connections, 100 times each.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let conns: Arc<Vec<TcpStream>> =
        Arc::new((0..10).map(|_| TcpStream::connect(addr).unwrap()).collect());
    let now = Instant::now();
    for mode in MODES {
        let hs: Vec<_> = (0..8u64)
            .map(|i| {
                let conns = conns.clone();
                go(mode, i as usize, move || {
                    for j in (1..=100u64).rev() {
                        for (k, c) in conns.iter().enumerate() {
                            let extra = Duration::from_secs(i * j * k as u64);
                            c.set_read_deadline(Some(now + Duration::from_secs(7200) + extra));
                            c.set_write_deadline(Some(now + Duration::from_secs(3600) + extra));
                        }
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join());
    }
    // The deadlines still work afterwards.
    for c in conns.iter() {
        c.set_read_deadline(Some(Instant::now()));
        assert!(is_timeout(&(&*c).read(&mut [0; 1])));
    }
}
