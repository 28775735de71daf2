//! Go's `select`: wait on several channel operations, run exactly one. Ports `selectgo` from
//! runtime/select.go. Both [`select!`](crate::select!) (`select_macro.rs`) and the dynamic
//! [`Select`](crate::Select) (`select_dyn.rs`) run the one algorithm here, [`run`], over
//! type-erased cases ([`CaseOps`]).
//!
//! 1. Poll order: a fresh random permutation of the non-nil cases (Go's `pollorder`, made
//!    with `cheaprand_n`), so every ready case has the same chance.
//! 2. Lock order: the same cases sorted by channel address (Go's `lockorder`); `sellock`
//!    locks each distinct channel once, so one channel may appear in several cases, and two
//!    selects over the same channels in opposite order cannot deadlock.
//! 3. Pass 1: in poll order, the first case that can go ahead now fires (a send into a
//!    parked receiver or the buffer, a receive from a parked sender, the buffer or a closed
//!    channel); unlock, wake its partner, done.
//! 4. No case ready: with `default` (non-blocking) unlock and return `None`.
//! 5. Pass 2: link one node per case (in lock order) into its channel's `sendq`/`recvq`,
//!    all sharing one [`Parker`], and park; `release` unlocks every channel.
//! 6. Woken: the parker's state names the case a waker claimed (only one CAS can win, see
//!    `waitq.rs`). Pass 3: lock everything again and unlink the nodes of all other cases.
//!
//! Nil channels take no part: they are left out of both orders and never fire. A select
//! with no (non-nil) cases and no default blocks forever, as Go's `select {}`.
//!
//! Go panics on a send case whose channel is closed; here that case fires with
//! `Err(SendError(value))`, the same as [`Chan::send`].

use crate::chan::{Chan, Receiver, Sender};
use crate::err::{SendError, TrySendError};
use crate::hchan::{Hchan, RecvPoll, State};
use crate::waitq::{AbortOnUnwind, Node, Outcome, Parker, Wakeup};
use gmp_sched::sys::WaitReason;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// A channel that can be received from: [`Chan`], [`Receiver`], [`Ticker`](crate::Ticker),
/// and references to them. This is what `recv(...)` in [`select!`](crate::select!) and
/// [`Select::recv`](crate::Select::recv) accept.
///
/// ```
/// use gochan::{Chan, RecvChan};
///
/// let ch = Chan::<i32>::new(0);
/// assert!(ch.receiver().recv_chan().same_channel(&ch));
/// ```
pub trait RecvChan {
    /// The element type.
    type Item;
    /// The underlying channel.
    fn recv_chan(&self) -> &Chan<Self::Item>;
}

/// A channel that can be sent on: [`Chan`], [`Sender`], and references to them. This is
/// what `send(...)` in [`select!`](crate::select!) and [`Select::send`](crate::Select::send) accept.
///
/// ```
/// use gochan::{Chan, SendChan};
///
/// let ch = Chan::<i32>::new(0);
/// assert!(ch.sender().send_chan().same_channel(&ch));
/// ```
pub trait SendChan {
    /// The element type.
    type Item;
    /// The underlying channel.
    fn send_chan(&self) -> &Chan<Self::Item>;
}

/// `$trait` for `Chan<T>` itself, for the one-way handle `$handle<T>` (its channel) and for a
/// reference to any of them.
macro_rules! chan_impls {
    ($trait:ident::$method:ident, $handle:ident) => {
        impl<T> $trait for Chan<T> {
            type Item = T;
            fn $method(&self) -> &Chan<T> {
                self
            }
        }

        impl<T> $trait for $handle<T> {
            type Item = T;
            fn $method(&self) -> &Chan<T> {
                self.as_chan()
            }
        }

        impl<C: $trait + ?Sized> $trait for &C {
            type Item = C::Item;
            fn $method(&self) -> &Chan<C::Item> {
                (**self).$method()
            }
        }
    };
}

chan_impls!(RecvChan::recv_chan, Receiver);
chan_impls!(SendChan::send_chan, Sender);

/// Which way a case goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Recv,
    Send,
}

/// One select case, type-erased. All methods but `id`, `complete` and `result_ptr` run with
/// the case's channel locked by [`run`].
pub(crate) trait CaseOps {
    /// The channel's identity (its address), `None` for a nil channel.
    fn id(&self) -> Option<usize>;
    fn dir(&self) -> Dir;
    fn lock(&self);
    fn unlock(&self);
    /// Pass 1: fire now if possible. `Some(wake-up to run after unlocking)` when fired.
    ///
    /// # Safety
    /// The caller holds the channel's lock and no other reference to its state.
    unsafe fn poll(&self) -> Option<Option<Wakeup>>;
    /// Pass 2: link this case's node.
    ///
    /// # Safety
    /// `parker` and `self` stay in place until the node is unlinked (by a waker that claimed
    /// it and finished, or by `dequeue`), and the channel is locked.
    unsafe fn enqueue(&self, parker: &Parker, case: usize);
    /// Pass 3: unlink the node if it is still linked.
    ///
    /// # Safety
    /// As for `poll`.
    unsafe fn dequeue(&self);
    /// This case's node fired (a waker finished with it): record the result.
    fn complete(&self, success: bool);
    /// The result cell: `Cell<Option<Option<T>>>` (receive) or
    /// `Cell<Option<Result<(), SendError<T>>>>` (send).
    fn result_ptr(&self) -> *const ();
}

/// The receive case of a select: `recv(ch) -> v`.
#[doc(hidden)]
pub struct RecvCase<'a, T> {
    chan: Option<&'a Hchan<T>>,
    node: Node<T>,
    result: Cell<Option<Option<T>>>,
}

impl<'a, T> RecvCase<'a, T> {
    /// A receive from `chan`.
    pub fn new(chan: &'a Chan<T>) -> RecvCase<'a, T> {
        RecvCase {
            chan: chan.hchan(),
            node: Node::new(None),
            result: Cell::new(None),
        }
    }

    /// The case, for [`select`].
    pub fn case_ref(&self) -> CaseRef<'_> {
        CaseRef(self)
    }

    /// `Some(received)` if this case fired (`received` is `None` for a closed channel).
    pub fn into_result(self) -> Option<Option<T>> {
        self.result.into_inner()
    }
}

/// The state of a case's channel.
///
/// # Safety
/// The caller holds the channel's lock and no other reference to its state.
#[allow(clippy::mut_from_ref)]
unsafe fn state<T>(chan: Option<&Hchan<T>>) -> &mut State<T> {
    let h = chan.expect("nil channels are never locked");
    // SAFETY: the caller's obligations are `state_locked`'s.
    unsafe { h.state_locked() }
}

/// The `CaseOps` methods that only ask the case's channel (`self.chan`, `None` when nil): its
/// identity, the case's direction `$dir`, its lock, and linking `self.node` into (or out of)
/// its wait queue `$q`. A send case's value stays in its node when unlinked and is dropped with
/// the case.
macro_rules! case_chan_ops {
    ($dir:expr, $q:ident) => {
        fn id(&self) -> Option<usize> {
            self.chan.map(Hchan::id)
        }
        fn dir(&self) -> Dir {
            $dir
        }
        fn lock(&self) {
            self.chan.map(Hchan::lock_raw);
        }
        fn unlock(&self) {
            self.chan.map(Hchan::unlock_raw);
        }
        unsafe fn enqueue(&self, parker: &Parker, case: usize) {
            // SAFETY: the lock is held and the node and parker stay in place until unlinked
            // (this method's contract).
            unsafe { state(self.chan).$q.push(&self.node, parker, case) };
        }
        unsafe fn dequeue(&self) {
            // SAFETY: the caller holds the lock and no other state reference (`dequeue`'s
            // contract).
            unsafe { state(self.chan) }.$q.remove(&self.node);
        }
    };
}

impl<T> CaseOps for RecvCase<'_, T> {
    case_chan_ops!(Dir::Recv, recvq);
    unsafe fn poll(&self) -> Option<Option<Wakeup>> {
        // SAFETY: the caller holds the lock and no other state reference (`poll`'s contract).
        let state = unsafe { state(self.chan) };
        match state.try_recv() {
            RecvPoll::Value(v, wakeup) => {
                self.result.set(Some(Some(v)));
                Some(wakeup)
            }
            RecvPoll::Closed => {
                self.result.set(Some(None));
                Some(None)
            }
            RecvPoll::Empty => None,
        }
    }
    fn complete(&self, success: bool) {
        let v = if success {
            // SAFETY: the waker that claimed the node is done (`run` saw DONE) and unlinked
            // it; nobody else reaches it.
            unsafe { self.node.take_value() }
        } else {
            None
        };
        self.result.set(Some(v));
    }
    fn result_ptr(&self) -> *const () {
        &self.result as *const Cell<Option<Option<T>>> as *const ()
    }
}

/// The send case of a select: `send(ch, v) -> r`.
#[doc(hidden)]
pub struct SendCase<'a, T> {
    chan: Option<&'a Hchan<T>>,
    /// Holds the value to send from the start (so pass 2 need not move it).
    node: Node<T>,
    result: Cell<Option<Result<(), SendError<T>>>>,
}

impl<'a, T> SendCase<'a, T> {
    /// A send of `v` on `chan`.
    pub fn new(chan: &'a Chan<T>, v: T) -> SendCase<'a, T> {
        SendCase {
            chan: chan.hchan(),
            node: Node::new(Some(v)),
            result: Cell::new(None),
        }
    }

    /// The case, for [`select`].
    pub fn case_ref(&self) -> CaseRef<'_> {
        CaseRef(self)
    }

    /// `Some(outcome)` if this case fired: `Err` hands the value back (closed channel).
    pub fn into_result(self) -> Option<Result<(), SendError<T>>> {
        self.result.into_inner()
    }
}

impl<T> CaseOps for SendCase<'_, T> {
    case_chan_ops!(Dir::Send, sendq);
    unsafe fn poll(&self) -> Option<Option<Wakeup>> {
        // SAFETY: pass 1 runs before the node is linked anywhere: only we reach it.
        let v = unsafe { self.node.take_value() }.expect("an unsent case holds its value");
        // SAFETY: the caller holds the lock and no other state reference (`poll`'s contract).
        let state = unsafe { state(self.chan) };
        match state.try_send(v) {
            Ok(wakeup) => {
                self.result.set(Some(Ok(())));
                Some(wakeup)
            }
            Err(TrySendError::Closed(v)) => {
                self.result.set(Some(Err(SendError(v))));
                Some(None)
            }
            Err(TrySendError::Full(v)) => {
                // SAFETY: as above, the node is not linked.
                unsafe { self.node.set_value(Some(v)) };
                None
            }
        }
    }
    fn complete(&self, success: bool) {
        let r = if success {
            Ok(())
        } else {
            // SAFETY: closed while parked: the closer is done (`run` saw DONE) and unlinked
            // the node; the value is still in it and only we reach it.
            let v = unsafe { self.node.take_value() };
            Err(SendError(v.expect("close leaves the value in the node")))
        };
        self.result.set(Some(r));
    }
    fn result_ptr(&self) -> *const () {
        &self.result as *const Cell<Option<Result<(), SendError<T>>>> as *const ()
    }
}

/// A type-erased case for [`select`], made by `RecvCase::case_ref`/`SendCase::case_ref`.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct CaseRef<'a>(&'a (dyn CaseOps + 'a));

/// Whether and how long a select may wait.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Wait until a case fires.
    Block,
    /// Return `None` if no case is ready now (`default`).
    NonBlock,
    /// Wait until a case fires or the deadline passes.
    Deadline(Instant),
}

impl Mode {
    /// A deadline `timeout` from now (waits forever if that overflows `Instant`).
    pub fn timeout(timeout: Duration) -> Mode {
        match crate::chan::deadline_after(timeout) {
            Some(d) => Mode::Deadline(d),
            None => Mode::Block,
        }
    }
}

/// Runs a select over `cases`: the index of the case that fired, or `None` if none fired
/// (non-blocking or timed out). What [`select!`](crate::select!) expands to.
#[doc(hidden)]
pub fn select(cases: &[CaseRef<'_>], mode: Mode) -> Option<usize> {
    run(cases, mode)
}

/// Something that holds a case: a [`CaseRef`] here, a boxed case in `select_dyn.rs`.
pub(crate) trait AsCase {
    fn case(&self) -> &dyn CaseOps;
}

impl AsCase for CaseRef<'_> {
    fn case(&self) -> &dyn CaseOps {
        self.0
    }
}

/// Go's `selectgo`; see the module docs.
pub(crate) fn run<C: AsCase>(cases: &[C], mode: Mode) -> Option<usize> {
    const STACK: usize = 8;
    let n = cases.len();
    // Go's `pollorder` (case indices) and `lockorder` (channel id, case index); on the
    // stack for small selects.
    let (mut poll_stack, mut lock_stack) = ([0usize; STACK], [(0usize, 0usize); STACK]);
    let (mut poll_heap, mut lock_heap) = (Vec::new(), Vec::new());
    let (pollorder, lockorder): (&mut [usize], &mut [(usize, usize)]) = if n <= STACK {
        (&mut poll_stack[..n], &mut lock_stack[..n])
    } else {
        poll_heap.resize(n, 0);
        lock_heap.resize(n, (0, 0));
        (&mut poll_heap, &mut lock_heap)
    };

    // Go: "generate permuted order", skipping nil channels.
    let mut norder = 0;
    for (i, c) in cases.iter().enumerate() {
        if c.case().id().is_none() {
            continue;
        }
        let j = gmp_sched::sys::cheaprand_n(norder as u32 + 1) as usize;
        pollorder[norder] = pollorder[j];
        pollorder[j] = i;
        norder += 1;
    }
    if norder == 0 {
        return block_no_cases(mode);
    }
    let pollorder = &pollorder[..norder];
    // Go: "sort the cases by Hchan address to get the locking order", starting from the poll
    // order so that cases on one channel are linked (pass 2) in random order too: a waker
    // takes the first node of a queue, and a fixed order would always pick the same case.
    let lockorder = &mut lockorder[..norder];
    for (slot, &i) in lockorder.iter_mut().zip(pollorder) {
        *slot = (cases[i].case().id().unwrap_or(0), i);
    }
    lockorder.sort_by_key(|&(id, _)| id); // stable: keeps the poll order among equals
    let lockorder = &*lockorder;

    let sellock = || {
        let mut last = 0;
        for &(id, i) in lockorder {
            if id != last {
                last = id;
                cases[i].case().lock();
            }
        }
    };
    let selunlock = || {
        let mut last = 0;
        for &(id, i) in lockorder.iter().rev() {
            if id != last {
                last = id;
                cases[i].case().unlock();
            }
        }
    };

    sellock();
    // Pass 1: look for something already waiting.
    for &i in pollorder {
        // SAFETY: sellock holds every channel's lock; one case at a time touches a state.
        if let Some(wakeup) = unsafe { cases[i].case().poll() } {
            selunlock();
            drop(wakeup);
            return Some(i);
        }
    }
    let deadline = match mode {
        Mode::Block => None,
        Mode::NonBlock => {
            selunlock();
            return None;
        }
        Mode::Deadline(d) => {
            if crate::loom::now() >= d {
                selunlock();
                return None;
            }
            Some(d)
        }
    };

    // Pass 2: enqueue on all channels.
    let parker = Parker::new();
    let no_unwind = AbortOnUnwind::new();
    for &(_, i) in lockorder {
        // SAFETY: the channels are locked (sellock); `parker` lives on this frame and the
        // cases in the caller's, and this function returns only after pass 3 below has
        // unlinked every node that no waker popped; `no_unwind` rules out unwinding first.
        unsafe { cases[i].case().enqueue(&parker, i) };
    }
    let outcome = parker.wait(WaitReason::Select, deadline, selunlock);

    // Pass 3: dequeue from the unsuccessful channels.
    let fired = match outcome {
        Outcome::Fired { case, .. } => Some(case),
        Outcome::TimedOut => None,
    };
    sellock();
    for &(_, i) in lockorder {
        if Some(i) != fired {
            // SAFETY: sellock holds every channel's lock; one case at a time.
            unsafe { cases[i].case().dequeue() };
        }
    }
    selunlock();
    drop(no_unwind);

    if let Outcome::Fired { case, success } = outcome {
        cases[case].case().complete(success);
    }
    fired
}

/// A select without a single non-nil case: nothing can ever fire.
fn block_no_cases(mode: Mode) -> Option<usize> {
    match mode {
        Mode::NonBlock => None,
        Mode::Block => loop {
            gmp_sched::sys::park(WaitReason::SelectNoCases, || {});
        },
        Mode::Deadline(d) => {
            while crate::loom::now() < d {
                gmp_sched::sys::park_until(WaitReason::SelectNoCases, d, || {});
            }
            None
        }
    }
}
