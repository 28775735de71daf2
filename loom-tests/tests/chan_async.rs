//! loom models of the async bridge's waker path (crates/gochan/src/future.rs over waitq.rs;
//! gmp-sched's `WakerSlot`, under loom a loom `Mutex<Option<Waker>>`, and `Waiter::task`):
//! a channel future registers its waker, then reads its parker; a waker writes the parker,
//! then wakes the slot. A dropped or cancelled future withdraws with the parker's one CAS.
//!
//! Checked: no lost wake-up (the polling thread sleeps until its waker fires, so a lost one
//! is a deadlock loom reports), and no value lost or received twice when a future is dropped
//! or cancelled while a sender or receiver claims it. Left out: `AtomicWaker` itself (its
//! authors model it), the scheduler's run queues (a waker here wakes a loom thread).
#![cfg(loom)]

use gochan::internal::queue_lens;
use gochan::{Chan, TryRecvError, TrySendError};
use loom::thread;
use loom_tests::executor::{block_on, poll_once};
use std::pin::pin;
use std::task::Poll;

#[test]
fn chan_async_recv_and_send_meet_a_blocking_party() {
    loom::model(|| {
        let ch = Chan::new(0);
        let tx = ch.clone();
        let t = thread::spawn(move || tx.send(1).unwrap());
        assert_eq!(block_on(ch.recv_async()), Some(1));
        t.join().unwrap();
        assert_eq!(queue_lens(&ch), (0, 0));
    });
    loom::model(|| {
        let ch = Chan::new(0);
        let rx = ch.clone();
        let t = thread::spawn(move || rx.recv());
        block_on(ch.send_async(2)).unwrap();
        assert_eq!(t.join().unwrap(), Some(2));
        assert_eq!(queue_lens(&ch), (0, 0));
    });
}

/// Close wakes a waiting future receiver.
#[test]
fn chan_async_close_wakes_a_future() {
    loom::model(|| {
        let ch = Chan::<u8>::new(0);
        let c2 = ch.clone();
        let t = thread::spawn(move || c2.close());
        assert_eq!(block_on(ch.recv_async()), None);
        t.join().unwrap();
    });
}

/// A receive future linked, then dropped, racing a `try_send`: if the send went through, the
/// value is in the channel (the dropped future passed it on); if not, nothing is.
#[test]
fn chan_async_dropped_recv_passes_a_chosen_value_on() {
    loom::model(|| {
        let ch = Chan::new(0);
        let tx = ch.clone();
        let t = thread::spawn(move || tx.try_send(7));
        {
            let mut fut = pin!(ch.recv_async());
            if let Poll::Ready(v) = poll_once(fut.as_mut()) {
                // The send came first? Impossible: nobody waited, so it found the channel full.
                panic!("received {v:?} without waiting");
            }
        } // dropped: withdraws, or passes on what a sender put in its node
        match t.join().unwrap() {
            Ok(()) => assert_eq!(ch.try_recv(), Ok(7)),
            Err(TrySendError::Full(7)) => assert_eq!(ch.try_recv(), Err(TryRecvError::Empty)),
            Err(e) => panic!("{e:?}"),
        }
        assert_eq!(queue_lens(&ch), (0, 0));
    });
}

/// A send future linked, then cancelled, racing a `try_recv`: exactly one side ends up with
/// the value.
#[test]
fn chan_async_cancelled_send_hands_back_or_delivers() {
    loom::model(|| {
        let ch = Chan::new(0);
        let rx = ch.clone();
        let t = thread::spawn(move || rx.try_recv());
        let mut fut = pin!(ch.send_async(5));
        let back = match poll_once(fut.as_mut()) {
            Poll::Ready(r) => {
                r.unwrap();
                None
            }
            Poll::Pending => fut.as_mut().cancel(),
        };
        let received = t.join().unwrap().ok();
        assert_eq!(
            (back.is_some(), received.is_some()),
            (received.is_none(), back.is_none())
        );
        assert_eq!(back.or(received), Some(5));
        assert_eq!(queue_lens(&ch), (0, 0));
    });
}
