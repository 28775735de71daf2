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
//!
//! The G's park word and the reasons a party parks live below, in `park_state.rs`; this
//! file is the public face over them and the scheduler's park and ready paths.
//!
//! A waiter is one of three kinds, and a wait queue never needs to know which:
//!
//! | kind      | made by              | parks by                           | `unpark` does                 |
//! |-----------|----------------------|------------------------------------|-------------------------------|
//! | goroutine | `Waiter::current()`  | `park`: the G's `ParkState`        | PARKED -> RUNNING, ready the G |
//! | thread    | `Waiter::current()`  | `park`: `std::thread::park`        | `Thread::unpark` (its token)  |
//! | task      | `Waiter::task(slot)` | `Poll::Pending` after `register`   | `WakerSlot::wake`             |
//!
//! A task never calls [`park`]: its future registers its waker in the [`WakerSlot`], re-checks
//! the state a waker writes before unparking, and returns `Pending` (see `waker_slot.rs` for
//! how that maps onto `ParkState`'s hand-shake).

#[cfg(not(loom))]
pub use imp::*;

#[cfg(not(loom))]
mod imp {
    use crate::g::{self, G};
    use crate::park_state::WaitReason;
    use crate::sched;
    use crate::sleep::Timer;
    use crate::waker_slot::WakerSlot;
    use std::sync::Arc;
    use std::time::Instant;

    /// A handle that wakes one parked goroutine or thread: the party that was current when
    /// [`Waiter::current`] was called.
    ///
    /// Blocking primitives store a `Waiter` in their wait queue, release their lock through
    /// [`park`]'s `release`, and a waker calls [`Waiter::unpark`].
    ///
    /// ```
    /// use gmp_sched::sys::{park, Waiter, WaitReason};
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
        Task(Arc<WakerSlot>),
    }

    impl Waiter {
        /// The waiter of the calling goroutine, or of the calling OS thread outside goroutines.
        pub fn current() -> Waiter {
            match g::current() {
                Some(g) => Waiter(Kind::G(g)),
                None => Waiter(Kind::Thread(std::thread::current())),
            }
        }

        /// The waiter of an async task: unparking it wakes the waker last registered in
        /// `slot`. The task's future never calls [`park`]: it registers its context's waker
        /// in `slot`, re-checks what it waits for, and returns `Poll::Pending`.
        ///
        /// ```
        /// use gmp_sched::sys::{Waiter, WakerSlot};
        /// use std::sync::Arc;
        /// use std::task::Waker;
        ///
        /// let slot = Arc::new(WakerSlot::new());
        /// slot.register(Waker::noop());
        /// let w = Waiter::task(slot);
        /// assert!(!w.is_goroutine());
        /// w.unpark(); // wakes the registered waker
        /// ```
        pub fn task(slot: Arc<WakerSlot>) -> Waiter {
            Waiter(Kind::Task(slot))
        }

        /// Wakes the waiter's goroutine or thread; if it is not parked yet, its next park
        /// returns at once. From a goroutine, a woken goroutine runs next on this P (Go's
        /// `runnext`), which keeps hand-offs between two goroutines on one core.
        ///
        /// ```
        /// let w = gmp_sched::sys::Waiter::current();
        /// w.unpark();
        /// gmp_sched::sys::park(gmp_sched::sys::WaitReason::Other("demo"), || {}); // returns at once
        /// ```
        pub fn unpark(&self) {
            match &self.0 {
                Kind::G(g) => {
                    if g.park.unpark() {
                        sched::ready(g.clone());
                    }
                }
                Kind::Thread(t) => t.unpark(),
                Kind::Task(slot) => slot.wake(),
            }
        }

        /// [`unpark`](Waiter::unpark), consuming the waiter: its reference to a goroutine
        /// moves into the run queue instead of being copied, which saves two atomic
        /// reference-count updates on every hand-off. Use it when the waiter is done with.
        ///
        /// ```
        /// let w = gmp_sched::sys::Waiter::current();
        /// w.clone().wake();
        /// gmp_sched::sys::park(gmp_sched::sys::WaitReason::Other("demo"), || {}); // returns at once
        /// ```
        pub fn wake(self) {
            match self.0 {
                Kind::G(g) => {
                    if g.park.unpark() {
                        sched::ready(g);
                    }
                }
                Kind::Thread(t) => t.unpark(),
                Kind::Task(slot) => slot.wake(),
            }
        }

        /// True when this waiter parks a goroutine rather than an OS thread.
        ///
        /// ```
        /// assert!(!gmp_sched::sys::Waiter::current().is_goroutine());
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
                Kind::Task(_) => f.write_str("Waiter(task)"),
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
    /// gmp_sched::sys::Waiter::current().unpark();
    /// let mut released = false;
    /// gmp_sched::sys::park(gmp_sched::sys::WaitReason::Other("demo"), || released = true);
    /// assert!(released);
    /// ```
    pub fn park(reason: WaitReason, release: impl FnOnce()) {
        let g = g::current_ptr();
        match g.is_null() {
            // SAFETY: the running G is kept alive by its M's running slot while it runs,
            // and `park_current` returns only once it runs again.
            false => crate::park::park_current(unsafe { &*g }, reason, release),
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
    ///     gmp_sched::sys::park_until(gmp_sched::sys::WaitReason::Sleep, deadline, || {});
    /// }
    /// ```
    pub fn park_until(reason: WaitReason, deadline: Instant, release: impl FnOnce()) {
        match g::current() {
            Some(g) => {
                let w = Waiter(Kind::G(g.clone()));
                let timer = Timer::new(deadline, None, move || w.unpark());
                crate::park::park_current(&g, reason, release);
                timer.stop();
            }
            None => {
                release();
                if crate::clock::is_paused() {
                    // Only `advance` moves a paused clock: a timer wakes the thread.
                    let t = std::thread::current();
                    let timer = Timer::new(deadline, None, move || t.unpark());
                    std::thread::park();
                    timer.stop();
                } else if let Some(d) = crate::clock::real_deadline(deadline) {
                    let now = Instant::now();
                    if d > now {
                        std::thread::park_timeout(d - now);
                    }
                }
            }
        }
    }
}

#[cfg(loom)]
pub use loom_imp::*;

#[cfg(loom)]
mod loom_imp {
    //! Under loom there are no goroutines: each loom thread is a G whose park goes through
    //! the production [`ParkState`] hand-shake exactly as `sched::park_current` and
    //! `execute`'s park branch drive it (take_notified; release; commit_park; sleep until
    //! the unparker that won PARKED -> RUNNING resumes it). Only the sleep itself is a loom
    //! primitive: the `resumed` flag plays the run queue that `sched::ready` pushes the G on
    //! (a Release push, an Acquire pop), and the `Notify` is the M that runs it.
    //!
    //! Everything lives in one `Arc<Slot>` per loom thread, created by `loom::thread_local!`
    //! and shared by every clone of that thread's `Waiter`: the park word, the flag and the
    //! `Notify` are one G's, whoever holds a handle to it. The flag is cleared only by the
    //! parker, only by the `swap` that consumes it, and only while PARKED, when no unparker
    //! can set it: an unparker sets it only after winning PARKED -> RUNNING, and the parker
    //! reaches PARKED again only after consuming that one resume.
    use crate::park_state::{ParkState, WaitReason};
    use crate::waker_slot::WakerSlot;
    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::sync::{Arc, Notify};
    use std::time::Instant;

    /// One loom thread's G: its park word, its "queued to run" flag and its sleep.
    #[derive(Debug)]
    struct Slot {
        park: ParkState,
        /// Set by the unparker that won PARKED -> RUNNING, consumed by the parker. Both
        /// sides write it with an RMW (`swap`). loom orders two stores by the writers'
        /// causality, not totally: a plain `store(true)` concurrent with the parker's
        /// earlier `swap(false)` is unordered with it, and loom lets the parker's next
        /// `swap` read either of the two, though no machine can (the earlier swap would
        /// have to precede the store, and the next one read it). That is the deadlock a
        /// `store` here gave in the first execution: `unpark` won, stored true, notified,
        /// and the woken parker's swap read its own earlier `false`. An RMW reads the
        /// newest store and is ordered after it, so the writes form one chain.
        resumed: AtomicBool,
        sleep: Notify,
    }

    loom::thread_local! {
        /// Each loom thread's G. A `Notify` for the sleep, not `thread::park`: loom delivers
        /// a `thread::unpark` to a thread blocked on a loom lock too, where it is lost.
        static SLOT: Arc<Slot> = Arc::new(Slot {
            park: ParkState::new(),
            resumed: AtomicBool::new(false),
            sleep: Notify::new(),
        });
    }

    /// A handle that wakes one parked loom thread (under `cfg(loom)` there are no goroutines)
    /// or one async task.
    #[derive(Clone, Debug)]
    pub struct Waiter(Kind);

    #[derive(Clone, Debug)]
    enum Kind {
        G(Arc<Slot>),
        Task(Arc<WakerSlot>),
    }

    impl Waiter {
        /// The calling loom thread's waiter.
        pub fn current() -> Waiter {
            SLOT.with(|s| Waiter(Kind::G(s.clone())))
        }
        /// An async task's waiter: unparking it wakes the waker registered in `slot`.
        pub fn task(slot: Arc<WakerSlot>) -> Waiter {
            Waiter(Kind::Task(slot))
        }
        /// `Waiter::unpark` for a G: only the unparker that moves the park word from PARKED
        /// to RUNNING readies it (`sched::ready`).
        pub fn unpark(&self) {
            let slot = match &self.0 {
                Kind::G(slot) => slot,
                Kind::Task(slot) => return slot.wake(),
            };
            if slot.park.unpark() {
                // `sched::ready`: the run queue's Release push, then an M runs the G. A
                // swap, not a store: see `Slot::resumed`.
                slot.resumed.swap(true, Ordering::Release);
                slot.sleep.notify();
            }
        }
        /// [`unpark`](Waiter::unpark), consuming the waiter.
        pub fn wake(self) {
            self.unpark()
        }
        /// Always false under loom.
        pub fn is_goroutine(&self) -> bool {
            false
        }
    }

    /// `sched::park_current` for the calling loom thread: returns at once if an unpark is
    /// pending or came before the commit, else sleeps until an unparker readies it.
    pub fn park(_reason: WaitReason, release: impl FnOnce()) {
        let slot = SLOT.with(|s| s.clone());
        if slot.park.take_notified() {
            release();
            return;
        }
        // (the context switch happens here; `release` runs on the scheduler stack)
        release();
        if !slot.park.commit_park() {
            return; // an unpark came meanwhile: the M runs the G again
        }
        // Parked: sleep until the unparker that won PARKED -> RUNNING queues us (the run
        // queue's Acquire pop). The `Notify` may return spuriously; only the flag counts.
        while !slot.resumed.swap(false, Ordering::Acquire) {
            slot.sleep.wait();
        }
    }

    /// loom has no clock: the same as [`park`].
    pub fn park_until(reason: WaitReason, _deadline: Instant, release: impl FnOnce()) {
        park(reason, release)
    }
}
