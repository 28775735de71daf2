//! Go's sync.Mutex: spin briefly, then park; starvation mode after 1 ms of waiting.
//! Ports Go's internal/sync/mutex.go; parks through `sema.rs`.
//!
//! | bits | name     | set while                                                  |
//! |------|----------|------------------------------------------------------------|
//! | 0    | LOCKED   | an owner holds it (but see STARVING)                       |
//! | 1    | WOKEN    | someone is already awake to take it: unlock wakes nobody   |
//! | 2    | STARVING | ownership moves only by hand-off to the queue head         |
//! | 3    | ASYNC    | async tasks wait (`lock_async`): unlock wakes them all     |
//! | 4..  | waiters  | number of parked waiters                                   |
//!
//! Normal mode: waiters queue in FIFO order, but a woken waiter does not own the mutex: it races
//! the goroutines that are arriving right now (and are already running on a CPU, so usually
//! win). A waiter that loses goes back to the *front* of the queue (LIFO re-queue). Newcomers may
//! spin a little (`can_spin`/`do_spin`) while the mutex is locked and someone else runs, setting
//! WOKEN so that the unlocker does not wake a second waiter for nothing.
//!
//! Starvation mode: entered by a waiter that has waited over 1 ms (it sets STARVING with its next
//! successful CAS while the mutex is locked). Unlock then hands ownership straight to the queue
//! head through the semaphore (`release(handoff)`), leaving LOCKED clear; newcomers neither spin
//! nor grab it, they queue at the back. The waiter that receives it sets LOCKED and drops its
//! waiter count in one add; it also clears STARVING when it was the last waiter or waited under
//! 1 ms, returning the mutex to normal mode.
//!
//! Normal mode is much faster (a goroutine can take the mutex several times in a row without
//! anyone parking); starvation mode bounds how long a waiter can be passed over.
//!
//! Async waiters (`Mutex::lock_async`) do not queue on the semaphore: Go's hand-off protocol has
//! no way back for a waiter that stops waiting (a future dropped after unlock chose it would
//! strand WOKEN or a hand-off). They wait in a list of their own beside the semaphore, as
//! newcomers that lost the race: each poll tries the lock; one that fails registers its waker,
//! sets ASYNC (under the list's lock, one RMW on the state word), then tries once more before
//! returning `Pending`. Unlock sees ASYNC in the word its `fetch_sub` returns (all of these are
//! RMWs on one word, so one of the two sides sees the other), clears it and wakes every async
//! waiter; each tries again. A dropped future just leaves the list. They compete like newcomers
//! in normal mode and do not take part in starvation mode's hand-off.
//!
//! Invariants:
//! - ASYNC is set whenever the list holds a waiter (set and cleared under the list's lock); it
//!   may outlive the list's last waiter (a dropped future), until the next unlock clears it.
//! - While STARVING is set only the queue head may take it, even with LOCKED clear.
//! - STARVING is set only while somebody waits (waiters >= 1), and LOCKED and WOKEN are clear
//!   whenever the head receives a hand-off.
//! - Every change is an atomic RMW on the one word; the data's happens-before runs through the
//!   Release in `unlock` and the Acquire of the CAS (or of the hand-off) in `lock`.

use std::fmt;
use std::ops::{Deref, DerefMut};

use gmp_sched::sys::WaitReason;

use crate::loom::{clock, lock_queue, Arc, AtomicI32, Ordering, QueueLock, UnsafeCell};
use crate::sema::Sema;
use gmp_sched::sys::WakerSlot;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An owner holds the mutex.
const LOCKED: i32 = 1;
/// A waiter is awake (spinning or woken) and will take the mutex: unlock wakes nobody.
const WOKEN: i32 = 1 << 1;
/// Starvation mode: unlock hands the mutex to the queue head.
const STARVING: i32 = 1 << 2;
/// Async tasks wait in `RawMutex::async_waiters`: unlock wakes them.
const ASYNC: i32 = 1 << 3;
/// The waiter count starts at this bit.
const WAITER_SHIFT: u32 = 4;
/// One waiter in the count.
const WAITER: i32 = 1 << WAITER_SHIFT;
/// A waiter that waited longer than this switches the mutex to starvation mode (Go: 1e6 ns).
pub const STARVATION_THRESHOLD_NS: u64 = 1_000_000;

/// The mutex without its data: the state word and the semaphore its waiters park on.
/// `RwMutex` and `Once` use it directly.
pub(crate) struct RawMutex {
    /// LOCKED | WOKEN | STARVING | waiters << WAITER_SHIFT; see the table at the top.
    state: AtomicI32,
    /// Parked waiters. Released once per waiter that unlock decides to wake.
    sema: Sema,
    /// Async tasks waiting (`lock_async`), each by its waker slot; see ASYNC.
    async_waiters: QueueLock<Vec<Arc<WakerSlot>>>,
}

impl RawMutex {
    /// An unlocked mutex.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        RawMutex {
            state: AtomicI32::new(0),
            sema: Sema::new(0),
            async_waiters: QueueLock::new(Vec::new()),
        }
    }

    /// An unlocked mutex.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        RawMutex {
            state: AtomicI32::new(0),
            sema: Sema::new(0),
            async_waiters: QueueLock::new(Vec::new()),
        }
    }

    /// Locks, parking the caller while somebody else holds it.
    #[inline]
    pub(crate) fn lock(&self) {
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
    }

    /// Locks if that needs no wait. Fails in starvation mode, as the head of the queue owns the
    /// next turn.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let old = self.state.load(Ordering::Relaxed);
        if old & (LOCKED | STARVING) != 0 {
            return false;
        }
        self.state
            .compare_exchange(old, old | LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Go: `lockSlow`.
    #[cold]
    fn lock_slow(&self) {
        // When this caller first parked; `None` until it has.
        let mut wait_start: Option<u64> = None;
        // This caller has waited over the threshold: it will set STARVING.
        let mut starving = false;
        // This caller set WOKEN (spinning) or was woken from the semaphore: it owns WOKEN.
        let mut awoke = false;
        let mut iter = 0u32;
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            // Spin only in normal mode while locked: in starvation mode the mutex goes to the
            // queue head anyway.
            if old & (LOCKED | STARVING) == LOCKED && crate::loom::can_spin(iter) {
                // Tell unlock not to wake a parked waiter: we are awake and will take it.
                if !awoke
                    && old & WOKEN == 0
                    && old >> WAITER_SHIFT != 0
                    && self
                        .state
                        .compare_exchange(old, old | WOKEN, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    awoke = true;
                    #[cfg(loom)]
                    internal_stats::bump(&internal_stats::SPINNER_SET_WOKEN);
                }
                crate::loom::do_spin();
                iter += 1;
                old = self.state.load(Ordering::Relaxed);
                continue;
            }
            let mut new = old;
            // Never grab a starving mutex: newcomers queue.
            if old & STARVING == 0 {
                new |= LOCKED;
            }
            if old & (LOCKED | STARVING) != 0 {
                new += WAITER;
            }
            // Switch to starvation mode, unless it was just unlocked: unlock expects waiters in
            // starvation mode, and there may be none left to hand it to.
            if starving && old & LOCKED != 0 {
                new |= STARVING;
            }
            if awoke {
                // We are awake, whether we end up parking again or owning it: give WOKEN back.
                if new & WOKEN == 0 {
                    crate::throw("sync: inconsistent mutex state");
                }
                new &= !WOKEN;
            }
            match self
                .state
                .compare_exchange(old, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    if old & (LOCKED | STARVING) == 0 {
                        break; // Locked it with the CAS.
                    }
                    #[cfg(loom)]
                    if new & STARVING != 0 && old & STARVING == 0 {
                        internal_stats::bump(&internal_stats::STARVATION_ENTERED);
                    }
                    // A waiter that waited before goes to the front of the queue.
                    let lifo = wait_start.is_some();
                    let start = *wait_start.get_or_insert_with(clock::now_nanos);
                    self.sema.acquire(lifo, WaitReason::Mutex);
                    starving = starving
                        || clock::now_nanos().saturating_sub(start) > STARVATION_THRESHOLD_NS;
                    old = self.state.load(Ordering::Acquire);
                    if old & STARVING != 0 {
                        // Handed off to us: the state is inconsistent (LOCKED clear, us still
                        // counted as a waiter) until we fix it here.
                        if old & (LOCKED | WOKEN) != 0 || old >> WAITER_SHIFT == 0 {
                            crate::throw("sync: inconsistent mutex state");
                        }
                        let mut delta = LOCKED - WAITER;
                        if !starving || old >> WAITER_SHIFT == 1 {
                            // Leave starvation mode: we waited briefly, or nobody is left (in
                            // starvation mode a lone waiter would make two goroutines take
                            // turns forever through hand-offs).
                            delta -= STARVING;
                            #[cfg(loom)]
                            if starving {
                                internal_stats::bump(&internal_stats::STARVATION_LEFT_LAST);
                            } else {
                                internal_stats::bump(&internal_stats::STARVATION_LEFT_SHORT);
                            }
                        }
                        self.state.fetch_add(delta, Ordering::Acquire);
                        break;
                    }
                    awoke = true;
                    iter = 0;
                }
                Err(now) => old = now,
            }
        }
    }

    /// Unlocks.
    ///
    /// The caller must hold the mutex (any goroutine or thread may release it, as in Go, but
    /// only once per lock; the guards make sure of that).
    #[inline]
    pub(crate) fn unlock(&self) {
        // Fast path: drop the lock bit; anything left means someone to wake or hand off to.
        let new = self.state.fetch_sub(LOCKED, Ordering::Release) - LOCKED;
        if new != 0 {
            self.unlock_slow(new);
        }
    }

    /// Go: `unlockSlow`.
    #[cold]
    fn unlock_slow(&self, new: i32) {
        if (new + LOCKED) & LOCKED == 0 {
            crate::throw("sync: unlock of unlocked mutex");
        }
        if new & ASYNC != 0 {
            self.wake_async();
        }
        if new & STARVING == 0 {
            let mut old = new;
            loop {
                // Nobody to wake, or someone else already took it, woke up, or owns the next
                // turn (starving): done.
                if old >> WAITER_SHIFT == 0 || old & (LOCKED | WOKEN | STARVING) != 0 {
                    return;
                }
                // Take the right to wake one waiter.
                let new = (old - WAITER) | WOKEN;
                match self
                    .state
                    .compare_exchange(old, new, Ordering::Relaxed, Ordering::Relaxed)
                {
                    Ok(_) => {
                        self.sema.release(false);
                        return;
                    }
                    Err(now) => old = now,
                }
            }
        } else {
            // Starvation mode: hand ownership to the queue head and yield to it. LOCKED stays
            // clear; the new owner sets it. STARVING keeps newcomers away meanwhile.
            self.sema.release(true);
        }
    }

    /// Wakes every async waiter (they try the lock again) and clears ASYNC.
    #[cold]
    fn wake_async(&self) {
        let mut list = lock_queue(&self.async_waiters);
        self.state.fetch_and(!ASYNC, Ordering::Relaxed);
        let woken = std::mem::take(&mut *list);
        drop(list);
        for slot in woken {
            slot.wake();
        }
    }

    /// One poll of an async lock: takes the mutex, or registers `slot` (made on first use) to
    /// be woken by the next unlock.
    pub(crate) fn poll_lock(
        &self,
        slot: &mut Option<Arc<WakerSlot>>,
        cx: &Context<'_>,
    ) -> Poll<()> {
        if self.try_lock() {
            if let Some(slot) = slot {
                self.leave_async(slot); // registered by an earlier poll, not woken since
            }
            return Poll::Ready(());
        }
        let slot = slot.get_or_insert_with(|| Arc::new(WakerSlot::new()));
        slot.register(cx.waker());
        let mut list = lock_queue(&self.async_waiters);
        if !list.iter().any(|s| Arc::ptr_eq(s, slot)) {
            list.push(slot.clone());
        }
        // One RMW on the word: ordered with unlock's `fetch_sub`, so either that unlock sees
        // ASYNC and wakes us, or the `try_lock` below sees it unlocked.
        self.state.fetch_or(ASYNC, Ordering::SeqCst);
        drop(list);
        if self.try_lock() {
            self.leave_async(slot);
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// Takes `slot` out of the async waiters, if it is there (a dropped or finished lock
    /// future). ASYNC may stay set with nobody left: the next unlock clears it.
    pub(crate) fn leave_async(&self, slot: &Arc<WakerSlot>) {
        let mut list = lock_queue(&self.async_waiters);
        list.retain(|s| !Arc::ptr_eq(s, slot));
    }

    /// Whether the mutex is in starvation mode.
    pub(crate) fn is_starving(&self) -> bool {
        self.state.load(Ordering::Relaxed) & STARVING != 0
    }

    /// Whether somebody holds the mutex, or it is being handed off.
    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & (LOCKED | STARVING) != 0
    }

    /// The number of waiters in the state word (parked, or about to park).
    pub(crate) fn waiters(&self) -> usize {
        (self.state.load(Ordering::Relaxed) >> WAITER_SHIFT) as usize
    }

    /// The number of waiters queued on the semaphore.
    pub(crate) fn queued(&self) -> usize {
        self.sema.waiters()
    }
}

/// Counts of starvation-mode transitions, for loom models to see that they reached them.
/// Std thread-locals of the test thread (loom runs a model's threads as coroutines on it), so
/// tests running in parallel keep separate counts.
#[cfg(loom)]
pub(crate) mod internal_stats {
    use std::cell::Cell;

    std::thread_local! {
        /// Times a waiter set STARVING.
        pub(crate) static STARVATION_ENTERED: Cell<usize> = const { Cell::new(0) };
        /// Times a hand-off receiver that waited long cleared STARVING as the last waiter.
        pub(crate) static STARVATION_LEFT_LAST: Cell<usize> = const { Cell::new(0) };
        /// Times a hand-off receiver cleared STARVING because it waited under 1 ms.
        pub(crate) static STARVATION_LEFT_SHORT: Cell<usize> = const { Cell::new(0) };
        /// Times a spinning waiter set WOKEN (so the unlock it raced woke nobody).
        pub(crate) static SPINNER_SET_WOKEN: Cell<usize> = const { Cell::new(0) };
    }

    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &'static std::thread::LocalKey<Cell<usize>>) {
        counter.with(|c| c.set(c.get() + 1));
    }
}

/// A mutual exclusion lock protecting a `T`, with Go's sync.Mutex behaviour: a brief spin, then
/// the caller parks (a goroutine yields its thread to other goroutines; a plain thread blocks).
///
/// Fair enough to bound waiting: a waiter that has waited over 1 ms switches the mutex into
/// *starvation mode*, where each unlock hands it to the longest waiter. Otherwise it favours
/// throughput: a running goroutine may re-take an unlocked mutex before a parked waiter wakes.
///
/// There is no poisoning (as in Go): a panic while the guard is held unlocks the mutex.
/// Unlike `std::sync::MutexGuard`, a [`MutexGuard`] may be sent to, and dropped on, another thread
/// or goroutine: Go lets any goroutine unlock a mutex.
///
/// Go's `m.Lock()` / `m.Unlock()` become `let g = m.lock();` / `drop(g)`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::Mutex;
///
/// let counter = Arc::new(Mutex::new(0));
/// let threads: Vec<_> = (0..4)
///     .map(|_| {
///         let counter = Arc::clone(&counter);
///         std::thread::spawn(move || {
///             for _ in 0..100 {
///                 *counter.lock() += 1;
///             }
///         })
///     })
///     .collect();
/// for t in threads {
///     t.join().unwrap();
/// }
/// assert_eq!(*counter.lock(), 400);
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex owns its `T`; sending it sends the `T`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: sharing the mutex gives out `&mut T` to one holder at a time, possibly on another
// thread: that is moving access to the `T` between threads, which `T: Send` allows. No `&T` is
// ever shared between two threads at once, so `T: Sync` is not needed (as for std's Mutex).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::Mutex;
    ///
    /// static HITS: Mutex<u32> = Mutex::new(0);
    /// *HITS.lock() += 1;
    /// assert_eq!(*HITS.lock(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// A new unlocked mutex holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::Mutex;
    ///
    /// let m = Mutex::new(String::from("go"));
    /// m.lock().push_str("ro");
    /// assert_eq!(m.into_inner(), "goro");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, parking the calling goroutine or thread until it is free, and returns a
    /// guard that unlocks it when dropped (Go: `Lock`).
    ///
    /// Locking a mutex the caller already holds deadlocks, as in Go.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::Mutex;
    ///
    /// let m = Mutex::new(vec![1]);
    /// m.lock().push(2);
    /// assert_eq!(*m.lock(), [1, 2]);
    /// ```
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        MutexGuard::new(self)
    }

    /// Locks the mutex from async code: a future that resolves to the guard once the task
    /// holds the lock. While it waits, the task is parked, no thread blocks; an unlock by a
    /// goroutine, a thread or another task wakes it.
    ///
    /// Dropping the future before it resolves gives up the wait and takes nothing. Async
    /// waiters compete like newcomers (Go's normal mode): they do not get starvation mode's
    /// hand-off, so a mutex held in starvation mode by a steady stream of parked goroutines
    /// lets them in only once it leaves it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::Mutex;
    ///
    /// let m = Mutex::new(1);
    /// gmp_sched::block_on(async {
    ///     *m.lock_async().await += 1;
    /// });
    /// assert_eq!(*m.lock(), 2);
    /// ```
    pub fn lock_async(&self) -> LockFuture<'_, T> {
        LockFuture {
            mutex: self,
            raw: RawLockFuture::new(&self.raw),
        }
    }

    /// Locks the mutex if it is free right now (Go: `TryLock`). Fails in starvation mode even
    /// when nobody holds it, because the longest waiter owns the next turn.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::Mutex;
    ///
    /// let m = Mutex::new(1);
    /// let guard = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// drop(guard);
    /// assert_eq!(*m.try_lock().unwrap(), 1);
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        if self.raw.try_lock() {
            Some(MutexGuard::new(self))
        } else {
            None
        }
    }

    /// A mutable reference to the value: `&mut self` proves nobody else can hold the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::Mutex;
    ///
    /// let mut m = Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Whether somebody holds the mutex right now (a hint: it may change at once).
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::Mutex;
    ///
    /// let m = Mutex::new(());
    /// let guard = m.lock();
    /// assert!(m.is_locked());
    /// drop(guard);
    /// assert!(!m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Test-only view: whether the mutex is in starvation mode. Not part of the stable API.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(());
    /// assert!(!m.is_starving());
    /// ```
    #[doc(hidden)]
    pub fn is_starving(&self) -> bool {
        self.raw.is_starving()
    }

    /// Test-only view: how many waiters the state word counts (parked, or between counting
    /// themselves and parking). Not part of the stable API.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(());
    /// assert_eq!(m.waiters(), 0);
    /// ```
    #[doc(hidden)]
    pub fn waiters(&self) -> usize {
        self.raw.waiters()
    }

    /// Test-only view: how many waiters sit in the semaphore's queue, in the order unlock will
    /// reach them. A waiter counts itself in the state word first and queues a moment later.
    /// Not part of the stable API.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(());
    /// assert_eq!(m.queued(), 0);
    /// ```
    #[doc(hidden)]
    pub fn queued(&self) -> usize {
        self.raw.queued()
    }
}

/// `Default`, `From<T>` and `Debug` for a lock type `$lock<T>` (`Mutex`, `RwMutex`): `Debug`
/// shows the data if `$try_lock` gets it at once, `<locked>` otherwise, as std's does.
macro_rules! lock_impls {
    ($lock:ident, $try_lock:ident) => {
        impl<T: Default> Default for $lock<T> {
            fn default() -> Self {
                $lock::new(T::default())
            }
        }

        impl<T> From<T> for $lock<T> {
            fn from(value: T) -> Self {
                $lock::new(value)
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $lock<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut d = f.debug_struct(stringify!($lock));
                match self.$try_lock() {
                    Some(guard) => d.field("data", &&*guard),
                    None => d.field("data", &format_args!("<locked>")),
                };
                d.finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use lock_impls;

/// `Deref` to the data in the cell `$cell` (read through the guard `$g`), `DerefMut` too for a
/// guard marked `mut` (an exclusive lock), `Drop` (runs `$unlock`) and `Debug` (the data's) for
/// a guard type.
macro_rules! guard_impls {
    ($guard:ident $(, $excl:ident)?, |$g:ident| $cell:expr, $unlock:expr) => {
        impl<T: ?Sized> Deref for $guard<'_, T> {
            type Target = T;

            fn deref(&self) -> &T {
                let $g = self;
                // SAFETY: the guard holds the lock (shared or exclusive), so no writer touches
                // the data until it is dropped; the reference borrows the guard, so it cannot
                // outlive the lock.
                $cell.with(|p| unsafe { &*p })
            }
        }

        $(guard_impls!(@$excl $guard, |$g| $cell);)?

        impl<T: ?Sized> Drop for $guard<'_, T> {
            #[inline]
            fn drop(&mut self) {
                let $g = self;
                $unlock;
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    };
    (@exclusive $guard:ident, |$g:ident| $cell:expr) => {
        impl<T: ?Sized> DerefMut for $guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                let $g = self;
                // SAFETY: the guard holds the lock exclusively, so this is the only access to
                // the data until it is dropped; the reference borrows the guard mutably, so it
                // is unique and cannot outlive the lock.
                $cell.with_mut(|p| unsafe { &mut *p })
            }
        }
    };
}
pub(crate) use guard_impls;

lock_impls!(Mutex, try_lock);

/// The future of [`Mutex::lock_async`]: resolves to the guard. Dropping it gives up the wait.
///
/// # Examples
///
/// ```
/// let m = gosync::Mutex::new("data");
/// let fut: gosync::LockFuture<'_, &str> = m.lock_async();
/// assert_eq!(*gmp_sched::block_on(fut), "data");
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct LockFuture<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    raw: RawLockFuture<'a>,
}

impl<'a, T: ?Sized> Future for LockFuture<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let mutex = self.mutex;
        Pin::new(&mut self.raw)
            .poll(cx)
            .map(|()| MutexGuard::new(mutex))
    }
}

/// An async lock of a [`RawMutex`] (`Mutex::lock_async`, `Once::call_once_async`): resolves
/// once the task holds it. Dropping it leaves the async waiters.
pub(crate) struct RawLockFuture<'a> {
    m: &'a RawMutex,
    /// This task's entry in the async waiters, made on the first poll that has to wait.
    slot: Option<Arc<WakerSlot>>,
}

impl<'a> RawLockFuture<'a> {
    pub(crate) fn new(m: &'a RawMutex) -> Self {
        RawLockFuture { m, slot: None }
    }
}

impl Future for RawLockFuture<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let r = this.m.poll_lock(&mut this.slot, cx);
        if r.is_ready() {
            this.slot = None; // out of the list already
        }
        r
    }
}

impl Drop for RawLockFuture<'_> {
    fn drop(&mut self) {
        if let Some(slot) = &self.slot {
            self.m.leave_async(slot);
        }
    }
}

impl<T: ?Sized> fmt::Debug for LockFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFuture").finish_non_exhaustive()
    }
}

/// Holds a [`Mutex`] locked; unlocks it when dropped. Gives access to the data through
/// `Deref`/`DerefMut`.
///
/// # Examples
///
/// ```
/// use gosync::Mutex;
///
/// let m = Mutex::new(0);
/// {
///     let mut guard = m.lock();
///     *guard += 1;
/// } // unlocked here
/// assert_eq!(*m.lock(), 1);
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Makes the guard `Send` iff `T: Send` and `Sync` iff `T: Sync` (besides the mutex's own
    /// bounds): it hands out `&mut T` and `&T`.
    _data: std::marker::PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(mutex: &'a Mutex<T>) -> Self {
        MutexGuard {
            mutex,
            _data: std::marker::PhantomData,
        }
    }

    /// The mutex this guard holds; `Cond` unlocks and re-locks it.
    pub(crate) fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

guard_impls!(
    MutexGuard,
    exclusive,
    |g| g.mutex.data,
    g.mutex.raw.unlock()
);

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bits_do_not_overlap() {
        assert_eq!(LOCKED & WOKEN & STARVING, 0);
        assert_eq!((LOCKED | WOKEN | STARVING) & WAITER, 0);
        assert_eq!(WAITER >> WAITER_SHIFT, 1);
    }

    #[test]
    fn lock_unlock_try_lock() {
        let m = RawMutex::new();
        assert!(m.try_lock());
        assert!(!m.try_lock());
        assert!(m.is_locked());
        m.unlock();
        assert!(!m.is_locked());
        m.lock();
        m.unlock();
        assert_eq!(m.waiters(), 0);
        assert!(!m.is_starving());
    }
}
