//! `Select` and `select!` mechanics: firing, nil cases, a send and a receive case parked on
//! one channel, wake-up by close, timeouts unlinking every node, opposite-order selects, the
//! random order of parked cases; from goroutines, threads and mixed. Go's select tests
//! (self-select, duplicate channels, fairness) are ported in tests/tests/select_test.rs.
#![cfg(not(loom))]

use gochan::internal::{queue_lens, wait_parked};
use gochan::{select, Chan, Select, SendError};
use goro_test_support::{go, MODES};
use std::time::Duration;

#[test]
fn dynamic_select_reports_index_and_result() {
    let chans: Vec<Chan<usize>> = (0..5).map(|_| Chan::new(1)).collect();
    for k in 0..5 {
        chans[k].send(k * 10).unwrap();
        let mut sel = Select::new();
        for c in &chans {
            sel.recv(c);
        }
        let op = sel.select();
        assert_eq!(op.index(), k);
        assert_eq!(op.recv(&chans[k]), Some(k * 10));
    }
}

#[test]
#[should_panic(expected = "not a receive from this channel")]
fn selected_operation_checks_the_channel() {
    let a = Chan::new(1);
    let b = Chan::<i32>::new(1);
    a.send(1).unwrap();
    let mut sel = Select::new();
    sel.recv(&a);
    sel.recv(&b);
    let _ = sel.select().recv(&b);
}

#[test]
fn nil_cases_never_fire() {
    let nil = Chan::<i32>::nil();
    let ready = Chan::new(1);
    for _ in 0..100 {
        ready.send(1).unwrap();
        let v = select! {
            recv(nil) -> _ => unreachable!(),
            send(nil, 5) -> _ => unreachable!(),
            recv(ready) -> v => v,
        };
        assert_eq!(v, Some(1));
    }
    let fired = select! {
        recv(nil) -> _ => true,
        default => false,
    };
    assert!(!fired);
    let mut sel = Select::new();
    sel.recv(&nil);
    assert!(sel.select_timeout(Duration::from_millis(1)).is_err());
}

#[test]
fn parked_select_is_woken_by_close() {
    for mode in MODES {
        let a = Chan::<i32>::new(0);
        let b = Chan::<i32>::new(0);
        let (a2, b2) = (a.clone(), b.clone());
        let h = go(mode, 0, move || {
            select! {
                recv(a2) -> v => (0, v),
                recv(b2) -> v => (1, v),
            }
        });
        wait_parked(&a, 0, 1);
        wait_parked(&b, 0, 1);
        b.close();
        assert_eq!(h.join(), (1, None), "{mode:?}");
        // The select left a's queue.
        assert_eq!(queue_lens(&a), (0, 0));
    }
}

#[test]
fn parked_send_case_gets_value_back_on_close() {
    for mode in MODES {
        let a = Chan::<String>::new(0);
        let a2 = a.clone();
        let h = go(
            mode,
            0,
            move || select! { send(a2, "x".to_string()) -> r => r },
        );
        wait_parked(&a, 1, 0);
        a.close();
        assert_eq!(h.join(), Err(SendError("x".to_string())), "{mode:?}");
    }
}

#[test]
fn parked_select_takes_exactly_one() {
    for mode in MODES {
        let chans: Vec<Chan<usize>> = (0..3).map(|_| Chan::new(0)).collect();
        let cs = chans.clone();
        let h = go(mode, 0, move || {
            let mut sel = Select::new();
            for c in &cs {
                sel.recv(c);
            }
            let op = sel.select();
            let i = op.index();
            (i, op.recv(&cs[i]))
        });
        for c in &chans {
            wait_parked(c, 0, 1);
        }
        // Offer on every channel; exactly one send can complete.
        let mut delivered = Vec::new();
        for (i, c) in chans.iter().enumerate() {
            if c.try_send(i).is_ok() {
                delivered.push(i);
            }
        }
        assert_eq!(delivered.len(), 1, "{mode:?}");
        let (i, v) = h.join();
        assert_eq!((i, v), (delivered[0], Some(delivered[0])));
        for c in &chans {
            assert_eq!(queue_lens(c), (0, 0));
        }
    }
}

#[test]
fn select_timeout_unlinks_every_node() {
    let a = Chan::<i32>::new(0);
    let b = Chan::<i32>::new(0);
    let r = select! {
        recv(a) -> _ => 0,
        send(b, 1) -> _ => 1,
        default(Duration::from_millis(2)) => 2,
    };
    assert_eq!(r, 2);
    assert_eq!(queue_lens(&a), (0, 0));
    assert_eq!(queue_lens(&b), (0, 0));
}

#[test]
fn select_with_no_cases_and_timeout_returns() {
    let r = select! { default(Duration::from_millis(1)) => 7 };
    assert_eq!(r, 7);
    assert!(Select::new().try_select().is_err());
}

/// Two selects over the same two channels, in opposite orders, sending to each other.
#[test]
fn opposite_order_selects_do_not_deadlock() {
    for mode in MODES {
        let a = Chan::<u32>::new(0);
        let b = Chan::<u32>::new(0);
        let hs: Vec<_> = (0..2)
            .map(|k| {
                let (a, b) = (a.clone(), b.clone());
                go(mode, k, move || {
                    let mut got = 0;
                    for _ in 0..500 {
                        if k == 0 {
                            select! {
                                send(a, 1) -> _ => {}
                                recv(b) -> v => got += v.unwrap(),
                            }
                        } else {
                            select! {
                                recv(a) -> v => got += v.unwrap(),
                                send(b, 1) -> _ => {}
                            }
                        }
                    }
                    got
                })
            })
            .collect();
        let got: Vec<u32> = hs.into_iter().map(|h| h.join()).collect();
        // Every select fired once; each receive matched one send of the other side.
        assert_eq!(got[0] + got[1], 500, "{mode:?}: {got:?}");
    }
}

/// A parked select's cases on one channel are queued in random order, so a partner that
/// arrives later does not always take the same case.
#[test]
fn parked_cases_on_one_channel_fire_at_random() {
    let c = Chan::new(0);
    let mut ones = 0;
    for _ in 0..200 {
        let c1 = c.clone();
        let h = go(goro_test_support::Mode::Threads, 0, move || {
            select! {
                send(c1, 1) -> r => r.unwrap(),
                send(c1, 0) -> r => r.unwrap(),
            }
        });
        wait_parked(&c, 2, 0);
        ones += c.recv().unwrap();
        h.join();
    }
    assert!((40..=160).contains(&ones), "{ones} ones of 200");
}
