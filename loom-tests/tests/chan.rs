//! loom models of gochan's channel protocol (crates/gochan/src/hchan.rs, waitq.rs): direct
//! hand-off to a parked receiver, buffering, a receive that refills a full buffer from a
//! parked sender, and close racing with parked and arriving parties, for capacities 0 and 1.
//!
//! Checked: no lost wake-up (every model terminates: loom fails a model whose threads all
//! park), values arrive once and in order, a send is either received or handed back by
//! close, and no waiter node is left linked afterwards.
#![cfg(loom)]

use gochan::internal::queue_lens;
use gochan::{Chan, SendError};
use loom::thread;

fn empty_queues<T>(ch: &Chan<T>) {
    assert_eq!(queue_lens(ch), (0, 0));
}

/// A sender and a receiver meet; with capacity 0 the value goes straight into whichever
/// party parked first.
#[test]
fn chan_send_recv_cap0_and_cap1() {
    for cap in [0, 1] {
        loom::model(move || {
            let ch = Chan::new(cap);
            loom_tests::send_two_recv_two(&ch);
            empty_queues(&ch);
        });
    }
}

/// Capacity 1, two senders: the receiver takes the buffered value and refills the buffer
/// from a parked sender; both values arrive exactly once.
#[test]
fn chan_refill_from_parked_sender_cap1() {
    loom::model(|| {
        let ch = Chan::new(1);
        let senders: Vec<_> = (0..2)
            .map(|i| {
                let tx = ch.clone();
                thread::spawn(move || tx.send(i).unwrap())
            })
            .collect();
        let mut got = [ch.recv().unwrap(), ch.recv().unwrap()];
        got.sort();
        assert_eq!(got, [0, 1]);
        for s in senders {
            s.join().unwrap();
        }
        empty_queues(&ch);
    });
}

/// Close against a receiver: it gets `None` whether it parked before the close or not.
#[test]
fn chan_close_wakes_receiver() {
    for cap in [0, 1] {
        loom::model(move || {
            let ch = Chan::<i32>::new(cap);
            let rx = ch.clone();
            let t = thread::spawn(move || rx.recv());
            ch.close();
            assert_eq!(t.join().unwrap(), None);
            empty_queues(&ch);
        });
    }
}

/// Close against a sender: the value is either received or handed back, never both or
/// neither.
#[test]
fn chan_close_races_send() {
    for cap in [0, 1] {
        loom::model(move || {
            let ch = Chan::new(cap);
            let tx = ch.clone();
            let sender = thread::spawn(move || tx.send(7));
            let rx = ch.clone();
            let receiver = thread::spawn(move || rx.recv());
            ch.close();
            let sent = sender.join().unwrap();
            let got = receiver.join().unwrap();
            match sent {
                Ok(()) => {
                    // Received by the receiver, or still buffered (capacity 1).
                    let rest = ch.recv();
                    assert!(got == Some(7) || rest == Some(7));
                    assert!(!(got == Some(7) && rest == Some(7)));
                }
                Err(SendError(v)) => {
                    assert_eq!(v, 7);
                    assert_eq!(got, None);
                    assert_eq!(ch.recv(), None);
                }
            }
            empty_queues(&ch);
        });
    }
}
