//! Go's src/net/tcpsock_test.go, ported as behaviours, each test named after Go's. Parties
//! run as goroutines, threads and mixed (`goro_test_support::MODES`); every byte is counted. Go's sleeps
//! are replaced by waiting until a party is parked in the netpoller.

use goro::net::{PollFd, TcpListener, TcpStream};
use goro_test_support::{go, tcp_pair, wait_until, MODES};
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn tcp_listener_name() {
    // Go's test listens on every local address; loopback v4 and (where the host has it)
    // v6 here. The listener gets a real port.
    let mut addrs = vec!["127.0.0.1:0"];
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        addrs.push("[::1]:0");
    }
    for a in addrs {
        let l = TcpListener::bind(a).unwrap();
        let la = l.local_addr().unwrap();
        assert_ne!(la.port(), 0, "{a}");
        assert!(la.ip().is_loopback(), "{a}");
    }
}

#[test]
fn tcp_concurrent_accept() {
    // Ten parties accept on one listener while 100 dials arrive; closing the listener
    // then ends every accept loop. Every connection is accepted exactly once.
    const ACCEPTORS: usize = 10;
    const DIALS: usize = 100;
    for mode in MODES {
        let l = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = l.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let parties: Vec<_> = (0..ACCEPTORS)
            .map(|i| {
                let (l, accepted) = (l.clone(), accepted.clone());
                go(mode, i, move || loop {
                    match l.accept() {
                        Ok((c, _)) => {
                            accepted.fetch_add(1, Ordering::SeqCst);
                            drop(c);
                        }
                        Err(e) => {
                            assert!(goro::net::is_closed(&e), "{e:?}");
                            return;
                        }
                    }
                })
            })
            .collect();
        let dialers: Vec<_> = (0..4)
            .map(|k| {
                go(mode, k + 1, move || {
                    for _ in 0..DIALS / 4 {
                        drop(TcpStream::connect(addr).unwrap());
                    }
                })
            })
            .collect();
        dialers.into_iter().for_each(|d| d.join());
        wait_until(|| accepted.load(Ordering::SeqCst) == DIALS);
        l.close();
        parties.into_iter().for_each(|p| p.join());
        assert_eq!(accepted.load(Ordering::SeqCst), DIALS, "{mode:?}");
    }
}

#[test]
fn tcp_stress() {
    // Two connections, each 2,000 round trips of 512-byte messages through an echo server
    // that serves each connection in its own party.
    const CONNS: usize = 2;
    const MSGS: usize = 2_000;
    const LEN: usize = 512;
    for mode in MODES {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = go(mode, 0, move || {
            let served: Vec<_> = (0..CONNS)
                .map(|i| {
                    let (c, _) = l.accept().unwrap();
                    go(mode, i + 1, move || {
                        let mut buf = [0; LEN];
                        let mut echoed = 0;
                        for _ in 0..MSGS {
                            (&c).read_exact(&mut buf).unwrap();
                            (&c).write_all(&buf).unwrap();
                            echoed += LEN;
                        }
                        echoed
                    })
                })
                .collect();
            served.into_iter().map(|s| s.join()).sum::<usize>()
        });
        let clients: Vec<_> = (0..CONNS)
            .map(|i| {
                go(mode, i, move || {
                    let c = TcpStream::connect(addr).unwrap();
                    let mut got = 0;
                    for m in 0..MSGS {
                        let msg = [(m ^ i) as u8; LEN];
                        (&c).write_all(&msg).unwrap();
                        let mut back = [0; LEN];
                        (&c).read_exact(&mut back).unwrap();
                        assert_eq!(back, msg);
                        got += LEN;
                    }
                    got
                })
            })
            .collect();
        let got: usize = clients.into_iter().map(|c| c.join()).sum();
        assert_eq!(got, CONNS * MSGS * LEN);
        assert_eq!(server.join(), CONNS * MSGS * LEN, "{mode:?}");
    }
}

#[test]
fn tcp_big() {
    // Go's is opt-in (-tcpbig) and sends just over 5 GB; scaled to 24 MiB + 1, with plain
    // writes and with writev, every byte checked.
    const LEN: usize = (24 << 20) + 1;
    let data: Arc<Vec<u8>> = Arc::new((0..LEN).map(|i| (i % 251) as u8).collect());
    for (k, writev) in [false, true].into_iter().enumerate() {
        let mode = MODES[k % MODES.len()];
        let (c, s) = tcp_pair();
        let w = {
            let data = data.clone();
            go(mode, 0, move || {
                let mut off = 0;
                while off < data.len() {
                    off += if writev {
                        let (a, b) = data[off..].split_at((data.len() - off) / 2);
                        (&s).write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
                    } else {
                        (&s).write(&data[off..])
                    }
                    .unwrap();
                }
                off
            })
        };
        let mut got = vec![0; LEN];
        (&c).read_exact(&mut got).unwrap();
        assert_eq!(w.join(), LEN);
        assert!(got == *data, "writev={writev}: bytes differ");
        assert_eq!((&c).read(&mut [0; 1]).unwrap(), 0, "EOF after the data");
    }
}

/// Bytes waiting to be read from `fd` (FIONREAD).
fn unread(fd: std::os::fd::RawFd) -> libc::c_int {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, valid for the call.
    assert_eq!(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) }, 0);
    n
}

#[test]
fn copy_pipe_into_tcp() {
    // io::copy from a pipe (a PollFd) into a TCP connection. Go sleeps between the two
    // one-byte writes so the copy sees them apart; here the writer waits until the copying
    // party is parked on the empty pipe.
    for mode in MODES {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = go(mode, 0, move || {
            let (c, _) = l.accept().unwrap();
            let mut buf = Vec::new();
            (&c).read_to_end(&mut buf).unwrap();
            buf
        });
        let c = TcpStream::connect(addr).unwrap();
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two fds pipe2 writes.
        let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
        assert_eq!(r, 0);
        // SAFETY: pipe2 just returned these fds; nobody else owns them.
        let (r, mut w) = unsafe {
            (
                std::fs::File::from(OwnedFd::from_raw_fd(fds[0])),
                std::fs::File::from(OwnedFd::from_raw_fd(fds[1])),
            )
        };
        let r = Arc::new(PollFd::new(r).unwrap());
        let copier = {
            let r = r.clone();
            go(mode, 1, move || {
                let n = io::copy(&mut &*r, &mut &c).unwrap();
                c.shutdown(Shutdown::Write).unwrap();
                n
            })
        };
        w.write_all(&[1]).unwrap();
        // The copier took the byte (the pipe is empty) and parked again for more.
        let rfd = r.as_raw_fd();
        copier.wait_parked_in_io(|| unread(rfd) == 0 && r.read_parked());
        w.write_all(&[2]).unwrap();
        drop(w);
        assert_eq!(copier.join(), 2);
        assert_eq!(server.join(), [1, 2], "{mode:?}");
    }
}

#[test]
fn tcp_listen_after_close() {
    // Two dials reach the backlog; one is accepted, then the listener is closed while the
    // other is still queued. The dialers close when told; nothing hangs. (Go's dials race
    // the close and ignore errors; here both are in before it.)
    for mode in MODES {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let done = goro::Chan::<()>::new(0);
        let connected = goro::Chan::<()>::new(2);
        let dialers: Vec<_> = (0..2)
            .map(|i| {
                let (done, connected) = (done.clone(), connected.clone());
                go(mode, i, move || {
                    let c = TcpStream::connect(addr).unwrap();
                    connected.send(()).unwrap();
                    assert_eq!(done.recv(), None);
                    drop(c);
                })
            })
            .collect();
        // Both connections are established (in the backlog) before the listener goes.
        for _ in 0..2 {
            connected.recv().unwrap();
        }
        let (c, _) = l.accept().unwrap();
        drop(c);
        l.close();
        assert!(goro::net::is_closed(&l.accept().map(|_| ()).unwrap_err()));
        drop(l);
        done.close();
        dialers.into_iter().for_each(|d| d.join());
    }
}
