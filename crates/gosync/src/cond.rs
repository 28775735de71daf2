//! Go's sync.Cond: wait for a condition guarded by a [`Mutex`](crate::Mutex), be woken by `signal`/`broadcast`.
//! Ports sync/cond.go and the ticket-based notify list of runtime/sema.go (`notifyList`), on the
//! wait nodes of `sema.rs`.
//!
//! Tickets: `wait` takes ticket `t = wait_ticket++` while the caller still holds the mutex,
//! unlocks it, then queues a node carrying `t` and parks, unless `t` was already notified
//! (`t < notify`, in wrapping order) by then. `signal` notifies ticket `notify` (the oldest one not
//! notified yet) and advances `notify`; if that ticket's node is queued it is woken, else its owner
//! has not queued yet and will see `t < notify` and not park. `broadcast` sets `notify` to
//! `wait_ticket` and wakes every queued node.
//!
//! So a wake-up is never lost between unlocking the mutex and parking, and signals wake waiters
//! in the order they called `wait`.
//!
//! Invariants:
//! - `notify` only moves forward, and only under the list lock; it never passes `wait_ticket`.
//! - A queued node's ticket is `>= notify`: notifying a ticket removes its node in the same
//!   critical section.

use std::fmt;

use gmp_sched::sys::WaitReason;

use crate::loom::{lock_queue, AtomicU32, Ordering, QueueLock};
use crate::mutex::MutexGuard;
use crate::sema::{WaitList, WaitNode};

/// `a < b` in wrapping ticket order (Go: `less`).
fn less(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// A condition variable: goroutines and threads wait on it for a condition guarded by a
/// [`Mutex`](crate::Mutex), like Go's sync.Cond.
///
/// Go binds the mutex when the Cond is made (`sync.NewCond(&mu)`); here [`wait`](Cond::wait)
/// takes the guard of the mutex and gives it back re-locked, as std's `Condvar` does. One `Cond`
/// may serve several mutexes. [`signal`](Cond::signal) wakes the longest waiter,
/// [`broadcast`](Cond::broadcast) wakes them all; neither needs the mutex held.
///
/// As in Go, a woken waiter must re-check its condition (another caller may have changed it
/// between the wake-up and the re-lock): loop, or use [`wait_while`](Cond::wait_while).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::{Cond, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Cond::new()));
/// let setter = {
///     let pair = Arc::clone(&pair);
///     std::thread::spawn(move || {
///         *pair.0.lock() = true;
///         pair.1.signal();
///     })
/// };
/// let (ready, cond) = &*pair;
/// let mut guard = ready.lock();
/// while !*guard {
///     guard = cond.wait(guard);
/// }
/// drop(guard);
/// setter.join().unwrap();
/// ```
pub struct Cond {
    /// The next ticket `wait` hands out (Go: `notifyList.wait`).
    wait_ticket: AtomicU32,
    /// The next ticket to notify: tickets below it are notified. Stored only under `list`'s lock;
    /// loaded without it by the fast paths.
    notify: AtomicU32,
    /// Parked waiters, in ticket order.
    list: QueueLock<WaitList>,
}

impl Cond {
    /// A condition variable nobody waits on.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gosync::Cond::new();
    /// cond.signal(); // nobody waits: nothing happens
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Cond {
            wait_ticket: AtomicU32::new(0),
            notify: AtomicU32::new(0),
            list: QueueLock::new(WaitList::new()),
        }
    }

    /// A condition variable nobody waits on.
    #[cfg(loom)]
    pub fn new() -> Self {
        Cond {
            wait_ticket: AtomicU32::new(0),
            notify: AtomicU32::new(0),
            list: QueueLock::new(WaitList::new()),
        }
    }

    /// Unlocks the guard's mutex, parks until [`signal`](Cond::signal) or
    /// [`broadcast`](Cond::broadcast) wakes the caller, then locks the mutex again and returns its
    /// guard (Go: `Wait`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gosync::{Cond, Mutex};
    ///
    /// let state = Arc::new((Mutex::new(0), Cond::new()));
    /// let worker = {
    ///     let state = Arc::clone(&state);
    ///     std::thread::spawn(move || {
    ///         *state.0.lock() = 42;
    ///         state.1.broadcast();
    ///     })
    /// };
    /// let mut guard = state.0.lock();
    /// while *guard == 0 {
    ///     guard = state.1.wait(guard);
    /// }
    /// assert_eq!(*guard, 42);
    /// # drop(guard);
    /// # worker.join().unwrap();
    /// ```
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        // Take the ticket while the mutex is held: a signal that follows our unlock sees it.
        let ticket = self.wait_ticket.fetch_add(1, Ordering::SeqCst);
        let mutex = guard.mutex();
        drop(guard);
        self.notify_list_wait(ticket);
        mutex.lock()
    }

    /// Waits while `condition` holds, re-checking it (with the mutex held) after every wake-up;
    /// returns the guard once `condition` is false.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gosync::{Cond, Mutex};
    ///
    /// let queue = Arc::new((Mutex::new(Vec::new()), Cond::new()));
    /// let producer = {
    ///     let queue = Arc::clone(&queue);
    ///     std::thread::spawn(move || {
    ///         queue.0.lock().push("job");
    ///         queue.1.signal();
    ///     })
    /// };
    /// let mut jobs = queue.1.wait_while(queue.0.lock(), |jobs| jobs.is_empty());
    /// assert_eq!(jobs.pop(), Some("job"));
    /// # drop(jobs);
    /// # producer.join().unwrap();
    /// ```
    pub fn wait_while<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Go: `notifyListWait`.
    fn notify_list_wait(&self, ticket: u32) {
        let mut list = lock_queue(&self.list);
        // Already notified while we were unlocking: do not park.
        if less(ticket, self.notify.load(Ordering::Relaxed)) {
            return;
        }
        let node = WaitNode::with_ticket(ticket);
        // SAFETY: `node` is fresh, and stays on this frame until `park_until_done` sees `done`,
        // which a waker sets only after removing it from the list.
        unsafe { list.push_back(&node) };
        node.park_until_done(WaitReason::Cond, move || drop(list));
    }

    /// Wakes the goroutine or thread that has waited longest, if any (Go: `Signal`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gosync::{Cond, Mutex};
    ///
    /// let state = Arc::new((Mutex::new(None), Cond::new()));
    /// let waiter = {
    ///     let state = Arc::clone(&state);
    ///     std::thread::spawn(move || {
    ///         let value = state.1.wait_while(state.0.lock(), |v| v.is_none());
    ///         value.unwrap()
    ///     })
    /// };
    /// *state.0.lock() = Some(7);
    /// state.1.signal();
    /// assert_eq!(waiter.join().unwrap(), 7);
    /// ```
    pub fn signal(&self) {
        // Fast path: every ticket is notified, nobody to wake.
        if self.wait_ticket.load(Ordering::SeqCst) == self.notify.load(Ordering::SeqCst) {
            return;
        }
        let mut list = lock_queue(&self.list);
        let ticket = self.notify.load(Ordering::Relaxed);
        if ticket == self.wait_ticket.load(Ordering::SeqCst) {
            return;
        }
        self.notify.store(ticket.wrapping_add(1), Ordering::SeqCst);
        // The ticket's owner may not have queued yet; then it will see it was notified.
        if let Some(node) = list.remove_ticket(ticket) {
            drop(list);
            // SAFETY: `node` was removed from the list under its lock just now.
            unsafe { WaitNode::wake(node, false) };
        }
    }

    /// Wakes every goroutine and thread waiting (Go: `Broadcast`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gosync::{Cond, Mutex};
    ///
    /// let gate = Arc::new((Mutex::new(false), Cond::new()));
    /// let waiters: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let gate = Arc::clone(&gate);
    ///         std::thread::spawn(move || drop(gate.1.wait_while(gate.0.lock(), |open| !*open)))
    ///     })
    ///     .collect();
    /// *gate.0.lock() = true;
    /// gate.1.broadcast();
    /// for w in waiters {
    ///     w.join().unwrap();
    /// }
    /// ```
    pub fn broadcast(&self) {
        if self.wait_ticket.load(Ordering::SeqCst) == self.notify.load(Ordering::SeqCst) {
            return;
        }
        let mut list = lock_queue(&self.list);
        let woken = list.take();
        self.notify
            .store(self.wait_ticket.load(Ordering::SeqCst), Ordering::SeqCst);
        drop(list);
        woken.wake_all();
    }
}

impl Default for Cond {
    fn default() -> Self {
        Cond::new()
    }
}

impl fmt::Debug for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cond").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn less_wraps() {
        assert!(less(1, 2));
        assert!(!less(2, 2));
        assert!(!less(3, 2));
        assert!(less(u32::MAX, 0));
        assert!(!less(0, u32::MAX));
    }
}
