//! Channels that deliver time: Go's `time.After`, `time.NewTimer`, `time.NewTicker`,
//! `time.AfterFunc`, and a channel that never delivers. Built on the scheduler's runtime
//! timers (`gmp_sched::sys::Timer`), whose callbacks must not block: they only `try_send`
//! into a channel of capacity 1 (so a tick nobody has taken yet makes the next one drop, as
//! Go's tickers do), or, for `after_func`, start a goroutine that runs the function.
//!
//! Go 1.23 semantics: once `stop` or `reset` returns, no value of an earlier arming can be
//! received. A `TimeChan` holds the channel, the runtime timer and a *gate*: the earliest
//! time at which the current arming may send (`None`: disarmed, or a one-shot arming has
//! sent). The callback sends only under the gate's lock and only past that time; `stop` and
//! `reset` take the lock, close or move the gate and drain the channel, so a callback of an
//! old arming that is already running can neither slip a value in after them nor count as
//! pending.
//!
//! | gate           | channel | `Timer::stop` | why                                          |
//! |----------------|---------|---------------|----------------------------------------------|
//! | `Some(_)`      | empty   | true          | it had not fired                             |
//! | `None` (fired) | value   | true          | the unread value is dropped: never received  |
//! | `None`         | empty   | false         | fired and received, or already stopped       |

use crate::chan::{Chan, Receiver};
use crate::select::RecvChan;
use gmp_sched::sys::Timer as Timer0;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A channel that receives the current time once, after `d` (Go: `time.After`). Use it in
/// [`select!`](crate::select!) for a timeout.
///
/// Each call arms a scheduler timer that stays armed until it fires, even if the channel is
/// dropped first: in a hot loop with a long timeout, prefer one [`Ticker`] or a
/// [`Context`](crate::Context) deadline for the whole loop.
///
/// ```
/// use gochan::{after, select, Chan};
/// use std::time::Duration;
///
/// let work = Chan::<i32>::new(0);
/// let timed_out = select! {
///     recv(work) -> _ => false,
///     recv(after(Duration::from_millis(5))) -> _ => true,
/// };
/// assert!(timed_out);
/// ```
pub fn after(d: Duration) -> Receiver<Instant> {
    let ch = Chan::new(1);
    let now = crate::loom::now();
    if d.is_zero() {
        let _ = ch.try_send(now);
    } else if let Some(when) = now.checked_add(d) {
        let tx = ch.clone();
        // Like Go's time.After, the timer is not stopped early; it fires once and is done.
        let _timer = Timer0::new(when, None, move || {
            let _ = tx.try_send(crate::loom::now());
        });
    }
    ch.receiver()
}

/// A channel that never delivers (the nil channel): a [`select!`](crate::select!) arm on it
/// never fires.
///
/// ```
/// use gochan::{never, select};
///
/// let fired = select! {
///     recv(never::<i32>()) -> _ => true,
///     default => false,
/// };
/// assert!(!fired);
/// ```
pub fn never<T>() -> Receiver<T> {
    Receiver::nil()
}

/// A ticker: delivers the time on a channel every period (Go: `time.NewTicker`). Same as
/// [`Ticker::new`].
///
/// ```
/// use std::time::Duration;
///
/// let ticker = gochan::tick(Duration::from_millis(1));
/// let first = ticker.c().recv().unwrap();
/// let second = ticker.c().recv().unwrap();
/// assert!(second > first);
/// ticker.stop();
/// ```
pub fn tick(period: Duration) -> Ticker {
    Ticker::new(period)
}

/// Delivers the time every period on a channel of capacity 1; a tick that finds the previous
/// one still unread is dropped, so a slow reader sees fewer ticks, never a backlog. Dropping
/// the ticker stops it.
///
/// ```
/// use gochan::{select, Ticker};
/// use std::time::Duration;
///
/// let ticker = Ticker::new(Duration::from_millis(1));
/// let mut ticks = 0;
/// while ticks < 3 {
///     select! {
///         recv(ticker) -> _ => ticks += 1,
///     }
/// }
/// ```
pub struct Ticker(TimeChan);

impl Ticker {
    /// A ticker that ticks every `period`, first after one period.
    ///
    /// # Panics
    /// If `period` is zero (Go: "non-positive interval for NewTicker").
    ///
    /// ```
    /// let t = gochan::Ticker::new(std::time::Duration::from_secs(3600));
    /// assert!(t.c().try_recv().is_err());
    /// ```
    pub fn new(period: Duration) -> Ticker {
        assert!(!period.is_zero(), "non-positive interval for Ticker::new");
        Ticker(TimeChan::new(deadline_in(period), Some(period)))
    }

    /// The channel the ticks arrive on (Go: `Ticker.C`).
    ///
    /// ```
    /// let t = gochan::tick(std::time::Duration::from_millis(1));
    /// assert!(t.c().recv().is_some());
    /// ```
    pub fn c(&self) -> &Receiver<Instant> {
        &self.0.rx
    }

    /// Stops the ticker: no more ticks are sent. A tick already in the channel is dropped,
    /// so none arrives after `stop` returns (Go 1.23 semantics).
    ///
    /// ```
    /// let t = gochan::tick(std::time::Duration::from_millis(1));
    /// t.stop();
    /// assert!(t.c().try_recv().is_err());
    /// ```
    pub fn stop(&self) {
        self.0.stop();
    }

    /// Restarts the ticker with a new period, first tick one period from now; a pending
    /// tick is dropped, and no tick of the old period arrives after `reset` returns.
    ///
    /// # Panics
    /// If `period` is zero.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let t = gochan::tick(Duration::from_secs(3600));
    /// t.reset(Duration::from_millis(1));
    /// assert!(t.c().recv().is_some());
    /// ```
    pub fn reset(&self, period: Duration) {
        assert!(!period.is_zero(), "non-positive interval for Ticker::reset");
        self.0.rearm(deadline_in(period), Some(period));
    }
}

/// `now + d` on the runtime's clock, saturating far in the future.
fn deadline_in(d: Duration) -> Instant {
    let now = crate::loom::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A runtime timer that sends the time on a channel of capacity 1, behind a gate (see the
/// top of this file). Dropping it stops the timer.
struct TimeChan {
    rx: Receiver<Instant>,
    timer: Timer0,
    gate: Arc<Mutex<Option<Instant>>>,
}

impl TimeChan {
    fn new(when: Instant, period: Option<Duration>) -> TimeChan {
        let ch = Chan::new(1);
        let tx = ch.clone();
        let gate = Arc::new(Mutex::new(Some(when)));
        let g = gate.clone();
        let timer = Timer0::new(when, period, move || {
            let mut armed = lock(&g);
            let now = crate::loom::now();
            if armed.is_some_and(|from| now >= from) {
                let _ = tx.try_send(now);
                if period.is_none() {
                    *armed = None; // a one-shot arming sends once
                }
            }
        });
        TimeChan {
            rx: ch.receiver(),
            timer,
            gate,
        }
    }

    /// Closes the gate (held by the caller) and drops an unread value: true if the arming
    /// had not fired or its value was unread (the table at the top of this file).
    fn disarm(&self, gate: &mut Option<Instant>) -> bool {
        let armed = gate.take().is_some();
        self.timer.stop();
        let unread = self.rx.try_recv().is_ok();
        armed || unread
    }

    fn stop(&self) -> bool {
        self.disarm(&mut lock(&self.gate))
    }

    /// Disarms, then arms for `when`; returns what `disarm` did.
    fn rearm(&self, when: Instant, period: Option<Duration>) -> bool {
        let mut gate = lock(&self.gate);
        let pending = self.disarm(&mut gate);
        *gate = Some(when);
        self.timer.reset(when, period);
        pending
    }
}

impl Drop for TimeChan {
    fn drop(&mut self) {
        self.timer.stop();
    }
}

/// Go's channel timer (`time.NewTimer`): sends the time once on [`c`](Timer::c) when it
/// expires, with Go 1.23's guarantees: after [`stop`](Timer::stop) or
/// [`reset`](Timer::reset) returns, no value of the earlier arming can be received, and what
/// they return says whether that value was still to come (it never will). Dropping the
/// timer stops it.
///
/// Not to be confused with [`gmp_sched::sys::Timer`], the runtime timer it is built on (a
/// callback on a scheduler thread, for building primitives).
///
/// ```
/// use gochan::{select, Chan, Timer};
/// use std::time::Duration;
///
/// let work = Chan::<i32>::new(0);
/// let t = Timer::new(Duration::from_millis(5));
/// select! {
///     recv(work) -> _ => unreachable!(),
///     recv(t) -> _ => {} // timed out
/// }
/// assert!(!t.stop()); // it had fired and its value was received
/// ```
pub struct Timer(TimeChan);

impl Timer {
    /// A timer that sends the time on its channel after `d` (Go: `time.NewTimer`).
    ///
    /// ```
    /// let t = gochan::Timer::new(std::time::Duration::from_millis(1));
    /// assert!(t.c().recv().is_some());
    /// ```
    pub fn new(d: Duration) -> Timer {
        Timer(TimeChan::new(deadline_in(d), None))
    }

    /// The channel the time arrives on (Go: `Timer.C`). It has room for one value, which
    /// `stop` and `reset` drop if nobody received it yet.
    ///
    /// ```
    /// let t = gochan::Timer::new(std::time::Duration::from_secs(3600));
    /// assert!(t.c().try_recv().is_err());
    /// ```
    pub fn c(&self) -> &Receiver<Instant> {
        &self.0.rx
    }

    /// Stops the timer (Go: `Timer.Stop`). True if this call kept a value from being
    /// received: the timer had not fired, or had fired and its value was still unread (it
    /// is dropped). False if it was already stopped or its value was received. After it
    /// returns, no value arrives until a `reset`.
    ///
    /// ```
    /// let t = gochan::Timer::new(std::time::Duration::from_secs(3600));
    /// assert!(t.stop());
    /// assert!(!t.stop());
    /// ```
    pub fn stop(&self) -> bool {
        self.0.stop()
    }

    /// Re-arms the timer to fire after `d` (Go: `Timer.Reset`), returning what
    /// [`stop`](Timer::stop) would have: whether a value of the earlier arming was still to
    /// come. Whatever it returns, only the new arming's value can be received afterwards.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let t = gochan::Timer::new(Duration::from_secs(3600));
    /// assert!(t.reset(Duration::from_millis(1))); // it was armed
    /// assert!(t.c().recv().is_some());
    /// assert!(!t.reset(Duration::from_millis(1))); // fired and received
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        self.0.rearm(deadline_in(d), None)
    }
}

/// What `Ticker` and `Timer`, both a `TimeChan`, share: `select!` receives on them, and
/// `Debug` shows the gate (when the current arming may send; `None`: disarmed or spent).
macro_rules! time_chan_impls {
    ($($t:ident),*) => {$(
        impl RecvChan for $t {
            type Item = Instant;
            fn recv_chan(&self) -> &Chan<Instant> {
                self.0.rx.recv_chan()
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("armed", &*lock(&self.0.gate))
                    .finish_non_exhaustive()
            }
        }
    )*};
}

time_chan_impls!(Ticker, Timer);

/// Go's `time.AfterFunc` timer: starts its function on a goroutine of its own when it
/// expires, so the function may block. [`stop`](AfterFunc::stop) and
/// [`reset`](AfterFunc::reset) work as [`Timer`]'s; a goroutine already started is not
/// stopped. Each firing (after a `reset`, again) starts one goroutine. Dropping the handle
/// does not stop it. Made by [`after_func`].
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let runs = Arc::new(AtomicUsize::new(0));
/// let r = runs.clone();
/// let done = gochan::Chan::new(0);
/// let tx = done.sender();
/// // SAFETY: the function keeps no thread-bound state across a blocking call.
/// let t = unsafe {
///     gochan::after_func(Duration::from_secs(3600), move || {
///         r.fetch_add(1, Ordering::Relaxed);
///         tx.send(()).unwrap();
///     })
/// };
/// assert!(t.reset(Duration::from_millis(1))); // re-armed before it ran
/// done.recv().unwrap();
/// assert!(!t.stop()); // it has started
/// assert_eq!(runs.load(Ordering::Relaxed), 1);
/// ```
pub struct AfterFunc {
    timer: Timer0,
    /// When the current arming may start the function; `None` once it has, or was stopped.
    gate: Arc<Mutex<Option<Instant>>>,
}

/// Starts `f` on a goroutine of its own after `d` (Go: `time.AfterFunc`); unlike a runtime
/// timer's callback, `f` may block. The goroutine is detached: a panic in it is reported as
/// any unjoined goroutine's panic is.
///
/// # Safety
/// `f` runs as a goroutine: it must keep the contract of
/// [`gmp_sched::spawn`](gmp_sched::spawn#safety) (no thread-bound state across a blocking
/// call). `goro::Spawner::after_func` is the safe form, for a caller that made that promise.
///
/// ```
/// use std::time::Duration;
///
/// let done = gochan::Chan::new(0);
/// let tx = done.sender();
/// // SAFETY: the function keeps no thread-bound state across a blocking call.
/// let t = unsafe {
///     gochan::after_func(Duration::from_millis(1), move || {
///         tx.send("fired").unwrap(); // blocks until received: fine on its own goroutine
///     })
/// };
/// assert_eq!(done.recv(), Some("fired"));
/// assert!(!t.stop()); // it had fired
/// ```
pub unsafe fn after_func(d: Duration, f: impl Fn() + Send + Sync + 'static) -> AfterFunc {
    let when = deadline_in(d);
    let gate = Arc::new(Mutex::new(Some(when)));
    let g = gate.clone();
    let f = Arc::new(f);
    let timer = Timer0::new(when, None, move || {
        {
            let mut armed = lock(&g);
            if !armed.is_some_and(|from| crate::loom::now() >= from) {
                return;
            }
            *armed = None;
        }
        let f = f.clone();
        // SAFETY: `after_func`'s caller promised that `f` keeps spawn's contract.
        drop(unsafe { gmp_sched::spawn(move || f()) });
    });
    AfterFunc { timer, gate }
}

impl AfterFunc {
    /// Stops it (Go: `Timer.Stop` of an `AfterFunc`). True if this call kept the function
    /// from starting; false if it already started or the timer was stopped. It does not wait
    /// for a running function.
    ///
    /// ```
    /// // SAFETY: the function keeps no thread-bound state across a blocking call.
    /// let t = unsafe { gochan::after_func(std::time::Duration::from_secs(3600), || {}) };
    /// assert!(t.stop());
    /// assert!(!t.stop());
    /// ```
    pub fn stop(&self) -> bool {
        let mut gate = lock(&self.gate);
        self.timer.stop();
        gate.take().is_some()
    }

    /// Re-arms it to start the function after `d` (Go: `Timer.Reset`); true if it was
    /// armed (had not started the function of its last arming).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // SAFETY: the function keeps no thread-bound state across a blocking call.
    /// let t = unsafe { gochan::after_func(Duration::from_secs(3600), || {}) };
    /// assert!(t.reset(Duration::from_secs(7200)));
    /// t.stop();
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        let mut gate = lock(&self.gate);
        let when = deadline_in(d);
        let armed = gate.replace(when).is_some();
        self.timer.reset(when, None);
        armed
    }
}

impl fmt::Debug for AfterFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AfterFunc")
            .field("armed", &*lock(&self.gate))
            .finish_non_exhaustive()
    }
}
