//! loom models of gochan's select (crates/gochan/src/select.rs, waitq.rs): one parker shared
//! by nodes on several channels, the WAITING -> CLAIMED CAS that lets exactly one case fire,
//! locking in address order, and the unlinking of the losing nodes.
//!
//! Checked: a select (with a receive or a send case) against a close and a concurrent
//! try_send fires exactly one case, and the try_send succeeds exactly when that case is its
//! receive; two selects over the same two channels in opposite order neither deadlock nor
//! lose a value; a select in both queues of one channel pairs with a plain receive; a stale
//! select node ahead of a live receiver in one queue does not stop a sender from reaching the
//! receiver (three parties); no node stays linked afterwards.
#![cfg(loom)]

use gochan::internal::{queue_lens, wait_parked};
use gochan::{select, Chan};
use loom::thread::{self, JoinHandle};

/// A thread that selects on receiving from `a` (case 0) or `b` (case 1).
fn spawn_recv_select(a: &Chan<i32>, b: &Chan<i32>) -> JoinHandle<(usize, Option<i32>)> {
    let (a, b) = (a.clone(), b.clone());
    thread::spawn(move || {
        select! {
            recv(a) -> v => (0, v),
            recv(b) -> v => (1, v),
        }
    })
}

/// A select parked on `a` and `b`; `a` is closed while another thread tries to send on `b`.
#[test]
fn select_against_close() {
    loom::model(|| {
        let a = Chan::<i32>::new(0);
        let b = Chan::<i32>::new(0);
        let selector = spawn_recv_select(&a, &b);
        let b2 = b.clone();
        let sender = thread::spawn(move || b2.try_send(5).is_ok());
        a.close();
        let fired = selector.join().unwrap();
        let sent = sender.join().unwrap();
        match fired {
            (0, None) => assert!(!sent),
            (1, Some(5)) => assert!(sent),
            other => panic!("unexpected select outcome {other:?}"),
        }
        assert_eq!(queue_lens(&a), (0, 0));
        assert_eq!(queue_lens(&b), (0, 0));
    });
}

/// Two selects over the same two unbuffered channels, listed in opposite orders: each must
/// pair with the other (one sends, the other receives) on one of the channels.
#[test]
fn select_two_in_opposite_order() {
    loom::model(|| {
        let a = Chan::<i32>::new(0);
        let b = Chan::<i32>::new(0);
        let (a1, b1) = (a.clone(), b.clone());
        let t = thread::spawn(move || {
            select! {
                send(a1, 1) -> r => { r.unwrap(); 'a' }
                recv(b1) -> v => { assert_eq!(v, Some(2)); 'b' }
            }
        });
        let mine = select! {
            recv(b) -> _ => unreachable!("nobody else sends on b"),
            send(b, 2) -> r => { r.unwrap(); 'b' }
            recv(a) -> v => { assert_eq!(v, Some(1)); 'a' }
        };
        let theirs = t.join().unwrap();
        assert_eq!(mine, theirs);
        assert_eq!(queue_lens(&a), (0, 0));
        assert_eq!(queue_lens(&b), (0, 0));
    });
}

/// A select that waits to send and to receive on the same unbuffered channel: its nodes sit
/// in both queues of one channel; a plain receive takes the send node, and the receive node
/// is unlinked.
#[test]
fn select_send_and_recv_same_channel() {
    loom::model(|| {
        let c = Chan::<i32>::new(0);
        let c1 = c.clone();
        let t = thread::spawn(move || {
            select! {
                send(c1, 1) -> r => { r.unwrap(); None }
                recv(c1) -> v => v,
            }
        });
        assert_eq!(c.recv(), Some(1));
        assert_eq!(t.join().unwrap(), None);
        assert_eq!(queue_lens(&c), (0, 0));
    });
}

/// A select parked with a send case on `a` and a receive case on `b`: `a` is closed while
/// another thread tries to send on `b`. Either the send case fires with its value handed back,
/// or the receive case takes the other thread's value; never both, never neither.
#[test]
fn select_send_case_against_close() {
    loom::model(|| {
        let a = Chan::<i32>::new(0);
        let b = Chan::<i32>::new(0);
        let (a1, b1) = (a.clone(), b.clone());
        let selector = thread::spawn(move || {
            select! {
                send(a1, 1) -> r => Err(r.unwrap_err().into_inner()),
                recv(b1) -> v => Ok(v),
            }
        });
        let b2 = b.clone();
        let sender = thread::spawn(move || b2.try_send(2).is_ok());
        a.close();
        let fired = selector.join().unwrap();
        let sent = sender.join().unwrap();
        match fired {
            Err(1) => assert!(!sent),
            Ok(Some(2)) => assert!(sent),
            other => panic!("unexpected select outcome {other:?}"),
        }
        assert_eq!(queue_lens(&a), (0, 0));
        assert_eq!(queue_lens(&b), (0, 0));
    });
}

/// Three parties: a select parked on `a` and `c`, a plain receiver parked on `c` (either may
/// be first in `c`'s recvq), and a sender that fires the select through `a`, then sends on
/// `c` while the select's `c` node may still be linked (it fired but has not unlinked yet).
/// A waker that pops that stale node loses the claim and must go on to the next node
/// (`WaitQ::pop_claim`, Go's `dequeue`); stopping there parks the sender beside the parked
/// receiver, which loom reports as a deadlock.
#[test]
fn select_stale_node_ahead_of_live_receiver() {
    loom::model(|| {
        let (a, c) = (Chan::new(0), Chan::new(0));
        let selector = spawn_recv_select(&a, &c);
        let c2 = c.clone();
        let receiver = thread::spawn(move || c2.recv());
        wait_parked(&c, 0, 2);
        a.send(1).unwrap();
        c.send(2).unwrap();
        assert_eq!(selector.join().unwrap(), (0, Some(1)));
        assert_eq!(receiver.join().unwrap(), Some(2));
        assert_eq!(queue_lens(&a), (0, 0));
        assert_eq!(queue_lens(&c), (0, 0));
    });
}
