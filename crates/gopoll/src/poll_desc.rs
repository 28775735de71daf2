//! The poll descriptor: one per registered fd, with a read slot and a write slot.
//! Ports Go's runtime/netpoll.go `pollDesc` (`rg`/`wg`, `netpollblock`, `netpollunblock`)
//! and the part of internal/poll/fd_mutex.go that serializes reads and writes.
//!
//! A [`Slot`] is one direction of one fd. Its state word holds:
//!
//! | bit       | set while                                                                 |
//! |-----------|---------------------------------------------------------------------------|
//! | `READY`   | a readiness event (or a wake-up) came since the last op consumed one      |
//! | `WAITING` | a waiter is in `Queue::parked` (set by the parker, cleared under the lock) |
//! | `CLOSED`  | the descriptor is closed: every op fails (sticky until reuse)             |
//! | `LOCKED`  | an op holds the slot (Go's fdMutex read or write lock)                    |
//! | `LOCKQ`   | some op waits in `Queue::lockq` for `LOCKED`                              |
//! | `DRAINED` | the last op emptied the fd's queue: the next may wait before its syscall  |
//! | `SPECIAL` | an event said FIN, hang-up, error or urgent data (or could not say which)  |
//!
//! ## Protocol (edge-triggered: an event must never be lost)
//!
//! An op takes the slot's op lock, so at most one op per direction is between its syscall
//! and its park (Go's fdMutex). It tries the syscall; on `WouldBlock` it calls
//! [`Slot::wait`], which consumes `READY` if set (the event came after the syscall: retry),
//! else stores its waiter under the queue lock and then sets `WAITING` with one RMW that also
//! reads `READY`. The poller's [`Slot::notify`] sets `READY` with one RMW that also reads
//! `WAITING`. Both RMWs are on the same word, so one of them sees the other: either the
//! parker sees `READY` and does not park, or the notifier sees `WAITING`, takes the waiter
//! under the lock (which the parker releases only once committed to parking) and unparks
//! it. The waker never clears `READY`: the woken op consumes it and retries its syscall, so
//! an op that raced in between sees it too.
//!
//! ## Read before parking, or park before reading
//!
//! Go tries every read first and parks only on `EAGAIN`, so a request on a keep-alive
//! connection costs two reads: the one that gets it and the one that finds the queue empty.
//! A TCP read that returns less than it asked for has emptied the receive queue (the kernel
//! copies every queued segment up to the length asked), so, as tokio does, the op says so
//! ([`Slot::set_drained`]) and the next op of that direction parks first
//! ([`Slot::take_drained`], then `wait`) instead of spending a syscall on `EAGAIN`. No edge is
//! lost by that: data that came after the drain sends an edge after it, which sets `READY`
//! (the next `wait` returns at once) or wakes the parked op; an edge that came before is
//! already in `READY`, whose consumption the op acquired. Two short reads do not drain: the
//! one that ends at the peer's FIN (the EOF is still to be read, and no edge will come) and
//! TCP's stop at the urgent mark. Their events say `EPOLLRDHUP` or `EPOLLPRI` (the poller
//! registers for both, as Go does), which the poller passes on as `SPECIAL` (as it does for
//! a hang-up, an error, and any event it cannot classify); the next `set_drained` consumes
//! `SPECIAL` instead of setting `DRAINED`. Such an event comes before the short read it
//! explains, and its `READY` was consumed by the op (Acquire) or is still set. Only the
//! op-lock holder sets or takes `DRAINED`.
//!
//! Invariants: `WAITING` is set only by the op-lock holder and cleared only under the queue
//! lock together with taking `parked`; only a parker consumes `READY`; `CLOSED` makes
//! `wait` and `lock_op` fail and is set by [`Slot::close`], which also wakes every op
//! waiting for the op lock.

use crate::loom::{lock, AtomicUsize, Mutex, MutexGuard, Ordering};
use gmp_sched::sys::{WaitReason, Waiter};
use std::collections::VecDeque;
use std::time::Instant;

const READY: usize = 1 << 0;
const WAITING: usize = 1 << 1;
const CLOSED: usize = 1 << 2;
const LOCKED: usize = 1 << 3;
const LOCKQ: usize = 1 << 4;
const DRAINED: usize = 1 << 5;
/// For [`Slot::notify`]: the event was the peer's FIN, a hang-up, an error or urgent data
/// (or the poller could not tell): the next short read did not necessarily drain.
pub const SPECIAL: usize = 1 << 6;

/// Why [`Slot::wait`] or [`Slot::lock_op`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The descriptor was closed.
    Closed,
    /// The deadline passed.
    TimedOut,
}

/// What the queue lock guards.
#[derive(Default)]
struct Queue {
    /// The op-lock holder parked for readiness (Go: the G in `rg`/`wg`).
    parked: Option<Waiter>,
    /// Ops waiting for the op lock, with the id each entry was queued under.
    lockq: VecDeque<(u64, Waiter)>,
    next_id: u64,
}

/// One direction (read or write) of a poll descriptor. See the module docs.
///
/// Public only for loom-tests (through `internal`).
pub struct Slot {
    state: AtomicUsize,
    q: Mutex<Queue>,
}

impl Default for Slot {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({:#x})", self.state.load(Ordering::Relaxed))
    }
}

impl Slot {
    /// An idle slot: not ready, nobody waiting, not closed.
    pub fn new() -> Slot {
        Slot {
            state: AtomicUsize::new(0),
            q: Mutex::new(Queue::default()),
        }
    }

    /// Takes the op lock (Go: fdMutex rwlock), parking while another op holds it.
    /// Fails once the slot is closed.
    #[inline]
    pub fn lock_op(&self) -> Result<(), Stop> {
        // Acquire: pairs with the Release in `unlock_op`.
        let prev = self.state.fetch_or(LOCKED, Ordering::Acquire);
        if prev & LOCKED == 0 {
            if prev & CLOSED != 0 {
                self.unlock_op();
                return Err(Stop::Closed);
            }
            return Ok(());
        }
        self.lock_op_slow()
    }

    #[cold]
    fn lock_op_slow(&self) -> Result<(), Stop> {
        let waiter = Waiter::current();
        let mut q = lock(&self.q);
        let id = q.next_id;
        q.next_id += 1;
        loop {
            q.lockq.retain(|e| e.0 != id);
            q.lockq.push_back((id, waiter.clone()));
            // One RMW announces us (LOCKQ) and tries the lock: `unlock_op`'s RMW either
            // comes first (we get LOCKED) or sees LOCKQ and wakes the queue head.
            let prev = self.state.fetch_or(LOCKED | LOCKQ, Ordering::AcqRel);
            if prev & (LOCKED | CLOSED) != LOCKED {
                q.lockq.retain(|e| e.0 != id);
                if q.lockq.is_empty() {
                    self.state.fetch_and(!LOCKQ, Ordering::Relaxed);
                }
                drop(q);
                if prev & CLOSED != 0 {
                    if prev & LOCKED == 0 {
                        self.unlock_op();
                    }
                    return Err(Stop::Closed);
                }
                return Ok(());
            }
            gmp_sched::sys::park(WaitReason::IoWait, move || drop(q));
            q = lock(&self.q);
        }
    }

    /// Releases the op lock, waking the first op waiting for it.
    #[inline]
    pub fn unlock_op(&self) {
        // AcqRel: Release publishes the op; Acquire pairs with the RMW of a queued locker.
        let prev = self.state.fetch_and(!LOCKED, Ordering::AcqRel);
        if prev & LOCKQ != 0 {
            let next = {
                let mut q = lock(&self.q);
                let next = q.lockq.pop_front();
                if q.lockq.is_empty() {
                    self.state.fetch_and(!LOCKQ, Ordering::Relaxed);
                }
                next
            };
            if let Some((_, w)) = next {
                w.unpark();
            }
        }
    }

    /// Called by the op-lock holder after a short stream read: it emptied the fd's queue
    /// unless an event since the last short read said [`SPECIAL`], which this consumes
    /// instead. When it sets `DRAINED`, the next op may [`wait`](Slot::wait) before its
    /// syscall (see the module docs).
    #[inline]
    pub fn set_drained(&self) {
        // Relaxed: only op-lock holders touch DRAINED, and the op lock orders them. SPECIAL
        // came with a READY that this op consumed (Acquire), or that READY is still set.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let new = if s & SPECIAL != 0 {
                s & !SPECIAL
            } else {
                s | DRAINED
            };
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(now) => s = now,
            }
        }
    }

    /// Called by the op-lock holder before its syscall: true (and cleared) when the previous
    /// op emptied the queue, so the op should [`wait`](Slot::wait) first.
    #[inline]
    pub fn take_drained(&self) -> bool {
        self.state.load(Ordering::Relaxed) & DRAINED != 0
            && self.state.fetch_and(!DRAINED, Ordering::Relaxed) & DRAINED != 0
    }

    /// Called by the op-lock holder after its syscall said `WouldBlock`: returns `Ok` when
    /// the op should retry (readiness or a wake-up came), `Err` when the slot was closed or
    /// `deadline` passed. Parks in between (Go: netpollblock).
    pub fn wait(&self, deadline: Option<Instant>) -> Result<(), Stop> {
        let mut waiter = None;
        loop {
            let s = self.state.load(Ordering::Acquire);
            if s & CLOSED != 0 {
                return Err(Stop::Closed);
            }
            #[cfg(not(loom))]
            if deadline.is_some_and(|d| gmp_sched::now() >= d) {
                return Err(Stop::TimedOut);
            }
            if s & READY != 0 {
                // Acquire: pairs with the notifier's Release.
                if self.state.fetch_and(!READY, Ordering::Acquire) & READY != 0 {
                    return Ok(());
                }
                continue;
            }
            let w = waiter.get_or_insert_with(Waiter::current).clone();
            let mut q = lock(&self.q);
            debug_assert!(q.parked.is_none(), "two ops parked on one slot");
            q.parked = Some(w.clone());
            // The RMW that pairs with `notify`'s: see the module docs.
            let prev = self.state.fetch_or(WAITING, Ordering::AcqRel);
            if prev & (READY | CLOSED) != 0 {
                q.parked = None;
                self.state.fetch_and(!WAITING, Ordering::Relaxed);
                continue;
            }
            count_waiter(true);
            self.block(q, &w, deadline);
            // Woken, timed out or spurious: leave the slot if nobody took us out of it.
            if self.state.load(Ordering::Acquire) & WAITING != 0 {
                let mut q = lock(&self.q);
                if q.parked.take().is_some() {
                    self.state.fetch_and(!WAITING, Ordering::Relaxed);
                    count_waiter(false);
                }
            }
        }
    }

    /// Parks the op-lock holder; `q` (holding our waiter) is released once we are committed.
    fn block(&self, q: MutexGuard<'_, Queue>, w: &Waiter, deadline: Option<Instant>) {
        #[cfg(loom)]
        {
            let _ = (w, deadline);
            gmp_sched::sys::park(WaitReason::IoWait, move || drop(q));
        }
        #[cfg(not(loom))]
        {
            if w.is_goroutine() {
                match deadline {
                    Some(d) => gmp_sched::sys::park_until(WaitReason::IoWait, d, move || drop(q)),
                    None => gmp_sched::sys::park(WaitReason::IoWait, move || drop(q)),
                }
            } else {
                // A plain thread: nobody may be polling, so it may have to poll itself.
                drop(q);
                let done = || self.state.load(Ordering::Acquire) & WAITING == 0;
                match crate::poller::get() {
                    Ok(p) => p.thread_wait(done, deadline),
                    Err(_) => unreachable!("a registered fd implies a poller"),
                }
            }
        }
    }

    /// Sets `READY` (plus `bits`) and wakes the parked op, if any (Go: netpollunblock).
    /// Returns true if it woke one. Called by the poller for each event and by wake-ups.
    #[inline]
    pub fn notify(&self, bits: usize) -> bool {
        // AcqRel: Release publishes the readiness to the op that consumes READY; Acquire
        // pairs with the parker's RMW so we see its waiter under the lock.
        let prev = self.state.fetch_or(READY | bits, Ordering::AcqRel);
        if prev & WAITING == 0 {
            return false;
        }
        let w = {
            let mut q = lock(&self.q);
            let w = q.parked.take();
            if w.is_some() {
                self.state.fetch_and(!WAITING, Ordering::Relaxed);
            }
            w
        };
        match w {
            Some(w) => {
                count_waiter(false);
                wake(w);
                true
            }
            None => false,
        }
    }

    /// Wakes the parked op so it re-checks its deadline (the deadline moved).
    pub fn interrupt(&self) {
        self.notify(0);
    }

    /// Marks the slot closed and wakes the parked op and every op waiting for the op lock:
    /// they fail with [`Stop::Closed`] (Go: pollDesc evict).
    pub fn close(&self) {
        self.notify(CLOSED);
        let queued: Vec<_> = lock(&self.q).lockq.drain(..).collect();
        for (_, w) in queued {
            w.unpark();
        }
    }

    /// True while an op is parked here waiting for readiness (`WAITING`): from then on a
    /// `close` or `interrupt` must wake it.
    pub fn is_parked(&self) -> bool {
        self.state.load(Ordering::Acquire) & WAITING != 0
    }

    /// True once [`close`](Slot::close) was called.
    pub fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Makes a slot of a freed descriptor fresh for its next fd. Nobody may use it.
    #[cfg(not(loom))]
    pub(crate) fn reset(&self) {
        let mut q = lock(&self.q);
        q.parked = None;
        q.lockq.clear();
        self.state.store(0, Ordering::Release);
    }
}

/// Keeps `NetPoller::has_waiters` right.
#[inline]
fn count_waiter(add: bool) {
    #[cfg(not(loom))]
    crate::poller::count_waiter(add);
    #[cfg(loom)]
    let _ = add;
}

/// Unparks a waiter taken from a slot.
#[inline]
fn wake(w: Waiter) {
    #[cfg(not(loom))]
    crate::poller::wake_waiter(w);
    #[cfg(loom)]
    w.unpark();
}

/// A poll descriptor: the two slots of one fd, plus its deadlines. Allocated once and never
/// freed (the poller's events carry its address; Go's pollCache does the same), reused for
/// later fds.
#[cfg(not(loom))]
pub(crate) struct PollDesc {
    pub(crate) read: Slot,
    pub(crate) write: Slot,
    pub(crate) deadlines: crate::deadline::Deadlines,
}

#[cfg(not(loom))]
impl PollDesc {
    pub(crate) fn new() -> PollDesc {
        PollDesc {
            read: Slot::new(),
            write: Slot::new(),
            deadlines: crate::deadline::Deadlines::default(),
        }
    }

    pub(crate) fn slot(&self, dir: Dir) -> &Slot {
        match dir {
            Dir::Read => &self.read,
            Dir::Write => &self.write,
        }
    }

    /// Go's pollDesc close + evict: both directions fail from now on.
    pub(crate) fn close(&self) {
        self.read.close();
        self.write.close();
    }

    pub(crate) fn reset(&self) {
        self.read.reset();
        self.write.reset();
        self.deadlines.reset();
    }
}

/// Which slot of a descriptor.
#[cfg(not(loom))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Read,
    Write,
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn ready_before_wait_is_consumed_once() {
        let s = Slot::new();
        s.lock_op().unwrap();
        assert!(!s.notify(0), "nobody parked");
        assert_eq!(s.wait(None), Ok(()));
        s.unlock_op();
    }

    #[test]
    fn closed_slot_fails_ops() {
        let s = Slot::new();
        s.close();
        assert!(s.is_closed());
        assert_eq!(s.lock_op(), Err(Stop::Closed));
    }

    #[test]
    fn past_deadline_times_out() {
        let s = Slot::new();
        s.lock_op().unwrap();
        assert_eq!(s.wait(Some(gmp_sched::now())), Err(Stop::TimedOut));
        s.unlock_op();
    }
}
