//! The hook through which the scheduler polls for I/O readiness without knowing about
//! sockets (gopoll registers the implementation; gmp-sched does not depend on it).
//!
//! Go: runtime/netpoll.go's `netpoll(delay)` and `netpollBreak`. The scheduler calls
//! [`NetPoller::poll`] without blocking when it looks for work, and one idle M at a time
//! blocks in it (until the next timer) instead of sleeping on its condvar; waking that M is
//! [`NetPoller::wake`]. Sysmon polls when nobody has for 10 ms.

use crate::g::G;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::Duration;

/// A readiness poller the scheduler drives (Go's netpoll).
///
/// `poll` readies the goroutines waiting for the fds that became ready by calling
/// [`Waiter::unpark`](crate::sys::Waiter::unpark) on their waiters.
pub trait NetPoller: Send + Sync + 'static {
    /// Wakes every waiter whose fd is ready, waiting up to `timeout` for one: `Some(ZERO)`
    /// does not wait, `None` waits until [`wake`](NetPoller::wake). Returns how many it
    /// woke. Only one thread at a time blocks in it (the scheduler sees to that).
    fn poll(&self, timeout: Option<Duration>) -> usize;

    /// Makes a `poll` blocked in another thread return soon.
    fn wake(&self);

    /// True when some goroutine waits for an fd (Go: netpollAnyWaiters); when false the
    /// scheduler skips polling.
    fn has_waiters(&self) -> bool;
}

static POLLER: OnceLock<&'static dyn NetPoller> = OnceLock::new();
/// An M is blocked in `poll` (Go: sched.lastpoll == 0).
static BLOCKED: AtomicBool = AtomicBool::new(false);
/// When the last poll happened (runtime epoch nanoseconds), for sysmon.
pub(crate) static LAST_POLL: AtomicU64 = AtomicU64::new(0);

/// Registers the process's netpoller; returns false if one is already registered.
///
/// ```
/// struct Nothing;
/// impl gmp_sched::sys::NetPoller for Nothing {
///     fn poll(&self, _: Option<std::time::Duration>) -> usize { 0 }
///     fn wake(&self) {}
///     fn has_waiters(&self) -> bool { false }
/// }
/// static P: Nothing = Nothing;
/// let first = gmp_sched::sys::set_netpoller(&P);
/// # let _ = first;
/// ```
pub fn set_netpoller(p: &'static dyn NetPoller) -> bool {
    POLLER.set(p).is_ok()
}

pub(crate) fn get() -> Option<&'static dyn NetPoller> {
    POLLER.get().copied()
}

/// Polls without blocking if anybody waits for I/O; true if it woke someone.
pub(crate) fn poll_now() -> bool {
    match get() {
        Some(p) if p.has_waiters() => {
            LAST_POLL.store(crate::clock::real_nanos(), Ordering::Relaxed);
            p.poll(Some(Duration::ZERO)) > 0
        }
        _ => false,
    }
}

thread_local! {
    /// While this thread's M blocks in the poller: the goroutines it readied, which it will
    /// run itself (Go: netpoll returns a list to the M that polled).
    static COLLECTED: RefCell<Option<Vec<Arc<G>>>> = const { RefCell::new(None) };
}

/// Keeps `g`, readied by the poller on this thread, for the polling M; gives it back if
/// this thread is not the polling M.
pub(crate) fn collect(g: Arc<G>) -> Result<(), Arc<G>> {
    COLLECTED.with(|c| match c.borrow_mut().as_mut() {
        Some(list) => {
            list.push(g);
            Ok(())
        }
        None => Err(g),
    })
}

/// Blocks in the poller up to `timeout` if no other M does, and returns the goroutines it
/// readied; `None` if it did not block (no poller, nobody waits for I/O, or another M
/// already blocks in it).
pub(crate) fn block(timeout: Option<Duration>) -> Option<Vec<Arc<G>>> {
    let p = get()?;
    if !p.has_waiters() || BLOCKED.swap(true, Ordering::AcqRel) {
        return None;
    }
    COLLECTED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    p.poll(timeout);
    let readied = COLLECTED
        .with(|c| c.borrow_mut().take())
        .unwrap_or_default();
    LAST_POLL.store(crate::clock::real_nanos(), Ordering::Relaxed);
    BLOCKED.store(false, Ordering::Release);
    Some(readied)
}

/// Wakes the M blocked in the poller, if any (a timer or work arrived).
pub(crate) fn wake_blocked() {
    if BLOCKED.load(Ordering::Acquire) {
        if let Some(p) = get() {
            p.wake();
        }
    }
}
