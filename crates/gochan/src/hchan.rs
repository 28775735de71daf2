//! Go's `hchan`: the channel object behind every handle. Ports runtime/chan.go
//! (`hchan`, `makechan`, `chansend`, `chanrecv`, `closechan`, `send`, `recv`); the public
//! handles over it ([`Chan`](crate::Chan), `Sender`, `Receiver`) are in `chan.rs`.
//!
//! One lock guards everything: the ring buffer (`buf`, `sendx`, `recvx`, `qcount`), the
//! `closed` flag and the two wait queues (`sendq`, `recvq`, see `waitq.rs`). The lock is a
//! short spin lock, as Go's runtime `lock`: it is held for a few loads and stores, never
//! while anyone blocks, except that a parking party hands its lock to `park`'s `release`,
//! which unlocks it once the party is committed to parking (Go's `gopark(unlockf)`).
//!
//! Invariants (those of chan.go):
//! - at least one of `sendq`, `recvq` is empty, except briefly for a select that waits to
//!   send and to receive on the same unbuffered channel;
//! - buffered: `qcount > 0` implies `recvq` is empty; `qcount < cap` implies `sendq` is empty;
//! - closed implies `sendq` is empty (close wakes every sender, later sends fail at once);
//! - `handed_back` non-empty implies `recvq` is empty (a handed-back value goes to a parked
//!   receiver first, and a receiver parks only when nothing is there to take).
//!
//! `handed_back` holds values that a parked async receiver (`recv_async`, see `future.rs`) was
//! given and then dropped before it could return them: its future passes the value on to the
//! next receiver instead of losing it. Such a value was sent before anything now buffered, so
//! receives take it first; it may exceed `cap` for as long as it waits there.
//!
//! Send: closed -> fail; a parked receiver -> hand the value straight into its node and
//! ready it (the woken goroutine goes to our P's `runnext`); room in the buffer -> enqueue;
//! else park in `sendq`. Receive: closed and empty -> `None`; a parked sender -> unbuffered:
//! take its value, buffered (so full): take the head and refill the tail from that sender;
//! a buffered value -> take it; else park in `recvq`. Close: set `closed`, claim every
//! parked party with "unsuccessful", unlock, wake them all.

use crate::err::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::UnsafeCell;
use crate::waitq::{AbortOnUnwind, Claimed, Node, Outcome, Parker, WaitQ, Wakeup};
use gmp_sched::sys::WaitReason;
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::time::Instant;

/// The channel lock: test-and-test-and-set with a bounded spin, then yielding the thread.
/// Critical sections are a few dozen instructions, so this rarely gets past the spin.
///
/// The same lock is built under loom and checked on its own (loom-tests `chan_lock.rs`):
/// there each round of the slow path is one `loom::hint::spin_loop` (loom runs the other
/// threads), with no backoff and no thread yield. The channel models use the blocking
/// `RawLock` below instead: with three threads spinning, their executions outgrow loom's
/// branch limit.
pub struct SpinLock {
    locked: AtomicBool,
}

impl SpinLock {
    /// An unlocked lock.
    #[allow(clippy::new_without_default)]
    pub fn new() -> SpinLock {
        SpinLock {
            locked: AtomicBool::new(false),
        }
    }

    /// Takes the lock, spinning while another party holds it.
    #[inline]
    pub fn lock(&self) {
        // Acquire: pairs with the Release in `unlock`.
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
    }

    #[cold]
    fn lock_slow(&self) {
        let mut step = 0u32;
        loop {
            while self.locked.load(Ordering::Relaxed) {
                if cfg!(loom) {
                    crate::loom::hint::spin_loop();
                } else if step < 6 {
                    for _ in 0..(1u32 << step) {
                        crate::loom::hint::spin_loop();
                    }
                    step += 1;
                } else {
                    crate::loom::yield_thread();
                }
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }

    /// Releases the lock; the caller holds it.
    #[inline]
    pub fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }
}

/// The channel lock.
#[cfg(not(loom))]
pub(crate) type RawLock = SpinLock;

/// Under loom the channel models lock with a loom `Mutex`/`Condvar`: mutual exclusion is
/// all the channel relies on, and `SpinLock` has a model of its own.
#[cfg(loom)]
pub(crate) struct RawLock {
    locked: crate::loom::sync::Mutex<bool>,
    unlocked: crate::loom::sync::Condvar,
}

#[cfg(loom)]
impl RawLock {
    fn new() -> RawLock {
        RawLock {
            locked: crate::loom::sync::Mutex::new(false),
            unlocked: crate::loom::sync::Condvar::new(),
        }
    }

    pub(crate) fn lock(&self) {
        let mut locked = self.locked.lock().unwrap();
        while *locked {
            locked = self.unlocked.wait(locked).unwrap();
        }
        *locked = true;
    }

    pub(crate) fn unlock(&self) {
        *self.locked.lock().unwrap() = false;
        self.unlocked.notify_one();
    }
}

/// The ring buffer: Go's `buf`, `sendx`, `recvx`, `qcount`, `dataqsiz`.
struct Ring<T> {
    slots: Box<[Option<T>]>,
    /// Next slot to fill.
    sendx: usize,
    /// Next slot to drain.
    recvx: usize,
    qcount: usize,
}

impl<T> Ring<T> {
    fn new(cap: usize) -> Ring<T> {
        Ring {
            slots: (0..cap).map(|_| None).collect(),
            sendx: 0,
            recvx: 0,
            qcount: 0,
        }
    }

    fn cap(&self) -> usize {
        self.slots.len()
    }

    fn push(&mut self, v: T) {
        debug_assert!(self.qcount < self.cap());
        self.slots[self.sendx] = Some(v);
        self.sendx += 1;
        if self.sendx == self.cap() {
            self.sendx = 0;
        }
        self.qcount += 1;
    }

    fn pop(&mut self) -> T {
        debug_assert!(self.qcount > 0);
        let v = self.slots[self.recvx]
            .take()
            .expect("ring slot below qcount is full");
        self.recvx += 1;
        if self.recvx == self.cap() {
            self.recvx = 0;
        }
        self.qcount -= 1;
        v
    }

    /// Full buffer, parked sender: take the head, put `v` in its place at the tail
    /// (Go's `recv`: "the queue is full, take the item at the head of the queue; make the
    /// sender enqueue its item at the tail of the queue. Both map to the same buffer slot").
    fn replace_head(&mut self, v: T) -> T {
        debug_assert_eq!(self.qcount, self.cap());
        let out = self.slots[self.recvx].replace(v).expect("full ring");
        self.recvx += 1;
        if self.recvx == self.cap() {
            self.recvx = 0;
        }
        self.sendx = self.recvx;
        out
    }
}

/// What a non-blocking receive found, under the lock.
pub(crate) enum RecvPoll<T> {
    /// A value; the wake-up of the sender it came from, if one was parked.
    Value(T, Option<Wakeup>),
    /// Closed and drained.
    Closed,
    /// Nothing now.
    Empty,
}

/// Everything the channel lock guards.
pub(crate) struct State<T> {
    buf: Ring<T>,
    /// Values received by async receivers that were dropped before returning them; taken
    /// before the buffer (see the module docs).
    handed_back: VecDeque<T>,
    closed: bool,
    pub(crate) recvq: WaitQ<T>,
    pub(crate) sendq: WaitQ<T>,
}

impl<T> State<T> {
    /// The non-blocking part of Go's `chansend`.
    pub(crate) fn try_send(&mut self, v: T) -> Result<Option<Wakeup>, TrySendError<T>> {
        if self.closed {
            return Err(TrySendError::Closed(v));
        }
        if let Some(receiver) = self.recvq.pop_claim() {
            // Go's `send`: straight into the parked receiver.
            receiver.put(v);
            return Ok(Some(receiver.finish(true)));
        }
        if self.buf.qcount < self.buf.cap() {
            self.buf.push(v);
            return Ok(None);
        }
        Err(TrySendError::Full(v))
    }

    /// The non-blocking part of Go's `chanrecv`.
    pub(crate) fn try_recv(&mut self) -> RecvPoll<T> {
        if !self.handed_back.is_empty() {
            return self.recv_handed_back();
        }
        if self.closed && self.buf.qcount == 0 {
            return RecvPoll::Closed;
        }
        if let Some(sender) = self.sendq.pop_claim() {
            return self.recv_from(sender);
        }
        if self.buf.qcount > 0 {
            return RecvPoll::Value(self.buf.pop(), None);
        }
        RecvPoll::Empty
    }

    /// A value passed on by a dropped async receiver: the oldest in the channel.
    #[cold]
    fn recv_handed_back(&mut self) -> RecvPoll<T> {
        let v = self.handed_back.pop_front().expect("checked non-empty");
        RecvPoll::Value(v, None)
    }

    /// Passes on a value a dropped async receiver was given: to a parked receiver if there is
    /// one, else to the next receive. Returns the wake-up to run after unlocking.
    pub(crate) fn hand_back(&mut self, v: T) -> Option<Wakeup> {
        if let Some(receiver) = self.recvq.pop_claim() {
            receiver.put(v);
            return Some(receiver.finish(true));
        }
        self.handed_back.push_back(v);
        None
    }

    /// Go's `recv`: from a parked sender, directly (unbuffered) or through the full buffer.
    fn recv_from(&mut self, sender: Claimed<T>) -> RecvPoll<T> {
        let sent = sender.take();
        let v = if self.buf.cap() == 0 {
            sent
        } else {
            self.buf.replace_head(sent)
        };
        RecvPoll::Value(v, Some(sender.finish(true)))
    }

    /// How many values are buffered (Go: `len(ch)`), values passed on by dropped async
    /// receivers included.
    pub(crate) fn len(&self) -> usize {
        self.buf.qcount + self.handed_back.len()
    }

    /// The buffer size (Go: `cap(ch)`).
    pub(crate) fn cap(&self) -> usize {
        self.buf.cap()
    }

    /// Whether `close` ran.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }
}
/// The shared channel object behind every [`Chan`](crate::Chan) handle.
pub(crate) struct Hchan<T> {
    lock: RawLock,
    state: UnsafeCell<State<T>>,
}

// SAFETY: values of type T move through the channel from one thread to another (hence
// T: Send) but are never shared; every access to `state` happens under `lock`, and the raw
// node pointers in the queues follow the contract of `WaitQ::push`.
unsafe impl<T: Send> Send for Hchan<T> {}
// SAFETY: as above; `&Hchan` only gives access to `state` through the lock (like Mutex<T>).
unsafe impl<T: Send> Sync for Hchan<T> {}

// A panic never leaves a channel half-updated: the only panics under the lock ("close of
// closed channel") unlock first.
impl<T> std::panic::UnwindSafe for Hchan<T> {}
impl<T> std::panic::RefUnwindSafe for Hchan<T> {}

impl<T> Hchan<T> {
    /// Go's `makechan`.
    pub(crate) fn new(cap: usize) -> Hchan<T> {
        Hchan {
            lock: RawLock::new(),
            state: UnsafeCell::new(State {
                buf: Ring::new(cap),
                handed_back: VecDeque::new(),
                closed: false,
                recvq: WaitQ::new(),
                sendq: WaitQ::new(),
            }),
        }
    }

    /// Locks the channel.
    #[inline]
    pub(crate) fn lock(&self) -> Locked<'_, T> {
        self.lock.lock();
        Locked { chan: self }
    }

    /// Go's `chansend` with `block == false`.
    pub(crate) fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        let mut locked = self.lock();
        let r = locked.try_send(v);
        drop(locked);
        r.map(drop)
    }

    /// Go's `chansend` with `block == true`, waiting until `deadline` at most.
    pub(crate) fn send(&self, v: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        let mut locked = self.lock();
        let v = match locked.try_send(v) {
            Ok(wakeup) => {
                drop(locked);
                drop(wakeup);
                return Ok(());
            }
            Err(TrySendError::Closed(v)) => return Err(SendTimeoutError::Closed(v)),
            Err(TrySendError::Full(v)) => v,
        };
        if deadline.is_some_and(|d| crate::loom::now() >= d) {
            return Err(SendTimeoutError::Timeout(v));
        }
        // Block: link a node holding the value into sendq and park.
        let parker = Parker::new();
        let node = Node::new(Some(v));
        let no_unwind = AbortOnUnwind::new();
        // SAFETY: we hold the lock; `node` and `parker` live on this frame, which returns only
        // after `wait` reported the node fired (popped by a waker that is done with it) or
        // after removing it below under the lock; `no_unwind` rules out unwinding meanwhile.
        unsafe { locked.sendq.push(&node, &parker, 0) };
        let outcome = parker.wait(WaitReason::ChanSend, deadline, move || drop(locked));
        let r = match outcome {
            Outcome::Fired { success: true, .. } => Ok(()),
            Outcome::Fired { success: false, .. } => Err(SendTimeoutError::Closed(
                node.into_value()
                    .expect("close leaves the value in the node"),
            )),
            Outcome::TimedOut => {
                self.lock().sendq.remove(&node);
                Err(SendTimeoutError::Timeout(
                    node.into_value().expect("a timed-out node keeps its value"),
                ))
            }
        };
        drop(no_unwind);
        r
    }

    /// Go's `chanrecv` with `block == false`.
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut locked = self.lock();
        let r = locked.try_recv();
        drop(locked);
        match r {
            RecvPoll::Value(v, wakeup) => {
                drop(wakeup);
                Ok(v)
            }
            RecvPoll::Closed => Err(TryRecvError::Closed),
            RecvPoll::Empty => Err(TryRecvError::Empty),
        }
    }

    /// Go's `chanrecv` with `block == true`, waiting until `deadline` at most.
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let mut locked = self.lock();
        match locked.try_recv() {
            RecvPoll::Value(v, wakeup) => {
                drop(locked);
                drop(wakeup);
                return Ok(v);
            }
            RecvPoll::Closed => return Err(RecvTimeoutError::Closed),
            RecvPoll::Empty => {}
        }
        if deadline.is_some_and(|d| crate::loom::now() >= d) {
            return Err(RecvTimeoutError::Timeout);
        }
        let parker = Parker::new();
        let node = Node::new(None);
        let no_unwind = AbortOnUnwind::new();
        // SAFETY: as in `send`: we hold the lock, and this frame outlives the node's time in
        // the queue (fired, or removed below under the lock); no unwinding meanwhile.
        unsafe { locked.recvq.push(&node, &parker, 0) };
        let outcome = parker.wait(WaitReason::ChanReceive, deadline, move || drop(locked));
        let r = match outcome {
            Outcome::Fired { success: true, .. } => {
                Ok(node.into_value().expect("a sender filled the node"))
            }
            Outcome::Fired { success: false, .. } => Err(RecvTimeoutError::Closed),
            Outcome::TimedOut => {
                self.lock().recvq.remove(&node);
                Err(RecvTimeoutError::Timeout)
            }
        };
        drop(no_unwind);
        r
    }

    /// Go's `closechan`: release every receiver and sender, ready them after unlocking.
    ///
    /// # Panics
    /// "close of closed channel", after unlocking.
    pub(crate) fn close(&self) {
        let mut locked = self.lock();
        if locked.closed {
            drop(locked);
            panic!("close of closed channel");
        }
        locked.closed = true;
        let mut wakeups = Vec::new();
        while let Some(receiver) = locked.recvq.pop_claim() {
            wakeups.push(receiver.finish(false));
        }
        while let Some(sender) = locked.sendq.pop_claim() {
            wakeups.push(sender.finish(false));
        }
        drop(locked);
        drop(wakeups);
    }

    /// Locks without a guard (select locks several channels and unlocks them in `release`).
    pub(crate) fn lock_raw(&self) {
        self.lock.lock();
    }

    /// Unlocks a `lock_raw`.
    pub(crate) fn unlock_raw(&self) {
        self.lock.unlock();
    }

    /// The state behind the lock.
    ///
    /// # Safety
    /// The caller holds the lock (through `lock_raw`) and holds no other reference to the
    /// state while the returned one lives.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn state_locked(&self) -> &mut State<T> {
        // SAFETY: the caller holds the lock and no other reference (function contract).
        self.state.with_mut(|p| unsafe { &mut *p })
    }

    /// `(parked senders, parked receivers)`, for tests.
    pub(crate) fn queue_lens(&self) -> (usize, usize) {
        let s = self.lock();
        (s.sendq.len(), s.recvq.len())
    }

    /// An identity for lock ordering and duplicate detection: the address.
    pub(crate) fn id(&self) -> usize {
        self as *const Hchan<T> as usize
    }
}

/// A held channel lock.
pub(crate) struct Locked<'a, T> {
    chan: &'a Hchan<T>,
}

impl<T> Deref for Locked<'_, T> {
    type Target = State<T>;
    fn deref(&self) -> &State<T> {
        // SAFETY: the guard holds the lock; references from it are bounded by its lifetime.
        self.chan.state.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for Locked<'_, T> {
    fn deref_mut(&mut self) -> &mut State<T> {
        // SAFETY: the guard holds the lock; `&mut self` makes this the only reference.
        self.chan.state.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for Locked<'_, T> {
    fn drop(&mut self) {
        self.chan.lock.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn ring_wraps_and_replaces_head() {
        let mut r = Ring::new(3);
        r.push(1);
        r.push(2);
        assert_eq!(r.pop(), 1);
        r.push(3);
        r.push(4);
        assert_eq!((r.qcount, r.sendx, r.recvx), (3, 1, 1));
        assert_eq!(r.replace_head(5), 2);
        assert_eq!((r.sendx, r.recvx), (2, 2));
        assert_eq!([r.pop(), r.pop(), r.pop()], [3, 4, 5]);
        assert_eq!(r.qcount, 0);
    }
}
