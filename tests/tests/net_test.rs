//! Go's src/net/net_test.go, ported as behaviours, each test named after Go's, for TCP and
//! Unix stream sockets (Go's "tcp" and "unix"; goro has no "unixpacket"), UDP and Unix
//! datagrams. Parties run as goroutines, threads and mixed (`goro_test_support::MODES`). Go's tests
//! that close or move a deadline "after a while" here act once the blocked party is parked
//! in the netpoller (`Party::wait_parked_in_io`); no sleep decides a result.

use goro::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use goro_test_support::{go, is_timeout, tcp_pair, Mode, Party, TempDir, MODES};
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A connected Unix stream pair through a listener at a path in `dir`: (dialed, accepted).
fn unix_pair(dir: &TempDir, name: &str) -> (UnixStream, UnixStream) {
    let path = dir.path(name);
    let l = UnixListener::bind(&path).unwrap();
    let c = UnixStream::connect(&path).unwrap();
    let (s, _) = l.accept().unwrap();
    (c, s)
}

/// The stream kinds Go's tests loop over: a connected pair of each, as `Read + Write` on
/// shared references, with shutdown and close.
trait Stream: Send + Sync + 'static {
    fn rd(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn wr(&self, buf: &[u8]) -> io::Result<usize>;
    fn shut(&self, how: Shutdown) -> io::Result<()>;
    fn close_it(&self);
}

macro_rules! stream {
    ($t:ty) => {
        impl Stream for $t {
            fn rd(&self, buf: &mut [u8]) -> io::Result<usize> {
                (&*self).read(buf)
            }
            fn wr(&self, buf: &[u8]) -> io::Result<usize> {
                (&*self).write(buf)
            }
            fn shut(&self, how: Shutdown) -> io::Result<()> {
                self.shutdown(how)
            }
            fn close_it(&self) {
                self.close()
            }
        }
    };
}
stream!(TcpStream);
stream!(UnixStream);

/// Runs `f` on a TCP pair and on a Unix stream pair.
fn each_network(tag: &str, f: impl Fn(&str, Box<dyn Stream>, Box<dyn Stream>)) {
    let (c, s) = tcp_pair();
    f("tcp", Box::new(c), Box::new(s));
    let dir = TempDir::new(tag);
    let (c, s) = unix_pair(&dir, "s.sock");
    f("unix", Box::new(c), Box::new(s));
}

#[test]
fn close_read() {
    each_network("close-read", |net, c, _s| {
        c.shut(Shutdown::Read).unwrap();
        // A read after CloseRead ends at once, with nothing read.
        match c.rd(&mut [0; 1]) {
            Ok(0) | Err(_) => {}
            Ok(n) => panic!("{net}: read {n} bytes after CloseRead"),
        }
    });
}

#[test]
fn close_write() {
    for mode in MODES {
        each_network("close-write", |net, c, s| {
            // The server reads the request to EOF (our CloseWrite), echoes it, closes its
            // write half; a write after its own CloseWrite fails. Every byte counted.
            let server = go(mode, 0, move || {
                let mut req = Vec::new();
                let mut buf = [0; 64];
                loop {
                    match s.rd(&mut buf).unwrap() {
                        0 => break,
                        n => req.extend_from_slice(&buf[..n]),
                    }
                }
                let mut off = 0;
                while off < req.len() {
                    off += s.wr(&req[off..]).unwrap();
                }
                s.shut(Shutdown::Write).unwrap();
                assert!(s.wr(b"late").is_err());
                req.len()
            });
            let msg = b"half-closed request";
            let mut off = 0;
            while off < msg.len() {
                off += c.wr(&msg[off..]).unwrap();
            }
            c.shut(Shutdown::Write).unwrap();
            assert!(c.wr(b"x").is_err(), "{net}: write after CloseWrite");
            let mut back = Vec::new();
            let mut buf = [0; 64];
            loop {
                match c.rd(&mut buf).unwrap() {
                    0 => break,
                    n => back.extend_from_slice(&buf[..n]),
                }
            }
            assert_eq!(back, msg, "{net} {mode:?}");
            assert_eq!(server.join(), msg.len());
        });
    }
}

#[test]
fn conn_close() {
    each_network("conn-close", |net, c, _s| {
        c.close_it();
        let e = c.rd(&mut [0; 1]).unwrap_err();
        assert!(goro::net::is_closed(&e), "{net}: {e:?}");
        assert_eq!(e.to_string(), "use of closed network connection");
        assert!(goro::net::is_closed(&c.wr(b"x").unwrap_err()));
    });
}

#[test]
fn listener_close() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.close();
    assert!(goro::net::is_closed(&l.accept().map(|_| ()).unwrap_err()));
    let dir = TempDir::new("listener-close");
    let l = UnixListener::bind(dir.path("l.sock")).unwrap();
    l.close();
    assert!(goro::net::is_closed(&l.accept().map(|_| ()).unwrap_err()));
}

#[test]
fn packet_conn_close() {
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    u.close();
    assert!(goro::net::is_closed(&u.recv_from(&mut [0; 1]).unwrap_err()));
    let dir = TempDir::new("packet-close");
    let d = UnixDatagram::bind(dir.path("d.sock")).unwrap();
    d.close();
    assert!(goro::net::is_closed(&d.recv_from(&mut [0; 1]).unwrap_err()));
}

#[test]
fn zero_byte_read() {
    each_network("zero-read", |net, c, s| {
        // A zero-byte read on a stream returns at once, on both ends, with no data waiting.
        assert_eq!(c.rd(&mut []).unwrap(), 0, "{net}");
        assert_eq!(s.rd(&mut []).unwrap(), 0, "{net}");
    });
}

/// A TCP pair whose dialed end has a read parked on it by party 0 of `mode`.
fn parked_reader(mode: Mode) -> (Arc<TcpStream>, TcpStream, Party<io::Result<usize>>) {
    let (c, s) = tcp_pair();
    let c = Arc::new(c);
    let reader = {
        let c = c.clone();
        go(mode, 0, move || (&*c).read(&mut [0; 1]))
    };
    reader.wait_parked_in_io(|| c.as_poll_fd().read_parked());
    (c, s, reader)
}

#[test]
fn read_timeout_unblocks_read() {
    // A read parked with no deadline ends with a timeout once another party sets a
    // deadline in the past.
    for mode in MODES {
        let (c, _s, reader) = parked_reader(mode);
        let setter = {
            let c = c.clone();
            go(mode, 1, move || {
                c.set_read_deadline(Some(Instant::now() - Duration::from_secs(1)))
            })
        };
        setter.join();
        assert!(is_timeout(&reader.join()), "{mode:?}");
    }
}

#[test]
fn close_unblocks_read() {
    // The peer closing ends a parked read with EOF.
    for mode in MODES {
        let (_c, s, reader) = parked_reader(mode);
        go(mode, 1, move || drop(s)).join();
        assert_eq!(reader.join().unwrap(), 0, "{mode:?}");
    }
}

#[test]
fn close_unblocks_read_udp() {
    // Closing a UDP socket ends its parked (zero-length) read with ErrClosed.
    for mode in MODES {
        let u = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let reader = {
            let u = u.clone();
            go(mode, 0, move || u.recv_from(&mut []))
        };
        reader.wait_parked_in_io(|| u.as_poll_fd().read_parked());
        let closer = {
            let u = u.clone();
            go(mode, 1, move || u.close())
        };
        closer.join();
        let e = reader.join().unwrap_err();
        assert!(goro::net::is_closed(&e), "{mode:?}: {e:?}");
    }
}

#[test]
fn not_temporary_read() {
    // The peer resets the connection (SO_LINGER 0, then close): the read fails with a
    // connection reset, an error that is neither a timeout nor EOF.
    for mode in MODES {
        let (c, s) = tcp_pair();
        let c = Arc::new(c);
        let reader = {
            let c = c.clone();
            go(mode, 0, move || (&*c).read(&mut [0; 1]))
        };
        reader.wait_parked_in_io(|| c.as_poll_fd().read_parked());
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: `linger` is a valid struct for the call, passed with its size.
        let r = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0);
        go(mode, 1, move || drop(s)).join();
        let e = reader.join().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{mode:?}: {e:?}");
    }
}

#[test]
fn errors() {
    // Go checks that its error types implement net.Error; here: a timeout is
    // `ErrorKind::TimedOut`, a closed socket `ErrClosed` (an `std::error::Error` with Go's
    // message, of kind `NotConnected`), and neither is the other.
    let (c, _s) = tcp_pair();
    c.set_read_deadline(Some(Instant::now()));
    let t = (&c).read(&mut [0; 1]).unwrap_err();
    assert_eq!(t.kind(), io::ErrorKind::TimedOut);
    assert!(!goro::net::is_closed(&t));
    c.close();
    let e = (&c).read(&mut [0; 1]).unwrap_err();
    assert!(goro::net::is_closed(&e));
    assert_eq!(e.kind(), io::ErrorKind::NotConnected);
    let inner: &(dyn std::error::Error + 'static) = e.get_ref().unwrap();
    assert_eq!(inner.downcast_ref(), Some(&goro::net::ErrClosed));
    assert_eq!(
        goro::net::ErrClosed.to_string(),
        "use of closed network connection"
    );
}
