//! Channels that deliver time: Go's `time.After`, `time.NewTicker`, and a channel that never
//! delivers. Built on the scheduler's timers (`gmp_sched::sys::Timer`), whose callbacks must not
//! block: they only `try_send` into a channel of capacity 1, so a tick nobody has taken yet
//! makes the next one drop, as Go's tickers do.

use crate::chan::{Chan, Receiver};
use crate::select::RecvChan;
use gmp_sched::sys::Timer;
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
        let _timer = Timer::new(when, None, move || {
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
pub struct Ticker {
    rx: Receiver<Instant>,
    timer: Timer,
    /// The earliest time a tick of the current arming may be sent; `None` once stopped.
    /// The timer callback sends only under this lock and only past that time, so a callback
    /// already running when `stop` or `reset` is called cannot deliver a stale tick.
    armed: Arc<Mutex<Option<Instant>>>,
}

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
        let ch = Chan::new(1);
        let tx = ch.clone();
        let first = first_tick(period);
        let armed = Arc::new(Mutex::new(Some(first)));
        let gate = armed.clone();
        let timer = Timer::new(first, Some(period), move || {
            let armed = gate.lock().unwrap_or_else(|e| e.into_inner());
            let now = crate::loom::now();
            if armed.is_some_and(|from| now >= from) {
                let _ = tx.try_send(now);
            }
        });
        Ticker {
            rx: ch.receiver(),
            timer,
            armed,
        }
    }

    fn armed(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.armed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The channel the ticks arrive on (Go: `Ticker.C`).
    ///
    /// ```
    /// let t = gochan::tick(std::time::Duration::from_millis(1));
    /// assert!(t.c().recv().is_some());
    /// ```
    pub fn c(&self) -> &Receiver<Instant> {
        &self.rx
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
        let mut armed = self.armed();
        *armed = None;
        self.timer.stop();
        let _ = self.rx.try_recv();
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
        let mut armed = self.armed();
        self.timer.stop();
        let _ = self.rx.try_recv();
        let first = first_tick(period);
        *armed = Some(first);
        self.timer.reset(first, Some(period));
    }
}

/// `now + period`, saturating far in the future.
fn first_tick(period: Duration) -> Instant {
    let now = crate::loom::now();
    now.checked_add(period)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.timer.stop();
    }
}

impl RecvChan for Ticker {
    type Item = Instant;
    fn recv_chan(&self) -> &Chan<Instant> {
        self.rx.recv_chan()
    }
}

impl fmt::Debug for Ticker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticker").finish_non_exhaustive()
    }
}
