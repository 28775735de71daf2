//! Unix domain sockets (stream and datagram) in a temporary directory.
#![cfg(not(loom))]

use gopoll::net::{UnixDatagram, UnixListener, UnixStream};
use goro_test_support::{goroutine, TempDir};
use std::io::{Read, Write};

#[test]
fn stream_echo_goroutine_per_connection() {
    let dir = TempDir::new("ustream");
    let path = dir.0.join("echo.sock");
    let l = UnixListener::bind(&path).unwrap();
    let server = goroutine(move || {
        let mut hs = Vec::new();
        for _ in 0..16 {
            let (c, _) = l.accept().unwrap();
            hs.push(goroutine(move || {
                let mut buf = [0; 1024];
                loop {
                    match (&c).read(&mut buf).unwrap() {
                        0 => break,
                        n => (&c).write_all(&buf[..n]).unwrap(),
                    }
                }
            }));
        }
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    let clients: Vec<_> = (0..16u8)
        .map(|i| {
            let path = path.clone();
            goroutine(move || {
                let mut c = UnixStream::connect(&path).unwrap();
                let msg = vec![i; 50_000];
                let w = c.try_clone().unwrap();
                let m2 = msg.clone();
                let wh = goroutine(move || {
                    (&w).write_all(&m2).unwrap();
                    w.shutdown(std::net::Shutdown::Write).unwrap();
                });
                let mut back = Vec::new();
                c.read_to_end(&mut back).unwrap();
                wh.join().unwrap();
                assert!(back == msg);
            })
        })
        .collect();
    clients.into_iter().for_each(|c| c.join().unwrap());
    server.join().unwrap();
}

#[test]
fn stream_pair_between_thread_and_goroutine() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let g = goroutine(move || {
        let mut b = b;
        let mut s = String::new();
        b.read_to_string(&mut s).unwrap();
        s
    });
    a.write_all(b"from a thread").unwrap();
    drop(a);
    assert_eq!(g.join().unwrap(), "from a thread");
}

#[test]
fn datagrams() {
    let dir = TempDir::new("udgram");
    let path = dir.0.join("dg.sock");
    let server = UnixDatagram::bind(&path).unwrap();
    let g = goroutine(move || {
        let mut buf = [0; 16];
        let mut sum = 0u32;
        for _ in 0..100 {
            let n = server.recv(&mut buf).unwrap();
            sum += buf[..n].iter().map(|&b| u32::from(b)).sum::<u32>();
        }
        sum
    });
    let c = UnixDatagram::unbound().unwrap();
    c.connect(&path).unwrap();
    for i in 0..100u8 {
        c.send(&[i]).unwrap();
    }
    assert_eq!(g.join().unwrap(), (0..100).sum::<u32>());
}

#[test]
fn connect_to_missing_path_fails() {
    let dir = TempDir::new("umissing");
    let e = UnixStream::connect(dir.0.join("nobody.sock")).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
}
