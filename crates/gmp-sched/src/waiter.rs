//! The waiter: the one way every blocking operation in goro parks.
//!
//! Inside a goroutine, parking the waiter parks the G and its M runs the next G; on a plain
//! OS thread it parks the thread. `Waiter::unpark` is the same call in both cases and may
//! happen from anywhere, before or after the park: a wake-up is never lost (permit
//! semantics, as `std::thread::park`).
//!
//! Ports the core of Go's `gopark`/`goready` (runtime/proc.go). As in `gopark`, the
//! `release` function a parker passes (typically "unlock my wait queue") runs only after
//! the goroutine's context is saved, on its M's scheduler stack, so a waker that finds the
//! parker in a queue can never resume a goroutine that is still running.
//!
//! ## The G park state ([`ParkState`])
//!
//! | state      | meaning                                                         |
//! |------------|-----------------------------------------------------------------|
//! | `RUNNING`  | the G runs (or is queued to run); no unpark pending             |
//! | `NOTIFIED` | the G runs and an unpark arrived: its next park returns at once |
//! | `PARKED`   | the G's context is saved and it waits: the next unpark readies it |
//!
//! Transitions: park fast path `NOTIFIED -> RUNNING` (no switch); after the switch the
//! scheduler runs `release`, then `RUNNING -> PARKED` (`commit_park`), which fails only if
//! an unpark came in between, and then the G simply runs again. `unpark` moves
//! `RUNNING -> NOTIFIED` (nothing else to do) or `PARKED -> RUNNING`, and only the unparker
//! that wins that CAS readies the G: exactly one party ever resumes it.

use crate::loom::sync::atomic::{AtomicU8, Ordering};
use std::fmt;

/// Why a goroutine or thread is parked; shown in goroutine dumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// Receiving from a channel.
    ChanReceive,
    /// Sending on a channel.
    ChanSend,
    /// In a `select` with at least one case.
    Select,
    /// In a `select` with no cases: blocks forever.
    SelectNoCases,
    /// Using a nil channel: blocks forever.
    ChanNil,
    /// Waiting for a `Mutex`.
    Mutex,
    /// Waiting to read-lock an `RwMutex`.
    RwMutexRead,
    /// Waiting to write-lock an `RwMutex`.
    RwMutexWrite,
    /// Waiting on a `Cond`.
    Cond,
    /// Waiting on a `WaitGroup`.
    WaitGroup,
    /// Waiting on a semaphore.
    Semaphore,
    /// Waiting for a `Once` that another party is running.
    Once,
    /// In `sleep`.
    Sleep,
    /// Waiting for a file descriptor to become ready.
    IoWait,
    /// In a blocking system call.
    Syscall,
    /// Waiting for a goroutine to finish (`JoinHandle::join`).
    Join,
    /// Anything else, named by the caller.
    Other(&'static str),
}

impl fmt::Display for WaitReason {
    /// Go's wording where Go has one (`chan receive`, `sync.Mutex.Lock`, ...).
    ///
    /// ```
    /// assert_eq!(gmp_sched::WaitReason::ChanReceive.to_string(), "chan receive");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WaitReason::ChanReceive => "chan receive",
            WaitReason::ChanSend => "chan send",
            WaitReason::Select => "select",
            WaitReason::SelectNoCases => "select (no cases)",
            WaitReason::ChanNil => "chan receive (nil chan)",
            WaitReason::Mutex => "sync.Mutex.Lock",
            WaitReason::RwMutexRead => "sync.RWMutex.RLock",
            WaitReason::RwMutexWrite => "sync.RWMutex.Lock",
            WaitReason::Cond => "sync.Cond.Wait",
            WaitReason::WaitGroup => "sync.WaitGroup.Wait",
            WaitReason::Semaphore => "semacquire",
            WaitReason::Once => "sync.Once.Do",
            WaitReason::Sleep => "sleep",
            WaitReason::IoWait => "IO wait",
            WaitReason::Syscall => "syscall",
            WaitReason::Join => "join",
            WaitReason::Other(s) => s,
        })
    }
}

impl WaitReason {
    /// Every reason but `Other`, in the order of their codes (`Other` is code 0).
    const NAMED: [WaitReason; 16] = [
        WaitReason::ChanReceive,
        WaitReason::ChanSend,
        WaitReason::Select,
        WaitReason::SelectNoCases,
        WaitReason::ChanNil,
        WaitReason::Mutex,
        WaitReason::RwMutexRead,
        WaitReason::RwMutexWrite,
        WaitReason::Cond,
        WaitReason::WaitGroup,
        WaitReason::Semaphore,
        WaitReason::Once,
        WaitReason::Sleep,
        WaitReason::IoWait,
        WaitReason::Syscall,
        WaitReason::Join,
    ];

    /// The reason as one byte: 0 for `Other` (its text is kept apart), else 1 + its index
    /// in `NAMED`.
    pub(crate) fn code(self) -> u8 {
        match self {
            WaitReason::Other(_) => 0,
            WaitReason::ChanReceive => 1,
            WaitReason::ChanSend => 2,
            WaitReason::Select => 3,
            WaitReason::SelectNoCases => 4,
            WaitReason::ChanNil => 5,
            WaitReason::Mutex => 6,
            WaitReason::RwMutexRead => 7,
            WaitReason::RwMutexWrite => 8,
            WaitReason::Cond => 9,
            WaitReason::WaitGroup => 10,
            WaitReason::Semaphore => 11,
            WaitReason::Once => 12,
            WaitReason::Sleep => 13,
            WaitReason::IoWait => 14,
            WaitReason::Syscall => 15,
            WaitReason::Join => 16,
        }
    }

    /// The reason of `code`, with `other` as the text of code 0.
    pub(crate) fn from_code(code: u8, other: &'static str) -> WaitReason {
        match code {
            0 => WaitReason::Other(other),
            c => WaitReason::NAMED[usize::from(c) - 1],
        }
    }
}

const RUNNING: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

/// The park/unpark hand-shake of one G (see the table at the top of this file).
///
/// Public only for loom-tests (through `internal`); the module is private.
#[derive(Debug)]
pub struct ParkState(AtomicU8);

impl ParkState {
    /// A G that runs, with no unpark pending.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        ParkState(AtomicU8::new(RUNNING))
    }

    /// A recycled G starts afresh: running, nothing pending.
    pub fn reset(&self) {
        self.0.store(RUNNING, Ordering::Relaxed);
    }

    /// Park fast path, run by the G before it switches: consumes a pending unpark.
    /// True means "do not park, an unpark already came".
    pub fn take_notified(&self) -> bool {
        // A plain load first: usually nothing is pending, and a failing CAS costs as much as
        // a successful one. An unpark racing past this load is caught by `commit_park`.
        // Acquire: pairs with the Release in `unpark`, so what the waker wrote before
        // unparking is visible when park returns.
        self.0.load(Ordering::Relaxed) == NOTIFIED
            && self
                .0
                .compare_exchange(NOTIFIED, RUNNING, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Run on the scheduler stack after the G's context is saved and `release` ran.
    /// True: the G is parked and the next `unpark` owns readying it. False: an unpark
    /// came meanwhile; the permit is consumed and the caller must run the G again.
    pub fn commit_park(&self) -> bool {
        // AcqRel: Release publishes the saved context to the unparker that will resume
        // the G; Acquire (on failure) sees the waker's writes.
        match self
            .0
            .compare_exchange(RUNNING, PARKED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(_) => {
                // A swap, not a store: it reads the latest NOTIFIED, so we synchronize with
                // the last unparker (a plain store could erase its Release; loom found it).
                // Only the G itself leaves NOTIFIED, so nothing else can be overwritten.
                self.0.swap(RUNNING, Ordering::Acquire);
                false
            }
        }
    }

    /// True: the caller moved the G from PARKED to RUNNING and must ready it.
    pub fn unpark(&self) -> bool {
        let mut s = self.0.load(Ordering::Acquire);
        loop {
            // NOTIFIED -> NOTIFIED is still a write: the parker's `take_notified` must
            // synchronize with *this* unparker's Release, or what it wrote before unparking
            // (the condition the parker re-checks) could stay invisible while the permit it
            // consumes came from an earlier unpark. loom found exactly that lost wake-up.
            let (next, ready) = match s {
                RUNNING | NOTIFIED => (NOTIFIED, false),
                _ => (RUNNING, true),
            };
            // AcqRel: Release pairs with `take_notified`/`commit_park`; Acquire with the
            // Release in `commit_park`, so the saved context is visible to whoever resumes.
            match self
                .0
                .compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return ready,
                Err(now) => s = now,
            }
        }
    }
}

#[cfg(not(loom))]
pub use imp::*;

#[cfg(not(loom))]
mod imp {
    use super::WaitReason;
    use crate::g::{self, G};
    use crate::sched;
    use crate::timer::Timer;
    use std::sync::Arc;
    use std::time::Instant;

    /// A handle that wakes one parked goroutine or thread: the party that was current when
    /// [`Waiter::current`] was called.
    ///
    /// Blocking primitives store a `Waiter` in their wait queue, release their lock through
    /// [`park`]'s `release`, and a waker calls [`Waiter::unpark`].
    ///
    /// ```
    /// use gmp_sched::{park, Waiter, WaitReason};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let slot: Arc<Mutex<(bool, Option<Waiter>)>> = Arc::default();
    /// let s = slot.clone();
    /// let waker = std::thread::spawn(move || {
    ///     let mut g = s.lock().unwrap();
    ///     g.0 = true;
    ///     if let Some(w) = g.1.take() { w.unpark(); }
    /// });
    /// loop {
    ///     let mut g = slot.lock().unwrap();
    ///     if g.0 { break; }
    ///     g.1 = Some(Waiter::current());
    ///     park(WaitReason::Other("example"), move || drop(g));
    /// }
    /// waker.join().unwrap();
    /// ```
    #[derive(Clone)]
    pub struct Waiter(Kind);

    #[derive(Clone)]
    enum Kind {
        G(Arc<G>),
        Thread(std::thread::Thread),
    }

    impl Waiter {
        /// The waiter of the calling goroutine, or of the calling OS thread outside goroutines.
        pub fn current() -> Waiter {
            match g::current() {
                Some(g) => Waiter(Kind::G(g)),
                None => Waiter(Kind::Thread(std::thread::current())),
            }
        }

        /// Wakes the waiter's goroutine or thread; if it is not parked yet, its next park
        /// returns at once. From a goroutine, a woken goroutine runs next on this P (Go's
        /// `runnext`), which keeps hand-offs between two goroutines on one core.
        ///
        /// ```
        /// let w = gmp_sched::Waiter::current();
        /// w.unpark();
        /// gmp_sched::park(gmp_sched::WaitReason::Other("demo"), || {}); // returns at once
        /// ```
        pub fn unpark(&self) {
            match &self.0 {
                Kind::G(g) => {
                    if g.park.unpark() {
                        sched::ready(g.clone());
                    }
                }
                Kind::Thread(t) => t.unpark(),
            }
        }

        /// [`unpark`](Waiter::unpark), consuming the waiter: its reference to a goroutine
        /// moves into the run queue instead of being copied, which saves two atomic
        /// reference-count updates on every hand-off. Use it when the waiter is done with.
        ///
        /// ```
        /// let w = gmp_sched::Waiter::current();
        /// w.clone().wake();
        /// gmp_sched::park(gmp_sched::WaitReason::Other("demo"), || {}); // returns at once
        /// ```
        pub fn wake(self) {
            match self.0 {
                Kind::G(g) => {
                    if g.park.unpark() {
                        sched::ready(g);
                    }
                }
                Kind::Thread(t) => t.unpark(),
            }
        }

        /// True when this waiter parks a goroutine rather than an OS thread.
        ///
        /// ```
        /// assert!(!gmp_sched::Waiter::current().is_goroutine());
        /// ```
        pub fn is_goroutine(&self) -> bool {
            matches!(self.0, Kind::G(_))
        }
    }

    impl std::fmt::Debug for Waiter {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match &self.0 {
                Kind::G(g) => write!(f, "Waiter(goroutine {})", g.id()),
                Kind::Thread(t) => write!(f, "Waiter(thread {:?})", t.id()),
            }
        }
    }

    /// Parks the caller until its [`Waiter`] is unparked.
    ///
    /// `release` runs exactly once, after the caller is committed to parking: for a
    /// goroutine, after its context is saved, on its M's scheduler stack; for a thread, just
    /// before it blocks. Use it to unlock the lock that guards your wait queue (Go's gopark
    /// `unlockf`). It must not block.
    ///
    /// An unpark that came before the park makes it return at once. `park` may also return
    /// spuriously: callers loop, re-checking their own condition.
    ///
    /// ```
    /// gmp_sched::Waiter::current().unpark();
    /// let mut released = false;
    /// gmp_sched::park(gmp_sched::WaitReason::Other("demo"), || released = true);
    /// assert!(released);
    /// ```
    pub fn park(reason: WaitReason, release: impl FnOnce()) {
        let g = g::current_ptr();
        match g.is_null() {
            // SAFETY: the running G is kept alive by its M's running slot while it runs,
            // and `park_current` returns only once it runs again.
            false => sched::park_current(unsafe { &*g }, reason, release),
            true => {
                release();
                std::thread::park();
            }
        }
    }

    /// Like [`park`], but also returns once `deadline` has passed. Callers check the clock
    /// themselves: this may return early.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let deadline = Instant::now() + Duration::from_millis(2);
    /// while Instant::now() < deadline {
    ///     gmp_sched::park_until(gmp_sched::WaitReason::Sleep, deadline, || {});
    /// }
    /// ```
    pub fn park_until(reason: WaitReason, deadline: Instant, release: impl FnOnce()) {
        match g::current() {
            Some(g) => {
                let w = Waiter(Kind::G(g.clone()));
                let timer = Timer::new(deadline, None, move || w.unpark());
                sched::park_current(&g, reason, release);
                timer.stop();
            }
            None => {
                release();
                let now = Instant::now();
                if deadline > now {
                    std::thread::park_timeout(deadline - now);
                }
            }
        }
    }
}

#[cfg(loom)]
pub use loom_imp::*;

#[cfg(loom)]
mod loom_imp {
    use super::WaitReason;
    use loom::sync::{Arc, Notify};
    use std::time::Instant;

    loom::thread_local! {
        /// Each loom thread's parking slot. A `Notify`, not `thread::park`: loom delivers a
        /// `thread::unpark` to a thread blocked on a loom lock too, where it is lost.
        static SLOT: Arc<Notify> = Arc::new(Notify::new());
    }

    /// A handle that wakes one parked loom thread (under `cfg(loom)` there are no goroutines).
    #[derive(Clone, Debug)]
    pub struct Waiter(Arc<Notify>);

    impl Waiter {
        /// The calling loom thread's waiter.
        pub fn current() -> Waiter {
            SLOT.with(|s| Waiter(s.clone()))
        }
        /// Wakes the thread, or makes its next park return at once.
        pub fn unpark(&self) {
            self.0.notify()
        }
        /// [`unpark`](Waiter::unpark), consuming the waiter.
        pub fn wake(self) {
            self.0.notify()
        }
        /// Always false under loom.
        pub fn is_goroutine(&self) -> bool {
            false
        }
    }

    /// Runs `release`, then parks the loom thread on its slot (may return spuriously).
    pub fn park(_reason: WaitReason, release: impl FnOnce()) {
        let slot = SLOT.with(|s| s.clone());
        release();
        slot.wait();
    }

    /// loom has no clock: the same as [`park`].
    pub fn park_until(reason: WaitReason, _deadline: Instant, release: impl FnOnce()) {
        park(reason, release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_survives_its_code() {
        for r in WaitReason::NAMED
            .into_iter()
            .chain([WaitReason::Other("x")])
        {
            assert_eq!(WaitReason::from_code(r.code(), "x"), r);
        }
    }

    #[test]
    fn unpark_before_park_is_kept() {
        let s = ParkState::new();
        assert!(!s.unpark());
        assert!(!s.unpark(), "a second unpark readies nothing");
        assert!(s.take_notified());
        assert!(!s.take_notified());
    }

    #[test]
    fn unpark_after_commit_readies_once() {
        let s = ParkState::new();
        assert!(s.commit_park());
        assert!(s.unpark());
        assert!(!s.unpark());
        assert!(s.take_notified());
    }

    #[test]
    fn unpark_between_switch_and_commit_cancels_the_park() {
        let s = ParkState::new();
        assert!(!s.unpark());
        assert!(!s.commit_park());
        assert!(s.commit_park());
    }
}
