//! `Chan`: hand-off, buffering, close, timeouts, nil, views; from goroutines, threads, mixed.
#![cfg(not(loom))]

use gochan::internal::wait_parked;
use gochan::{
    Chan, Receiver, RecvTimeoutError, SendError, SendTimeoutError, Sender, TryRecvError,
    TrySendError,
};
use goro_test_support::{go, MODES};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn unbuffered_ping_pong() {
    for mode in MODES {
        let ping = Chan::new(0);
        let pong = Chan::new(0);
        let (p2, q2) = (ping.clone(), pong.clone());
        let echo = go(mode, 0, move || {
            for v in &p2 {
                q2.send(v + 1).unwrap();
            }
        });
        let driver = go(mode, 1, move || {
            let mut v = 0;
            for _ in 0..1000 {
                ping.send(v).unwrap();
                v = pong.recv().unwrap();
            }
            ping.close();
            v
        });
        assert_eq!(driver.join(), 1000, "{mode:?}");
        echo.join();
    }
}

#[test]
fn buffered_fifo_len_cap() {
    for cap in [1, 2, 7] {
        let ch = Chan::new(cap);
        assert_eq!((ch.len(), ch.cap(), ch.is_empty()), (0, cap, true));
        for i in 0..cap {
            ch.try_send(i).unwrap();
        }
        assert_eq!(ch.len(), cap);
        assert_eq!(ch.try_send(99), Err(TrySendError::Full(99)));
        for i in 0..cap {
            assert_eq!(ch.recv(), Some(i));
        }
        assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    }
}

/// A receive from a full buffer with parked senders takes the head and refills the tail from
/// the first sender, so values still come out in send order.
#[test]
fn full_buffer_refills_from_parked_senders() {
    for mode in MODES {
        let ch = Chan::new(2);
        ch.send(0).unwrap();
        ch.send(1).unwrap();
        let mut senders = Vec::new();
        for i in 2..5usize {
            let tx = ch.clone();
            senders.push(go(mode, i, move || tx.send(i).unwrap()));
            wait_parked(&ch, i - 1, 0); // parked in order 2, 3, 4
        }
        let got: Vec<usize> = (0..5).map(|_| ch.recv().unwrap()).collect();
        assert_eq!(got, [0, 1, 2, 3, 4], "{mode:?}");
        assert_eq!(ch.len(), 0);
        for s in senders {
            s.join();
        }
    }
}

/// A send that finds a parked receiver hands the value straight to it, even on a buffered
/// channel: the buffer stays empty.
#[test]
fn direct_handoff_to_parked_receiver() {
    for mode in MODES {
        let ch = Chan::new(4);
        let rx = ch.clone();
        let r = go(mode, 0, move || rx.recv());
        wait_parked(&ch, 0, 1);
        ch.send(7).unwrap();
        assert_eq!(r.join(), Some(7), "{mode:?}");
        assert_eq!(ch.len(), 0);
    }
}

#[test]
fn close_wakes_every_receiver_and_sender() {
    for mode in MODES {
        for cap in [0, 1] {
            // Receivers on an empty channel.
            let ch = Chan::<u32>::new(cap);
            let rs: Vec<_> = (0..3)
                .map(|i| {
                    let c = ch.clone();
                    go(mode, i, move || c.recv())
                })
                .collect();
            wait_parked(&ch, 0, 3);
            ch.close();
            for r in rs {
                assert_eq!(r.join(), None, "{mode:?} cap {cap}");
            }

            // Senders on a full channel get their values back.
            let ch = Chan::<u32>::new(cap);
            for i in 0..cap as u32 {
                ch.send(i).unwrap();
            }
            let ss: Vec<_> = (0..3)
                .map(|i| {
                    let c = ch.clone();
                    go(mode, i as usize, move || c.send(100 + i))
                })
                .collect();
            wait_parked(&ch, 3, 0);
            ch.close();
            let mut back: Vec<u32> = ss.into_iter().map(|s| s.join().unwrap_err().0).collect();
            back.sort();
            assert_eq!(back, [100, 101, 102], "{mode:?} cap {cap}");
            // Buffered values survive the close.
            let rest: Vec<u32> = ch.iter().collect();
            assert_eq!(rest, (0..cap as u32).collect::<Vec<_>>());
        }
    }
}

#[test]
fn closed_channel_semantics() {
    let ch = Chan::new(2);
    ch.send(1).unwrap();
    ch.close();
    assert!(ch.is_closed());
    assert_eq!(ch.send(2), Err(SendError(2)));
    assert_eq!(ch.try_send(3), Err(TrySendError::Closed(3)));
    assert_eq!(
        ch.send_timeout(4, Duration::from_secs(1)),
        Err(SendTimeoutError::Closed(4))
    );
    assert_eq!(ch.recv(), Some(1));
    assert_eq!(ch.recv(), None);
    assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(
        ch.recv_timeout(Duration::from_secs(1)),
        Err(RecvTimeoutError::Closed)
    );
}

#[test]
#[should_panic(expected = "close of closed channel")]
fn close_twice_panics() {
    let ch = Chan::<()>::new(0);
    ch.close();
    ch.close();
}

#[test]
#[should_panic(expected = "close of nil channel")]
fn close_nil_panics() {
    Chan::<()>::nil().close();
}

#[test]
fn closing_twice_leaves_channel_usable() {
    let ch = Chan::<i32>::new(1);
    ch.close();
    let r = std::panic::catch_unwind(|| ch.close());
    assert!(r.is_err());
    // The lock was released before the panic.
    assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn nil_channel() {
    let ch = Chan::<i32>::nil();
    assert!(ch.is_nil());
    assert_eq!((ch.len(), ch.cap(), ch.is_closed()), (0, 0, false));
    assert_eq!(ch.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        ch.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    );
    assert_eq!(
        ch.send_timeout(2, Duration::from_millis(1)),
        Err(SendTimeoutError::Timeout(2))
    );
    assert_eq!(Chan::<i32>::default(), Chan::nil());
}

#[test]
fn timeouts_leave_no_waiter_behind() {
    for cap in [0, 1] {
        let ch = Chan::<i32>::new(cap);
        let start = Instant::now();
        assert_eq!(
            ch.recv_timeout(Duration::from_millis(2)),
            Err(RecvTimeoutError::Timeout)
        );
        assert!(start.elapsed() >= Duration::from_millis(2));
        // The timed-out receiver is gone: a send now does not find it.
        assert_eq!(gochan::internal::queue_lens(&ch), (0, 0));
        if cap == 0 {
            assert_eq!(ch.try_send(1), Err(TrySendError::Full(1)));
        }

        let ch = Chan::<i32>::new(cap);
        for i in 0..cap as i32 {
            ch.send(i).unwrap();
        }
        assert_eq!(
            ch.send_timeout(9, Duration::from_millis(2)),
            Err(SendTimeoutError::Timeout(9))
        );
        assert_eq!(gochan::internal::queue_lens(&ch), (0, 0));
        assert_eq!(ch.len(), cap);
    }
}

#[test]
fn timeouts_succeed_when_partner_arrives() {
    for mode in MODES {
        let ch = Chan::new(0);
        let tx = ch.clone();
        let s = go(mode, 0, move || tx.send_timeout(5, Duration::from_secs(60)));
        assert_eq!(ch.recv_timeout(Duration::from_secs(60)), Ok(5));
        assert_eq!(s.join(), Ok(()));

        let rx = ch.clone();
        let r = go(mode, 1, move || {
            rx.recv_deadline(Instant::now() + Duration::from_secs(60))
        });
        wait_parked_any(&ch);
        ch.send(6).unwrap();
        assert_eq!(r.join(), Ok(6));
    }
}

fn wait_parked_any<T>(ch: &Chan<T>) {
    while gochan::internal::queue_lens(ch) == (0, 0) {
        std::thread::yield_now();
    }
}

#[test]
fn views_and_iterators() {
    let ch = Chan::new(3);
    let tx: Sender<i32> = ch.clone().into();
    let rx: Receiver<i32> = ch.receiver();
    tx.send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    tx.send(3).unwrap();
    tx.close();
    assert!(rx.is_closed());
    assert_eq!((&rx).into_iter().collect::<Vec<_>>(), [3]);
    assert_eq!(rx.into_iter().next(), None);
    assert!(ch.sender().same_channel(&tx));
    assert_ne!(ch, Chan::new(3));
    assert_eq!(format!("{:?}", Chan::<i32>::nil()), "Chan(nil)");
}

/// Values left in a buffer, or in a parked sender, are dropped exactly once.
#[test]
fn buffered_values_are_dropped() {
    struct D(Arc<AtomicUsize>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let ch = Chan::new(3);
    for _ in 0..3 {
        ch.send(D(drops.clone())).unwrap();
    }
    drop(ch.recv());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(ch);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

/// Many producers and consumers on one channel: every value arrives exactly once.
#[test]
fn mpmc_exactly_once() {
    const P: usize = 4;
    const N: usize = 2000;
    for mode in MODES {
        for cap in [0, 1, 16] {
            let ch = Chan::new(cap);
            let out = Chan::new(P);
            let producers: Vec<_> = (0..P)
                .map(|p| {
                    let ch = ch.clone();
                    go(mode, p, move || {
                        for i in 0..N {
                            ch.send(p * N + i).unwrap();
                        }
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..P)
                .map(|c| {
                    let (ch, out) = (ch.clone(), out.clone());
                    go(mode, c + 1, move || {
                        let mut seen = Vec::new();
                        for v in &ch {
                            seen.push(v);
                        }
                        out.send(seen).unwrap();
                    })
                })
                .collect();
            for p in producers {
                p.join();
            }
            ch.close();
            let mut all = Vec::new();
            for _ in 0..P {
                all.extend(out.recv().unwrap());
            }
            for c in consumers {
                c.join();
            }
            all.sort_unstable();
            assert_eq!(all, (0..P * N).collect::<Vec<_>>(), "{mode:?} cap {cap}");
        }
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Chan<String>>();
    check::<Sender<String>>();
    check::<Receiver<String>>();
    check::<gochan::Context>();
    fn send_sync<T: Send + Sync>() {}
    send_sync::<gochan::Ticker>();
    send_sync::<gochan::Timer>();
    send_sync::<gochan::AfterFunc>();
    send_sync::<gochan::CancelFn>();
}
