//! Go's `hchan`: a channel. Ports runtime/chan.go (`makechan`, `chansend`, `chanrecv`,
//! `closechan`, `send`, `recv`).
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
//! - closed implies `sendq` is empty (close wakes every sender, later sends fail at once).
//!
//! Send: closed -> fail; a parked receiver -> hand the value straight into its node and
//! ready it (the woken goroutine goes to our P's `runnext`); room in the buffer -> enqueue;
//! else park in `sendq`. Receive: closed and empty -> `None`; a parked sender -> unbuffered:
//! take its value, buffered (so full): take the head and refill the tail from that sender;
//! a buffered value -> take it; else park in `recvq`. Close: set `closed`, claim every
//! parked party with "unsuccessful", unlock, wake them all.

use crate::err::{RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};
#[cfg(not(loom))]
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::UnsafeCell;
use crate::waitq::{AbortOnUnwind, Claimed, Node, Outcome, Parker, WaitQ, Wakeup};
use gmp_sched::WaitReason;
use std::fmt;
use std::iter::FusedIterator;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The channel lock: test-and-test-and-set with a bounded spin, then yielding the thread.
/// Critical sections are a few dozen instructions, so this rarely gets past the spin.
#[cfg(not(loom))]
pub(crate) struct RawLock {
    locked: AtomicBool,
}

#[cfg(not(loom))]
impl RawLock {
    fn new() -> RawLock {
        RawLock {
            locked: AtomicBool::new(false),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) {
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
                if step < 6 {
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

    #[inline]
    pub(crate) fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }
}

/// Under loom the channel lock blocks on a loom condition variable: loom cannot explore a
/// spin lock between three threads (every spin is a branch), and mutual exclusion is all
/// the channel relies on. See `Parker::wait` for the one thing this changes.
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
}

/// The shared channel object behind every [`Chan`] handle.
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
    fn new(cap: usize) -> Hchan<T> {
        Hchan {
            lock: RawLock::new(),
            state: UnsafeCell::new(State {
                buf: Ring::new(cap),
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

/// Blocks forever on a nil channel (or until `deadline`).
fn block_nil(deadline: Option<Instant>) {
    match deadline {
        None => loop {
            gmp_sched::park(WaitReason::ChanNil, || {});
        },
        Some(d) => {
            while Instant::now() < d {
                gmp_sched::park_until(WaitReason::ChanNil, d, || {});
            }
        }
    }
}

/// A Go channel: `make(chan T, cap)`. Cheap to clone; clones are the same channel.
///
/// `send` blocks until a receiver takes the value or the buffer has room; `recv` blocks until
/// a value arrives or the channel is closed and drained. Both work the same from goroutines
/// and from plain threads. A channel is closed only by [`close`](Chan::close): dropping
/// handles never closes it (as in Go, where channels are garbage collected).
///
/// The nil channel ([`Chan::nil`], also `Chan::default()`) blocks every send and receive
/// forever and is never chosen by [`select!`](crate::select!).
///
/// ```
/// use gochan::Chan;
///
/// let ch = Chan::new(2);
/// ch.send("a").unwrap();
/// ch.send("b").unwrap();
/// ch.close();
/// let got: Vec<_> = ch.iter().collect();
/// assert_eq!(got, ["a", "b"]);
/// assert_eq!(ch.recv(), None);
/// ```
pub struct Chan<T> {
    hchan: Option<Arc<Hchan<T>>>,
}

impl<T> Chan<T> {
    /// A channel with a buffer of `cap` values; 0 makes an unbuffered channel, whose sends
    /// wait for a receiver (Go: `make(chan T, cap)`).
    ///
    /// ```
    /// let ch = gochan::Chan::<u8>::new(3);
    /// assert_eq!(ch.cap(), 3);
    /// ```
    pub fn new(cap: usize) -> Chan<T> {
        Chan {
            hchan: Some(Arc::new(Hchan::new(cap))),
        }
    }

    /// The nil channel (Go's zero value `var ch chan T`): sends and receives block forever,
    /// [`select!`](crate::select!) never chooses it, and closing it panics.
    ///
    /// ```
    /// use gochan::{Chan, TryRecvError};
    ///
    /// let ch = Chan::<i32>::nil();
    /// assert!(ch.is_nil());
    /// assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub const fn nil() -> Chan<T> {
        Chan { hchan: None }
    }

    /// Whether this is the nil channel.
    ///
    /// ```
    /// assert!(!gochan::Chan::<()>::new(0).is_nil());
    /// ```
    pub fn is_nil(&self) -> bool {
        self.hchan.is_none()
    }

    pub(crate) fn hchan(&self) -> Option<&Hchan<T>> {
        self.hchan.as_deref()
    }

    /// Sends `v`, waiting until a receiver takes it or the buffer has room (Go: `ch <- v`).
    /// A closed channel hands the value back (Go panics instead).
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// ch.send(1).unwrap();
    /// assert_eq!(ch.recv(), Some(1));
    /// ```
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        self.send_inner(v, None)
            .map_err(|e| SendError(e.into_inner()))
    }

    /// Sends `v` if that can happen without waiting (Go: `select` with a `default`).
    ///
    /// ```
    /// use gochan::{Chan, TrySendError};
    ///
    /// let ch = Chan::new(1);
    /// assert_eq!(ch.try_send(1), Ok(()));
    /// assert_eq!(ch.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        let Some(h) = self.hchan() else {
            return Err(TrySendError::Full(v));
        };
        let mut locked = h.lock();
        let r = locked.try_send(v);
        drop(locked);
        r.map(drop)
    }

    /// Sends `v`, waiting at most `timeout`.
    ///
    /// ```
    /// use gochan::{Chan, SendTimeoutError};
    /// use std::time::Duration;
    ///
    /// let ch = Chan::new(0);
    /// let r = ch.send_timeout(1, Duration::from_millis(1));
    /// assert_eq!(r, Err(SendTimeoutError::Timeout(1)));
    /// ```
    pub fn send_timeout(&self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_inner(v, deadline_after(timeout))
    }

    /// Sends `v`, waiting until `deadline` at most.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let ch = gochan::Chan::new(1);
    /// ch.send_deadline(1, Instant::now() + Duration::from_secs(1)).unwrap();
    /// assert!(ch.send_deadline(2, Instant::now()).unwrap_err().is_timeout());
    /// ```
    pub fn send_deadline(&self, v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.send_inner(v, Some(deadline))
    }

    /// Go's `chansend` with `block == true`.
    fn send_inner(&self, v: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        let Some(h) = self.hchan() else {
            block_nil(deadline);
            return Err(SendTimeoutError::Timeout(v));
        };
        let mut locked = h.lock();
        let v = match locked.try_send(v) {
            Ok(wakeup) => {
                drop(locked);
                drop(wakeup);
                return Ok(());
            }
            Err(TrySendError::Closed(v)) => return Err(SendTimeoutError::Closed(v)),
            Err(TrySendError::Full(v)) => v,
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
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
                h.lock().sendq.remove(&node);
                Err(SendTimeoutError::Timeout(
                    node.into_value().expect("a timed-out node keeps its value"),
                ))
            }
        };
        drop(no_unwind);
        r
    }

    /// Receives a value, waiting until one arrives; `None` once the channel is closed and
    /// drained (Go: `v, ok := <-ch` with `ok == false`).
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// ch.send(5).unwrap();
    /// ch.close();
    /// assert_eq!(ch.recv(), Some(5));
    /// assert_eq!(ch.recv(), None);
    /// ```
    pub fn recv(&self) -> Option<T> {
        self.recv_inner(None).ok()
    }

    /// Receives a value if one is ready now.
    ///
    /// ```
    /// use gochan::{Chan, TryRecvError};
    ///
    /// let ch = Chan::new(1);
    /// assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    /// ch.send(1).unwrap();
    /// assert_eq!(ch.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let Some(h) = self.hchan() else {
            return Err(TryRecvError::Empty);
        };
        let mut locked = h.lock();
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

    /// Receives a value, waiting at most `timeout`.
    ///
    /// ```
    /// use gochan::{Chan, RecvTimeoutError};
    /// use std::time::Duration;
    ///
    /// let ch = Chan::<i32>::new(0);
    /// assert_eq!(ch.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_inner(deadline_after(timeout))
    }

    /// Receives a value, waiting until `deadline` at most.
    ///
    /// ```
    /// use gochan::{Chan, RecvTimeoutError};
    /// use std::time::Instant;
    ///
    /// let ch = Chan::new(1);
    /// ch.send(1).unwrap();
    /// assert_eq!(ch.recv_deadline(Instant::now()), Ok(1));
    /// assert_eq!(ch.recv_deadline(Instant::now()), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_inner(Some(deadline))
    }

    /// Go's `chanrecv` with `block == true`.
    fn recv_inner(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let Some(h) = self.hchan() else {
            block_nil(deadline);
            return Err(RecvTimeoutError::Timeout);
        };
        let mut locked = h.lock();
        match locked.try_recv() {
            RecvPoll::Value(v, wakeup) => {
                drop(locked);
                drop(wakeup);
                return Ok(v);
            }
            RecvPoll::Closed => return Err(RecvTimeoutError::Closed),
            RecvPoll::Empty => {}
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(RecvTimeoutError::Timeout);
        }
        let parker = Parker::new();
        let node = Node::new(None);
        let no_unwind = AbortOnUnwind::new();
        // SAFETY: as in `send_inner`: we hold the lock, and this frame outlives the node's
        // time in the queue (fired, or removed below under the lock); no unwinding meanwhile.
        unsafe { locked.recvq.push(&node, &parker, 0) };
        let outcome = parker.wait(WaitReason::ChanReceive, deadline, move || drop(locked));
        let r = match outcome {
            Outcome::Fired { success: true, .. } => {
                Ok(node.into_value().expect("a sender filled the node"))
            }
            Outcome::Fired { success: false, .. } => Err(RecvTimeoutError::Closed),
            Outcome::TimedOut => {
                h.lock().recvq.remove(&node);
                Err(RecvTimeoutError::Timeout)
            }
        };
        drop(no_unwind);
        r
    }

    /// Closes the channel (Go: `close(ch)`): parked receivers get `None`, parked senders get
    /// their values back, buffered values can still be received, later sends fail.
    ///
    /// # Panics
    /// On a closed channel ("close of closed channel") or the nil one ("close of nil
    /// channel"), as Go does.
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// ch.close();
    /// assert!(ch.is_closed());
    /// assert_eq!(ch.recv(), None);
    /// ```
    pub fn close(&self) {
        let Some(h) = self.hchan() else {
            panic!("close of nil channel");
        };
        let mut locked = h.lock();
        if locked.closed {
            drop(locked);
            panic!("close of closed channel");
        }
        locked.closed = true;
        // Go's `closechan`: release every receiver and sender, ready them after unlocking.
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

    /// How many values are buffered (Go: `len(ch)`); 0 for the nil channel.
    ///
    /// ```
    /// let ch = gochan::Chan::new(4);
    /// ch.send(1).unwrap();
    /// assert_eq!(ch.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.hchan().map_or(0, |h| h.lock().buf.qcount)
    }

    /// Whether nothing is buffered.
    ///
    /// ```
    /// assert!(gochan::Chan::<i32>::new(4).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer size (Go: `cap(ch)`); 0 for unbuffered and nil channels.
    ///
    /// ```
    /// assert_eq!(gochan::Chan::<i32>::new(0).cap(), 0);
    /// ```
    pub fn cap(&self) -> usize {
        self.hchan().map_or(0, |h| h.lock().buf.cap())
    }

    /// Whether [`close`](Chan::close) was called; false for the nil channel.
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// assert!(!ch.is_closed());
    /// ch.close();
    /// assert!(ch.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.hchan().is_some_and(|h| h.lock().closed)
    }

    /// Whether `self` and `other` are the same channel (Go: `ch1 == ch2`). Also `==`.
    ///
    /// ```
    /// let a = gochan::Chan::<i32>::new(0);
    /// assert!(a.same_channel(&a.clone()));
    /// assert!(!a.same_channel(&gochan::Chan::new(0)));
    /// ```
    pub fn same_channel(&self, other: &Chan<T>) -> bool {
        match (&self.hchan, &other.hchan) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    /// A blocking iterator over received values that ends when the channel is closed and
    /// drained (Go: `for v := range ch`). Also `for v in &ch`.
    ///
    /// ```
    /// let ch = gochan::Chan::new(3);
    /// for i in 0..3 {
    ///     ch.send(i).unwrap();
    /// }
    /// ch.close();
    /// assert_eq!(ch.iter().sum::<i32>(), 3);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { chan: self }
    }

    /// An iterator over the values ready now; it never blocks.
    ///
    /// ```
    /// let ch = gochan::Chan::new(3);
    /// ch.send(1).unwrap();
    /// ch.send(2).unwrap();
    /// assert_eq!(ch.try_iter().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { chan: self }
    }

    /// A send-only handle to this channel (Go: `chan<- T`).
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// let tx = ch.sender();
    /// tx.send(1).unwrap();
    /// assert_eq!(ch.recv(), Some(1));
    /// ```
    pub fn sender(&self) -> Sender<T> {
        Sender(self.clone())
    }

    /// A receive-only handle to this channel (Go: `<-chan T`).
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// let rx = ch.receiver();
    /// ch.send(1).unwrap();
    /// assert_eq!(rx.recv(), Some(1));
    /// ```
    pub fn receiver(&self) -> Receiver<T> {
        Receiver(self.clone())
    }
}

/// `now + timeout`, or no deadline when that overflows `Instant`.
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

impl<T> Clone for Chan<T> {
    fn clone(&self) -> Self {
        Chan {
            hchan: self.hchan.clone(),
        }
    }
}

impl<T> Default for Chan<T> {
    /// The nil channel, Go's zero value.
    fn default() -> Self {
        Chan::nil()
    }
}

impl<T> PartialEq for Chan<T> {
    fn eq(&self, other: &Self) -> bool {
        self.same_channel(other)
    }
}

impl<T> Eq for Chan<T> {}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hchan() {
            None => f.write_str("Chan(nil)"),
            Some(h) => {
                let s = h.lock();
                f.debug_struct("Chan")
                    .field("len", &s.buf.qcount)
                    .field("cap", &s.buf.cap())
                    .field("closed", &s.closed)
                    .finish()
            }
        }
    }
}

impl<'a, T> IntoIterator for &'a Chan<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Chan<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { chan: self }
    }
}

/// Blocking iterator over a channel's values; see [`Chan::iter`].
///
/// ```
/// let ch = gochan::Chan::new(1);
/// ch.send(1).unwrap();
/// ch.close();
/// let mut it = ch.iter();
/// assert_eq!(it.next(), Some(1));
/// assert_eq!(it.next(), None);
/// ```
pub struct Iter<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.chan.recv()
    }
}

impl<T> FusedIterator for Iter<'_, T> {}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iter { .. }")
    }
}

/// Non-blocking iterator over the values ready now; see [`Chan::try_iter`].
///
/// ```
/// let ch = gochan::Chan::<i32>::new(1);
/// assert_eq!(ch.try_iter().next(), None);
/// ```
pub struct TryIter<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.chan.try_recv().ok()
    }
}

impl<T> fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryIter { .. }")
    }
}

/// Owning blocking iterator over a channel's values (`for v in ch`).
///
/// ```
/// let ch = gochan::Chan::new(2);
/// ch.send('a').unwrap();
/// ch.close();
/// assert_eq!(ch.into_iter().collect::<String>(), "a");
/// ```
pub struct IntoIter<T> {
    chan: Chan<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.chan.recv()
    }
}

impl<T> FusedIterator for IntoIter<T> {}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntoIter { .. }")
    }
}

/// The send-only view of a channel (Go: `chan<- T`): it can send and close.
///
/// ```
/// use gochan::{Chan, Sender};
///
/// let ch = Chan::new(1);
/// let tx: Sender<i32> = ch.clone().into();
/// tx.send(3).unwrap();
/// tx.close();
/// assert_eq!(ch.recv(), Some(3));
/// ```
pub struct Sender<T>(Chan<T>);

impl<T> Sender<T> {
    /// The nil send-only channel: sends block forever.
    ///
    /// ```
    /// assert!(gochan::Sender::<i32>::nil().try_send(1).is_err());
    /// ```
    pub const fn nil() -> Sender<T> {
        Sender(Chan::nil())
    }

    /// See [`Chan::send`].
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// ch.sender().send(1).unwrap();
    /// ```
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        self.0.send(v)
    }

    /// See [`Chan::try_send`].
    ///
    /// ```
    /// let ch = gochan::Chan::new(0);
    /// assert!(ch.sender().try_send(1).is_err());
    /// ```
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        self.0.try_send(v)
    }

    /// See [`Chan::send_timeout`].
    ///
    /// ```
    /// let ch = gochan::Chan::new(0);
    /// assert!(ch.sender().send_timeout(1, std::time::Duration::ZERO).is_err());
    /// ```
    pub fn send_timeout(&self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.0.send_timeout(v, timeout)
    }

    /// See [`Chan::send_deadline`].
    ///
    /// ```
    /// let ch = gochan::Chan::new(0);
    /// assert!(ch.sender().send_deadline(1, std::time::Instant::now()).is_err());
    /// ```
    pub fn send_deadline(&self, v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.0.send_deadline(v, deadline)
    }

    /// See [`Chan::close`].
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// ch.sender().close();
    /// assert!(ch.is_closed());
    /// ```
    pub fn close(&self) {
        self.0.close()
    }

    /// See [`Chan::len`].
    ///
    /// ```
    /// assert_eq!(gochan::Chan::<i32>::new(1).sender().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// See [`Chan::is_empty`].
    ///
    /// ```
    /// assert!(gochan::Chan::<i32>::new(1).sender().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// See [`Chan::cap`].
    ///
    /// ```
    /// assert_eq!(gochan::Chan::<i32>::new(1).sender().cap(), 1);
    /// ```
    pub fn cap(&self) -> usize {
        self.0.cap()
    }

    /// See [`Chan::is_closed`].
    ///
    /// ```
    /// assert!(!gochan::Chan::<i32>::new(1).sender().is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    /// See [`Chan::is_nil`].
    ///
    /// ```
    /// assert!(gochan::Sender::<i32>::nil().is_nil());
    /// ```
    pub fn is_nil(&self) -> bool {
        self.0.is_nil()
    }

    /// Whether both handles are the same channel.
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// assert!(ch.sender().same_channel(&ch.sender()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        self.0.same_channel(&other.0)
    }

    pub(crate) fn as_chan(&self) -> &Chan<T> {
        &self.0
    }
}

/// The receive-only view of a channel (Go: `<-chan T`): it can receive, not send or close.
///
/// ```
/// use gochan::{Chan, Receiver};
///
/// let ch = Chan::new(1);
/// let rx: Receiver<i32> = ch.clone().into();
/// ch.send(3).unwrap();
/// assert_eq!(rx.recv(), Some(3));
/// ```
pub struct Receiver<T>(Chan<T>);

impl<T> Receiver<T> {
    /// The nil receive-only channel: receives block forever.
    ///
    /// ```
    /// assert!(gochan::Receiver::<i32>::nil().try_recv().is_err());
    /// ```
    pub const fn nil() -> Receiver<T> {
        Receiver(Chan::nil())
    }

    /// See [`Chan::recv`].
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// ch.close();
    /// assert_eq!(ch.receiver().recv(), None);
    /// ```
    pub fn recv(&self) -> Option<T> {
        self.0.recv()
    }

    /// See [`Chan::try_recv`].
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// assert!(ch.receiver().try_recv().is_err());
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.0.try_recv()
    }

    /// See [`Chan::recv_timeout`].
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// assert!(ch.receiver().recv_timeout(std::time::Duration::ZERO).is_err());
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.0.recv_timeout(timeout)
    }

    /// See [`Chan::recv_deadline`].
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// assert!(ch.receiver().recv_deadline(std::time::Instant::now()).is_err());
    /// ```
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.0.recv_deadline(deadline)
    }

    /// See [`Chan::iter`].
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// ch.send(1).unwrap();
    /// ch.close();
    /// assert_eq!(ch.receiver().iter().count(), 1);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        self.0.iter()
    }

    /// See [`Chan::try_iter`].
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(1);
    /// assert_eq!(ch.receiver().try_iter().count(), 0);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        self.0.try_iter()
    }

    /// See [`Chan::len`].
    ///
    /// ```
    /// assert_eq!(gochan::Chan::<i32>::new(1).receiver().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// See [`Chan::is_empty`].
    ///
    /// ```
    /// assert!(gochan::Chan::<i32>::new(1).receiver().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// See [`Chan::cap`].
    ///
    /// ```
    /// assert_eq!(gochan::Chan::<i32>::new(1).receiver().cap(), 1);
    /// ```
    pub fn cap(&self) -> usize {
        self.0.cap()
    }

    /// See [`Chan::is_closed`].
    ///
    /// ```
    /// assert!(!gochan::Chan::<i32>::new(1).receiver().is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    /// See [`Chan::is_nil`].
    ///
    /// ```
    /// assert!(gochan::Receiver::<i32>::nil().is_nil());
    /// ```
    pub fn is_nil(&self) -> bool {
        self.0.is_nil()
    }

    /// Whether both handles are the same channel.
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// assert!(ch.receiver().same_channel(&ch.receiver()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        self.0.same_channel(&other.0)
    }

    pub(crate) fn as_chan(&self) -> &Chan<T> {
        &self.0
    }
}

impl<T> From<Chan<T>> for Sender<T> {
    fn from(c: Chan<T>) -> Self {
        Sender(c)
    }
}

impl<T> From<Chan<T>> for Receiver<T> {
    fn from(c: Chan<T>) -> Self {
        Receiver(c)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender(self.0.clone())
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver(self.0.clone())
    }
}

impl<T> Default for Sender<T> {
    /// The nil channel.
    fn default() -> Self {
        Sender::nil()
    }
}

impl<T> Default for Receiver<T> {
    /// The nil channel.
    fn default() -> Self {
        Receiver::nil()
    }
}

impl<T> PartialEq for Sender<T> {
    fn eq(&self, other: &Self) -> bool {
        self.same_channel(other)
    }
}

impl<T> Eq for Sender<T> {}

impl<T> PartialEq for Receiver<T> {
    fn eq(&self, other: &Self) -> bool {
        self.same_channel(other)
    }
}

impl<T> Eq for Receiver<T> {}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sender").field(&self.0).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Receiver").field(&self.0).finish()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        self.0.into_iter()
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
