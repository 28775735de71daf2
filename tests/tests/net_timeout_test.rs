//! Go's src/net/timeout_test.go, ported as behaviours: TestAcceptTimeout,
//! TestReadTimeout, TestWriteTimeout, TestReadTimeoutMustNotReturn (as "a cleared deadline
//! lets the read finish"), TestVariousDeadlines (every deadline times out, from goroutines
//! and threads), TestReadWriteDeadlineRace and TestConcurrentSetDeadline (no hang, no
//! panic). No sleep decides a result.

use gopoll::net::{TcpListener, TcpStream};
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn go<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> goro::JoinHandle<T> {
    // SAFETY: the goroutines hold only sockets and atomics across blocking calls.
    unsafe { goro::spawn(f) }
}

fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    (c, s)
}

fn is_timeout(r: io::Result<impl Sized>) -> bool {
    matches!(r, Err(e) if e.kind() == io::ErrorKind::TimedOut)
}

#[test]
fn accept_timeout() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    // Go: a deadline in the past fails at once, and keeps failing.
    l.set_deadline(Some(Instant::now()));
    for _ in 0..3 {
        assert!(is_timeout(l.accept()));
    }
    // A future deadline times out after waiting, in a goroutine.
    l.set_read_deadline(Some(Instant::now() + Duration::from_millis(5)));
    let l = go(move || {
        assert!(is_timeout(l.accept()));
        l
    })
    .join()
    .unwrap();
    // Cleared: accept works again.
    l.set_read_deadline(None);
    let _c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    assert!(l.accept().is_ok());
}

#[test]
fn read_timeout() {
    let (c, s) = pair();
    // Go: once the deadline has passed, Read fails even with data waiting.
    (&s).write_all(b"data").unwrap();
    c.set_read_deadline(Some(Instant::now()));
    assert!(is_timeout((&c).read(&mut [0; 8])));
    assert!(is_timeout((&c).read(&mut [0; 8])));
    c.set_read_deadline(None);
    assert_eq!((&c).read(&mut [0; 8]).unwrap(), 4);
    // Parked, in a goroutine, until the deadline.
    c.set_read_deadline(Some(Instant::now() + Duration::from_millis(5)));
    assert!(go(move || is_timeout((&c).read(&mut [0; 8])))
        .join()
        .unwrap());
}

#[test]
fn write_timeout() {
    let (c, _s) = pair();
    c.set_write_deadline(Some(Instant::now()));
    assert!(is_timeout((&c).write(b"x")));
    // Parked on a full send buffer until the deadline.
    c.set_write_deadline(Some(Instant::now() + Duration::from_millis(10)));
    let timed_out = go(move || loop {
        if let Err(e) = (&c).write_all(&[7; 1 << 16]) {
            return e.kind() == io::ErrorKind::TimedOut;
        }
    });
    assert!(timed_out.join().unwrap());
}

#[test]
fn cleared_deadline_lets_a_parked_read_finish() {
    // Go's TestReadTimeoutMustNotReturn: a read whose deadline is cleared while parked
    // waits for data instead of timing out.
    let (c, s) = pair();
    let c = Arc::new(c);
    c.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)));
    let c2 = c.clone();
    let r = go(move || {
        let mut b = [0; 3];
        (&*c2).read_exact(&mut b).map(|()| b)
    });
    c.set_deadline(None);
    (&s).write_all(b"end").unwrap();
    assert_eq!(&r.join().unwrap().unwrap(), b"end");
}

#[test]
fn various_deadlines_all_time_out() {
    let deadlines = [
        Duration::from_nanos(1),
        Duration::from_micros(1),
        Duration::from_micros(100),
        Duration::from_millis(1),
        Duration::from_millis(5),
    ];
    for d in deadlines {
        // Goroutines and threads, several at once, each on its own idle connection.
        let mut gs = Vec::new();
        let mut ts = Vec::new();
        let mut keep = Vec::new();
        for k in 0..4 {
            let (c, s) = pair();
            keep.push(s);
            c.set_read_deadline(Some(Instant::now() + d));
            if k % 2 == 0 {
                gs.push(go(move || is_timeout((&c).read(&mut [0; 8]))));
            } else {
                ts.push(std::thread::spawn(move || {
                    is_timeout((&c).read(&mut [0; 8]))
                }));
            }
        }
        assert!(gs.into_iter().all(|g| g.join().unwrap()), "deadline {d:?}");
        assert!(ts.into_iter().all(|t| t.join().unwrap()), "deadline {d:?}");
    }
}

#[test]
fn read_write_deadline_race() {
    // Readers and writers run while other goroutines keep moving both deadlines; every op
    // ends (data, or a timeout) and nothing hangs or panics.
    let (c, s) = pair();
    let c = Arc::new(c);
    let n = 300;
    let setter = {
        let c = c.clone();
        go(move || {
            for i in 0..n {
                let d = Instant::now() + Duration::from_micros((i % 7) * 50);
                c.set_read_deadline(Some(d));
                c.set_write_deadline(Some(d));
                goro::yield_now();
            }
            c.set_deadline(Some(Instant::now()));
        })
    };
    let reader = {
        let c = c.clone();
        go(move || loop {
            match (&*c).read(&mut [0; 64]) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    if c.as_poll_fd()
                        .read_deadline()
                        .is_some_and(|d| d <= Instant::now())
                    {
                        return;
                    }
                }
                Err(e) => panic!("read: {e}"),
            }
        })
    };
    let writer = {
        let c = c.clone();
        go(move || loop {
            match (&*c).write_all(&[1; 64]) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    if c.as_poll_fd()
                        .write_deadline()
                        .is_some_and(|d| d <= Instant::now())
                    {
                        return;
                    }
                }
                Err(e) => panic!("write: {e}"),
            }
        })
    };
    // The peer echoes a little so the reader sometimes has data.
    let peer = go(move || {
        let mut buf = [0; 1024];
        s.set_read_deadline(Some(Instant::now() + Duration::from_millis(200)));
        while let Ok(n) = (&s).read(&mut buf) {
            if n == 0 || (&s).write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    setter.join().unwrap();
    reader.join().unwrap();
    writer.join().unwrap();
    peer.join().unwrap();
}

#[test]
fn concurrent_set_deadline() {
    let (c, _s) = pair();
    let c = Arc::new(c);
    let hs: Vec<_> = (0..8)
        .map(|k| {
            let c = c.clone();
            go(move || {
                for i in 0..200u64 {
                    let d = Instant::now() + Duration::from_millis((i + k) % 3);
                    c.set_deadline(Some(d));
                }
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    c.set_read_deadline(Some(Instant::now()));
    assert!(is_timeout((&*c).read(&mut [0; 1])));
}
