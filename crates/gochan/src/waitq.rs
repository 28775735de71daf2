//! Wait queues of parked senders and receivers: Go's `waitq` of `sudog`s.
//! Ports the `sudog`/`waitq` half of Go's runtime/chan.go (`enqueue`, `dequeue`) and the
//! `selectDone` protocol of runtime/select.go.
//!
//! A party that must block (a send, a receive, or a whole `select`) builds one [`Parker`] and
//! one [`Node`] per channel it waits on, all on its own stack, links the nodes into the
//! channels' `sendq`/`recvq` under the channels' locks and parks. A node holds the value slot:
//! the value to send, or the place a received value goes.
//!
//! ## The parker's state word (Go: `g.selectDone` plus `sudog.success`)
//!
//! | value                        | meaning                                                   |
//! |------------------------------|-----------------------------------------------------------|
//! | `WAITING`                    | parked (or about to park) in the queues                   |
//! | `CLAIMED`                    | one party won the CAS from `WAITING`: a waker that now    |
//! |                              | fills or drains a node, or the parker itself on timeout  |
//! | `DONE | SUCCESS? | case<<3`  | the waker is finished; it no longer touches the parker   |
//!
//! `WAITING -> CLAIMED` is a CAS, made by a waker under the lock of the channel whose queue it
//! popped the node from, or by the parker once its deadline passed: exactly one party wins, so
//! one `select` fires exactly one case. A waker that loses the CAS just drops the node from
//! its queue and tries the next one (Go's `dequeue` does the same). `CLAIMED -> DONE` is a
//! Release store by the winning waker once it has written the node (pairs with the Acquire
//! load in [`Parker::wait`]); after that store the waker touches neither the node nor the
//! parker again, because the parker may return and pop its stack frame at once. The waker
//! takes the parker's [`Waiter`] out before the store and unparks it after.
//!
//! Invariants:
//! - A node is linked into at most one queue, only while its owner has not returned: the owner
//!   returns only after the node was popped (and its parker reached DONE) or after removing it
//!   under the queue's lock.
//! - `prev`, `next`, `queued`, `parker` and `case` are only touched under the lock of the
//!   channel whose queue holds (or held) the node; the slot is touched by the owner before it
//!   links the node, by the claiming waker under the lock, and by the owner after it has seen
//!   DONE or has removed the node under the lock.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::UnsafeCell;
use crate::loom::Waiter;
use gmp_sched::sys::WaitReason;
use std::cell::Cell;
use std::ptr;
use std::time::Instant;

/// Parked in the queues; nobody has claimed the parker yet.
const WAITING: usize = 0;
/// A waker (or the timed-out parker itself) won the parker and is still writing.
const CLAIMED: usize = 1;
/// The waker is done; the case index and `SUCCESS` are valid.
const DONE: usize = 2;
/// The operation happened (false: woken by close).
const SUCCESS: usize = 4;
/// The index of the case that fired sits above the flag bits.
const CASE_SHIFT: u32 = 3;

/// How a parked party's wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A waker claimed the node of case `case`; `success` is false when a close woke it.
    Fired { case: usize, success: bool },
    /// The deadline passed and the parker claimed itself: no node fired.
    TimedOut,
}

/// One blocked party (a plain send/receive, or a whole select): Go's G with `selectDone`.
/// Lives on the parked party's stack.
pub(crate) struct Parker {
    /// `WAITING`, `CLAIMED`, or `DONE | SUCCESS? | case << CASE_SHIFT`; see the module docs.
    state: AtomicUsize,
    /// Who to unpark. Taken by the claiming waker (under the lock where it claimed).
    waiter: UnsafeCell<Option<Waiter>>,
}

impl Parker {
    /// A parker for the calling goroutine or thread (a loom thread under loom).
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(WAITING),
            waiter: UnsafeCell::new(Some(Waiter::current())),
        }
    }

    /// A parker for another waiter than the caller's: an async task's (`Waiter::task`), whose
    /// future polls [`Parker::outcome`] instead of parking in [`Parker::wait`].
    pub(crate) fn with_waiter(waiter: Waiter) -> Parker {
        Parker {
            state: AtomicUsize::new(WAITING),
            waiter: UnsafeCell::new(Some(waiter)),
        }
    }

    /// How the wait ended, if a waker is done with this parker: the case that fired and
    /// whether it succeeded. What a future checks after registering its waker.
    pub(crate) fn outcome(&self) -> Option<(usize, bool)> {
        // Acquire: pairs with the Release store in `Wakeup::drop`, as in `wait`.
        let s = self.state.load(Ordering::Acquire);
        (s & DONE != 0).then_some((s >> CASE_SHIFT, s & SUCCESS != 0))
    }

    /// Withdraws a waiting parker, as a deadline does in [`Parker::wait`]: `None` if this call
    /// won it (no waker will touch its nodes; unlink them under the lock), else the outcome of
    /// the waker that claimed it first, once that waker is done (it finishes without
    /// blocking, so this waits by yielding the thread).
    pub(crate) fn withdraw(&self) -> Option<(usize, bool)> {
        if self
            .state
            .compare_exchange(WAITING, CLAIMED, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
        {
            return None;
        }
        loop {
            if let Some(o) = self.outcome() {
                return Some(o);
            }
            crate::loom::yield_waiting();
        }
    }

    /// Spins (then yields) a little while nobody has finished with this parker.
    fn spin_for_done(&self) {
        for step in 0..crate::loom::PARKER_SPINS {
            if step < 6 {
                for _ in 0..(1u32 << step) {
                    crate::loom::hint::spin_loop();
                }
            } else {
                std::thread::yield_now();
            }
            if self.state.load(Ordering::Relaxed) & DONE != 0 {
                return;
            }
        }
    }

    /// Parks until unparked (or spuriously), or past `deadline`; `release` as for
    /// `gmp_sched::sys::park`.
    fn park(reason: WaitReason, deadline: Option<Instant>, release: impl FnOnce()) {
        match deadline {
            None => crate::loom::park(reason, release),
            Some(d) => crate::loom::park_until(reason, d, release),
        }
    }

    /// Wins the parker for a waker (Go: `sgp.g.selectDone.CompareAndSwap(0, 1)`).
    fn claim(&self) -> bool {
        // Acquire/Release: nothing rides on it beyond the lock the claimer holds, but it keeps
        // the winner ordered after the parker's set-up for loom's cell checks.
        self.state
            .compare_exchange(WAITING, CLAIMED, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }

    /// Parks until a waker finishes with one of this parker's nodes, or (with a deadline)
    /// until the deadline passes and the parker wins itself. `release` runs once, after the
    /// caller is committed to parking: it unlocks the channel lock(s) the nodes were linked
    /// under. Spurious wake-ups are absorbed here.
    pub(crate) fn wait(
        &self,
        reason: WaitReason,
        deadline: Option<Instant>,
        release: impl FnOnce(),
    ) -> Outcome {
        if crate::loom::parker_spins() {
            // A plain thread on a multicore machine: unlock, then spin briefly before
            // sleeping, as crossbeam's waiters do; a partner on another CPU often answers
            // within microseconds, far sooner than a futex wake-up round trip. (Goroutines
            // park at once, as in Go: their M has other goroutines to run.)
            release();
            self.spin_for_done();
        } else {
            Self::park(reason, deadline, release);
        }
        loop {
            // Acquire: pairs with the Release store in `Wakeup::drop`; the node's slot and the
            // case index are then visible.
            let s = self.state.load(Ordering::Acquire);
            if s & DONE != 0 {
                return Outcome::Fired {
                    case: s >> CASE_SHIFT,
                    success: s & SUCCESS != 0,
                };
            }
            match deadline {
                Some(d) if s == WAITING => {
                    if crate::loom::now() >= d {
                        if self
                            .state
                            .compare_exchange(
                                WAITING,
                                CLAIMED,
                                Ordering::Acquire,
                                Ordering::Acquire,
                            )
                            .is_ok()
                        {
                            return Outcome::TimedOut;
                        }
                        // A waker got in first: it finishes shortly and unparks us.
                        continue;
                    }
                    Self::park(reason, deadline, || {});
                }
                // WAITING without a deadline, or CLAIMED: a waker will unpark us.
                _ => Self::park(reason, None, || {}),
            }
        }
    }
}

/// A parked party's entry in one channel's queue: Go's `sudog`. Lives on the party's stack.
pub(crate) struct Node<T> {
    /// The party this node belongs to; set when linked.
    parker: Cell<*const Parker>,
    /// The select case this node stands for (0 for a plain send/receive).
    case: Cell<usize>,
    prev: Cell<*const Node<T>>,
    next: Cell<*const Node<T>>,
    /// Whether the node is linked into a queue (Go checks `sgp.prev`/`q.first` instead).
    queued: Cell<bool>,
    /// Send: the value to hand over. Receive: where the received value goes.
    slot: UnsafeCell<Option<T>>,
}

impl<T> Node<T> {
    /// A node holding `value` (a sender's value, or `None` for a receiver).
    pub(crate) fn new(value: Option<T>) -> Node<T> {
        Node {
            parker: Cell::new(ptr::null()),
            case: Cell::new(0),
            prev: Cell::new(ptr::null()),
            next: Cell::new(ptr::null()),
            queued: Cell::new(false),
            slot: UnsafeCell::new(value),
        }
    }

    /// Consumes the node and returns its slot. Taking `self` by value shows that no Rust
    /// reference to it remains; [`WaitQ::push`]'s contract covers the queue's pointers.
    ///
    /// The read goes through the cell's checked access, not `into_inner`: a waker's write to
    /// the slot is published only by its Release store of DONE (`Wakeup::drop`), and loom
    /// checks that happens-before on `with_mut`, while `into_inner` goes unchecked.
    pub(crate) fn into_value(self) -> Option<T> {
        // SAFETY: we own the node, so no reference to the slot remains; a waker that wrote it
        // is done (the owner saw DONE with Acquire) or never claimed it (the owner removed the
        // node under the lock, or it was never linked).
        self.slot.with_mut(|p| unsafe { (*p).take() })
    }

    /// Takes the slot out.
    ///
    /// # Safety
    /// No other party may touch the slot meanwhile: the node is not linked into any queue,
    /// and if a waker claimed it, its parker's wait returned `Fired` (the waker is done).
    pub(crate) unsafe fn take_value(&self) -> Option<T> {
        // SAFETY: the caller guarantees exclusive access to the slot.
        self.slot.with_mut(|p| unsafe { (*p).take() })
    }

    /// Puts a value back into the slot (a select's send value, to link the node again later).
    ///
    /// # Safety
    /// As for [`Node::take_value`], or the caller holds the lock of the queue the node is in.
    pub(crate) unsafe fn set_value(&self, v: Option<T>) {
        // SAFETY: the caller guarantees exclusive access to the slot.
        self.slot.with_mut(|p| unsafe { *p = v });
    }
}

/// A queue of parked parties: Go's `waitq`, an intrusive doubly linked list of nodes.
/// Only touched under the owning channel's lock.
pub(crate) struct WaitQ<T> {
    first: *const Node<T>,
    last: *const Node<T>,
}

impl<T> WaitQ<T> {
    pub(crate) const fn new() -> WaitQ<T> {
        WaitQ {
            first: ptr::null(),
            last: ptr::null(),
        }
    }

    /// Links `node` at the tail for case `case` of `parker` (Go: `enqueue`).
    ///
    /// # Safety
    /// - The caller holds the lock of the channel that owns this queue.
    /// - `node` is in no queue, and `node` and `parker` stay alive and in place until the node
    ///   has been popped by a waker and the parker's wait has returned, or until the owner has
    ///   removed the node with [`WaitQ::remove`] under the lock.
    pub(crate) unsafe fn push(&mut self, node: &Node<T>, parker: &Parker, case: usize) {
        node.parker.set(parker);
        node.case.set(case);
        node.queued.set(true);
        node.next.set(ptr::null());
        node.prev.set(self.last);
        if self.last.is_null() {
            self.first = node;
        } else {
            // SAFETY: linked nodes are alive (push's contract) and we hold the lock.
            unsafe { (*self.last).next.set(node) };
        }
        self.last = node;
    }

    /// How many nodes are linked (selects that already fired elsewhere included).
    pub(crate) fn len(&self) -> usize {
        let mut n = 0;
        let mut p = self.first;
        while !p.is_null() {
            n += 1;
            // SAFETY: linked nodes are alive (push's contract) and we hold the lock.
            p = unsafe { (*p).next.get() };
        }
        n
    }

    /// Unlinks `node` if it is still linked here (a select's other cases, a timed-out wait).
    /// Under the channel lock; `node` was pushed on this queue (or on none).
    pub(crate) fn remove(&mut self, node: &Node<T>) {
        if node.queued.get() {
            self.unlink(node);
        }
    }

    fn unlink(&mut self, node: &Node<T>) {
        let (prev, next) = (node.prev.get(), node.next.get());
        if prev.is_null() {
            self.first = next;
        } else {
            // SAFETY: `prev` is linked, hence alive (push's contract); we hold the lock.
            unsafe { (*prev).next.set(next) };
        }
        if next.is_null() {
            self.last = prev;
        } else {
            // SAFETY: as above, for `next`.
            unsafe { (*next).prev.set(prev) };
        }
        node.prev.set(ptr::null());
        node.next.set(ptr::null());
        node.queued.set(false);
    }

    /// Pops the first node whose parker this call wins (Go: `dequeue`). Nodes of selects that
    /// already fired elsewhere (or timed out) are dropped from the queue on the way.
    pub(crate) fn pop_claim(&mut self) -> Option<Claimed<T>> {
        loop {
            let node = self.first;
            if node.is_null() {
                return None;
            }
            // SAFETY: a linked node is alive until unlinked (push's contract), and we hold
            // the lock, so nobody else reads or writes its links.
            let node = unsafe { &*node };
            self.unlink(node);
            // SAFETY: the parker outlives its linked nodes (push's contract).
            let parker = unsafe { &*node.parker.get() };
            if parker.claim() {
                return Some(Claimed { node });
            }
        }
    }
}

/// A node won by a waker: it may fill or drain the slot, then must [`finish`](Self::finish).
/// The node stays alive until then because its parker cannot return before DONE.
#[must_use = "a claimed waiter must be finished or it never wakes"]
pub(crate) struct Claimed<T> {
    node: *const Node<T>,
}

impl<T> Claimed<T> {
    /// Delivers a value to a parked receiver.
    pub(crate) fn put(&self, v: T) {
        // SAFETY: we claimed the node, so its parker waits for our DONE and only we touch the
        // slot until then; the node is alive until that store.
        unsafe { (*self.node).set_value(Some(v)) }
    }

    /// Takes the value of a parked sender.
    pub(crate) fn take(&self) -> T {
        // SAFETY: as in `put`.
        let v = unsafe { (*self.node).take_value() };
        v.expect("a parked sender's node holds its value")
    }

    /// Ends the claim: returns the wake-up to run once the channel lock is released
    /// (Go: `goready` after `unlockf`). `success` is false for a close.
    pub(crate) fn finish(self, success: bool) -> Wakeup {
        // SAFETY: the node and its parker are alive until the DONE store in `Wakeup::drop`;
        // we hold the claim, so the waiter slot is ours alone.
        let (parker, case) = unsafe { ((*self.node).parker.get(), (*self.node).case.get()) };
        // SAFETY: as above.
        let waiter = unsafe { (*parker).waiter.with_mut(|w| (*w).take()) };
        let word = DONE | if success { SUCCESS } else { 0 } | (case << CASE_SHIFT);
        Wakeup {
            parker,
            word,
            waiter,
        }
    }
}

/// A finished hand-off whose parker is still to be told: dropping it stores DONE and unparks.
/// Drop it after unlocking the channel, so the woken party does not run into the lock.
#[must_use = "dropping a Wakeup is what wakes the parked party"]
pub(crate) struct Wakeup {
    parker: *const Parker,
    word: usize,
    waiter: Option<Waiter>,
}

impl Drop for Wakeup {
    fn drop(&mut self) {
        let waiter = self.waiter.take();
        // SAFETY: the parker is alive until this store (it waits for DONE); Release pairs with
        // the Acquire load in `Parker::wait`, publishing the slot we wrote.
        unsafe { (*self.parker).state.store(self.word, Ordering::Release) };
        // From here on the parker may be gone: only our own clone of its waiter is used.
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

/// Stops the process with a fatal error (`crate::loom::fatal`) if a panic unwinds past it. Held while a stack-allocated node is
/// linked into a queue: unwinding then would leave a dangling pointer in the queue. Nothing in
/// that window is expected to panic; this turns a bug into a clean stop instead of UB.
pub(crate) struct AbortOnUnwind {
    was_panicking: bool,
}

impl AbortOnUnwind {
    pub(crate) fn new() -> AbortOnUnwind {
        AbortOnUnwind {
            was_panicking: std::thread::panicking(),
        }
    }
}

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        // loom reports a failed model (a deadlock, say) by panicking in the blocked threads;
        // let that unwind so the report is readable. The execution is thrown away after.
        if cfg!(not(loom)) && std::thread::panicking() && !self.was_panicking {
            crate::loom::fatal(format_args!(
                "gochan: panic while a channel waiter was queued"
            ));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::AbortOnUnwind;

    #[test]
    fn a_panic_past_a_queued_waiter_is_a_fatal_error() {
        goro_test_support::expect_fatal(
            "waitq::tests::a_panic_past_a_queued_waiter_is_a_fatal_error",
            "gochan: panic while a channel waiter was queued",
            || {
                let _guard = AbortOnUnwind::new();
                panic!("a bug while a node is linked");
            },
        );
    }
}
