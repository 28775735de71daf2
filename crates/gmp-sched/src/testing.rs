//! A clock tests can drive: pause the runtime's time, advance it, resume it (tokio's
//! `time::pause`/`advance`/`resume`; Go 1.25's testing/synctest fake clock). Over the one
//! clock of `clock.rs`, which `sleep`, every timer, `park_until` and so every channel,
//! `Context` and socket deadline read.
//!
//! `advance` moves the clock timer by timer: it sets the clock to the earliest pending
//! deadline, fires every timer due then (their callbacks run on the caller, inside an
//! in-flight section, so the deadlock detector counts the work they ready), and repeats up to
//! the target; then it pokes the timer sleeper. An M's schedule loop or sysmon may take a
//! due timer off a heap first: after each step `advance` waits for such timers to finish
//! firing (`TimerHeap::settle`). So when `advance` returns, every timer due by the new time
//! has fired: an `after` channel holds its value, a sleeping goroutine is runnable. Auto-advance lives in the scheduler (`sched::auto_advance`): the last M to go
//! idle moves the clock to the next timer.
//!
//! The clock is the process's: a test that pauses it runs in a process of its own (a test
//! binary with one test, or a child process), as a test of `GOMAXPROCS` does.

use crate::clock::{self, Control};
use crate::sched::{self, InFlight};
use std::time::{Duration, Instant};

/// Stops the runtime's clock, with auto-advance on: while every goroutine is blocked and
/// some wait on a timer (a `sleep`, a timeout, a deadline), the clock jumps to the earliest
/// timer at once, so timeout logic runs without waiting (tokio's `time::pause`).
///
/// Runtime time is what [`now`](crate::now) returns; compute deadlines from it, not from
/// `Instant::now()`. The clock is the whole process's: pause it in a test that has its
/// process to itself. Auto-advance sees goroutines only: a plain thread that is not blocked
/// in a goro call is not seen, so run the test body as a goroutine (under [`run`](crate::run))
/// when it relies on auto-advance, or turn auto-advance off with [`set_auto_advance`] and
/// move the clock with [`advance`].
///
/// # Panics
/// If the clock is already paused.
///
/// ```
/// use std::time::Duration;
///
/// gmp_sched::testing::pause();
/// let t0 = gmp_sched::now();
/// // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(|| gmp_sched::sleep(Duration::from_secs(3600))) };
/// h.join().unwrap(); // an hour of runtime time, at once
/// assert!(gmp_sched::now() - t0 >= Duration::from_secs(3600));
/// gmp_sched::testing::resume();
/// ```
pub fn pause() {
    let c = Control::lock();
    assert!(c.pause(), "goro: the clock is already paused");
    c.set_auto(true);
}

/// Lets a paused clock run again at real speed, from where it stands (it does not jump back
/// to real time).
///
/// # Panics
/// If the clock is not paused.
///
/// ```
/// gmp_sched::testing::pause();
/// gmp_sched::testing::resume();
/// assert!(!gmp_sched::testing::is_paused());
/// ```
pub fn resume() {
    {
        let c = Control::lock();
        assert!(c.resume(), "goro: the clock is not paused");
    }
    if let Some(_s) = sched::try_get() {
        sched::clock_moved();
    }
}

/// True while the clock is paused.
///
/// ```
/// assert!(!gmp_sched::testing::is_paused());
/// ```
pub fn is_paused() -> bool {
    clock::is_paused()
}

/// Turns auto-advance of a paused clock on or off (on after [`pause`]). With it off, only
/// [`advance`] moves a paused clock: a test then decides exactly when each timer fires.
///
/// ```
/// use std::time::Duration;
///
/// gmp_sched::testing::pause();
/// gmp_sched::testing::set_auto_advance(false);
/// let woke = gmp_sched::sys::Waiter::current();
/// let t = gmp_sched::sys::Timer::new(gmp_sched::now() + Duration::from_secs(5), None, move || woke.unpark());
/// gmp_sched::testing::advance(Duration::from_secs(5)); // fires it, on this thread
/// assert!(!t.stop());
/// gmp_sched::testing::resume();
/// ```
pub fn set_auto_advance(on: bool) {
    Control::lock().set_auto(on);
}

/// Moves a paused clock forward by `d`, firing in deadline order every timer due on the way
/// (tokio's `time::advance`). When it returns, each of them has fired: a goroutine that slept
/// until then is runnable, an `after` channel holds its value. A duration past the clock's
/// range (about 292 years) stops there.
///
/// # Panics
/// If the clock is not paused.
///
/// ```
/// use std::time::Duration;
///
/// gmp_sched::testing::pause();
/// let t0 = gmp_sched::now();
/// gmp_sched::testing::advance(Duration::from_millis(1500));
/// assert_eq!(gmp_sched::now() - t0, Duration::from_millis(1500));
/// gmp_sched::testing::resume();
/// ```
pub fn advance(d: Duration) {
    const MAX_STEPS: usize = 10_000;
    let c = Control::lock();
    assert!(clock::is_paused(), "goro: advance needs a paused clock");
    let target = clock::nanos(clock::deadline_after(clock::now(), d));
    if let Some(s) = sched::try_get() {
        // Step timer by timer, but not forever: a 1 us ticker across an hour would take
        // billions of steps. Past `MAX_STEPS` the rest fire once at the target, skipping
        // missed ticks as a late timer does.
        for _ in 0..MAX_STEPS {
            let next =
                s.ps.iter()
                    .map(|p| p.timers.next())
                    .min()
                    .unwrap_or(u64::MAX);
            if next > target || next > clock::MAX_PAUSED {
                break;
            }
            c.set(next);
            let now = clock::now_nanos();
            // Callbacks ready goroutines from here, a thread the detector does not count.
            let _in_flight = InFlight::begin();
            fire_due(s, now);
        }
    }
    c.set(target);
    if let Some(s) = sched::try_get() {
        let _in_flight = InFlight::begin();
        fire_due(s, target);
    }
    drop(c);
    if sched::try_get().is_some() {
        sched::clock_moved();
    }
}

/// Fires every timer due at `now` on every P's heap, and waits for those another thread
/// took off a heap first to finish firing.
fn fire_due(s: &sched::Sched, now: u64) {
    for p in s.ps.iter() {
        p.timers.run(now);
        p.timers.settle();
    }
}

/// Advances a paused clock to `deadline`, if it lies ahead ([`advance`] by the difference).
///
/// # Panics
/// If the clock is not paused.
///
/// ```
/// use std::time::Duration;
///
/// gmp_sched::testing::pause();
/// let at = gmp_sched::now() + Duration::from_secs(2);
/// gmp_sched::testing::advance_to(at);
/// assert_eq!(gmp_sched::now(), at);
/// gmp_sched::testing::resume();
/// ```
pub fn advance_to(deadline: Instant) {
    advance(deadline.saturating_duration_since(clock::now()));
}
