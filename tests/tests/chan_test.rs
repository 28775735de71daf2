//! Go's src/runtime/chan_test.go, ported as behaviours: TestChan (the capacity matrix of
//! blocking and non-blocking sends and receives, close, FIFO order, len/cap),
//! TestNonblockRecvRace, TestMultiConsumer, TestChanSendInterface, and
//! TestShrinkStackDuringBlockedSend as a plain blocked-send check. Where Go sleeps "long
//! enough" for a goroutine to block, these tests wait until the channel shows it parked.
//! Each runs from goroutines, from threads, and mixed. The select tests of the same file are
//! in `select_test.rs`.

use gochan::internal::wait_parked;
use gochan::{select, Chan};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use goro_test_support::{go, Mode, MODES};

/// TestChan, for one capacity.
fn chan_matrix(mode: Mode, cap: usize) {
    {
        // Receive from an empty channel blocks.
        let c = Chan::<i32>::new(cap);
        let recv1 = Arc::new(AtomicBool::new(false));
        let recv2 = Arc::new(AtomicBool::new(false));
        let (c1, r1) = (c.clone(), recv1.clone());
        let g1 = go(mode, 0, move || {
            let _ = c1.recv();
            r1.store(true, Ordering::SeqCst);
        });
        let (c2, r2) = (c.clone(), recv2.clone());
        let g2 = go(mode, 1, move || {
            let _ = c2.recv();
            r2.store(true, Ordering::SeqCst);
        });
        wait_parked(&c, 0, 2);
        assert!(!recv1.load(Ordering::SeqCst) && !recv2.load(Ordering::SeqCst));
        // A non-blocking receive does not block.
        select! {
            recv(c) -> _ => panic!("chan[{cap}]: receive from empty chan"),
            default => {}
        }
        c.send(0).unwrap();
        c.send(0).unwrap();
        g1.join();
        g2.join();
    }

    {
        // Send to a full channel blocks.
        let c = Chan::new(cap);
        for i in 0..cap {
            c.send(i).unwrap();
        }
        let sent = Arc::new(AtomicBool::new(false));
        let (c1, s1) = (c.clone(), sent.clone());
        let g = go(mode, 0, move || {
            c1.send(0).unwrap();
            s1.store(true, Ordering::SeqCst);
        });
        wait_parked(&c, 1, 0);
        assert!(
            !sent.load(Ordering::SeqCst),
            "chan[{cap}]: send to full chan"
        );
        // A non-blocking send does not block.
        select! {
            send(c, 0) -> _ => panic!("chan[{cap}]: send to full chan"),
            default => {}
        }
        c.recv().unwrap();
        g.join();
        assert!(sent.load(Ordering::SeqCst));
    }

    {
        // Receive the buffered values, then "zero" (None) from a closed channel.
        let c = Chan::new(cap);
        for i in 0..cap {
            c.send(i).unwrap();
        }
        c.close();
        for i in 0..cap {
            assert_eq!(c.recv(), Some(i), "chan[{cap}]");
        }
        assert_eq!(c.recv(), None);
        assert_eq!(c.recv(), None);
    }

    {
        // Close unblocks a receive.
        let c = Chan::<i32>::new(cap);
        let c1 = c.clone();
        let g = go(mode, 0, move || c1.recv());
        wait_parked(&c, 0, 1);
        c.close();
        assert_eq!(
            g.join(),
            None,
            "chan[{cap}]: received non zero from closed chan"
        );
    }

    {
        // 100 integers arrive uncorrupted, in FIFO order.
        let c = Chan::new(cap);
        let c1 = c.clone();
        let g = go(mode, 0, move || {
            for i in 0..100 {
                c1.send(i).unwrap();
            }
        });
        for i in 0..100 {
            assert_eq!(c.recv(), Some(i), "chan[{cap}]");
        }
        g.join();

        // 1000 integers from each of 4 senders, received by 4 receivers: each arrives 4x.
        const P: usize = 4;
        const L: usize = 1000;
        let senders: Vec<_> = (0..P)
            .map(|p| {
                let c = c.clone();
                go(mode, p, move || {
                    for i in 0..L {
                        c.send(i).unwrap();
                    }
                })
            })
            .collect();
        let receivers: Vec<_> = (0..P)
            .map(|p| {
                let c = c.clone();
                go(mode, p + 1, move || {
                    let mut recv = HashMap::new();
                    for _ in 0..L {
                        *recv.entry(c.recv().unwrap()).or_insert(0) += 1;
                    }
                    recv
                })
            })
            .collect();
        let mut recv = HashMap::new();
        for r in receivers {
            for (k, v) in r.join() {
                *recv.entry(k).or_insert(0) += v;
            }
        }
        for s in senders {
            s.join();
        }
        assert_eq!(recv.len(), L, "chan[{cap}]");
        assert!(recv.values().all(|&v| v == P), "chan[{cap}]");
    }

    {
        // len and cap.
        let c = Chan::new(cap);
        assert_eq!((c.len(), c.cap()), (0, cap));
        for i in 0..cap {
            c.send(i).unwrap();
        }
        assert_eq!((c.len(), c.cap()), (cap, cap));
    }
}

#[test]
fn chan() {
    let before = goro::set_gomaxprocs(4);
    for mode in MODES {
        for cap in 0..20 {
            chan_matrix(mode, cap);
        }
    }
    goro::set_gomaxprocs(before);
}

#[test]
fn nonblock_recv_race() {
    for mode in MODES {
        for i in 0..300 {
            let c = Chan::new(1);
            c.send(1).unwrap();
            let c1 = c.clone();
            let g = go(mode, i, move || {
                select! {
                    recv(c1) -> _ => true,
                    default => false,
                }
            });
            c.close();
            let _ = c.recv();
            assert!(g.join(), "{mode:?}: chan is not ready");
        }
    }
}

#[test]
fn multi_consumer() {
    const NWORK: usize = 23;
    const NITER: usize = 27_183;
    const PN: [usize; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];
    for mode in MODES {
        let q = Chan::new(NWORK * 3);
        let r = Chan::new(NWORK * 3);
        // Workers.
        let workers: Vec<_> = (0..NWORK)
            .map(|w| {
                let (q, r) = (q.clone(), r.clone());
                go(mode, w, move || {
                    for v in &q {
                        // Mess with the FIFO-ish nature of range.
                        if PN[w % PN.len()] == v {
                            goro::yield_now();
                        }
                        r.send(v).unwrap();
                    }
                })
            })
            .collect();
        // Feeder and closer.
        let (q1, r1) = (q.clone(), r.clone());
        let feeder = go(mode, 1, move || {
            let mut expect = 0;
            for i in 0..NITER {
                let v = PN[i % PN.len()];
                expect += v;
                q1.send(v).unwrap();
            }
            q1.close(); // no more work
            for w in workers {
                w.join(); // workers done
            }
            r1.close(); // ... so there can be no more results
            expect
        });
        // Consume and check.
        let (mut n, mut s) = (0, 0);
        for v in &r {
            n += 1;
            s += v;
        }
        let expect = feeder.join();
        assert_eq!((n, s), (NITER, expect), "{mode:?}");
    }
}

/// TestChanSendInterface: sends of boxed trait objects, in selects with default.
#[test]
fn chan_send_interface() {
    let m: Box<dyn std::any::Any + Send> = Box::new(());
    let c = Chan::new(1);
    c.send(m).unwrap();
    select! {
        send(c, Box::new(1u8) as Box<dyn std::any::Any + Send>) -> _ => panic!("full"),
        default => {}
    }
    select! {
        send(c, Box::new(2u8) as Box<dyn std::any::Any + Send>) -> _ => panic!("full"),
        send(c, Box::new(3u8) as Box<dyn std::any::Any + Send>) -> _ => panic!("full"),
        default => {}
    }
}

/// TestShrinkStackDuringBlockedSend without the GC: a sender that uses a lot of stack
/// between blocked sends keeps working.
#[test]
fn blocked_send_with_stack_use() {
    fn recurse(n: usize) -> usize {
        let buf = [n as u8; 128];
        if n == 0 {
            buf[0] as usize
        } else {
            recurse(n - 1) + std::hint::black_box(buf)[7] as usize
        }
    }
    let c = Chan::new(0);
    let done = Chan::new(0);
    let (c1, d1) = (c.clone(), done.clone());
    // SAFETY: keeps only channels across blocking calls.
    unsafe {
        goro::spawn(move || {
            for i in 0..10 {
                c1.send(i).unwrap();
                std::hint::black_box(recurse(20));
            }
            d1.send(()).unwrap();
        })
    };
    for i in 0..10 {
        assert_eq!(c.recv(), Some(i));
    }
    done.recv().unwrap();
}
