//! The select tests of Go's src/runtime/chan_test.go, ported as behaviours:
//! TestNonblockSelectRace, TestNonblockSelectRace2, TestSelfSelect, TestSelectStress,
//! TestSelectFairness, TestPseudoRandomSend, TestSelectDuplicateChannel and
//! TestSelectStackAdjust; plus TestSelectMaxCases and TestSelectNop of src/reflect/all_test.go
//! for the dynamic `Select`. Sleeps that wait for a goroutine to block are replaced by waiting
//! until the channel shows it parked. Each runs from goroutines, from threads, and mixed.
//! gochan's own select mechanics (nil cases, wake-up by close, unlinking on timeout) are in
//! crates/gochan/tests/select.rs.

use gochan::internal::wait_parked;
use gochan::{select, Chan, Select};

use goro_test_support::{go, MODES};

/// A select acts on the state of its channels at one moment: from the time the second party
/// starts, c1 or c2 is always ready, so its non-blocking select never takes `default`.
#[test]
fn nonblock_select_race() {
    for mode in MODES {
        for i in 0..1000 {
            let c1 = Chan::new(1);
            let c2 = Chan::new(1);
            c1.send(1).unwrap();
            let (a, b) = (c1.clone(), c2.clone());
            let g = go(mode, i, move || {
                select! {
                    recv(a) -> _ => true,
                    recv(b) -> _ => true,
                    default => false,
                }
            });
            c2.send(1).unwrap();
            select! {
                recv(c1) -> _ => {}
                default => {}
            }
            assert!(g.join(), "{mode:?}: no chan is ready");
        }
    }
}

/// As `nonblock_select_race`, with `close(c2)` in place of `c2 <- 1`.
#[test]
fn nonblock_select_race2() {
    for mode in MODES {
        for i in 0..1000 {
            let c1 = Chan::new(1);
            let c2 = Chan::<i32>::new(0);
            c1.send(1).unwrap();
            let (a, b) = (c1.clone(), c2.clone());
            let g = go(mode, i, move || {
                select! {
                    recv(a) -> _ => true,
                    recv(b) -> _ => true,
                    default => false,
                }
            });
            c2.close();
            select! {
                recv(c1) -> _ => {}
                default => {}
            }
            assert!(g.join(), "{mode:?}: no chan is ready");
        }
    }
}

/// Send and receive on the same channel in one select neither crash nor deadlock, and an
/// unbuffered select never receives its own send.
#[test]
fn self_select() {
    // Alone on a buffered channel, the select alternates: the send is the only ready case
    // when the channel is empty, the receive when it is full.
    let c = Chan::new(1);
    let (mut sends, mut recvs) = (0, 0);
    for _ in 0..200 {
        select! {
            send(c, 1) -> r => { r.unwrap(); sends += 1 }
            recv(c) -> v => { assert_eq!(v, Some(1)); recvs += 1 }
        }
    }
    assert!(sends >= 100 && sends - recvs <= 1, "{sends} {recvs}");
    let before = goro::set_gomaxprocs(2);
    for mode in MODES {
        for cap in [0, 10] {
            let c = Chan::new(cap);
            let parties: Vec<_> = (0..2usize)
                .map(|p| {
                    let c = c.clone();
                    go(mode, p, move || {
                        for i in 0..1000 {
                            if p == 0 || i % 2 == 0 {
                                select! {
                                    send(c, p) -> r => r.unwrap(),
                                    recv(c) -> v => {
                                        assert!(!(cap == 0 && v == Some(p)), "self receive");
                                    }
                                }
                            } else {
                                select! {
                                    recv(c) -> v => {
                                        assert!(!(cap == 0 && v == Some(p)), "self receive");
                                    }
                                    send(c, p) -> r => r.unwrap(),
                                }
                            }
                        }
                    })
                })
                .collect();
            for p in parties {
                p.join();
            }
        }
    }
    goro::set_gomaxprocs(before);
}

/// Plain senders and receivers on four channels, plus one select that sends N values on each
/// and one that receives N from each, dropping (nil-ing) a channel once its N are done: the
/// chaos must not deadlock.
#[test]
fn select_stress() {
    const N: usize = 10_000;
    let before = goro::set_gomaxprocs(10);
    for mode in MODES {
        let c: [Chan<i32>; 4] = [Chan::new(0), Chan::new(0), Chan::new(2), Chan::new(3)];
        let mut parties = Vec::new();
        for (k, ck) in c.iter().enumerate() {
            let tx = ck.clone();
            parties.push(go(mode, 2 * k, move || {
                for _ in 0..N {
                    tx.send(0).unwrap();
                }
            }));
            let ck = ck.clone();
            parties.push(go(mode, 2 * k + 1, move || {
                for _ in 0..N {
                    ck.recv().unwrap();
                }
            }));
        }
        let mut c1 = c.clone();
        parties.push(go(mode, 8, move || {
            let mut n = [0; 4];
            for _ in 0..4 * N {
                let k = select! {
                    send(c1[3], 0) -> _ => 3,
                    send(c1[2], 0) -> _ => 2,
                    send(c1[0], 0) -> _ => 0,
                    send(c1[1], 0) -> _ => 1,
                };
                n[k] += 1;
                if n[k] == N {
                    c1[k] = Chan::nil();
                }
            }
        }));
        let mut c2 = c.clone();
        parties.push(go(mode, 9, move || {
            let mut n = [0; 4];
            for _ in 0..4 * N {
                let k = select! {
                    recv(c2[0]) -> _ => 0,
                    recv(c2[1]) -> _ => 1,
                    recv(c2[2]) -> _ => 2,
                    recv(c2[3]) -> _ => 3,
                };
                n[k] += 1;
                if n[k] == N {
                    c2[k] = Chan::nil();
                }
            }
        }));
        for p in parties {
            p.join();
        }
    }
    goro::set_gomaxprocs(before);
}

/// Of two always-ready cases among four, each is chosen about half the time (Go allows 10
/// sigma); and of four always-ready cases, each about a quarter.
#[test]
fn select_fairness() {
    {
        const N: usize = 4;
        const TRIALS: usize = 40_000;
        let chans: Vec<Chan<()>> = (0..N).map(|_| Chan::new(1)).collect();
        let mut counts = [0usize; N];
        for _ in 0..TRIALS {
            for c in &chans {
                let _ = c.try_send(());
            }
            let i = select! {
                recv(chans[0]) -> _ => 0,
                recv(chans[1]) -> _ => 1,
                recv(chans[2]) -> _ => 2,
                recv(chans[3]) -> _ => 3,
            };
            counts[i] += 1;
        }
        // Expected 10,000 each, sd ~87: allow ±6%, about 7 sigma.
        for c in counts {
            assert!(
                (c as f64 / TRIALS as f64 - 0.25).abs() < 0.015,
                "{counts:?}"
            );
        }
    }
    const TRIALS: usize = 10_000;
    for mode in MODES {
        let c1 = Chan::new(TRIALS + 1);
        let c2 = Chan::new(TRIALS + 1);
        for _ in 0..TRIALS + 1 {
            c1.send(1u8).unwrap();
            c2.send(2u8).unwrap();
        }
        let c3 = Chan::<u8>::new(0);
        let c4 = Chan::<u8>::new(0);
        let out = Chan::new(0);
        let done = Chan::<u8>::new(0);
        let (o, d) = (out.clone(), done.clone());
        let g = go(mode, 0, move || loop {
            let b = select! {
                recv(c3) -> b => b,
                recv(c4) -> b => b,
                recv(c1) -> b => b,
                recv(c2) -> b => b,
            };
            select! {
                send(o, b.unwrap()) -> _ => {}
                recv(d) -> _ => return,
            }
        });
        let (mut cnt1, mut cnt2) = (0i64, 0i64);
        for _ in 0..TRIALS {
            match out.recv().unwrap() {
                1 => cnt1 += 1,
                2 => cnt2 += 1,
                b => panic!("unexpected value {b} on channel"),
            }
        }
        let mean = TRIALS as f64 * 0.5;
        let stddev = (TRIALS as f64 * 0.25).sqrt();
        assert!(
            (cnt1 as f64 - mean).abs() <= 10.0 * stddev,
            "{mode:?}: unfair select: in {TRIALS} trials, results were {cnt1}, {cnt2}"
        );
        done.close();
        g.join();
    }
}

/// A select over two ready sends picks pseudo-randomly.
#[test]
fn pseudo_random_send() {
    const N: usize = 100;
    for mode in MODES {
        for cap in [0, N] {
            let c = Chan::new(cap);
            let c1 = c.clone();
            let reader = go(mode, 0, move || {
                (0..N)
                    .map(|_| {
                        goro::yield_now();
                        c1.recv().unwrap()
                    })
                    .collect::<Vec<i32>>()
            });
            for _ in 0..N {
                select! {
                    send(c, 1) -> r => r.unwrap(),
                    send(c, 0) -> r => r.unwrap(),
                }
            }
            let l = reader.join();
            let n1: usize = l.iter().map(|&i| i as usize).sum();
            let n0 = N - n1;
            assert!(
                n0 > N / 10 && n1 > N / 10,
                "{mode:?}: want pseudorandom, got {n0} zeros and {n1} ones (chan cap {cap})"
            );
        }
    }
}

/// A G can queue on the same channel several times; waking it through another channel must
/// leave the first channel's queue intact for the next receiver.
#[test]
fn select_duplicate_channel() {
    for mode in MODES {
        let c = Chan::<i32>::new(0);
        let d = Chan::<i32>::new(0);
        let e = Chan::<i32>::new(0);
        // Goroutine A.
        let (ca, da, ea) = (c.clone(), d.clone(), e.clone());
        let a = go(mode, 0, move || {
            select! {
                recv(ca) -> _ => {}
                recv(ca) -> _ => {}
                recv(da) -> _ => {}
            }
            ea.send(9).unwrap();
        });
        wait_parked(&c, 0, 2); // A is queued first on c
                               // Goroutine B.
        let cb = c.clone();
        let b = go(mode, 1, move || cb.recv());
        wait_parked(&c, 0, 3); // B is queued on c too
        d.send(7).unwrap(); // wake up A; it dequeues itself from c
        assert_eq!(e.recv(), Some(9)); // A is done
        c.send(8).unwrap(); // wake up B
        assert_eq!(b.join(), Some(8));
        a.join();
    }
}

/// TestSelectStackAdjust without the GC: a received reference into the receiver's own stack
/// frame stays valid, with and without duplicate (and nil) cases.
#[test]
fn select_stack_adjust() {
    for mode in MODES {
        let c = Chan::<usize>::new(0);
        let d = Chan::<usize>::new(0);
        let ready = Chan::<bool>::new(0);
        let parties: Vec<_> = [false, true]
            .into_iter()
            .enumerate()
            .map(|(i, dup)| {
                let (c, d, ready) = (c.clone(), d.clone(), ready.clone());
                go(mode, i, move || {
                    let mut val = 42;
                    let cx: &mut i32 = &mut val;
                    let (c2, d2) = if dup {
                        (c.clone(), d.clone())
                    } else {
                        (Chan::nil(), Chan::nil())
                    };
                    ready.send(true).unwrap();
                    select! {
                        recv(c) -> _ => panic!("c fired"),
                        recv(c2) -> _ => panic!("c2 fired"),
                        recv(d) -> v => assert_eq!(v, None),
                        recv(d2) -> v => assert_eq!(v, None),
                    }
                    assert_eq!(*cx, 42);
                    *cx = 43;
                    val
                })
            })
            .collect();
        ready.recv();
        ready.recv();
        wait_parked(&d, 0, 3);
        d.close();
        for p in parties {
            assert_eq!(p.join(), 43);
        }
    }
}

/// reflect's TestSelectMaxCases, scaled down: a dynamic select over many cases of one
/// closed channel fires one of them.
#[test]
fn select_many_cases() {
    let c = Chan::<i32>::new(0);
    c.close();
    let mut sel = Select::new();
    for _ in 0..10_000 {
        sel.recv(&c);
    }
    let op = sel.select();
    assert!(op.index() < 10_000);
    assert_eq!(op.recv(&c), None);
}

/// reflect's TestSelectNop: `select { default: }` takes the default.
#[test]
fn select_nop() {
    assert_eq!(select! { default => 0 }, 0);
    assert!(Select::new().try_select().is_err());
}
