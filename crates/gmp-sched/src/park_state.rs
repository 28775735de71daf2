//! The G's park word ([`ParkState`]), why a party parks ([`WaitReason`]) and that reason as
//! dumps read it while the G runs on ([`AtomicReason`]): the state machine under every park
//! and unpark (Go: runtime/proc.go `gopark`/`goready`'s status
//! handshake; runtime2.go `waitReason`).
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

use crate::loom::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicU8, AtomicUsize, Ordering};
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
    /// assert_eq!(gmp_sched::sys::WaitReason::ChanReceive.to_string(), "chan receive");
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

/// A G's wait reason, readable by dumps while the G parks again: a code byte, and for
/// `WaitReason::Other` its text (a pointer and a length, which must pair up) under a
/// sequence lock. One writer (the G); any number of readers, which never block it.
///
/// Parking with a named reason is one Relaxed byte store. Parking with `Other` text the G
/// used last time as well adds two Relaxed loads; new text costs the sequence lock's
/// stores (Relaxed, plus a Release fence and store: free on x86).
pub struct AtomicReason {
    code: AtomicU8,
    /// Even: `ptr`/`len` hold one `&'static str`; odd: the writer is changing them.
    seq: AtomicU32,
    ptr: AtomicPtr<u8>,
    len: AtomicUsize,
}

impl AtomicReason {
    /// The reason of a G that has not parked yet: `Other("")`.
    pub fn new() -> AtomicReason {
        AtomicReason {
            code: AtomicU8::new(WaitReason::Other("").code()),
            seq: AtomicU32::new(0),
            ptr: AtomicPtr::new("".as_ptr() as *mut u8),
            len: AtomicUsize::new(0),
        }
    }

    /// Stores `r`. Only the G itself calls this, so there is one writer at a time.
    pub fn store(&self, r: WaitReason) {
        if let WaitReason::Other(text) = r {
            let (p, n) = (text.as_ptr() as *mut u8, text.len());
            // The one writer reads its own last stores: no race.
            if self.ptr.load(Ordering::Relaxed) != p || self.len.load(Ordering::Relaxed) != n {
                let seq = self.seq.load(Ordering::Relaxed);
                self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
                // Release fence: a reader that sees the new `ptr`/`len` also sees the odd
                // sequence (pairs with its Acquire fence before the second `seq` load).
                fence(Ordering::Release);
                self.ptr.store(p, Ordering::Relaxed);
                self.len.store(n, Ordering::Relaxed);
                // Release: a reader that sees this even sequence sees `ptr`/`len` with it.
                self.seq.store(seq.wrapping_add(2), Ordering::Release);
            }
        }
        self.code.store(r.code(), Ordering::Relaxed);
    }

    /// The last reason stored (a code and the text of some `Other` stored, each whole).
    pub fn load(&self) -> WaitReason {
        let code = self.code.load(Ordering::Relaxed);
        if code != 0 {
            return WaitReason::from_code(code, "");
        }
        loop {
            // Acquire: pairs with the writer's Release store of an even sequence.
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 0 {
                let p = self.ptr.load(Ordering::Relaxed);
                let n = self.len.load(Ordering::Relaxed);
                // Acquire fence: pairs with the writer's Release fence, so if `p`/`n` come
                // from a write in progress, the load below sees the sequence moved on.
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == before {
                    // SAFETY: the sequence did not move while we read, so `p` and `n` are
                    // the pointer and length of one `&'static str` stored by `store`
                    // (or `new`'s ""): valid UTF-8, alive forever.
                    let text =
                        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(p, n)) };
                    return WaitReason::Other(text);
                }
            }
            crate::loom::spin_loop();
        }
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
