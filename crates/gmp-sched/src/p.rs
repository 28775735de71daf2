//! P: a processor, the right to run goroutines. GOMAXPROCS of them are active.
//!
//! Each P has a local run queue (a crossbeam-deque `Worker`: its owner pushes and pops,
//! thieves steal half through the `Stealer`), a `runnext` slot for the G readied by the
//! running G (it runs before the queue: ping-pong between two goroutines stays on one P
//! and never waits behind the queue), a timer heap, a cache of free stacks, and its
//! schedule tick (every 61st schedule looks at the global queue first).
//!
//! The owner is the M holding the P. Ownership passes only under the scheduler's idle lock
//! or through an M's wake slot (both mutexes), so the owner-only cells are never shared.

use crate::loom::sync::atomic::{AtomicPtr, Ordering};
use crate::loom::sync::Arc;
use std::ptr;

/// The `runnext` slot: at most one G, put by the owner, taken by the owner or a thief.
///
/// Every operation is a single atomic swap, so each G put is taken exactly once, whoever
/// races (the owner's `take` and a thief's `take` cannot both get it).
///
/// Public only for loom-tests (through `internal`); the module is private.
pub struct RunNext<T>(AtomicPtr<T>);

impl<T> RunNext<T> {
    /// An empty slot.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        RunNext(AtomicPtr::new(ptr::null_mut()))
    }

    /// Puts `g` in the slot; returns the G it displaced, for the caller to queue.
    pub fn put(&self, g: Arc<T>) -> Option<Arc<T>> {
        // AcqRel: Release publishes `g`; Acquire takes ownership of the displaced one.
        let old = self.0.swap(Arc::into_raw(g) as *mut T, Ordering::AcqRel);
        // SAFETY: non-null values in the slot come from Arc::into_raw and are owned by the slot.
        (!old.is_null()).then(|| unsafe { Arc::from_raw(old) })
    }

    /// Takes the G in the slot (owner, or a thief on its last stealing pass).
    pub fn take(&self) -> Option<Arc<T>> {
        if self.0.load(Ordering::Relaxed).is_null() {
            return None;
        }
        // Acquire: pairs with the Release in `put`.
        let old = self.0.swap(ptr::null_mut(), Ordering::Acquire);
        // SAFETY: as in `put`; the swap made us its only owner.
        (!old.is_null()).then(|| unsafe { Arc::from_raw(old) })
    }

    /// True when a G waits in the slot.
    pub fn is_some(&self) -> bool {
        !self.0.load(Ordering::Acquire).is_null()
    }
}

impl<T> Drop for RunNext<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

/// P states, the low byte of a P's owner word; the rest is a generation that changes at
/// every hand-over, so an M that lost its P can tell (Go keeps `p.status` and `p.m`).
///
/// | state     | holder                                   | who may change it              |
/// |-----------|------------------------------------------|--------------------------------|
/// | `Idle`    | the idle list                            | whoever takes it (idle lock)   |
/// | `Handoff` | whoever took it off the idle list or     | that party, or the M it hands  |
/// |           | retook it, on its way to an M            | it to (`take_over`)            |
/// | `Sched`   | an M in scheduler code                   | that M                         |
/// | `Running` | an M running a goroutine                 | that M; sysmon (retake a hog)  |
/// | `Pinned`  | a goroutine touching the P's queues      | that goroutine                 |
/// | `Syscall` | an M whose goroutine is in `syscall`     | that M; sysmon (retake)        |
/// | `Retired` | nobody: beyond GOMAXPROCS                | `set_gomaxprocs` (idle lock)   |
///
/// Only an `Idle` P retires from outside (`retire_idle`), and `take_over` never takes a
/// `Retired` one: a P on its way to an M (`Handoff`) cannot be retired under it.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PState {
    /// On the idle list.
    Idle = 0,
    /// Held by an M in scheduler code.
    Sched = 1,
    /// Held by an M running a goroutine.
    Running = 2,
    /// Pinned by the running goroutine while it touches the queues.
    Pinned = 3,
    /// Held by an M whose goroutine is in `syscall`.
    Syscall = 4,
    /// Beyond GOMAXPROCS.
    Retired = 5,
    /// Off the idle list (or retaken by sysmon), not yet taken over by an M.
    Handoff = 6,
}

impl PState {
    const ALL: [PState; 7] = [
        PState::Idle,
        PState::Sched,
        PState::Running,
        PState::Pinned,
        PState::Syscall,
        PState::Retired,
        PState::Handoff,
    ];
}

/// Packs a generation and a state into an owner word.
pub const fn owner(gen: u64, state: PState) -> u64 {
    gen << 8 | state as u64
}

/// The state byte of an owner word.
pub const fn state_of(word: u64) -> PState {
    PState::ALL[(word & 0xff) as usize]
}

/// The generation of an owner word.
pub const fn gen_of(word: u64) -> u64 {
    word >> 8
}

/// How a goroutine may use its M's P (see [`Owner::pin`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Pin {
    /// Scheduler code, or already pinned: the P is ours without further ado.
    Held,
    /// Pinned now; call [`Owner::unpin`] when done.
    Pinned,
    /// Not ours any more (sysmon gave it away): act as a thread without a P.
    Lost,
}

/// A P's owner word: generation and state, the one atomic that the M holding the P, its
/// running goroutine and sysmon agree through. A goroutine pins the P (one CAS) before it
/// touches the P's queues; sysmon retakes only a P that is `RUNNING` or in `SYSCALL`, by
/// moving it to a new generation; so the queues always have exactly one user.
///
/// Public only for loom-tests (through `internal`); the module is private.
#[derive(Debug)]
pub struct Owner(crate::loom::sync::atomic::AtomicU64);

impl Owner {
    /// An idle P's word, generation 0.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Owner {
        Owner(crate::loom::sync::atomic::AtomicU64::new(owner(
            0,
            PState::Idle,
        )))
    }

    /// The whole word.
    pub fn load(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// The state byte.
    pub fn state(&self) -> PState {
        state_of(self.load())
    }

    /// Moves to `state`, keeping the generation (the holder, or under the idle lock).
    pub fn set_state(&self, state: PState) {
        let w = self.0.load(Ordering::Relaxed);
        self.0.store(owner(gen_of(w), state), Ordering::Release);
    }

    /// Makes the P its new holder's, in scheduler state, in a new generation; returns it.
    /// `None` for a retired P, which stays retired: one atomic step, so a retirement can
    /// neither slip in between nor be overwritten.
    pub fn take_over(&self) -> Option<u64> {
        // AcqRel: Acquire pairs with the Release of the previous holder; Release publishes
        // the new generation to pins and retakes.
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (state_of(w) != PState::Retired).then(|| owner(gen_of(w) + 1, PState::Sched))
            })
            .ok()
            .map(|w| gen_of(w) + 1)
    }

    /// Retires the P if it is idle (`set_gomaxprocs` shrinking, under the idle lock); true if
    /// it did. A P on its way to an M (`Handoff`) or held by one retires at its next
    /// schedule instead.
    pub fn retire_idle(&self) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (state_of(w) == PState::Idle).then(|| owner(gen_of(w), PState::Retired))
            })
            .is_ok()
    }

    /// The holder in generation `gen` (scheduler state) hands the P to its goroutine.
    pub fn run(&self, gen: u64) {
        self.0.store(owner(gen, PState::Running), Ordering::Release);
    }

    /// A goroutine of generation `gen` wants the P's queues.
    pub fn pin(&self, gen: u64) -> Pin {
        let w = self.0.load(Ordering::Acquire);
        if w == owner(gen, PState::Sched) || w == owner(gen, PState::Pinned) {
            return Pin::Held;
        }
        // Acquire: pairs with the Release of whoever used the queues before.
        let pinned = w == owner(gen, PState::Running)
            && self
                .0
                .compare_exchange(
                    w,
                    owner(gen, PState::Pinned),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_ok();
        if pinned {
            Pin::Pinned
        } else {
            Pin::Lost
        }
    }

    /// Ends a [`Pin::Pinned`].
    pub fn unpin(&self, gen: u64) {
        // Release: what the goroutine did to the queues happens before a later retake.
        self.0.store(owner(gen, PState::Running), Ordering::Release);
    }

    /// The M of generation `gen` takes the P back after its goroutine switched out: true if
    /// it was still ours (running, or in a syscall the goroutine parked inside).
    pub fn reclaim(&self, gen: u64) -> bool {
        [PState::Running, PState::Syscall].into_iter().any(|from| {
            self.0
                .compare_exchange(
                    owner(gen, from),
                    owner(gen, PState::Sched),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_ok()
        })
    }

    /// The running goroutine enters a syscall: sysmon may retake the P from now on.
    pub fn enter_syscall(&self, gen: u64) {
        // Release: the goroutine's use of the queues happens before a retake.
        let _ = self.0.compare_exchange(
            owner(gen, PState::Running),
            owner(gen, PState::Syscall),
            Ordering::Release,
            Ordering::Relaxed,
        );
    }

    /// Back from a syscall: true if the P is still ours, now running again.
    pub fn exit_syscall(&self, gen: u64) -> bool {
        self.0.load(Ordering::Acquire) == owner(gen, PState::Running)
            || self
                .0
                .compare_exchange(
                    owner(gen, PState::Syscall),
                    owner(gen, PState::Running),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// True while generation `gen`'s goroutine runs on the P unpinned and unretaken.
    pub fn is_running(&self, gen: u64) -> bool {
        self.0.load(Ordering::Relaxed) == owner(gen, PState::Running)
    }

    /// Sysmon retakes a P it saw as `seen` (running or in a syscall); true if nothing
    /// changed meanwhile, and the P is now sysmon's to hand off (`Handoff`: it is on no
    /// idle list), in a new generation.
    pub fn retake(&self, seen: u64) -> bool {
        matches!(state_of(seen), PState::Running | PState::Syscall)
            && self
                .0
                .compare_exchange(
                    seen,
                    owner(gen_of(seen) + 1, PState::Handoff),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
    }
}

#[cfg(not(loom))]
pub(crate) use imp::P;

#[cfg(not(loom))]
mod imp {
    use super::*;
    use crate::g::G;
    use crate::stack::Stack;
    use crate::timer::TimerHeap;
    use crossbeam_deque::{Stealer, Worker};
    use std::cell::{Cell, UnsafeCell};
    use std::sync::atomic::{AtomicU32, AtomicU64};

    pub(crate) struct P {
        pub(crate) id: usize,
        runq: UnsafeCell<Worker<Arc<G>>>,
        pub(crate) stealer: Stealer<Arc<G>>,
        pub(crate) runnext: RunNext<G>,
        pub(crate) timers: TimerHeap,
        /// The owner word (see the state table above).
        pub(crate) owner: Owner,
        /// Schedule passes that began a time slice (owner writes; sysmon reads to spot a
        /// goroutine, or a pair handing off through `runnext`, hogging the P).
        pub(crate) schedtick: AtomicU32,
        /// Goroutines switched to, time slice inherited or not (for `metrics`; owner writes).
        pub(crate) switches: AtomicU64,
        /// Syscalls entered (owner writes; sysmon reads to spot a long one).
        pub(crate) syscalltick: AtomicU32,
        /// Goroutines parked on this P (for `metrics`; owner writes).
        pub(crate) parks: AtomicU64,
        /// Successful steals by this P's Ms (for `metrics`; owner writes).
        pub(crate) steals: AtomicU64,
        stacks: UnsafeCell<Vec<Stack>>,
        gfree: UnsafeCell<Vec<Arc<G>>>,
        rng: Cell<u64>,
    }

    // SAFETY: `runq`, `stacks`, `gfree` and `rng` are touched only by the M that holds the P
    // (see the top of this file); everything else is Sync.
    unsafe impl Sync for P {}
    // SAFETY: as above; the Worker moves with the P between Ms, which Worker allows (Send).
    unsafe impl Send for P {}

    impl P {
        pub(crate) fn new(id: usize) -> P {
            let w = Worker::new_fifo();
            P {
                id,
                stealer: w.stealer(),
                runq: UnsafeCell::new(w),
                runnext: RunNext::new(),
                timers: TimerHeap::new(),
                owner: Owner::new(),
                schedtick: AtomicU32::new(0),
                switches: AtomicU64::new(0),
                syscalltick: AtomicU32::new(0),
                parks: AtomicU64::new(0),
                steals: AtomicU64::new(0),
                stacks: UnsafeCell::new(Vec::new()),
                gfree: UnsafeCell::new(Vec::new()),
                rng: Cell::new(
                    0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407),
                ),
            }
        }

        /// The local run queue.
        ///
        /// # Safety
        /// The caller runs on the M that holds this P, and drops the reference before the P
        /// can pass to another M.
        #[allow(clippy::mut_from_ref)]
        pub(crate) unsafe fn runq(&self) -> &Worker<Arc<G>> {
            // SAFETY: only the holder touches it (the caller's promise).
            unsafe { &*self.runq.get() }
        }

        /// The free-stack cache.
        ///
        /// # Safety
        /// As for [`P::runq`].
        #[allow(clippy::mut_from_ref)]
        pub(crate) unsafe fn stacks(&self) -> &mut Vec<Stack> {
            // SAFETY: only the holder touches it (the caller's promise), and no two of these
            // borrows are live at once (each use is a single call).
            unsafe { &mut *self.stacks.get() }
        }

        /// The list of dead Gs kept for reuse.
        ///
        /// # Safety
        /// As for [`P::runq`].
        #[allow(clippy::mut_from_ref)]
        pub(crate) unsafe fn gfree(&self) -> &mut Vec<Arc<G>> {
            // SAFETY: only the holder touches it (the caller's promise), one borrow at a time.
            unsafe { &mut *self.gfree.get() }
        }

        /// Advances and returns the schedule tick (holder only).
        pub(crate) fn next_tick(&self) -> u32 {
            let t = self.schedtick.load(Ordering::Relaxed).wrapping_add(1);
            self.schedtick.store(t, Ordering::Relaxed);
            t
        }

        /// Adds one to an owner-only counter: a load and a store, no locked instruction
        /// (only the P's holder writes it; readers may see it a little late).
        pub(crate) fn bump(counter: &AtomicU64) {
            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }

        /// A pseudo-random number from the P's generator (holder only).
        pub(crate) fn rand(&self) -> u64 {
            crate::rand::wyrand(&self.rng)
        }

        /// True when the P has a runnable G in its queue or `runnext` (racy: for heuristics
        /// and re-checks).
        pub(crate) fn has_work(&self) -> bool {
            !self.stealer.is_empty() || self.runnext.is_some()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runnext_put_displaces_and_take_empties() {
        let rn = RunNext::new();
        assert!(rn.put(Arc::new(1)).is_none());
        assert_eq!(*rn.put(Arc::new(2)).unwrap(), 1);
        assert!(rn.is_some());
        assert_eq!(*rn.take().unwrap(), 2);
        assert!(rn.take().is_none());
    }

    #[test]
    fn owner_words_pack_every_state() {
        for st in PState::ALL {
            let w = owner(7, st);
            assert_eq!((gen_of(w), state_of(w)), (7, st));
        }
    }

    #[test]
    fn a_retaken_p_is_not_idle_and_a_retired_one_is_never_taken_over() {
        let o = Owner::new();
        let gen = o.take_over().unwrap();
        o.run(gen);
        assert!(o.retake(o.load()));
        assert_eq!(o.state(), PState::Handoff);
        assert!(!o.retire_idle(), "only an idle P retires from outside");
        o.set_state(PState::Idle);
        assert!(o.retire_idle());
        assert_eq!(o.take_over(), None);
        assert_eq!(o.state(), PState::Retired);
    }
}
