//! A program of plain threads, no goroutine anywhere: nobody runs a scheduler M, so a
//! thread whose op must wait polls by itself (or waits for the thread that does). This
//! file must spawn no goroutine.
#![cfg(not(loom))]

use gopoll::net::{TcpListener, TcpStream};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

#[test]
fn threads_echo_without_a_runtime() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let mut hs = Vec::new();
        for _ in 0..6 {
            let (mut c, _) = l.accept().unwrap();
            hs.push(std::thread::spawn(move || {
                let mut buf = [0; 512];
                loop {
                    match c.read(&mut buf).unwrap() {
                        0 => break,
                        n => c.write_all(&buf[..n]).unwrap(),
                    }
                }
            }));
        }
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    // Six threads all waiting at once: one polls, the others park and are woken by it.
    let clients: Vec<_> = (0..6u8)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                for k in 0..200u8 {
                    let msg = [i, k, i ^ k];
                    c.write_all(&msg).unwrap();
                    let mut back = [0; 3];
                    c.read_exact(&mut back).unwrap();
                    assert_eq!(back, msg);
                }
            })
        })
        .collect();
    clients.into_iter().for_each(|c| c.join().unwrap());
    server.join().unwrap();
    assert!(!gmp_sched::sys::in_goroutine());
}

#[test]
fn thread_deadline_without_a_runtime() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let t0 = Instant::now();
    l.set_read_deadline(Some(t0 + Duration::from_millis(10)));
    let e = l.accept().unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    assert!(t0.elapsed() >= Duration::from_millis(10));
}
