//! Socket behaviours beyond Go's net_test.go (whose ports are in net_test.rs): a port free
//! again after its listener goes (TestListenCloseListen, from Go's net/listen_test.go), a
//! peer reset mid-write, and the same sockets used between goroutines and plain threads.

use gopoll::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use goro_test_support::goroutine;
use std::io::{self, Read, Write};

fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    (c, s)
}

#[test]
fn listen_close_listen() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    // The port is free again once the listener is dropped.
    let l = TcpListener::bind(addr).unwrap();
    assert_eq!(l.local_addr().unwrap(), addr);
}

#[test]
fn peer_reset_mid_write_is_an_error() {
    let (c, s) = pair();
    let w = goroutine(move || {
        // Keep writing while the peer goes away: an error, never SIGPIPE.
        loop {
            if let Err(e) = (&c).write(&[0; 1 << 16]) {
                return e;
            }
        }
    });
    // Read a little, then close with unread data queued: the kernel answers with RST.
    let mut buf = [0; 1024];
    (&s).read_exact(&mut buf).unwrap();
    drop(s);
    let e = w.join().unwrap();
    assert!(
        matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
        "{e:?}"
    );
}

#[test]
fn mixed_goroutines_and_threads_share_a_server() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    // Accepts in a goroutine, serves each connection alternately in a goroutine and in a
    // thread; clients are alternately threads and goroutines.
    let server = goroutine(move || {
        let mut hs: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
        for k in 0..8 {
            let (c, _) = l.accept().unwrap();
            let serve = move || {
                let mut buf = [0; 256];
                loop {
                    match (&c).read(&mut buf).unwrap() {
                        0 => break,
                        n => (&c).write_all(&buf[..n]).unwrap(),
                    }
                }
            };
            if k % 2 == 0 {
                let h = goroutine(serve);
                hs.push(Box::new(move || h.join().unwrap()));
            } else {
                let h = std::thread::spawn(serve);
                hs.push(Box::new(move || h.join().unwrap()));
            }
        }
        hs.into_iter().for_each(|j| j());
    });
    let client = move |k: u8| {
        let mut c = TcpStream::connect(addr).unwrap();
        for r in 0..100u8 {
            let msg = [k, r, k.wrapping_mul(r)];
            c.write_all(&msg).unwrap();
            let mut back = [0; 3];
            c.read_exact(&mut back).unwrap();
            assert_eq!(back, msg);
        }
    };
    let mut gs = Vec::new();
    let mut ts = Vec::new();
    for k in 0..8u8 {
        if k % 2 == 0 {
            gs.push(goroutine(move || client(k)));
        } else {
            ts.push(std::thread::spawn(move || client(k)));
        }
    }
    gs.into_iter().for_each(|g| g.join().unwrap());
    ts.into_iter().for_each(|t| t.join().unwrap());
    server.join().unwrap();
}

#[test]
fn unix_socket_between_goroutine_and_thread() {
    let dir = std::env::temp_dir().join(format!("goro-net-conn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sock");
    let l = UnixListener::bind(&path).unwrap();
    let server = goroutine(move || {
        let (mut c, _) = l.accept().unwrap();
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        s
    });
    let mut c = UnixStream::connect(&path).unwrap();
    c.write_all(b"over a unix socket").unwrap();
    drop(c);
    assert_eq!(server.join().unwrap(), "over a unix socket");
    std::fs::remove_dir_all(&dir).unwrap();
}
