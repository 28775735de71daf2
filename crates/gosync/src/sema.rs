//! Go's semaphore: a counter plus a FIFO queue of parked waiters, with LIFO re-queueing and
//! direct hand-off. Ports runtime/sema.go (`semacquire1`, `semrelease1`); every other primitive
//! in this crate parks here, except `Cond`, which reuses the wait nodes below for its ticket list.
//!
//! Each semaphore owns its queue (Go hashes the semaphore's address into a shared table of
//! treaps; one queue per semaphore is the same thing without the table). The queue is an
//! intrusive list of [`WaitNode`]s that live on the stacks of the parked goroutines or threads,
//! guarded by a short lock that is never held across a park: `park`'s `release` closure drops it
//! only once the parker is committed to parking, as Go's `goparkunlock` does.
//!
//! Protocol:
//! - acquire: take a unit if `count > 0` (CAS). Else, under the queue lock: `nwait += 1`, try
//!   again (a release may have slipped in), else queue the node (at the back, or at the front when
//!   `lifo`) and park. Woken with `handoff` set, the unit is ours; woken without it, try to take a
//!   unit, and queue again if somebody else got it first.
//! - release: `count += 1`; if `nwait == 0` nobody can be queued, done. Else, under the lock,
//!   pop the head, `nwait -= 1`, unlock, and wake it. With `handoff`, the releaser first takes the
//!   unit back out of `count` for the woken waiter, so no newcomer can steal it (the mutex's
//!   starvation mode relies on this).
//!
//! Invariants:
//! - Under the queue lock, `nwait` equals the number of queued nodes.
//! - `count += 1` then `load(nwait)` (release) and `nwait += 1` then `load(count)` (acquire) are
//!   each separated by a `SeqCst` fence, so at least one side sees the other: a release never
//!   leaves a waiter parked while a unit sits in `count`.
//! - A node is in a list only while its owner waits for `done`; the waker removes it under the
//!   lock, clones its `Waiter`, then stores `done` and never touches the node again. So a node
//!   outlives every access to it, and one owner's spurious wake-up just parks again.

use std::cell::Cell;
use std::ptr;

use crate::loom::{park, Waiter};
use gmp_sched::sys::WaitReason;

use crate::loom::{fence, lock_queue, AtomicBool, AtomicU32, Ordering, QueueLock};

/// One parked goroutine or thread: lives on its owner's stack while it sits in a [`WaitList`].
pub(crate) struct WaitNode {
    /// Whom to wake.
    waiter: Waiter,
    /// The next node in the list. Only touched under the lock of the list that holds the node.
    next: Cell<*const WaitNode>,
    /// `Cond`'s ticket. Written by the owner before it queues the node, read under the lock.
    ticket: Cell<u32>,
    /// The semaphore unit was handed over. Stored by the waker before `done`.
    handoff: AtomicBool,
    /// The waker removed the node from its list. Release store by the waker, paired with the
    /// Acquire load in `park_until_done`: the owner then sees everything the waker did before.
    done: AtomicBool,
}

impl WaitNode {
    /// A fresh node for the calling goroutine or thread.
    pub(crate) fn new() -> Self {
        Self::with_ticket(0)
    }

    /// A fresh node carrying `Cond`'s ticket `ticket`.
    pub(crate) fn with_ticket(ticket: u32) -> Self {
        WaitNode {
            waiter: Waiter::current(),
            next: Cell::new(ptr::null()),
            ticket: Cell::new(ticket),
            handoff: AtomicBool::new(false),
            done: AtomicBool::new(false),
        }
    }

    /// Parks until a waker has set `done`. `release` (which must unlock the list this node was
    /// just queued on) runs once, after the caller is committed to parking. Loops over spurious
    /// wake-ups.
    pub(crate) fn park_until_done(&self, reason: WaitReason, release: impl FnOnce()) {
        park(reason, release);
        while !self.done.load(Ordering::Acquire) {
            park(reason, || {});
        }
    }

    /// Whether the last wake-up handed a semaphore unit over.
    fn handed_off(&self) -> bool {
        self.handoff.load(Ordering::Relaxed)
    }

    /// Makes the node ready to be queued again after a wake-up.
    fn reset(&self) {
        self.next.set(ptr::null());
        self.handoff.store(false, Ordering::Relaxed);
        self.done.store(false, Ordering::Relaxed);
    }

    /// Wakes the owner of `node`.
    ///
    /// # Safety
    /// - `node` was just removed from a list by the caller, under that list's lock, so the caller
    ///   is its only waker and its owner is still waiting for `done` (the node is alive).
    pub(crate) unsafe fn wake(node: *const WaitNode, handoff: bool) {
        // SAFETY: by the caller's contract the node is alive until `done` is stored below.
        let node = unsafe { &*node };
        let waiter = node.waiter.clone();
        node.handoff.store(handoff, Ordering::Relaxed);
        node.done.store(true, Ordering::Release);
        // The owner may return and free the node from here on: only our clone is used.
        waiter.wake();
    }
}

/// An intrusive singly linked list of [`WaitNode`]s. Lives behind a queue lock.
pub(crate) struct WaitList {
    head: *const WaitNode,
    tail: *const WaitNode,
}

// SAFETY: the list only holds pointers to nodes whose owners are parked waiting for a waker, and
// every access to those nodes goes through the lock around the list (or through `WaitNode::wake`
// after removal), so handing the list to another thread shares nothing unsynchronised.
unsafe impl Send for WaitList {}

impl WaitList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        WaitList {
            head: ptr::null(),
            tail: ptr::null(),
        }
    }

    /// Whether no node is queued.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Queues `node` at the back.
    ///
    /// # Safety
    /// - `node` is in no list, and stays where it is, alive, until a waker removes it from this
    ///   list and stores its `done` flag (its owner waits in `park_until_done`).
    pub(crate) unsafe fn push_back(&mut self, node: &WaitNode) {
        node.next.set(ptr::null());
        if self.tail.is_null() {
            self.head = node;
        } else {
            // SAFETY: `tail` is a queued node, alive by the contract of the call that queued it.
            unsafe { (*self.tail).next.set(node) };
        }
        self.tail = node;
    }

    /// Queues `node` at the front (Go's LIFO re-queue of a waiter that already waited).
    ///
    /// # Safety
    /// - As for [`WaitList::push_back`].
    pub(crate) unsafe fn push_front(&mut self, node: &WaitNode) {
        node.next.set(self.head);
        if self.head.is_null() {
            self.tail = node;
        }
        self.head = node;
    }

    /// Removes and returns the head, if any. The caller must wake it ([`WaitNode::wake`]).
    pub(crate) fn pop_front(&mut self) -> Option<*const WaitNode> {
        if self.head.is_null() {
            return None;
        }
        let node = self.head;
        // SAFETY: `node` is queued, so alive (contract of `push_*`); we hold the list's lock.
        let next = unsafe { (*node).next.replace(ptr::null()) };
        self.head = next;
        if next.is_null() {
            self.tail = ptr::null();
        }
        Some(node)
    }

    /// Removes and returns the node carrying ticket `ticket`, if queued. The caller must wake it.
    pub(crate) fn remove_ticket(&mut self, ticket: u32) -> Option<*const WaitNode> {
        let mut prev: *const WaitNode = ptr::null();
        let mut cur = self.head;
        while !cur.is_null() {
            // SAFETY: `cur` is queued, so alive (contract of `push_*`); we hold the list's lock.
            let node = unsafe { &*cur };
            if node.ticket.get() == ticket {
                let next = node.next.replace(ptr::null());
                if prev.is_null() {
                    self.head = next;
                } else {
                    // SAFETY: `prev` is queued, so alive; we hold the list's lock.
                    unsafe { (*prev).next.set(next) };
                }
                if next.is_null() {
                    self.tail = prev;
                }
                return Some(cur);
            }
            prev = cur;
            cur = node.next.get();
        }
        None
    }

    /// Empties the list, returning what it held. Wake each node with [`WaitList::wake_all`].
    pub(crate) fn take(&mut self) -> WaitList {
        std::mem::replace(self, WaitList::new())
    }

    /// Wakes every node of a list taken out of its lock with [`WaitList::take`].
    pub(crate) fn wake_all(mut self) {
        while let Some(node) = self.pop_front() {
            // SAFETY: `node` was removed from the list just now; the list was taken from under its
            // lock, so nobody else can reach it: we are its only waker.
            unsafe { WaitNode::wake(node, false) };
        }
    }
}

/// Go's semaphore: `count` units, and a queue of goroutines and threads waiting for one.
pub struct Sema {
    /// Units available. Taken by CAS (`try_acquire`), returned by `release`.
    count: AtomicU32,
    /// Parked or about-to-park waiters. Changed only under `queue`'s lock; read without it by
    /// `release` to skip the lock when nobody waits.
    nwait: AtomicU32,
    /// Waiters in wake-up order.
    queue: QueueLock<WaitList>,
}

impl std::fmt::Debug for Sema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sema")
            .field("count", &self.count.load(Ordering::Relaxed))
            .field("nwait", &self.nwait.load(Ordering::Relaxed))
            .finish()
    }
}

impl Sema {
    /// A semaphore holding `count` units.
    #[cfg(not(loom))]
    pub const fn new(count: u32) -> Self {
        Sema {
            count: AtomicU32::new(count),
            nwait: AtomicU32::new(0),
            queue: QueueLock::new(WaitList::new()),
        }
    }

    /// A semaphore holding `count` units.
    #[cfg(loom)]
    pub fn new(count: u32) -> Self {
        Sema {
            count: AtomicU32::new(count),
            nwait: AtomicU32::new(0),
            queue: QueueLock::new(WaitList::new()),
        }
    }

    /// Waiters queued (or about to queue, inside the queue lock). A snapshot, for tests.
    pub fn waiters(&self) -> usize {
        self.nwait.load(Ordering::Relaxed) as usize
    }

    /// Takes a unit if one is there (Go: `cansemacquire`).
    #[inline]
    pub fn try_acquire(&self) -> bool {
        let mut count = self.count.load(Ordering::SeqCst);
        loop {
            if count == 0 {
                return false;
            }
            match self.count.compare_exchange_weak(
                count,
                count - 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(now) => count = now,
            }
        }
    }

    /// Takes a unit, parking until one is released if there is none (Go: `semacquire1`).
    /// `lifo` queues the caller at the front instead of the back.
    #[inline]
    pub fn acquire(&self, lifo: bool, reason: WaitReason) {
        if !self.try_acquire() {
            self.acquire_slow(lifo, reason);
        }
    }

    #[cold]
    fn acquire_slow(&self, lifo: bool, reason: WaitReason) {
        let node = WaitNode::new();
        loop {
            let mut queue = lock_queue(&self.queue);
            self.nwait.fetch_add(1, Ordering::SeqCst);
            // SeqCst fence: pairs with the one in `release` (nwait += 1, StoreLoad, count).
            fence(Ordering::SeqCst);
            if self.try_acquire() {
                self.nwait.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            node.reset();
            if lifo {
                // SAFETY: `node` is in no list (fresh, or removed by the waker that woke us), and
                // it stays on this frame until `park_until_done` sees `done`, which a waker sets
                // only after removing it from this list.
                unsafe { queue.push_front(&node) };
            } else {
                // SAFETY: as above.
                unsafe { queue.push_back(&node) };
            }
            node.park_until_done(reason, move || drop(queue));
            if node.handed_off() || self.try_acquire() {
                return;
            }
        }
    }

    /// Returns a unit and wakes the first waiter, if any (Go: `semrelease1`). With `handoff` the
    /// unit goes straight to that waiter, and a goroutine caller yields so that it runs at once.
    pub fn release(&self, handoff: bool) {
        self.count.fetch_add(1, Ordering::SeqCst);
        // SeqCst fence: pairs with the one in `acquire_slow` (count += 1, StoreLoad, nwait).
        fence(Ordering::SeqCst);
        if self.nwait.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut queue = lock_queue(&self.queue);
        if self.nwait.load(Ordering::SeqCst) == 0 {
            return;
        }
        let Some(node) = queue.pop_front() else {
            crate::throw("sync: semaphore waiter count and queue disagree");
        };
        self.nwait.fetch_sub(1, Ordering::SeqCst);
        drop(queue);
        let handoff = handoff && self.try_acquire();
        // SAFETY: `node` was removed from the queue under its lock just now.
        unsafe { WaitNode::wake(node, handoff) };
        #[cfg(not(loom))]
        if handoff && gmp_sched::sys::in_goroutine() {
            // Go: semrelease1 goyields after a hand-off, so the new owner (in our runnext) runs
            // now instead of waiting out our time slice.
            gmp_sched::yield_now();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn list_fifo_lifo_and_tickets() {
        let a = WaitNode::with_ticket(1);
        let b = WaitNode::with_ticket(2);
        let c = WaitNode::with_ticket(3);
        let mut list = WaitList::new();
        // SAFETY: the nodes outlive the list's use of them and are popped before the test ends.
        unsafe {
            list.push_back(&b);
            list.push_back(&c);
            list.push_front(&a);
        }
        assert_eq!(list.remove_ticket(2), Some(&b as *const _));
        assert_eq!(list.remove_ticket(7), None);
        assert_eq!(list.pop_front(), Some(&a as *const _));
        assert_eq!(list.remove_ticket(3), Some(&c as *const _));
        assert!(list.is_empty());
        assert_eq!(list.pop_front(), None);
        // SAFETY: as above.
        unsafe { list.push_back(&a) };
        assert_eq!(list.pop_front(), Some(&a as *const _));
        assert!(list.tail.is_null());
    }

    #[test]
    fn counts_units() {
        let sema = Sema::new(2);
        assert!(sema.try_acquire());
        sema.acquire(false, WaitReason::Semaphore);
        assert!(!sema.try_acquire());
        sema.release(false);
        sema.release(true);
        assert!(sema.try_acquire());
        assert!(sema.try_acquire());
        assert!(!sema.try_acquire());
    }
}
