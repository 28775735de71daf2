//! The runtime's one clock: its epoch, times as nanoseconds since it, and the coarse clock
//! sysmon keeps (Go: runtime/time.go `nanotime`, `maxWhen`; proc.go's sysmon `now`).
//!
//! Timers, the netpoller's last-poll stamp and the goroutine dump all speak epoch
//! nanoseconds (`u64`). The epoch is fixed once, when the runtime starts (`start`), or at
//! the first conversion if that comes earlier. Invariants: `nanos` is monotonic and
//! saturates (before the epoch is 0, beyond [`MAX_WHEN`] is `MAX_WHEN`: a far deadline never
//! wraps to a near one); `u64::MAX` is never a time, it means "no timer".

use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;
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
