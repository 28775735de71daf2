//! Channel operations as futures: [`Chan::recv_async`](crate::Chan::recv_async) and
//! [`Chan::send_async`](crate::Chan::send_async), for async code (a tokio task, say) talking
//! to goroutines and threads over the same channel.
//!
//! A future waits exactly where a parked goroutine or thread would: its [`Node`] and
//! [`Parker`] live inside the pinned future and are linked into the channel's `recvq` or
//! `sendq` under the channel lock; the parker's waiter is the task's (`Waiter::task`), so a
//! sender, a receiver or `close` that claims the node finishes it as for any other party
//! (`Claimed::finish`, then DONE and `WakerSlot::wake`). The future's poll registers its waker
//! in the slot first and then reads the parker's state (`Parker::outcome`): see `waker_slot.rs`
//! in gmp-sched for why that order loses no wake-up.
//!
//! ## Stages of one future
//!
//! | stage    | node                 | on poll                                      | on drop / `cancel`                    |
//! |----------|----------------------|----------------------------------------------|---------------------------------------|
//! | `Start`  | not linked           | try the operation; if it must wait, link     | nothing was done: a send keeps its value |
//! | `Linked` | in `recvq` / `sendq` | register the waker, then check DONE          | withdraw (below)                      |
//! | `Done`   | not linked           | panics: polled after completion              | nothing                               |
//!
//! Cancellation is a `select!` arm that was not chosen, decided by the parker's one CAS: the
//! dropped future tries `WAITING -> CLAIMED` (`Parker::withdraw`, the move a timed-out parker
//! makes). If it wins, no waker will touch the node: it unlinks it under the lock, and a send's
//! value is still in it (handed back by `cancel`, dropped with the future otherwise). If a
//! waker won first, the operation happened: a send was delivered; a receive was given a value,
//! which `cancel` returns and a drop passes on to the channel's next receiver
//! (`State::hand_back`), so no value is ever lost or received twice.

use crate::err::SendError;
use crate::hchan::{Hchan, Locked, RecvPoll, State};
use crate::loom::sync::Arc;
use crate::loom::{Waiter, WakerSlot};
use crate::waitq::{Node, Parker, WaitQ};
use crate::TrySendError;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Where a future is in its life; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Start,
    Linked,
    Done,
}

/// A linked wait: the task's waker slot and the queue entry, in place inside the pinned future.
struct Wait<T> {
    slot: Arc<WakerSlot>,
    parker: Parker,
    node: Node<T>,
}

/// What withdrawing a linked wait found.
enum Withdrawn<T> {
    /// We won the parker and unlinked the node: the operation did not happen. The node's value
    /// (a send's) is returned.
    NotDone(Option<T>),
    /// A waker finished the node first: `success` false means a close. The node's value (a
    /// received one, or a send's value after a close) is returned.
    Fired(bool, Option<T>),
}

/// The part both futures share: the channel, the stage and the wait.
struct Op<'a, T> {
    /// `None` for the nil channel: pending forever.
    chan: Option<&'a Hchan<T>>,
    stage: Stage,
    wait: Option<Wait<T>>,
    /// The node in `wait` may be linked into a queue: the future must not move.
    _pin: PhantomPinned,
}

impl<'a, T> Op<'a, T> {
    fn new(chan: Option<&'a Hchan<T>>) -> Self {
        Op {
            chan,
            stage: Stage::Start,
            wait: None,
            _pin: PhantomPinned,
        }
    }

    /// Links a node holding `value` into the queue `queue` picks, under the held lock, with the
    /// task's waker registered first.
    ///
    /// # Safety
    /// `self` is pinned (it is not moved again before it is dropped), and its `Drop` withdraws
    /// the wait: so the node and parker stay in place until a waker is done with them or they
    /// are unlinked, as `WaitQ::push` requires.
    unsafe fn link(
        &mut self,
        locked: &mut Locked<'_, T>,
        queue: fn(&mut State<T>) -> &mut WaitQ<T>,
        value: Option<T>,
        cx: &Context<'_>,
    ) {
        let slot = Arc::new(WakerSlot::new());
        slot.register(cx.waker());
        let wait = self.wait.insert(Wait {
            parker: Parker::with_waiter(Waiter::task(slot.clone())),
            node: Node::new(value),
            slot,
        });
        // SAFETY: we hold the lock; the node and parker are in place until fired or unlinked
        // (this function's contract).
        unsafe { queue(locked).push(&wait.node, &wait.parker, 0) };
        self.stage = Stage::Linked;
    }

    /// A linked wait's poll: registers the waker, then reads the parker. `Some(success)` once
    /// a waker is done with the node.
    fn poll_linked(&mut self, cx: &Context<'_>) -> Option<bool> {
        let wait = self.wait.as_ref().expect("a linked future has its wait");
        // Register first, then check: a waker stores DONE before it wakes the slot.
        wait.slot.register(cx.waker());
        let (_, success) = wait.parker.outcome()?;
        self.stage = Stage::Done;
        Some(success)
    }

    /// The value in the node of a finished wait.
    fn take_value(&mut self) -> Option<T> {
        let wait = self.wait.as_ref()?;
        // SAFETY: the node is not linked (a waker popped it and is done, or it was unlinked
        // under the lock), so nobody else touches its slot.
        unsafe { wait.node.take_value() }
    }

    /// Ends a linked wait early (see the module docs); `None` if it was not linked.
    fn withdraw(&mut self, queue: fn(&mut State<T>) -> &mut WaitQ<T>) -> Option<Withdrawn<T>> {
        if self.stage != Stage::Linked {
            return None;
        }
        self.stage = Stage::Done;
        let chan = self.chan.expect("only a real channel links");
        let wait = self.wait.as_ref().expect("a linked future has its wait");
        match wait.parker.withdraw() {
            None => {
                queue(&mut chan.lock()).remove(&wait.node);
                Some(Withdrawn::NotDone(self.take_value()))
            }
            Some((_, success)) => Some(Withdrawn::Fired(success, self.take_value())),
        }
    }
}

fn recvq<T>(s: &mut State<T>) -> &mut WaitQ<T> {
    &mut s.recvq
}

fn sendq<T>(s: &mut State<T>) -> &mut WaitQ<T> {
    &mut s.sendq
}

/// The future of [`Chan::recv_async`](crate::Chan::recv_async): a value, or `None` once the
/// channel is closed and drained.
///
/// Cancellation-safe: dropped before it resolves, it either never received, or passes the
/// value it was given on to the channel's next receiver. [`cancel`](RecvFuture::cancel) takes
/// that value instead.
///
/// ```
/// let ch = gochan::Chan::new(1);
/// ch.send(5).unwrap();
/// assert_eq!(gmp_sched::block_on(ch.recv_async()), Some(5));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    op: Op<'a, T>,
}

// SAFETY: the future holds a `&Hchan<T>` (Sync for T: Send) and a wait whose node and parker
// are only touched under the channel lock or after the parker's DONE, by the future's owner
// (through `Pin<&mut Self>`) or by a claiming waker; values of T move, never share.
unsafe impl<T: Send> Send for RecvFuture<'_, T> {}
// SAFETY: `&RecvFuture` gives access to nothing (every method takes `Pin<&mut Self>`).
unsafe impl<T: Send> Sync for RecvFuture<'_, T> {}

impl<'a, T> RecvFuture<'a, T> {
    pub(crate) fn new(chan: Option<&'a Hchan<T>>) -> Self {
        RecvFuture { op: Op::new(chan) }
    }

    /// Withdraws the receive, returning the value it had already been given, if any: the
    /// caller owns it then (a plain drop passes it on to the next receiver instead). Polling
    /// the future after `cancel` panics.
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Waker};
    ///
    /// let ch = gochan::Chan::<i32>::new(0);
    /// let mut fut = pin!(ch.recv_async());
    /// assert!(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    /// assert_eq!(fut.as_mut().cancel(), None); // nothing was sent
    /// ```
    pub fn cancel(self: Pin<&mut Self>) -> Option<T> {
        // SAFETY: we do not move out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        let r = match this.op.withdraw(recvq) {
            Some(Withdrawn::Fired(true, v)) => v,
            _ => None,
        };
        this.op.stage = Stage::Done;
        r
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        // SAFETY: we do not move out of the pinned future; `link` is told it is pinned.
        let op = unsafe { &mut self.get_unchecked_mut().op };
        let Some(chan) = op.chan else {
            return Poll::Pending; // the nil channel: never
        };
        match op.stage {
            Stage::Start => {
                let mut locked = chan.lock();
                match locked.try_recv() {
                    RecvPoll::Value(v, wakeup) => {
                        drop(locked);
                        drop(wakeup);
                        op.stage = Stage::Done;
                        Poll::Ready(Some(v))
                    }
                    RecvPoll::Closed => {
                        op.stage = Stage::Done;
                        Poll::Ready(None)
                    }
                    RecvPoll::Empty => {
                        // SAFETY: `op` is pinned inside this future, and `RecvFuture`'s drop
                        // withdraws the wait.
                        unsafe { op.link(&mut locked, recvq, None, cx) };
                        Poll::Pending
                    }
                }
            }
            Stage::Linked => match op.poll_linked(cx) {
                None => Poll::Pending,
                Some(true) => Poll::Ready(Some(op.take_value().expect("a sender filled the node"))),
                Some(false) => Poll::Ready(None),
            },
            Stage::Done => panic!("RecvFuture polled after completion"),
        }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        if let Some(Withdrawn::Fired(true, Some(v))) = self.op.withdraw(recvq) {
            let chan = self.op.chan.expect("only a real channel links");
            let mut locked = chan.lock();
            let wakeup = locked.hand_back(v);
            drop(locked);
            drop(wakeup);
        }
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture")
            .field("stage", &self.op.stage)
            .finish()
    }
}

/// The future of [`Chan::send_async`](crate::Chan::send_async): `Ok` once a receiver took the
/// value or the buffer had room, `Err` with the value if the channel is closed.
///
/// Cancellation-safe: dropped before it resolves, it either delivered its value or never
/// enqueued it (the value is dropped with it); [`cancel`](SendFuture::cancel) hands it back.
///
/// ```
/// let ch = gochan::Chan::new(1);
/// gmp_sched::block_on(ch.send_async(5)).unwrap();
/// assert_eq!(ch.recv(), Some(5));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    op: Op<'a, T>,
    /// The value until it is sent or linked in a node.
    value: Option<T>,
}

// SAFETY: as for `RecvFuture`; the value in `value` is owned by the future.
unsafe impl<T: Send> Send for SendFuture<'_, T> {}
// SAFETY: `&SendFuture` gives access to nothing (every method takes `Pin<&mut Self>`).
unsafe impl<T: Send> Sync for SendFuture<'_, T> {}

impl<'a, T> SendFuture<'a, T> {
    pub(crate) fn new(chan: Option<&'a Hchan<T>>, value: T) -> Self {
        SendFuture {
            op: Op::new(chan),
            value: Some(value),
        }
    }

    /// Withdraws the send: `Some(value)` if it was not delivered (it never will be), `None` if
    /// a receiver or the buffer has it. Polling the future after `cancel` panics.
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Waker};
    ///
    /// let ch = gochan::Chan::new(0);
    /// let mut fut = pin!(ch.send_async("hello"));
    /// assert!(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    /// assert_eq!(fut.as_mut().cancel(), Some("hello")); // nobody received it
    /// ```
    pub fn cancel(self: Pin<&mut Self>) -> Option<T> {
        // SAFETY: we do not move out of the pinned future (only the unpinned `value`).
        let this = unsafe { self.get_unchecked_mut() };
        let r = match this.op.withdraw(sendq) {
            Some(Withdrawn::NotDone(v)) | Some(Withdrawn::Fired(false, v)) => v,
            Some(Withdrawn::Fired(true, _)) => None,
            None => this.value.take(),
        };
        this.op.stage = Stage::Done;
        r
    }
}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: we do not move out of the pinned future; `link` is told it is pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let op = &mut this.op;
        let Some(chan) = op.chan else {
            return Poll::Pending; // the nil channel: never
        };
        match op.stage {
            Stage::Start => {
                let v = this
                    .value
                    .take()
                    .expect("a fresh SendFuture holds its value");
                let mut locked = chan.lock();
                match locked.try_send(v) {
                    Ok(wakeup) => {
                        drop(locked);
                        drop(wakeup);
                        op.stage = Stage::Done;
                        Poll::Ready(Ok(()))
                    }
                    Err(TrySendError::Closed(v)) => {
                        drop(locked);
                        op.stage = Stage::Done;
                        Poll::Ready(Err(SendError(v)))
                    }
                    Err(TrySendError::Full(v)) => {
                        // SAFETY: `op` is pinned inside this future, and `SendFuture`'s drop
                        // withdraws the wait.
                        unsafe { op.link(&mut locked, sendq, Some(v), cx) };
                        Poll::Pending
                    }
                }
            }
            Stage::Linked => match op.poll_linked(cx) {
                None => Poll::Pending,
                Some(true) => Poll::Ready(Ok(())),
                Some(false) => Poll::Ready(Err(SendError(
                    op.take_value().expect("close leaves the value in the node"),
                ))),
            },
            Stage::Done => panic!("SendFuture polled after completion"),
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        // Not delivered: the value drops with the future (it was never enqueued).
        let _ = self.op.withdraw(sendq);
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("stage", &self.op.stage)
            .finish()
    }
}
