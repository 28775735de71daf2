//! Sysmon: the runtime's watchdog thread, outside the P count (Go: runtime/proc.go sysmon).
//!
//! It wakes every 20 us, backing off to 10 ms after 50 quiet rounds (Go's rule), and:
//! - retakes the P of an M in a syscall for over 20 us, handing it to another M (at once
//!   when other work waits; otherwise after 10 ms);
//! - retakes the P of a goroutine that has run over 10 ms without a schedule while other
//!   work waits, as if it were in a syscall: its M runs on without a P, and the goroutine's
//!   next safe point queues it globally (`preempt_point`, any blocking call);
//! - runs timers more than 1 ms overdue (their P's M may be stuck, or the P retired);
//! - polls the netpoller if nobody has for 10 ms;
//! - wakes an idle P when the global queue has work;
//! - once a second, scavenges: frees the dead Gs and gives back the pages of the free stacks
//!   that went unused for that second (`gfree::scavenge`; Go's background scavenger returns
//!   heap pages likewise), so a burst's memory comes back within about two seconds.

use crate::clock::{nanos, now_nanos, COARSE_NOW};
use crate::netpoll;
use crate::p::{state_of, PState};
use crate::sched::{get, handoff_p, wake_p, InFlight};
use std::sync::atomic::Ordering;
use std::sync::Once;
use std::time::{Duration, Instant};

const MIN_DELAY: Duration = Duration::from_micros(20);
const MAX_DELAY: Duration = Duration::from_millis(10);
/// A goroutine running this long without a schedule is hogging its P.
const HOG_NS: u64 = 10_000_000;
/// A syscall this long lets sysmon retake its P.
const SYSCALL_NS: u64 = 20_000;
const POLL_NS: u64 = 10_000_000;
const TIMER_LATE_NS: u64 = 1_000_000;
/// How often the scavenger runs.
const SCAVENGE_NS: u64 = 1_000_000_000;

static START: Once = Once::new();

/// Starts sysmon (once: with the first goroutine, or `dump_on_sigquit`).
pub(crate) fn start() {
    START.call_once(|| {
        if let Err(e) = std::thread::Builder::new()
            .name("goro-sysmon".into())
            .stack_size(128 * 1024)
            .spawn(run)
        {
            crate::fatal::fatal(format_args!("cannot create the sysmon thread: {e}"));
        }
    });
}

/// What sysmon last saw of a P.
#[derive(Clone, Copy, Default)]
struct Seen {
    sched: Tick,
    syscall: Tick,
}

/// A P's counter as sysmon last saw it, and when it last saw it change.
#[derive(Clone, Copy, Default)]
struct Tick {
    value: u32,
    since: u64,
}

impl Tick {
    /// How long `value` has stood still as of `now`; `None` (and the clock restarted) if it
    /// moved since the last look.
    fn still_for(&mut self, value: u32, now: u64) -> Option<u64> {
        if self.value != value {
            *self = Tick { value, since: now };
            None
        } else {
            Some(now.saturating_sub(self.since))
        }
    }
}

fn run() {
    let s = get();
    let mut seen = vec![Seen::default(); s.ps.len()];
    let mut delay = MIN_DELAY;
    let mut quiet = 0u32;
    let trace = crate::dump::schedtrace_period(std::env::var("GODEBUG").ok().as_deref());
    let started = Instant::now();
    let mut next_trace = started;
    let mut next_scavenge = 0;
    loop {
        if quiet == 0 {
            delay = MIN_DELAY;
        } else if quiet > 50 {
            delay = (delay * 2).min(MAX_DELAY);
        }
        std::thread::sleep(delay);
        // Sysmon is no M: what it fires, polls or hands off is in flight for the deadlock
        // detector until it lands in a queue.
        let _in_flight = InFlight::begin();
        // Real time for how long threads ran (hand-offs, the poll period, schedtrace);
        // runtime time, which a test may have paused, for timers.
        let wall = Instant::now();
        let real = nanos(wall);
        let now = now_nanos();
        COARSE_NOW.store(now, Ordering::Relaxed);
        crate::dump::dump_if_requested();
        if let Some(period) = trace.filter(|_| wall >= next_trace) {
            crate::fatal::report(format_args!(
                "{}",
                crate::dump::schedtrace_line(wall - started)
            ));
            next_trace = wall + period;
        }
        let mut acted = false;
        if real.saturating_sub(netpoll::LAST_POLL.load(Ordering::Relaxed)) > POLL_NS {
            acted |= netpoll::poll_now();
        }
        // Every P's, retired ones too: a timer that reached a P just as it retired must
        // still fire.
        for p in s.ps.iter() {
            if p.timers.next().saturating_add(TIMER_LATE_NS) <= now {
                acted |= p.timers.run(now) > 0;
            }
        }
        acted |= retake(real, now, &mut seen);
        if real >= next_scavenge {
            crate::gfree::scavenge();
            next_scavenge = real + SCAVENGE_NS;
        }
        if !s.global.is_empty() {
            wake_p();
        }
        quiet = if acted { 0 } else { quiet.saturating_add(1) };
    }
}

/// Retakes Ps from syscalls and hogs (Go: retake). True if it retook any.
/// `now` is real time; `timers_now` runtime time, for "a timer is due".
fn retake(now: u64, timers_now: u64, seen: &mut [Seen]) -> bool {
    let s = get();
    let mut retook = false;
    for p in s.active() {
        let w = p.owner.load();
        let e = &mut seen[p.id];
        let take = match state_of(w) {
            PState::Syscall => {
                let tick = p.syscalltick.load(Ordering::Relaxed);
                e.syscall.still_for(tick, now).is_some_and(|for_ns| {
                    // Leave a short syscall its P when nothing waits and others can spin.
                    let others =
                        s.nmspinning.load(Ordering::SeqCst) + s.npidle.load(Ordering::SeqCst) > 0;
                    for_ns >= SYSCALL_NS && (p.has_work() || !others || for_ns >= HOG_NS)
                })
            }
            PState::Running => {
                let tick = p.schedtick.load(Ordering::Relaxed);
                e.sched.still_for(tick, now).is_some_and(|for_ns| {
                    let waiting =
                        p.has_work() || !s.global.is_empty() || p.timers.next() <= timers_now;
                    for_ns >= HOG_NS && waiting
                })
            }
            _ => false,
        };
        // The CAS fails if the M moved on meanwhile (or pinned the P for a moment).
        if take && p.owner.retake(w) {
            handoff_p(p);
            retook = true;
        }
    }
    retook
}
