//! `recv_async` / `send_async`: futures in the channel's wait queues beside goroutines and
//! threads; wake-ups, close, the nil channel, and cancellation (drop and `cancel`) at each
//! stage. Executor-free: futures are polled by hand or by `gmp_sched::block_on`.
#![cfg(not(loom))]

use gochan::internal::{queue_lens, wait_parked};
use gochan::{Chan, SendError, TryRecvError};
use goro_test_support::{go, MODES};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts its wakes.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count::default());
    (c.clone(), Waker::from(c))
}

fn poll<F: Future>(f: Pin<&mut F>, w: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(w))
}

#[test]
fn futures_talk_to_goroutines_and_threads() {
    const N: u64 = 2000;
    for mode in MODES {
        for cap in [0, 3] {
            let ch = Chan::new(cap);
            let back = Chan::new(cap);
            let (c2, b2) = (ch.clone(), back.clone());
            // Party 0 sends with the blocking API and reads the echo; party 1 echoes with
            // futures.
            let sender = go(mode, 0, move || {
                let mut sum = 0;
                for i in 0..N {
                    c2.send(i).unwrap();
                    sum += b2.recv().unwrap();
                }
                c2.close();
                assert_eq!(b2.recv(), None);
                sum
            });
            let asyncs = go(mode, 1, move || {
                gmp_sched::block_on(async {
                    let mut sum = 0;
                    while let Some(v) = ch.recv_async().await {
                        sum += v;
                        back.send_async(v).await.unwrap();
                    }
                    back.close();
                    sum
                })
            });
            let want = N * (N - 1) / 2;
            assert_eq!(asyncs.join(), want, "{mode:?} cap {cap}");
            assert_eq!(sender.join(), want, "{mode:?} cap {cap}");
        }
    }
}

#[test]
fn a_parked_future_is_woken_by_a_send() {
    let ch = Chan::new(0);
    let (count, w) = counting();
    let mut fut = pin!(ch.recv_async());
    assert!(poll(fut.as_mut(), &w).is_pending());
    assert_eq!(queue_lens(&ch), (0, 1), "the future waits in recvq");
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
    ch.send(9).unwrap(); // straight into the future's node: no waiting
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(poll(fut.as_mut(), &w), Poll::Ready(Some(9)));
}

#[test]
fn the_latest_waker_is_the_one_woken() {
    let ch = Chan::new(0);
    let (first, w1) = counting();
    let (second, w2) = counting();
    let mut fut = pin!(ch.send_async(1));
    assert!(poll(fut.as_mut(), &w1).is_pending());
    assert!(poll(fut.as_mut(), &w2).is_pending());
    assert_eq!(ch.recv(), Some(1));
    assert_eq!(first.0.load(Ordering::SeqCst), 0);
    assert_eq!(second.0.load(Ordering::SeqCst), 1);
    assert_eq!(poll(fut.as_mut(), &w2), Poll::Ready(Ok(())));
}

#[test]
fn close_wakes_waiting_futures() {
    let ch = Chan::<u32>::new(0);
    let (count, w) = counting();
    let mut r = pin!(ch.recv_async());
    let ch2 = Chan::new(0);
    let mut s = pin!(ch2.send_async(4));
    assert!(poll(r.as_mut(), &w).is_pending());
    assert!(poll(s.as_mut(), &w).is_pending());
    ch.close();
    ch2.close();
    assert_eq!(count.0.load(Ordering::SeqCst), 2);
    assert_eq!(poll(r.as_mut(), &w), Poll::Ready(None));
    assert_eq!(poll(s.as_mut(), &w), Poll::Ready(Err(SendError(4))));
    // And a closed channel answers at once.
    assert_eq!(gmp_sched::block_on(ch.recv_async()), None);
    assert_eq!(gmp_sched::block_on(ch2.send_async(5)), Err(SendError(5)));
}

#[test]
fn the_nil_channel_never_resolves() {
    let ch = Chan::<u8>::nil();
    let (count, w) = counting();
    let mut r = pin!(ch.recv_async());
    let mut s = pin!(ch.send_async(1));
    for _ in 0..3 {
        assert!(poll(r.as_mut(), &w).is_pending());
        assert!(poll(s.as_mut(), &w).is_pending());
    }
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
    assert_eq!(
        s.as_mut().cancel(),
        Some(1),
        "the nil channel hands the value back"
    );
}

#[test]
fn a_dropped_send_never_enqueued_its_value() {
    let ch = Chan::new(0);
    {
        let mut fut = pin!(ch.send_async(String::from("lost?")));
        assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
        assert_eq!(queue_lens(&ch), (1, 0));
    }
    assert_eq!(queue_lens(&ch), (0, 0), "the drop unlinked the node");
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    // Dropped before its first poll: nothing was sent either.
    drop(ch.send_async(String::from("never polled")));
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn cancel_hands_an_undelivered_send_back() {
    let ch = Chan::new(0);
    let mut fut = pin!(ch.send_async(3));
    assert_eq!(fut.as_mut().cancel(), Some(3), "before any poll");
    let mut fut = pin!(ch.send_async(4));
    assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
    assert_eq!(fut.as_mut().cancel(), Some(4), "while waiting");
    assert_eq!(queue_lens(&ch), (0, 0));
    let mut fut = pin!(ch.send_async(5));
    assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
    assert_eq!(ch.recv(), Some(5));
    assert_eq!(
        fut.as_mut().cancel(),
        None,
        "delivered: nothing to hand back"
    );
}

#[test]
fn a_dropped_recv_that_was_chosen_passes_the_value_on() {
    let ch = Chan::new(0);
    {
        let mut fut = pin!(ch.recv_async());
        assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
        ch.send(1).unwrap(); // completes: the future's node took it
    } // dropped without seeing it
    assert_eq!(ch.len(), 1, "the value waits for the next receiver");
    assert_eq!(ch.try_recv(), Ok(1));
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_passed_on_value_goes_to_a_parked_receiver_in_each_mode() {
    for mode in MODES {
        let ch = Chan::new(0);
        let mut fut = Box::pin(ch.recv_async());
        assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
        let c2 = ch.clone();
        let receiver = go(mode, 0, move || c2.recv());
        wait_parked(&ch, 0, 2);
        ch.send(7).unwrap(); // to the future, first in recvq
        assert_eq!(queue_lens(&ch), (0, 1));
        drop(fut); // passes 7 on to the parked receiver
        assert_eq!(receiver.join(), Some(7), "{mode:?}");
        assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    }
}

#[test]
fn a_passed_on_value_comes_before_buffered_ones_and_survives_close() {
    let ch = Chan::new(2);
    let mut fut = Box::pin(ch.recv_async());
    assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
    ch.send(1).unwrap(); // to the future
    ch.send(2).unwrap(); // buffered
    ch.close();
    drop(fut);
    assert_eq!(ch.iter().collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn cancel_keeps_a_received_value() {
    let ch = Chan::new(0);
    let mut fut = pin!(ch.recv_async());
    assert_eq!(fut.as_mut().cancel(), None, "before any poll");
    let mut fut = pin!(ch.recv_async());
    assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
    assert_eq!(fut.as_mut().cancel(), None, "nothing sent");
    assert_eq!(queue_lens(&ch), (0, 0));
    let mut fut = pin!(ch.recv_async());
    assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
    ch.send(8).unwrap();
    assert_eq!(fut.as_mut().cancel(), Some(8));
    assert_eq!(
        ch.try_recv(),
        Err(TryRecvError::Empty),
        "kept, not passed on"
    );
}

#[test]
#[should_panic(expected = "polled after completion")]
fn polling_after_completion_panics() {
    let ch = Chan::new(1);
    ch.send(1).unwrap();
    let mut fut = pin!(ch.recv_async());
    assert_eq!(poll(fut.as_mut(), Waker::noop()), Poll::Ready(Some(1)));
    let _ = poll(fut.as_mut(), Waker::noop());
}

#[test]
fn views_have_the_async_methods() {
    let ch = Chan::new(1);
    gmp_sched::block_on(ch.sender().send_async(2)).unwrap();
    assert_eq!(gmp_sched::block_on(ch.receiver().recv_async()), Some(2));
}

/// Futures dropped at every point of their wait, racing senders and receivers on other
/// goroutines and threads: every value is received exactly once.
#[test]
fn cancelled_futures_lose_and_duplicate_nothing() {
    const N: usize = 3000;
    for mode in MODES {
        for cap in [0, 2] {
            let ch = Chan::new(cap);
            let seen: Arc<Vec<AtomicUsize>> =
                Arc::new((0..N).map(|_| AtomicUsize::new(0)).collect());
            let c2 = ch.clone();
            // Party 0: sends every value through futures that it polls once and often
            // cancels, re-sending what `cancel` hands back.
            let sender = go(mode, 0, move || {
                let mut i = 0;
                let mut round = 0u32;
                while i < N {
                    round += 1;
                    let mut fut = pin!(c2.send_async(i));
                    if round % 3 == 0 {
                        gmp_sched::block_on(fut.as_mut()).unwrap();
                        i += 1;
                        continue;
                    }
                    let _ = poll(fut.as_mut(), Waker::noop());
                    gmp_sched::yield_now();
                    match fut.as_mut().cancel() {
                        Some(v) => assert_eq!(v, i),
                        None => i += 1,
                    }
                }
                c2.close();
            });
            // Party 1: receives through futures that it polls once and drops (a chosen one
            // passes its value on) or blocks on.
            let c3 = ch.clone();
            let s2 = seen.clone();
            let receiver = go(mode, 1, move || {
                let mut round = 0u32;
                loop {
                    round += 1;
                    let mut fut = pin!(c3.recv_async());
                    let got = if round % 2 == 0 {
                        gmp_sched::block_on(fut.as_mut())
                    } else {
                        match poll(fut.as_mut(), Waker::noop()) {
                            Poll::Ready(v) => v,
                            Poll::Pending => {
                                gmp_sched::yield_now();
                                continue; // dropped here: a chosen one passes its value on
                            }
                        }
                    };
                    match got {
                        Some(v) => {
                            s2[v].fetch_add(1, Ordering::Relaxed);
                        }
                        None => break,
                    }
                }
            });
            sender.join();
            receiver.join();
            for (v, n) in seen.iter().enumerate() {
                assert_eq!(
                    n.load(Ordering::Relaxed),
                    1,
                    "value {v}, {mode:?} cap {cap}"
                );
            }
        }
    }
}
