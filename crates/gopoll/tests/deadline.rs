//! Go-style deadlines and std-style timeouts, from goroutines and threads. No timing
//! decides a result: a deadline that is never moved would make the test hang, not fail.
#![cfg(not(loom))]

use gopoll::net::{TcpListener, TcpStream, UdpSocket};
use goro_test_support::{goroutine, tcp_pair};
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn read_deadline_passes_goroutine_and_thread() {
    let (c, _s) = tcp_pair();
    let c = Arc::new(c);
    c.set_read_deadline(Some(Instant::now() + Duration::from_millis(20)));
    let c2 = c.clone();
    let e = goroutine(move || (&*c2).read(&mut [0; 8]).unwrap_err())
        .join()
        .unwrap();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    // Still passed: fails at once, from a thread too.
    let e = (&*c).read(&mut [0; 8]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    // Cleared: reads work again.
    c.set_read_deadline(None);
    let s = &_s;
    (&*s).write_all(b"k").unwrap();
    assert_eq!((&*c).read(&mut [0; 8]).unwrap(), 1);
}

#[test]
fn deadline_moved_into_the_past_wakes_parked_read() {
    for in_goroutine in [true, false] {
        let (c, _s) = tcp_pair();
        let c = Arc::new(c);
        // Parked with a deadline an hour away: only the move can end it.
        c.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)));
        let c2 = c.clone();
        let read = move || (&*c2).read(&mut [0; 8]).unwrap_err();
        let mover = {
            let c = c.clone();
            move || {
                std::thread::sleep(Duration::from_millis(5));
                c.set_read_deadline(Some(Instant::now()));
            }
        };
        let m = std::thread::spawn(mover);
        let e = if in_goroutine {
            goroutine(read).join().unwrap()
        } else {
            read()
        };
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        m.join().unwrap();
    }
}

#[test]
fn deadline_set_while_parked_without_one_is_armed() {
    for in_goroutine in [true, false] {
        let (c, _s) = tcp_pair();
        let c = Arc::new(c);
        let c2 = c.clone();
        let read = move || (&*c2).read(&mut [0; 8]).unwrap_err();
        let m = {
            let c = c.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5));
                c.set_read_deadline(Some(Instant::now() + Duration::from_millis(10)));
            })
        };
        let e = if in_goroutine {
            goroutine(read).join().unwrap()
        } else {
            read()
        };
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        m.join().unwrap();
    }
}

#[test]
fn extended_deadline_lets_the_read_finish() {
    let (c, s) = tcp_pair();
    let c = Arc::new(c);
    c.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)));
    let c2 = c.clone();
    let r = goroutine(move || {
        let mut b = [0; 2];
        (&*c2).read_exact(&mut b).map(|()| b)
    });
    c.set_read_deadline(Some(Instant::now() + Duration::from_secs(7200)));
    (&s).write_all(b"ok").unwrap();
    assert_eq!(&r.join().unwrap().unwrap(), b"ok");
}

#[test]
fn write_deadline_on_a_full_socket() {
    let (c, _s) = tcp_pair();
    c.set_write_deadline(Some(Instant::now() + Duration::from_millis(20)));
    let e = goroutine(move || loop {
        // Nobody reads: the buffers fill and the write parks until the deadline.
        if let Err(e) = (&c).write(&[0; 65536]) {
            return e;
        }
    })
    .join()
    .unwrap();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn accept_deadline() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_read_deadline(Some(Instant::now() + Duration::from_millis(10)));
    let e = goroutine(move || l.accept().map(|_| ()).unwrap_err())
        .join()
        .unwrap();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn read_timeout_is_per_op() {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    assert!(s.set_read_timeout(Some(Duration::ZERO)).is_err());
    s.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
    let e = s.recv_from(&mut [0; 8]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    // Not sticky, unlike a deadline: with data queued the next op succeeds.
    s.send_to(b"x", s.local_addr().unwrap()).unwrap();
    assert_eq!(s.recv_from(&mut [0; 8]).unwrap().0, 1);
}

#[test]
fn connect_timeout_zero_is_invalid() {
    let addr = "127.0.0.1:9".parse().unwrap();
    let e = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    let e = TcpStream::connect_deadline(&addr, Some(Instant::now())).unwrap_err();
    // Either refused at once (nothing on port 9) or timed out: never hangs.
    assert!(matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::TimedOut
    ));
}
