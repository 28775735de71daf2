//! The runtime's one clock: its epoch, times as nanoseconds since it, the coarse clock
//! sysmon keeps, and the test clock that tests pause and advance (Go: runtime/time.go
//! `nanotime`, `maxWhen`; proc.go's sysmon `now`; testing/synctest's fake clock; tokio's
//! `time::pause`).
//!
//! Timers, deadlines, the netpoller's last-poll stamp and the goroutine dump all speak epoch
//! nanoseconds (`u64`). The epoch is fixed once, when the runtime starts (`start`), or at
//! the first conversion if that comes earlier. Invariants: `nanos` is monotonic and
//! saturates (before the epoch is 0, beyond [`MAX_WHEN`] is `MAX_WHEN`: a far deadline never
//! wraps to a near one); `u64::MAX` is never a time, it means "no timer".
//!
//! # Runtime time and real time
//!
//! [`now`] is the runtime's time: what `sleep`, timers, channel and socket deadlines and
//! `Context` deadlines read. Until a test touches the clock it *is* `Instant::now()` (one
//! relaxed load decides that). A test may pause it (`testing.rs`): then it stands still
//! unless advanced, and after `resume` it runs again at real speed from where it stood.
//! One word holds the state, so a reader never sees half of a change:
//!
//! | `STATE`            | runtime time                                    |
//! |--------------------|-------------------------------------------------|
//! | `REAL` (`u64::MAX`)| real time (never touched, or resumed with no offset) |
//! | `PAUSED_BIT` set   | stands at the epoch nanoseconds in the low bits |
//! | otherwise          | real time plus `OFFSET` (resumed after a pause) |
//!
//! Only `pause`, `advance` and `resume` write `STATE` and `OFFSET`, under `CONTROL`; a
//! reader loads `STATE` (Acquire, pairing with their Release stores) and then `OFFSET`,
//! which is written before the `STATE` store that makes it count.
//!
//! What stays on real time: sysmon's 10 ms preemption and 20 us syscall hand-off, the 10 ms
//! netpoll period, a spinning M's back-off and the hang guards of tests: they measure how
//! long threads ran, not when a timer is due.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// The runtime's epoch, fixed at its first use.
fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

/// Fixes the epoch when the runtime starts (if nothing has read the clock before).
pub(crate) fn start() {
    epoch();
}

/// `STATE` when runtime time is real time.
const REAL: u64 = u64::MAX;
/// In `STATE`: the clock is paused at the epoch nanoseconds in the other bits.
const PAUSED_BIT: u64 = 1 << 63;
/// The furthest a paused clock goes (about 292 years): its time must fit beside
/// `PAUSED_BIT` without reading as `REAL`.
pub(crate) const MAX_PAUSED: u64 = PAUSED_BIT - 2;

/// The clock's state word (see the table at the top of this file).
static STATE: AtomicU64 = AtomicU64::new(REAL);
/// Nanoseconds added to real time while running after a pause (negative: behind it).
static OFFSET: AtomicI64 = AtomicI64::new(0);
/// Serialises `pause`, `advance` and `resume`.
static CONTROL: Mutex<()> = Mutex::new(());

/// Real time as epoch nanoseconds (what `nanos(Instant::now())` was before the test clock).
pub(crate) fn real_nanos() -> u64 {
    nanos(Instant::now())
}

/// The runtime's time as epoch nanoseconds.
#[inline]
pub(crate) fn now_nanos() -> u64 {
    let st = STATE.load(Ordering::Acquire);
    if st == REAL {
        return real_nanos();
    }
    now_nanos_slow(st)
}

#[cold]
fn now_nanos_slow(st: u64) -> u64 {
    if st & PAUSED_BIT != 0 {
        return st & !PAUSED_BIT;
    }
    let off = OFFSET.load(Ordering::Relaxed);
    let n = i128::from(real_nanos()) + i128::from(off);
    u64::try_from(n.max(0)).map_or(MAX_WHEN, |n| n.min(MAX_WHEN))
}

/// The runtime's time: `Instant::now()` unless a test paused or advanced the clock. Use it,
/// not `Instant::now()`, to compute a deadline that timers and sockets compare with.
///
/// ```
/// let t = gmp_sched::now();
/// assert!(gmp_sched::now() >= t);
/// ```
pub fn now() -> Instant {
    if STATE.load(Ordering::Acquire) == REAL {
        return Instant::now();
    }
    instant_of(now_nanos())
}

/// True while the clock is paused.
pub(crate) fn is_paused() -> bool {
    let st = STATE.load(Ordering::Acquire);
    st != REAL && st & PAUSED_BIT != 0
}

/// True once a test has touched the clock: runtime time may differ from real time.
#[inline]
pub(crate) fn is_virtual() -> bool {
    STATE.load(Ordering::Acquire) != REAL
}

/// How long to block in real time to reach runtime time `deadline` (epoch nanoseconds):
/// `None` while the clock is paused (only `advance` moves it, and it wakes the sleeper).
pub(crate) fn real_wait(deadline: u64) -> Option<Duration> {
    if is_paused() {
        return None;
    }
    Some(Duration::from_nanos(deadline.saturating_sub(now_nanos())))
}

/// The real instant at which runtime time reaches `deadline`; `None` while paused.
pub(crate) fn real_deadline(deadline: Instant) -> Option<Instant> {
    real_wait(nanos(deadline)).map(|d| deadline_after(Instant::now(), d))
}

/// While paused: advance to the next timer by itself when every M is idle (`set_auto`).
static AUTO: AtomicBool = AtomicBool::new(false);

/// True while the clock is paused and advances by itself when the runtime is idle.
pub(crate) fn auto_advancing() -> bool {
    AUTO.load(Ordering::Acquire) && is_paused()
}

/// The clock's controls (`testing.rs`), serialised.
pub(crate) struct Control(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Control {
    pub(crate) fn lock() -> Control {
        Control(CONTROL.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Stops the clock where it stands. False if it was already paused.
    pub(crate) fn pause(&self) -> bool {
        if is_paused() {
            return false;
        }
        let n = now_nanos();
        STATE.store(n.min(MAX_PAUSED) | PAUSED_BIT, Ordering::Release);
        true
    }

    /// Turns auto-advance on or off (it counts only while paused).
    pub(crate) fn set_auto(&self, on: bool) {
        AUTO.store(on, Ordering::Release);
    }

    /// Moves a paused clock forward to `to` (never back).
    pub(crate) fn set(&self, to: u64) {
        debug_assert!(is_paused());
        let n = now_nanos().max(to).min(MAX_PAUSED);
        STATE.store(n | PAUSED_BIT, Ordering::Release);
    }

    /// Lets a paused clock run again from where it stands. False if it was not paused.
    pub(crate) fn resume(&self) -> bool {
        if !is_paused() {
            return false;
        }
        let at = i128::from(now_nanos());
        let off = (at - i128::from(real_nanos())).clamp(i64::MIN.into(), i64::MAX.into());
        let off = i64::try_from(off).expect("clamped");
        OFFSET.store(off, Ordering::Relaxed);
        STATE.store(if off == 0 { REAL } else { 0 }, Ordering::Release);
        true
    }
}

/// Epoch nanoseconds at sysmon's last tick: a coarse clock for hot paths that only stamp
/// (a parked goroutine's `parked_at`); 0 until sysmon runs. Sysmon's coarse clock, read when
/// a goroutine parks.
pub(crate) static COARSE_NOW: AtomicU64 = AtomicU64::new(0);

/// The latest time the runtime's clock names, about 584 years after its epoch: a timer due
/// then never fires, yet it is still a pending timer (Go: maxWhen). `u64::MAX` itself means
/// "no timer" in a heap's published deadline.
pub(crate) const MAX_WHEN: u64 = u64::MAX - 1;

/// Nanoseconds from the runtime's epoch to `t`: 0 if before it, [`MAX_WHEN`] if further
/// than that (a far deadline saturates to "never"; it must not wrap to a near one).
pub(crate) fn nanos(t: Instant) -> u64 {
    let n = t.saturating_duration_since(epoch()).as_nanos();
    u64::try_from(n).map_or(MAX_WHEN, |n| n.min(MAX_WHEN))
}

/// The instant `n` nanoseconds after the runtime's epoch, or the furthest that `Instant`
/// can name.
pub(crate) fn instant_of(n: u64) -> Instant {
    let epoch = epoch();
    epoch
        .checked_add(Duration::from_nanos(n))
        .unwrap_or_else(|| far_future(epoch))
}

/// `now + d`, saturating: a deadline too far for `Instant` becomes one a century or more
/// away, which no timer reaches (its epoch nanoseconds saturate at [`MAX_WHEN`]).
pub(crate) fn deadline_after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or_else(|| far_future(now))
}

/// The furthest of a few far instants after `t` that `Instant` can represent.
#[cold]
fn far_future(t: Instant) -> Instant {
    const YEAR: u64 = 365 * 24 * 3600;
    [600 * YEAR, 100 * YEAR, YEAR]
        .into_iter()
        .find_map(|s| t.checked_add(Duration::from_secs(s)))
        .unwrap_or(t)
}
