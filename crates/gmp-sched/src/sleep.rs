//! The public timer and `sleep` (Go: time/sleep.go `AfterFunc`, `Timer.Stop`/`Reset`,
//! `Sleep`), over the per-P timer heaps of `timer.rs`.
//!
//! A `Timer` is a handle on one heap timer: creating or resetting it pushes an entry on the
//! current P's heap (P 0's for plain threads) and tells the scheduler (`sched::timer_added`)
//! so a sleeping M wakes in time. Invariants: stop and reset bump the timer's sequence
//! number under its state lock, so an entry pushed before is dead and never fires; the
//! callback runs on a scheduler thread and must not block.

use crate::clock;
use crate::sched;
use crate::timer::{Entry, Inner, TimerState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A function the scheduler calls at a deadline, once or periodically: Go's *runtime* timer
/// (runtime/time.go's `timer`), the piece channel timers, tickers, `after`, `Context`
/// deadlines and `park_until` are built from. For Go's `time.Timer` (a channel, `Stop`,
/// `Reset`) use `gochan::Timer`; for `time.AfterFunc`, whose function may block, use
/// `gochan::after_func`.
///
/// The function runs on a scheduler thread (or on the thread that advances a paused test
/// clock): it must be short and must never block (unpark a [`Waiter`](crate::sys::Waiter),
/// `try_send` on a channel). Its deadline is on the runtime's clock ([`now`](crate::now)).
/// Dropping a `Timer` does not stop it.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
///
/// let fired = Arc::new(AtomicBool::new(false));
/// let f = fired.clone();
/// let waiter = gmp_sched::sys::Waiter::current();
/// let _t = gmp_sched::sys::Timer::new(Instant::now() + Duration::from_millis(1), None, move || {
///     f.store(true, Ordering::Release);
///     waiter.unpark();
/// });
/// while !fired.load(Ordering::Acquire) {
///     gmp_sched::sys::park(gmp_sched::sys::WaitReason::Sleep, || {});
/// }
/// ```
#[derive(Clone)]
pub struct Timer(Arc<Inner>);

impl Timer {
    /// Arms a timer that calls `f` at `when`, then every `period` after that if it is `Some`
    /// (a zero period fires once). Missed ticks are skipped, not queued up.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let t = gmp_sched::sys::Timer::new(Instant::now() + Duration::from_secs(60), None, || {});
    /// assert!(t.stop());
    /// ```
    pub fn new(
        when: Instant,
        period: Option<Duration>,
        f: impl Fn() + Send + Sync + 'static,
    ) -> Timer {
        let t = Timer(Arc::new(Inner {
            state: Mutex::new(TimerState {
                when,
                period,
                armed: true,
            }),
            seq: AtomicU64::new(0),
            f: Box::new(f),
        }));
        t.enqueue(when, 0);
        t
    }

    fn enqueue(&self, when: Instant, seq: u64) {
        let when = clock::nanos(when);
        sched::timer_heap().push(Entry {
            when,
            seq,
            t: self.0.clone(),
        });
        sched::timer_added(when);
    }

    /// Disarms the timer. True if it was armed (it would still have fired).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let t = gmp_sched::sys::Timer::new(Instant::now() + Duration::from_secs(60), None, || {});
    /// assert!(t.stop());
    /// assert!(!t.stop());
    /// ```
    pub fn stop(&self) -> bool {
        let mut st = self.0.state.lock().unwrap();
        let was = st.armed;
        st.armed = false;
        self.0.seq.fetch_add(1, Ordering::Release);
        was
    }

    /// Re-arms the timer for `when` (and `period`). True if it was armed before.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let t = gmp_sched::sys::Timer::new(Instant::now() + Duration::from_secs(60), None, || {});
    /// assert!(t.reset(Instant::now() + Duration::from_secs(120), None));
    /// t.stop();
    /// ```
    pub fn reset(&self, when: Instant, period: Option<Duration>) -> bool {
        let mut st = self.0.state.lock().unwrap();
        let was = st.armed;
        st.armed = true;
        st.when = when;
        st.period = period;
        let seq = self.0.seq.fetch_add(1, Ordering::Release) + 1;
        drop(st);
        self.enqueue(when, seq);
        was
    }
}

impl std::fmt::Debug for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.0.state.lock().unwrap();
        f.debug_struct("Timer")
            .field("when", &st.when)
            .field("period", &st.period)
            .field("armed", &st.armed)
            .finish()
    }
}

/// Blocks the calling goroutine (or thread, outside goroutines) for at least `d`.
///
/// In a goroutine only the goroutine waits: its M runs others meanwhile. The wait is on the
/// runtime's clock: while a test has it paused ([`testing`](crate::testing)), until the clock
/// is advanced past the deadline.
///
/// ```
/// use std::time::{Duration, Instant};
/// let t0 = Instant::now();
/// gmp_sched::sleep(Duration::from_millis(5));
/// assert!(t0.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(d: Duration) {
    if !crate::sys::in_goroutine() && !clock::is_virtual() {
        std::thread::sleep(d);
        return;
    }
    // A duration too long for the clock sleeps "forever": on a timer that never fires.
    let deadline = clock::deadline_after(clock::now(), d);
    while clock::now() < deadline {
        crate::sys::park_until(crate::sys::WaitReason::Sleep, deadline, || {});
    }
}
