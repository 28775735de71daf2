//! Timers on per-P heaps, under `sleep`, `park_until` and the public `Timer` (`sleep.rs`)
//! that channels' `after` and `tick` are built on. Ports the idea of Go's runtime/time.go.
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
//!
//! `firing` counts the batches taken off a heap and not yet fired, so the test clock's
//! `advance` can wait for them (`firing.rs`).

use crate::clock;
use crate::firing::FiringCount;
use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct TimerState {
    pub(crate) when: Instant,
    pub(crate) period: Option<Duration>,
    pub(crate) armed: bool,
}

pub(crate) struct Inner {
    pub(crate) state: Mutex<TimerState>,
    /// Changes (under `state`) on every stop and reset; heap entries with an older value
    /// are dead.
    pub(crate) seq: AtomicU64,
    pub(crate) f: Box<dyn Fn() + Send + Sync>,
}

pub(crate) struct Entry {
    pub(crate) when: u64,
    pub(crate) seq: u64,
    pub(crate) t: Arc<Inner>,
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
    /// Batches of due timers taken off the heap whose callbacks have not all returned.
    firing: FiringCount,
}

impl TimerHeap {
    pub(crate) fn new() -> TimerHeap {
        TimerHeap {
            heap: Mutex::new(Heap {
                heap: BinaryHeap::new(),
                sweep_at: 64,
            }),
            next: AtomicU64::new(u64::MAX),
            firing: FiringCount::new(),
        }
    }

    /// The earliest deadline (epoch nanoseconds), `u64::MAX` if none.
    pub(crate) fn next(&self) -> u64 {
        self.next.load(Ordering::Acquire)
    }

    pub(crate) fn push(&self, e: Entry) {
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
        let _fired = {
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
            // Under the lock and before `publish` (`firing.rs`).
            let fired = (!due.is_empty()).then(|| self.firing.taken());
            self.publish(&h);
            fired
        };
        let n = due.len();
        for t in due {
            (t.f)();
        }
        n
    }

    /// Waits until every timer taken off this heap before the caller's last `run` has
    /// fired: their callbacks, on whichever thread, have returned. Callbacks must not block,
    /// so this waits briefly.
    pub(crate) fn settle(&self) {
        self.firing.settle();
    }

    /// Moves every live entry to `to` (when a P is retired), calling `added` with each
    /// one's deadline after it is pushed (the scheduler's `timer_added`).
    pub(crate) fn drain_into(&self, to: &TimerHeap, added: fn(u64)) {
        let entries: Vec<Entry> = {
            let mut h = self.heap.lock().unwrap();
            let v = std::mem::take(&mut h.heap).into_vec();
            self.publish(&h);
            v
        };
        for e in entries.into_iter().filter(Entry::live) {
            let when = e.when;
            to.push(e);
            added(when);
        }
    }
}
