//! Go's sync.WaitGroup: wait for a counted set of goroutines to finish.
//! Ports Go's sync/waitgroup.go: one 64-bit state word and a semaphore waiters park on.
//!
//! | bits   | name    | meaning                                   |
//! |--------|---------|-------------------------------------------|
//! | 63..32 | counter | `add`s minus `done`s (signed 32-bit)      |
//! | 31..0  | waiters | callers parked in `wait` for this round   |
//!
//! `add` moves the counter with one atomic add. When it brings the counter to zero with waiters
//! parked, nobody else may touch the word any more (every `add` of this round happened before and
//! every `wait` of this round is parked), so it resets the whole word to zero, then releases the
//! semaphore once per waiter. `wait` returns at once on a zero counter, else counts itself in with
//! a CAS and parks.
//!
//! Async waiters (`wait_async`) count themselves in the same waiter bits, but wait in a list of
//! their own instead of on the semaphore, so that a dropped future can leave: the count of
//! async waiters this round (`AsyncWaiters::counted`, dropped ones included) is moved under the
//! list's lock together with the CAS that counts one in, and the `add` that ends the round
//! releases the semaphore only for the others, then marks and wakes every listed future. (The
//! CAS happens with the list locked, so the `add` that saw it, which locks the list after its
//! own RMW on the word, finds it counted.)
//!
//! Misuse that Go diagnoses, diagnosed the same way (same messages):
//! - the counter going negative: "sync: negative WaitGroup counter";
//! - an `add` from zero racing a `wait` that is parked, or changing the word while the last
//!   `done` resets it: "sync: WaitGroup misuse: Add called concurrently with Wait";
//! - a woken waiter finding the word non-zero, i.e. reused before all its waiters returned:
//!   "sync: WaitGroup is reused before previous Wait has returned".

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use gmp_sched::sys::{WaitReason, WakerSlot};

use crate::loom::{lock_queue, Arc, AtomicBool, AtomicU64, Ordering, QueueLock};
use crate::sema::Sema;

/// The message of Go's panic on a negative counter.
const NEGATIVE: &str = "sync: negative WaitGroup counter";
/// The message of Go's panic on an `add` racing a `wait`.
const ADD_RACES_WAIT: &str = "sync: WaitGroup misuse: Add called concurrently with Wait";
/// The message of Go's panic on reuse while a woken waiter has not returned yet.
const REUSED: &str = "sync: WaitGroup is reused before previous Wait has returned";

/// What `add` must do after its atomic add produced `state`.
#[derive(Debug, PartialEq, Eq)]
enum AddOutcome {
    /// Nothing more: the counter is positive, or nobody waits.
    Done,
    /// The counter reached zero with this many waiters: reset and wake them.
    Wake(u32),
    /// Misuse: panic with this message.
    Panic(&'static str),
}

fn counter(state: u64) -> i32 {
    (state >> 32) as i32
}

fn waiters(state: u64) -> u32 {
    state as u32
}

/// Go's checks in `Add`, after the atomic add of `delta` produced `state`.
fn add_outcome(state: u64, delta: i32) -> AddOutcome {
    let (v, w) = (counter(state), waiters(state));
    if v < 0 {
        return AddOutcome::Panic(NEGATIVE);
    }
    if w != 0 && delta > 0 && v == delta {
        // This add starts a round (the counter was zero), yet waiters are counted: a wait
        // slipped in while the counter was zero, racing this add.
        return AddOutcome::Panic(ADD_RACES_WAIT);
    }
    if v > 0 || w == 0 {
        AddOutcome::Done
    } else {
        AddOutcome::Wake(w)
    }
}

/// Waits for a collection of goroutines (or threads) to finish, like Go's sync.WaitGroup.
///
/// A `WaitGroup` is a handle: clones share one counter, so each goroutine can own one (Go passes
/// a pointer; a clone is Rust's way to hand the same group to a `'static` goroutine). The usual
/// shape is `add(n)` before starting `n` goroutines, `done()` as each finishes, and `wait()` where
/// the results are needed. Any number of callers may wait; the group can be reused for a new round
/// once every `wait` of the last one has returned.
///
/// Misuse panics with Go's messages: a negative counter ("sync: negative WaitGroup counter"),
/// an `add` that races a `wait` on reuse ("sync: WaitGroup misuse: Add called concurrently with
/// Wait").
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use gosync::WaitGroup;
///
/// let wg = WaitGroup::new();
/// let finished = Arc::new(AtomicUsize::new(0));
/// for _ in 0..4 {
///     wg.add(1);
///     let (wg, finished) = (wg.clone(), Arc::clone(&finished));
///     std::thread::spawn(move || {
///         finished.fetch_add(1, Ordering::Relaxed);
///         wg.done();
///     });
/// }
/// wg.wait();
/// assert_eq!(finished.load(Ordering::Relaxed), 4);
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

struct Inner {
    /// counter << 32 | waiters; see the table at the top.
    state: AtomicU64,
    /// Waiters park here; the last `done` releases it once per waiter (async ones excepted).
    sema: Sema,
    /// Async waiters of this round; see the module docs.
    async_waiters: QueueLock<AsyncWaiters>,
}

/// The async waiters of one round.
#[derive(Default)]
struct AsyncWaiters {
    /// How many of the word's waiters are async (dropped futures included): no semaphore unit
    /// is released for them.
    counted: u32,
    /// The futures still waiting.
    list: Vec<Arc<AsyncWaiter>>,
}

/// One `wait_async` future's wait.
struct AsyncWaiter {
    slot: WakerSlot,
    /// Set (Release) by the `add` that ended the round, before it wakes the slot.
    done: AtomicBool,
}

impl WaitGroup {
    /// A group with a zero counter.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// wg.wait(); // zero counter: returns at once
    /// ```
    pub fn new() -> Self {
        WaitGroup {
            inner: Arc::new(Inner {
                state: AtomicU64::new(0),
                sema: Sema::new(0),
                async_waiters: QueueLock::new(AsyncWaiters::default()),
            }),
        }
    }

    /// Adds `delta` (which may be negative) to the counter (Go: `Add`). When the counter reaches
    /// zero, every parked [`wait`](WaitGroup::wait) returns.
    ///
    /// Call `add` with a positive delta before starting the goroutine it counts (or anything else
    /// that will `wait`), as in Go.
    ///
    /// # Panics
    ///
    /// - "sync: negative WaitGroup counter" if the counter goes below zero.
    /// - "sync: WaitGroup misuse: Add called concurrently with Wait" if an `add` starting a new
    ///   round races a `wait` of the old one.
    /// - If `delta` does not fit in 32 bits (Go's counter is 32 bits wide).
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// wg.add(2);
    /// wg.add(-1);
    /// wg.done();
    /// wg.wait();
    /// ```
    pub fn add(&self, delta: isize) {
        let Ok(delta) = i32::try_from(delta) else {
            panic!("sync: WaitGroup delta {delta} does not fit the 32-bit counter");
        };
        let shifted = (delta as i64 as u64) << 32;
        let state = self
            .inner
            .state
            .fetch_add(shifted, Ordering::AcqRel)
            .wrapping_add(shifted);
        match add_outcome(state, delta) {
            AddOutcome::Done => {}
            AddOutcome::Panic(msg) => panic!("{msg}"),
            AddOutcome::Wake(w) => {
                // Counter zero, waiters parked: nobody may change the word now. Check cheaply
                // that nobody did.
                if self.inner.state.load(Ordering::Relaxed) != state {
                    panic!("{ADD_RACES_WAIT}");
                }
                // Reset the waiter count for the next round, then wake this round's waiters.
                // Release: a `wait` that reads this zero must see every `done` (loom found it).
                self.inner.state.store(0, Ordering::Release);
                let mut asyncs = lock_queue(&self.inner.async_waiters);
                let counted = std::mem::take(&mut asyncs.counted);
                let list = std::mem::take(&mut asyncs.list);
                drop(asyncs);
                for _ in counted..w {
                    self.inner.sema.release(false);
                }
                for waiter in list {
                    // Release: the future that reads it sees every `done` of the round.
                    waiter.done.store(true, Ordering::Release);
                    waiter.slot.wake();
                }
            }
        }
    }

    /// Decrements the counter by one (Go: `Done`).
    ///
    /// # Panics
    ///
    /// "sync: negative WaitGroup counter" if the counter was zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// wg.add(1);
    /// wg.done();
    /// wg.wait();
    /// ```
    pub fn done(&self) {
        self.add(-1);
    }

    /// Parks the calling goroutine or thread until the counter is zero (Go: `Wait`). Everything
    /// the counted goroutines did before their `done` is visible afterwards.
    ///
    /// # Panics
    ///
    /// "sync: WaitGroup is reused before previous Wait has returned" if, after the counter
    /// reached zero, another round's `add` ran before this waiter woke up.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::WaitGroup;
    ///
    /// let wg = WaitGroup::new();
    /// wg.add(1);
    /// let worker = {
    ///     let wg = wg.clone();
    ///     std::thread::spawn(move || wg.done())
    /// };
    /// wg.wait();
    /// worker.join().unwrap();
    /// ```
    pub fn wait(&self) {
        let inner = &*self.inner;
        let mut state = inner.state.load(Ordering::Acquire);
        loop {
            if counter(state) == 0 {
                return;
            }
            match inner.state.compare_exchange_weak(
                state,
                state + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    inner.sema.acquire(false, WaitReason::WaitGroup);
                    if inner.state.load(Ordering::Acquire) != 0 {
                        panic!("{REUSED}");
                    }
                    return;
                }
                Err(now) => state = now,
            }
        }
    }

    /// Waits from async code until the counter is zero: a future that resolves when
    /// [`wait`](WaitGroup::wait) would return. The task waits, no thread blocks; dropping the
    /// future gives up the wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::WaitGroup;
    ///
    /// let wg = WaitGroup::new();
    /// wg.add(1);
    /// let worker = {
    ///     let wg = wg.clone();
    ///     std::thread::spawn(move || wg.done())
    /// };
    /// gmp_sched::block_on(wg.wait_async());
    /// worker.join().unwrap();
    /// ```
    pub fn wait_async(&self) -> WaitFuture<'_> {
        WaitFuture {
            wg: self,
            waiter: None,
        }
    }

    /// Runs `f` in a new goroutine counted in this group: `add(1)` now, `done()` when `f`
    /// returns (Go 1.25: `wg.Go(f)`).
    ///
    /// If `f` panics the goroutine still counts as done, so `wait` returns; the panic reaches
    /// the returned handle's `join` (Go instead crashes the process).
    ///
    /// # Safety
    ///
    /// As for [`gmp_sched::spawn`]: `f` keeps no thread-bound state (a `thread_local!` borrow, a
    /// std `MutexGuard`, ...) across a blocking call, because the goroutine may move between OS
    /// threads whenever it blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use gosync::WaitGroup;
    ///
    /// let wg = WaitGroup::new();
    /// let sum = Arc::new(AtomicUsize::new(0));
    /// for i in 1..=3 {
    ///     let sum = Arc::clone(&sum);
    ///     // SAFETY: the closure holds only an Arc of an atomic.
    ///     unsafe { wg.go(move || sum.fetch_add(i, Ordering::Relaxed)) };
    /// }
    /// wg.wait();
    /// assert_eq!(sum.load(Ordering::Relaxed), 6);
    /// ```
    #[cfg(not(loom))]
    pub unsafe fn go<F, T>(&self, f: F) -> gmp_sched::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        /// Calls `done` when dropped: when `f` returns or unwinds.
        struct Done(WaitGroup);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.done();
            }
        }

        self.add(1);
        let done = Done(self.clone());
        // SAFETY: the caller promises `f` keeps no thread-bound state across a blocking call;
        // `Done` holds only a WaitGroup handle, which is not thread-bound.
        unsafe {
            gmp_sched::spawn(move || {
                let _done = done;
                f()
            })
        }
    }

    /// Test-only view: the counter. Not part of the stable API.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// wg.add(3);
    /// assert_eq!(wg.count(), 3);
    /// # wg.add(-3);
    /// ```
    #[doc(hidden)]
    pub fn count(&self) -> i32 {
        counter(self.inner.state.load(Ordering::Relaxed))
    }

    /// Test-only view: how many callers wait (or are about to park) in `wait`. Not part of the
    /// stable API.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// assert_eq!(wg.waiters(), 0);
    /// ```
    #[doc(hidden)]
    pub fn waiters(&self) -> u32 {
        waiters(self.inner.state.load(Ordering::Relaxed))
    }
}

/// The future of [`WaitGroup::wait_async`]. Dropping it gives up the wait.
///
/// # Examples
///
/// ```
/// let wg = gosync::WaitGroup::new();
/// let fut: gosync::WaitFuture<'_> = wg.wait_async();
/// gmp_sched::block_on(fut); // zero counter: ready at once
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct WaitFuture<'a> {
    wg: &'a WaitGroup,
    /// This future's entry once it counted itself in.
    waiter: Option<Arc<AsyncWaiter>>,
}

impl Future for WaitFuture<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(w) = &self.waiter {
            // Register first, then check: `add` stores `done` before it wakes the slot.
            w.slot.register(cx.waker());
            return match w.done.load(Ordering::Acquire) {
                true => Poll::Ready(()),
                false => Poll::Pending,
            };
        }
        let inner = &*self.wg.inner;
        let mut asyncs = lock_queue(&inner.async_waiters);
        let mut state = inner.state.load(Ordering::Acquire);
        loop {
            if counter(state) == 0 {
                return Poll::Ready(());
            }
            match inner.state.compare_exchange_weak(
                state,
                state + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        let w = Arc::new(AsyncWaiter {
            slot: WakerSlot::new(),
            done: AtomicBool::new(false),
        });
        w.slot.register(cx.waker());
        asyncs.counted += 1;
        asyncs.list.push(w.clone());
        drop(asyncs);
        self.waiter = Some(w);
        Poll::Pending
    }
}

impl Drop for WaitFuture<'_> {
    fn drop(&mut self) {
        if let Some(w) = &self.waiter {
            // Stays counted for this round (the word cannot forget it); only leaves the list.
            lock_queue(&self.wg.inner.async_waiters)
                .list
                .retain(|x| !Arc::ptr_eq(x, w));
        }
    }
}

impl fmt::Debug for WaitFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitFuture")
            .field("counted_in", &self.waiter.is_some())
            .finish()
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        WaitGroup::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.load(Ordering::Relaxed);
        f.debug_struct("WaitGroup")
            .field("count", &counter(state))
            .field("waiters", &waiters(state))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn state(v: i32, w: u32) -> u64 {
        ((v as u32 as u64) << 32) | w as u64
    }

    #[test]
    fn add_outcomes_follow_go() {
        assert_eq!(add_outcome(state(1, 0), 1), AddOutcome::Done);
        assert_eq!(add_outcome(state(2, 3), 1), AddOutcome::Done);
        assert_eq!(add_outcome(state(0, 0), -1), AddOutcome::Done);
        assert_eq!(add_outcome(state(0, 2), -1), AddOutcome::Wake(2));
        assert_eq!(add_outcome(state(-1, 0), -1), AddOutcome::Panic(NEGATIVE));
        // Waiters parked although this add starts the round from zero: a wait raced it.
        assert_eq!(
            add_outcome(state(1, 1), 1),
            AddOutcome::Panic(ADD_RACES_WAIT)
        );
    }

    #[test]
    fn counter_is_signed() {
        let wg = WaitGroup::new();
        wg.add(5);
        assert_eq!(wg.count(), 5);
        wg.add(-5);
        assert_eq!(wg.count(), 0);
    }

    #[test]
    #[should_panic(expected = "sync: negative WaitGroup counter")]
    fn negative_counter_panics() {
        WaitGroup::new().done();
    }
}
