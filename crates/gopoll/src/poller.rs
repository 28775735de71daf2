//! The netpoller: one edge-triggered `polling::Poller` for the process, registered with the
//! scheduler as its [`NetPoller`]. Ports Go's runtime/netpoll.go + netpoll_epoll.go.
//!
//! Every fd is registered once, for read and write interest, edge-triggered (Go's
//! `EPOLLIN | EPOLLOUT | EPOLLET`), with its poll descriptor's address as the key; an event
//! sets `READY` on the slots it names and unparks their waiters (`poll_desc.rs`). There is no
//! re-arm: a descriptor is deregistered only when its fd is dropped.
//!
//! ## Who polls: the poll role
//!
//! `polling` lets one thread at a time wait (a second returns at once with nothing), so the
//! right to call `wait` is an explicit *role* (`role`). Parties that poll:
//! - the scheduler, through [`NetPoller::poll`]: without blocking whenever an M looks for
//!   work, and blocking (until the next timer) in one idle M at a time; sysmon every 10 ms;
//! - a plain thread whose op must wait (`thread_wait`): the scheduler only polls from its
//!   Ms, and a program of threads alone has none, so such a thread takes the role itself
//!   and blocks in `wait` until its own slot is woken or its deadline passes. If the role is
//!   taken it parks, and whoever holds the role dispatches its event.
//!
//! Whoever wants the role and cannot get it registers in `wanters` and parks; releasing the
//! role unparks every wanter (a Dekker pair: wanter pushes, SeqCst fence, tries the role;
//! releaser clears the role, SeqCst fence, reads the wanter count), so a waiting thread
//! never ends up parked with nobody polling. A blocked scheduler M that finds the role
//! taken waits the same way, and also returns on [`NetPoller::wake`].
//!
//! Poll descriptors are never freed, only reused, so an event that arrives for a closed fd
//! touches a live descriptor; at worst it makes a later op on a reused one retry a syscall.
//!
//! On Linux the wait itself is one `epoll_wait`/`epoll_pwait2` on `polling`'s epoll fd
//! (`round_raw`), as Go's netpoll does; `polling::Poller::wait` costs four more syscalls
//! per wait (it re-arms a timerfd and its notifier) and is used only to let `polling`
//! consume its own notification, or where `epoll_pwait2` is missing.

use crate::poll_desc::PollDesc;
use gmp_sched::sys::{NetPoller, Waiter};
use polling::Events;
use std::cell::Cell;
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Events taken per `wait` (Go's netpoll takes 128).
const EVENTS: usize = 128;

/// The process's netpoller.
pub(crate) struct Poller {
    poller: polling::Poller,
    /// Somebody holds the poll role: is in, or about to enter, `poller.wait`.
    role: AtomicBool,
    /// The event buffer; only the role holder locks it.
    events: Mutex<Events>,
    /// Threads (plain threads and a blocked M) waiting for the role.
    wanters: Mutex<Vec<Thread>>,
    nwanters: AtomicUsize,
    /// Bumped by `wake`, so an M waiting for the role knows to return.
    wake_gen: AtomicU64,
    /// Ops parked on a slot (Go: netpollWaiters).
    nwait: AtomicUsize,
    /// Free poll descriptors (Go: pollCache).
    cache: Mutex<Vec<&'static PollDesc>>,
}

static POLLER: OnceLock<&'static Poller> = OnceLock::new();

std::thread_local! {
    /// This thread holds the role and is dispatching events.
    static DISPATCHING: Cell<bool> = const { Cell::new(false) };
}

/// The process's poller, created (and registered with the scheduler) on first use.
pub(crate) fn get() -> io::Result<&'static Poller> {
    if let Some(p) = POLLER.get() {
        return Ok(p);
    }
    static INIT: Mutex<()> = Mutex::new(());
    let _g = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = POLLER.get() {
        return Ok(p);
    }
    // Go raises the open-file limit at start-up; a program of plain threads never starts
    // the scheduler, which does it too, so the poller does it as well.
    gmp_sched::raise_nofile_limit();
    let p: &'static Poller = Box::leak(Box::new(Poller::new()?));
    let _ = POLLER.set(p);
    // False only if another netpoller was registered: then threads still work (they poll
    // themselves) but goroutines wait for an M that never polls us. Say so loudly.
    if !gmp_sched::sys::set_netpoller(p) {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"gopoll: another netpoller is registered with gmp-sched; goroutines may hang\n",
        );
    }
    Ok(p)
}

/// Counts ops parked on slots, for `has_waiters`.
#[inline]
pub(crate) fn count_waiter(add: bool) {
    if let Some(p) = POLLER.get() {
        if add {
            p.nwait.fetch_add(1, Ordering::SeqCst);
        } else {
            p.nwait.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Unparks a waiter taken from a slot. A thread waiter may sit in `poller.wait` holding the
/// role rather than in `park`: interrupt the wait too, unless we are that dispatcher.
#[inline]
pub(crate) fn wake_waiter(w: Waiter) {
    let thread = !w.is_goroutine();
    w.unpark();
    if thread && !DISPATCHING.with(Cell::get) {
        if let Some(p) = POLLER.get() {
            // SeqCst fence: pairs with the one in `thread_wait` after taking the role.
            fence(Ordering::SeqCst);
            if p.role.load(Ordering::SeqCst) {
                let _ = p.poller.notify();
            }
        }
    }
}

impl Poller {
    fn new() -> io::Result<Poller> {
        Ok(Poller {
            poller: polling::Poller::new()?,
            role: AtomicBool::new(false),
            events: Mutex::new(Events::with_capacity(
                NonZeroUsize::new(EVENTS).expect("non-zero"),
            )),
            wanters: Mutex::new(Vec::new()),
            nwanters: AtomicUsize::new(0),
            wake_gen: AtomicU64::new(0),
            nwait: AtomicUsize::new(0),
            cache: Mutex::new(Vec::new()),
        })
    }

    /// Registers `fd` (read + write, edge-triggered) with a fresh poll descriptor.
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<&'static PollDesc> {
        let pd = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| Box::leak(Box::new(PollDesc::new())));
        let key = pd as *const PollDesc as usize;
        let r = self.add(fd, key);
        match r {
            Ok(()) => Ok(pd),
            Err(e) => {
                self.free(pd);
                Err(e)
            }
        }
    }

    /// Adds `fd` for read and write interest, edge-triggered, under `key`. Where `round_raw`
    /// waits, the registration is Go's own, `EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI |
    /// EPOLLET`, made here with `epoll_ctl` because `polling` cannot ask for `EPOLLRDHUP`:
    /// the peer's FIN must be told apart from data (see `poll_desc.rs`, `SPECIAL`).
    fn add(&self, fd: RawFd, key: usize) -> io::Result<()> {
        #[cfg(all(
            target_os = "linux",
            any(target_arch = "x86_64", target_arch = "aarch64")
        ))]
        {
            use std::os::fd::AsRawFd;
            let mut ev = libc::epoll_event {
                events: (libc::EPOLLIN
                    | libc::EPOLLOUT
                    | libc::EPOLLRDHUP
                    | libc::EPOLLPRI
                    | libc::EPOLLET) as u32,
                u64: key as u64,
            };
            // SAFETY: `epfd` is the live epoll fd of `self.poller`; `ev` is a valid event;
            // the caller owns `fd` and keeps it open until `deregister`, which deletes it
            // from the poller before the fd is closed.
            let r = unsafe {
                libc::epoll_ctl(self.poller.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev)
            };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }
        #[cfg(not(all(
            target_os = "linux",
            any(target_arch = "x86_64", target_arch = "aarch64")
        )))]
        // SAFETY: the caller owns `fd` and keeps it open until `deregister`, which deletes it
        // from the poller before the fd is closed.
        unsafe {
            self.poller
                .add_with_mode(fd, polling::Event::all(key), polling::PollMode::Edge)
        }
    }

    /// Deletes `fd` from the poller and returns its descriptor to the cache. Nobody may
    /// use `pd` after this; `fd` must still be open.
    pub(crate) fn deregister(&self, fd: RawFd, pd: &'static PollDesc) {
        // SAFETY: the caller's fd is still open (it closes it after this call).
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let _ = self.poller.delete(fd);
        self.free(pd);
    }

    fn free(&self, pd: &'static PollDesc) {
        pd.reset();
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pd);
    }

    fn try_role(&self) -> bool {
        !self.role.load(Ordering::Relaxed)
            && self
                .role
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    fn release_role(&self) {
        self.role.store(false, Ordering::Release);
        // SeqCst fence: pairs with the one in `want_role` (clear, StoreLoad, read wanters).
        fence(Ordering::SeqCst);
        if self.nwanters.load(Ordering::SeqCst) != 0 {
            self.unpark_wanters();
        }
    }

    /// Registers the calling thread to be unparked when the role is released.
    fn want_role(&self) {
        self.wanters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(std::thread::current());
        self.nwanters.fetch_add(1, Ordering::SeqCst);
        // SeqCst fence: pairs with the one in `release_role` (push, StoreLoad, try the role).
        fence(Ordering::SeqCst);
    }

    fn unpark_wanters(&self) {
        let ws = {
            let mut ws = self.wanters.lock().unwrap_or_else(|e| e.into_inner());
            self.nwanters.store(0, Ordering::SeqCst);
            std::mem::take(&mut *ws)
        };
        for t in ws {
            t.unpark();
        }
    }

    /// One `wait` and the dispatch of its events. The caller holds the role.
    fn round(&self, timeout: Option<Duration>) -> usize {
        #[cfg(all(
            target_os = "linux",
            any(target_arch = "x86_64", target_arch = "aarch64")
        ))]
        if let Some(n) = self.round_raw(timeout) {
            return n;
        }
        self.round_polling(timeout)
    }

    fn round_polling(&self, timeout: Option<Duration>) -> usize {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events.clear();
        if self.poller.wait(&mut events, timeout).is_err() {
            return 0;
        }
        DISPATCHING.with(|d| d.set(true));
        let mut woke = 0;
        for ev in events.iter() {
            // `polling` does not say whether the event was the peer's FIN: every read event
            // here counts as special, so the read after it never trusts a short read.
            woke += dispatch(ev.key, ev.readable, true, ev.writable);
        }
        DISPATCHING.with(|d| d.set(false));
        woke
    }

    /// Go's `netpoll(delay)`: one `epoll_wait` (zero timeout) or `epoll_pwait2` (with a
    /// nanosecond timeout) on `polling`'s epoll fd. `polling::Poller::wait` re-arms its
    /// timerfd and its notifier around every wait, four more syscalls, and the scheduler
    /// polls each time an M looks for work. Should the wait report `polling`'s own notifier
    /// or timer (key `usize::MAX`; both are one-shot), a `polling` wait follows at once so
    /// it clears and re-arms them: no `notify` is lost. `None` when the kernel lacks
    /// `epoll_pwait2` (Linux < 5.11): then `polling` does the waiting.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    fn round_raw(&self, timeout: Option<Duration>) -> Option<usize> {
        use std::os::fd::AsRawFd;
        static NO_PWAIT2: AtomicBool = AtomicBool::new(false);
        let mut buf = [libc::epoll_event { events: 0, u64: 0 }; EVENTS];
        let epfd = self.poller.as_raw_fd();
        let n = if timeout == Some(Duration::ZERO) {
            // SAFETY: `buf` has room for EVENTS events; `epfd` is the live epoll fd of
            // `self.poller`, and holding the role, nobody else waits on it.
            unsafe { libc::epoll_wait(epfd, buf.as_mut_ptr(), EVENTS as libc::c_int, 0) }
        } else {
            if NO_PWAIT2.load(Ordering::Relaxed) {
                return None;
            }
            let ts = timeout.map(|t| libc::timespec {
                tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
                tv_nsec: t.subsec_nanos() as _,
            });
            let tsp = ts
                .as_ref()
                .map_or(std::ptr::null(), |t| t as *const libc::timespec);
            // SAFETY: as above; `tsp` is null or points at `ts`, alive for the call; a null
            // sigmask leaves the signal mask alone.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    epfd,
                    buf.as_mut_ptr(),
                    EVENTS as libc::c_int,
                    tsp,
                    std::ptr::null::<libc::sigset_t>(),
                    8usize,
                )
            };
            if r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS) {
                NO_PWAIT2.store(true, Ordering::Relaxed);
                return None;
            }
            r as libc::c_int
        };
        if n <= 0 {
            return Some(0); // timeout, or EINTR: the caller polls again
        }
        const READ: u32 =
            (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR | libc::EPOLLPRI)
                as u32;
        const WRITE: u32 = (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) as u32;
        let mut woke = 0;
        let mut polling_own = false;
        DISPATCHING.with(|d| d.set(true));
        for ev in &buf[..n as usize] {
            let (key, flags) = (ev.u64 as usize, ev.events);
            if key == usize::MAX {
                polling_own = true;
                continue;
            }
            // The peer's FIN (RDHUP), a hang-up, an error or urgent data: the read after
            // this event may be short without draining (`poll_desc::SPECIAL`).
            const SPECIAL: u32 =
                (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR | libc::EPOLLPRI) as u32;
            woke += dispatch(
                key,
                flags & READ != 0,
                flags & SPECIAL != 0,
                flags & WRITE != 0,
            );
        }
        DISPATCHING.with(|d| d.set(false));
        if polling_own {
            woke += self.round_polling(Some(Duration::ZERO));
        }
        Some(woke)
    }

    /// How often a plain thread waiting for I/O looks at a paused test clock.
    const PAUSED_RECHECK: Duration = Duration::from_millis(1);

    /// Waits on a plain thread until `done()` or `deadline`, polling itself when nobody else
    /// does. Returns early on spurious wake-ups too; the caller re-checks.
    pub(crate) fn thread_wait(&self, done: impl Fn() -> bool, deadline: Option<Instant>) {
        loop {
            if done() {
                return;
            }
            let now = gmp_sched::now();
            if deadline.is_some_and(|d| now >= d) {
                return;
            }
            // A paused test clock moves only when advanced: look at it again every
            // millisecond instead of sleeping to a deadline it may never reach.
            let timeout = deadline.map(|d| match gmp_sched::testing::is_paused() {
                true => Self::PAUSED_RECHECK,
                false => d - now,
            });
            let got = self.try_role() || {
                self.want_role();
                self.try_role()
            };
            if got {
                // Re-check under the role: the previous holder may have woken us just
                // before it released the role, and a dispatcher does not interrupt `wait`.
                // SeqCst fence: pairs with the one in `wake_waiter` (take the role,
                // StoreLoad, read our slot / clear our slot, StoreLoad, read the role).
                fence(Ordering::SeqCst);
                if !done() {
                    self.round(timeout);
                }
                self.release_role();
                continue;
            }
            if done() {
                return;
            }
            match timeout {
                Some(t) => std::thread::park_timeout(t),
                None => std::thread::park(),
            }
        }
    }
}

/// Readies the slots an event names (`special`: RDHUP, HUP, ERR or PRI, or not known: passed
/// on to the read slot as `SPECIAL`); returns how many waiters it woke.
#[inline]
fn dispatch(key: usize, readable: bool, special: bool, writable: bool) -> usize {
    // SAFETY: keys are addresses of poll descriptors, which are leaked (never freed), so
    // the reference is valid even for an event of an fd closed meanwhile.
    let pd = unsafe { &*(key as *const PollDesc) };
    let mut woke = 0;
    if readable {
        let bits = if special {
            crate::poll_desc::SPECIAL
        } else {
            0
        };
        woke += usize::from(pd.read.notify(bits));
    }
    if writable {
        woke += usize::from(pd.write.notify(0));
    }
    woke
}

impl NetPoller for Poller {
    fn poll(&self, timeout: Option<Duration>) -> usize {
        if self.try_role() {
            let n = self.round(timeout);
            self.release_role();
            return n;
        }
        if timeout == Some(Duration::ZERO) {
            return 0;
        }
        // Another party (a polling thread) holds the role: wait for it, for `wake`, or for
        // the timeout, rather than return at once and make the idle M spin.
        let gen = self.wake_gen.load(Ordering::SeqCst);
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            self.want_role();
            if self.try_role() {
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                let n = self.round(left);
                self.release_role();
                return n;
            }
            if self.wake_gen.load(Ordering::SeqCst) != gen {
                return 0;
            }
            match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return 0;
                    }
                    std::thread::park_timeout(d - now);
                }
                None => std::thread::park(),
            }
            if self.wake_gen.load(Ordering::SeqCst) != gen {
                return 0;
            }
        }
    }

    fn wake(&self) {
        self.wake_gen.fetch_add(1, Ordering::SeqCst);
        let _ = self.poller.notify();
        self.unpark_wanters();
    }

    fn has_waiters(&self) -> bool {
        self.nwait.load(Ordering::SeqCst) != 0
    }
}
