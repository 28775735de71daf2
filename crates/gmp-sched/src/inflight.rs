//! Work in flight where the deadlock detector cannot see it (Go has no such thing: there,
//! everything that moves a goroutine towards a run queue runs on an M, and `checkdead`
//! counts a running M).
//!
//! Here sysmon, and a plain thread calling into the runtime, are no Ms. Sysmon fires overdue
//! timers (each due entry leaves its heap before its callback readies the goroutine), polls
//! the network, hands Ps off; `set_gomaxprocs` moves a retired P's timers to P 0. For a
//! moment the work is in neither place, and a detector looking then would see every M idle,
//! no timer, no queued goroutine: a false "all goroutines are asleep". Such a move runs as a
//! *section*: `begin`, move, `end`.
//!
//! The check (`dump::check_dead`): `quiet` (no section open; note how many have ended), look
//! at every place work can be, `still_quiet` (none open, none ended meanwhile). All four
//! counter accesses are SeqCst. If the look missed work because a section had taken it
//! out, that section began before the look's read of it (the work was already gone), so
//! either it was still open at `still_quiet`'s first read, or it ended before that and
//! `still_quiet`'s second read counts its end; the only way out would be that it ended
//! before `quiet`, but then its Release `end` happened before the look, which would have
//! seen the work in its new place. loom-tests/tests/inflight.rs checks exactly this.

use crate::loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Open and ended sections (see the top of this file).
///
/// Public only for loom-tests (through `internal`); the module is private.
#[derive(Debug)]
pub struct InFlightCount {
    open: AtomicUsize,
    ended: AtomicU64,
    /// A check could not conclude because of a section: the next section to end looks again
    /// (every M may be parked by then, and nobody else would).
    recheck: AtomicBool,
}

impl InFlightCount {
    /// No section open or ended.
    #[allow(clippy::new_without_default)]
    pub fn new() -> InFlightCount {
        InFlightCount {
            open: AtomicUsize::new(0),
            ended: AtomicU64::new(0),
            recheck: AtomicBool::new(false),
        }
    }

    /// A section begins: call before taking the work from where it is.
    pub fn begin(&self) {
        self.open.fetch_add(1, Ordering::SeqCst);
    }

    /// The section ends: call after the work is in its new place. True if a check gave up
    /// because of a section meanwhile: the caller must run the check again.
    pub fn end(&self) -> bool {
        self.ended.fetch_add(1, Ordering::SeqCst);
        self.open.fetch_sub(1, Ordering::SeqCst);
        self.recheck.swap(false, Ordering::SeqCst)
    }

    /// A check could not conclude because of a section. True if a section is still open,
    /// whose `end` will ask for the check again; false if none is: look again now.
    /// (SeqCst: a section that `open` shows still open swaps `recheck` after this store.)
    pub fn defer_check(&self) -> bool {
        self.recheck.store(true, Ordering::SeqCst);
        self.open.load(Ordering::SeqCst) != 0
    }

    /// Before a check looks: `None` if a section is open, else a snapshot for `still_quiet`.
    pub fn quiet(&self) -> Option<u64> {
        let ended = self.ended.load(Ordering::SeqCst);
        (self.open.load(Ordering::SeqCst) == 0).then_some(ended)
    }

    /// After the check looked: true if no section is open now and none ended since `quiet`
    /// gave `snapshot`, so what the check saw is what was there.
    pub fn still_quiet(&self, snapshot: u64) -> bool {
        self.open.load(Ordering::SeqCst) == 0 && self.ended.load(Ordering::SeqCst) == snapshot
    }
}
