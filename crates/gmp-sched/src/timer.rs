//! Timers on per-P heaps: `sleep`, `park_until`, and the public [`Timer`] that channels'
//! `after` and `tick` are built on. Ports the idea of Go's runtime/time.go.
//!
//! A timer is added to the heap of the P its creator runs on (P 0's for plain threads).
//! Each heap publishes its earliest deadline in an atomic, so a schedule pass checks its own
//! P's timers with one load. An M about to sleep computes the earliest deadline of all Ps
//! and the one that becomes the *timer sleeper* sleeps until then; adding an earlier timer
//! wakes it (`sched::timer_added`).
//!
//! Stopping or resetting bumps the timer's sequence number; heap entries carrying an old
//! number are dead and dropped when they reach the top (or in a sweep when dead entries
//! could outnumber live ones). Callbacks run on a scheduler thread with no lock held.

use crate::clock;
use crate::sched;
use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct TimerState {
    when: Instant,
    period: Option<Duration>,
    armed: bool,
}

struct Inner {
    state: Mutex<TimerState>,
    /// Changes (under `state`) on every stop and reset; heap entries with an older value
    /// are dead.
    seq: AtomicU64,
    f: Box<dyn Fn() + Send + Sync>,
}

struct Entry {
    when: u64,
    seq: u64,
    t: Arc<Inner>,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.when == o.when
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    /// Reversed: `BinaryHeap` is a max-heap and we want the earliest on top.
    fn cmp(&self, o: &Self) -> CmpOrdering {
        o.when.cmp(&self.when)
    }
}

impl Entry {
    fn live(&self) -> bool {
        self.t.seq.load(Ordering::Acquire) == self.seq
    }
}

struct Heap {
    heap: BinaryHeap<Entry>,
    /// Sweep dead entries when the heap grows past this.
    sweep_at: usize,
}

/// One P's timers.
pub(crate) struct TimerHeap {
    heap: Mutex<Heap>,
    /// Nanoseconds since the runtime's epoch of the earliest entry; `u64::MAX` when empty.
    next: AtomicU64,
}

impl TimerHeap {
    pub(crate) fn new() -> TimerHeap {
        TimerHeap {
            heap: Mutex::new(Heap {
                heap: BinaryHeap::new(),
                sweep_at: 64,
            }),
            next: AtomicU64::new(u64::MAX),
        }
    }

    /// The earliest deadline (epoch nanoseconds), `u64::MAX` if none.
    pub(crate) fn next(&self) -> u64 {
        self.next.load(Ordering::Acquire)
    }

    fn push(&self, e: Entry) {
        let mut h = self.heap.lock().unwrap();
        h.heap.push(e);
        if h.heap.len() >= h.sweep_at {
            h.heap.retain(Entry::live);
            h.sweep_at = (h.heap.len() * 2).max(64);
        }
        self.publish(&h);
    }

    fn publish(&self, h: &Heap) {
        let next = h.heap.peek().map_or(u64::MAX, |e| e.when);
        self.next.store(next, Ordering::Release);
    }

    /// Runs every timer due at `now` (epoch nanoseconds). Returns how many fired.
    pub(crate) fn run(&self, now: u64) -> usize {
        if self.next() > now {
            return 0;
        }
        let mut due = Vec::new();
        {
            let mut h = self.heap.lock().unwrap();
            while h.heap.peek().is_some_and(|e| e.when <= now) {
                let e = h.heap.pop().expect("peeked");
                if !e.live() {
                    continue;
                }
                let mut st = e.t.state.lock().unwrap();
                if !st.armed || e.t.seq.load(Ordering::Relaxed) != e.seq {
                    continue;
                }
                match st.period {
                    Some(p) if !p.is_zero() => {
                        // Skip the ticks already missed, as Go does: the next is in the future.
                        let late = clock::instant_of(now).saturating_duration_since(st.when);
                        let skip = u32::try_from(late.as_nanos() / p.as_nanos())
                            .unwrap_or(u32::MAX)
                            .saturating_add(1);
                        let step = p.checked_mul(skip).unwrap_or(Duration::MAX);
                        st.when = clock::deadline_after(st.when, step);
                        let when = clock::nanos(st.when);
                        drop(st);
                        h.heap.push(Entry {
                            when,
                            seq: e.seq,
                            t: e.t.clone(),
                        });
                    }
                    _ => {
                        st.armed = false;
                        drop(st);
                    }
                }
                due.push(e.t);
            }
            self.publish(&h);
        }
        let n = due.len();
        for t in due {
            (t.f)();
        }
        n
    }

    /// Moves every live entry to `to` (when a P is retired).
    pub(crate) fn drain_into(&self, to: &TimerHeap) {
        let entries: Vec<Entry> = {
            let mut h = self.heap.lock().unwrap();
            let v = std::mem::take(&mut h.heap).into_vec();
            self.publish(&h);
            v
        };
        for e in entries.into_iter().filter(Entry::live) {
            let when = e.when;
            to.push(e);
            sched::timer_added(when);
        }
    }
}

/// A function the scheduler calls at a deadline, once or periodically (Go's runtime timer,
/// as `time.AfterFunc` exposes it).
///
/// The function runs on a scheduler thread: it must be short and must never block (unpark a
/// [`Waiter`](crate::Waiter), `try_send` on a channel). Dropping a `Timer` does not stop it.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
///
/// let fired = Arc::new(AtomicBool::new(false));
/// let f = fired.clone();
/// let waiter = gmp_sched::Waiter::current();
/// let _t = gmp_sched::Timer::new(Instant::now() + Duration::from_millis(1), None, move || {
///     f.store(true, Ordering::Release);
///     waiter.unpark();
/// });
/// while !fired.load(Ordering::Acquire) {
///     gmp_sched::park(gmp_sched::WaitReason::Sleep, || {});
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
    /// let t = gmp_sched::Timer::new(Instant::now() + Duration::from_secs(60), None, || {});
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
    /// let t = gmp_sched::Timer::new(Instant::now() + Duration::from_secs(60), None, || {});
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
    /// let t = gmp_sched::Timer::new(Instant::now() + Duration::from_secs(60), None, || {});
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
/// In a goroutine only the goroutine waits: its M runs others meanwhile.
///
/// ```
/// use std::time::{Duration, Instant};
/// let t0 = Instant::now();
/// gmp_sched::sleep(Duration::from_millis(5));
/// assert!(t0.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(d: Duration) {
    if !crate::in_goroutine() {
        std::thread::sleep(d);
        return;
    }
    // A duration too long for the clock sleeps "forever": on a timer that never fires.
    let deadline = clock::deadline_after(Instant::now(), d);
    while Instant::now() < deadline {
        crate::park_until(crate::WaitReason::Sleep, deadline, || {});
    }
}
