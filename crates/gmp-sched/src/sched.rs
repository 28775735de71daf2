//! The scheduler: Go's `schedule`, `findRunnable`, `wakep`, `startm`/`stopm` and the
//! global state they share (Go: runtime/proc.go).
//!
//! Where a G goes when it becomes runnable:
//! - spawned or readied by a goroutine: the current P's `runnext` (the displaced one goes to
//!   the local queue's tail), then `wake_p`;
//! - spawned or readied from a plain thread: the global queue, then `wake_p`;
//! - yielding: the local queue's tail.
//!
//! Where an M looks for work (`find_runnable`, in Go's order): every 61st tick the global
//! queue first; `runnext`; the local queue; due timers of every P; the global queue; then, as
//! a spinning M (at most half the busy Ps' count spin), stealing half of a random victim's
//! queue, four passes, the last of which may take a victim's `runnext` after a short
//! back-off; then it gives its P back and parks.
//!
//! No lost work (Go's "delicate dance"): a submitter pushes work, then (SeqCst fence) reads
//! `nmspinning`; a spinning M that gives up decrements `nmspinning`, then (SeqCst fence)
//! re-checks every queue. Either the submitter sees a spinning M that will find its work,
//! or it sees none and wakes an M itself.
//!
//! Idle Ms park on their own mutex/condvar. One of them, the *timer sleeper*, parks with a
//! timeout at the earliest timer of all Ps; adding an earlier timer pokes it.

use crate::config::{Config, Error, MAX_PROCS};
use crate::g::{self, G, ACT_EXIT, ACT_PARK, ACT_YIELD, G_DEAD, G_RUNNABLE, G_RUNNING, G_WAITING};
use crate::netpoll;
use crate::overflow;
use crate::p::{P, P_IDLE, P_RETIRED, P_RUNNING};
use crate::stack::StackPool;
use crate::timer::TimerHeap;
use crate::waiter::WaitReason;
use crossbeam_deque::{Injector, Steal};
use std::cell::Cell;
use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Stealing passes over all Ps before giving up (Go: stealTries).
const STEAL_TRIES: usize = 4;

/// The global scheduler state (Go's `sched` plus `allp`).
pub(crate) struct Sched {
    pub(crate) ps: Box<[P]>,
    pub(crate) gomaxprocs: AtomicUsize,
    pub(crate) global: Injector<Arc<G>>,
    idle: Mutex<Idle>,
    pub(crate) npidle: AtomicUsize,
    pub(crate) nmspinning: AtomicUsize,
    pub(crate) ngoroutine: AtomicUsize,
    pub(crate) next_gid: AtomicU64,
    mcount: AtomicUsize,
    pub(crate) stacks: StackPool,
    sleeper: Mutex<Option<(u64, Arc<M>)>>,
    epoch: Instant,
    thread_name: String,
}

/// Idle Ps and idle Ms: Go's `sched.pidle` and `sched.midle`, under one lock.
struct Idle {
    ps: Vec<usize>,
    ms: Vec<Arc<M>>,
}

static SCHED: OnceLock<Sched> = OnceLock::new();

/// Starts the global runtime with `cfg`; fails if it already runs.
pub(crate) fn init(cfg: Config) -> Result<(), Error> {
    let mut fresh = false;
    SCHED.get_or_init(|| {
        fresh = true;
        Sched::new(cfg)
    });
    if fresh {
        Ok(())
    } else {
        Err(Error::AlreadyStarted)
    }
}

/// The global runtime, started from the environment on first use.
#[inline]
pub(crate) fn get() -> &'static Sched {
    match SCHED.get() {
        Some(s) => s,
        None => start_from_env(),
    }
}

#[cold]
fn start_from_env() -> &'static Sched {
    SCHED.get_or_init(|| match crate::Builder::new().config() {
        Ok(cfg) => Sched::new(cfg),
        Err(e) => panic!("goro: cannot start the runtime: {e}"),
    })
}

/// The runtime if it has started.
pub(crate) fn try_get() -> Option<&'static Sched> {
    SCHED.get()
}

impl Sched {
    fn new(cfg: Config) -> Sched {
        let ps: Box<[P]> = (0..MAX_PROCS).map(P::new).collect();
        for p in ps.iter().skip(cfg.gomaxprocs) {
            p.status.store(P_RETIRED, Ordering::Relaxed);
        }
        Sched {
            ps,
            gomaxprocs: AtomicUsize::new(cfg.gomaxprocs),
            global: Injector::new(),
            idle: Mutex::new(Idle {
                ps: (0..cfg.gomaxprocs).rev().collect(),
                ms: Vec::new(),
            }),
            npidle: AtomicUsize::new(cfg.gomaxprocs),
            nmspinning: AtomicUsize::new(0),
            ngoroutine: AtomicUsize::new(0),
            next_gid: AtomicU64::new(1),
            mcount: AtomicUsize::new(0),
            stacks: StackPool::new(cfg.stack_size),
            sleeper: Mutex::new(None),
            epoch: Instant::now(),
            thread_name: cfg.thread_name,
        }
    }

    fn active(&self) -> &[P] {
        &self.ps[..self.gomaxprocs.load(Ordering::Relaxed)]
    }
}

/// Nanoseconds from the runtime's epoch to `t` (0 if before it).
pub(crate) fn nanos(t: Instant) -> u64 {
    t.saturating_duration_since(get().epoch).as_nanos() as u64
}

/// The instant `n` nanoseconds after the runtime's epoch.
pub(crate) fn instant_of(n: u64) -> Instant {
    get().epoch + Duration::from_nanos(n)
}

// ---------------------------------------------------------------------------------------
// Per-M state

thread_local! {
    /// The P this thread's M holds, or usize::MAX. Goroutine code reads it through
    /// `current_p`, which is never inlined (see `g::current_ptr`).
    static CUR_P: Cell<usize> = const { Cell::new(usize::MAX) };
}

#[inline(never)]
pub(crate) fn current_p() -> Option<&'static P> {
    let id = CUR_P.with(|c| c.get());
    (id != usize::MAX).then(|| &get().ps[id])
}

fn set_current_p(id: Option<usize>) {
    CUR_P.with(|c| c.set(id.unwrap_or(usize::MAX)));
}

/// An M: an OS thread that runs goroutines while it holds a P.
pub(crate) struct M {
    id: usize,
    wake: Mutex<Wake>,
    cv: Condvar,
}

#[derive(Default)]
struct Wake {
    /// A P handed to this M by `start_m`, and whether it is to spin.
    handed: Option<(usize, bool)>,
    /// Woken without a P: to recompute its timer deadline.
    poked: bool,
}

enum Woke {
    Handed(usize, bool),
    NoP,
}

impl M {
    fn hand(&self, p: usize, spinning: bool) {
        self.wake.lock().unwrap().handed = Some((p, spinning));
        self.cv.notify_one();
    }

    fn poke(&self) {
        self.wake.lock().unwrap().poked = true;
        self.cv.notify_one();
    }

    fn wait(&self, deadline: Option<Instant>) -> Woke {
        let mut w = self.wake.lock().unwrap();
        loop {
            if let Some((p, s)) = w.handed.take() {
                return Woke::Handed(p, s);
            }
            if std::mem::take(&mut w.poked) {
                return Woke::NoP;
            }
            match deadline {
                None => w = self.cv.wait(w).unwrap(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Woke::NoP;
                    }
                    w = self.cv.wait_timeout(w, d - now).unwrap().0;
                }
            }
        }
    }
}

/// What the scheduler loop of one M carries between calls.
struct MState {
    m: Arc<M>,
    p: Option<usize>,
    spinning: bool,
}

impl MState {
    fn p(&self) -> &'static P {
        &get().ps[self.p.expect("M without a P looked for work")]
    }

    fn acquire(&mut self, p: usize, spinning: bool) {
        get().ps[p].status.store(P_RUNNING, Ordering::Relaxed);
        self.p = Some(p);
        self.spinning = spinning;
        set_current_p(Some(p));
    }
}

/// Starts an M on a new OS thread holding P `p`.
fn new_m(p: usize, spinning: bool) {
    let s = get();
    let id = s.mcount.fetch_add(1, Ordering::Relaxed);
    let m = Arc::new(M {
        id,
        wake: Mutex::new(Wake::default()),
        cv: Condvar::new(),
    });
    let name = format!("{}-{}", s.thread_name, m.id);
    std::thread::Builder::new()
        .name(name)
        .stack_size(256 * 1024)
        .spawn(move || {
            // Scheduler code must never unwind: a panic here would leave Ps and Gs owned by
            // a dead thread. Abort with the message instead.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m_main(m, p, spinning)));
            if let Err(e) = r {
                let msg = e
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| e.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("?");
                crate::fatal(format_args!("the goro scheduler panicked: {msg}"));
            }
        })
        .expect("goro: cannot create an OS thread for an M");
}

fn m_main(m: Arc<M>, p: usize, spinning: bool) {
    overflow::install_on_this_thread();
    let mut ms = MState {
        m,
        p: None,
        spinning: false,
    };
    ms.acquire(p, spinning);
    loop {
        let g = schedule(&mut ms);
        execute(&mut ms, g);
    }
}

/// Hands P `p` to an idle M, or to a new one (Go: startm).
fn start_m(p: usize, spinning: bool) {
    let m = get().idle.lock().unwrap().ms.pop();
    match m {
        Some(m) => m.hand(p, spinning),
        None => new_m(p, spinning),
    }
}

/// Wakes an M to run a P if there is an idle P and nobody spins (Go: wakep).
pub(crate) fn wake_p() {
    let s = get();
    // SeqCst fence: pairs with the one in `find_runnable` after `nmspinning` is decremented
    // (submit, StoreLoad, check).
    fence(Ordering::SeqCst);
    if s.npidle.load(Ordering::SeqCst) == 0 || s.nmspinning.load(Ordering::SeqCst) != 0 {
        return;
    }
    if s
        .nmspinning
        .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return;
    }
    let p = {
        let mut idle = s.idle.lock().unwrap();
        let p = idle.ps.pop();
        if p.is_some() {
            s.npidle.fetch_sub(1, Ordering::SeqCst);
        }
        p
    };
    match p {
        Some(p) => start_m(p, true),
        None => {
            s.nmspinning.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Makes `g` runnable (Go: ready / goready).
pub(crate) fn ready(g: Arc<G>) {
    g.status.store(G_RUNNABLE, Ordering::Relaxed);
    let s = get();
    match current_p() {
        Some(p) => {
            if let Some(old) = p.runnext.put(g) {
                // SAFETY: we run on the M holding `p`.
                unsafe { p.runq() }.push(old);
            }
        }
        None => s.global.push(g),
    }
    wake_p();
}

/// Puts a spawned G where it will run: like `ready`.
pub(crate) fn spawn_g(g: Arc<G>) -> std::io::Result<()> {
    let s = get();
    let p = current_p();
    // SAFETY: the P's stack cache is touched only by its holder, which is us.
    let stack = s.stacks.get(p.map(|p| unsafe { p.stacks() }))?;
    // SAFETY: the new G is ours alone: it is in no queue yet.
    unsafe { g.prepare(stack) };
    s.ngoroutine.fetch_add(1, Ordering::Relaxed);
    ready(g);
    Ok(())
}

/// Parks the running G `g` (see `waiter::park`).
pub(crate) fn park_current(g: &G, reason: WaitReason, release: impl FnOnce()) {
    if g.park.take_notified() {
        release();
        return;
    }
    let mut release = Some(release);
    let mut call = || {
        if let Some(f) = release.take() {
            f()
        }
    };
    // SAFETY: `g` is the running G (it came from `g::current`), and `call` lives in this
    // frame, which stays frozen until the G is resumed, after the M has called it.
    unsafe {
        g::set_release(g, &mut call as &mut dyn FnMut() as *mut dyn FnMut());
        g::switch_out(g, ACT_PARK, Some(reason));
    }
}

/// Moves the running goroutine to the back of its P's queue (Go: Gosched).
pub(crate) fn yield_current(g: &G) {
    // SAFETY: `g` is the running G, on its own stack.
    unsafe { g::switch_out(g, ACT_YIELD, None) };
}

/// Runs `g` on this M until it yields, parks or exits (Go: execute + the park_m / goexit0
/// continuations, which run here on the scheduler stack).
fn execute(ms: &mut MState, g: Arc<G>) {
    let s = get();
    loop {
        g.status.store(G_RUNNING, Ordering::Relaxed);
        // SAFETY: we own `g`: it came out of a run queue or `runnext`.
        let (guard, size) = unsafe { g.stack_info() };
        overflow::enter(guard, g.id, size);
        g::set_current(Arc::as_ptr(&g));
        // SAFETY: we own `g`, run on the M's scheduler stack, and `g` has a saved context.
        let action = unsafe { g.resume() };
        g::set_current(std::ptr::null());
        overflow::leave();
        let p = ms.p();
        match action {
            ACT_YIELD => {
                g.status.store(G_RUNNABLE, Ordering::Relaxed);
                // SAFETY: we hold `p`.
                unsafe { p.runq() }.push(g);
                return;
            }
            ACT_PARK => {
                g.status.store(G_WAITING, Ordering::Relaxed);
                // SAFETY: we just switched out of `g` with ACT_PARK.
                unsafe { g.run_release() };
                if g.park.commit_park() {
                    return; // Its next unpark readies it.
                }
                // An unpark came while it was switching out: run it again.
            }
            ACT_EXIT => {
                g.status.store(G_DEAD, Ordering::Relaxed);
                // SAFETY: the G has exited; we own it.
                if let Some(stack) = unsafe { g.take_stack() } {
                    // SAFETY: we hold `p`, so its stack cache is ours.
                    s.stacks.put(stack, Some(unsafe { p.stacks() }));
                }
                s.ngoroutine.fetch_sub(1, Ordering::Relaxed);
                return;
            }
            other => unreachable!("unknown goroutine action {other}"),
        }
    }
}

/// Picks the next G to run, giving up the P first if it is beyond GOMAXPROCS.
fn schedule(ms: &mut MState) -> Arc<G> {
    let s = get();
    loop {
        let g = next_g(ms);
        // GOMAXPROCS may have shrunk while we looked: this P must not run anything more.
        if ms.p().id < s.gomaxprocs.load(Ordering::Relaxed) {
            return g;
        }
        s.global.push(g);
        retire_p(ms);
    }
}

/// One schedule pass's search for a runnable G (Go: schedule's fast path).
fn next_g(ms: &mut MState) -> Arc<G> {
    let s = get();
    if ms.p.is_none() {
        return find_runnable(ms);
    }
    let p = ms.p();
    if p.id >= s.gomaxprocs.load(Ordering::Relaxed) {
        retire_p(ms);
        return find_runnable(ms);
    }
    let tick = p.next_tick();
    if p.timers.next() != u64::MAX {
        p.timers.run(nanos(Instant::now()));
    }
    // Every 61st tick, the global queue first, so it cannot starve behind local work.
    if tick % 61 == 0 {
        if let Some(g) = global_get(p) {
            return found_work(ms, g);
        }
    }
    if let Some(g) = local_get(p) {
        return found_work(ms, g);
    }
    find_runnable(ms)
}

fn local_get(p: &P) -> Option<Arc<G>> {
    // SAFETY: the caller holds `p`.
    p.runnext.take().or_else(|| unsafe { p.runq() }.pop())
}

/// Takes a batch from the global queue into `p`'s and returns one of them.
fn global_get(p: &P) -> Option<Arc<G>> {
    loop {
        // SAFETY: the caller holds `p`.
        match get().global.steal_batch_and_pop(unsafe { p.runq() }) {
            Steal::Success(g) => return Some(g),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}

/// Stops spinning after finding work; if this was the last spinning M, wakes another so
/// that remaining work keeps finding Ms (Go: resetspinning).
fn found_work(ms: &mut MState, g: Arc<G>) -> Arc<G> {
    if ms.spinning {
        ms.spinning = false;
        let s = get();
        if s.nmspinning.fetch_sub(1, Ordering::SeqCst) == 1 {
            wake_p();
        }
    }
    g
}

/// Finds a runnable G, stealing and finally parking the M if need be (Go: findRunnable).
fn find_runnable(ms: &mut MState) -> Arc<G> {
    let s = get();
    loop {
        if ms.p.is_none() {
            stop_m(ms);
            continue;
        }
        let p = ms.p();
        // Due timers of every P: a timer on a busy or idle P must not wait for it.
        let now = nanos(Instant::now());
        for q in s.active() {
            if q.timers.next() <= now {
                q.timers.run(now);
            }
        }
        if let Some(g) = local_get(p) {
            return found_work(ms, g);
        }
        if let Some(g) = global_get(p) {
            return found_work(ms, g);
        }
        // Goroutines whose fds are ready land in our runnext.
        if netpoll::poll_now() {
            if let Some(g) = local_get(p) {
                return found_work(ms, g);
            }
        }
        let gomaxprocs = s.gomaxprocs.load(Ordering::Relaxed);
        let busy = gomaxprocs.saturating_sub(s.npidle.load(Ordering::SeqCst));
        if ms.spinning || 2 * s.nmspinning.load(Ordering::SeqCst) < busy {
            if !ms.spinning {
                ms.spinning = true;
                s.nmspinning.fetch_add(1, Ordering::SeqCst);
            }
            if let Some(g) = steal_work(p) {
                return found_work(ms, g);
            }
        }

        // Nothing: give the P back (Go: the second half of findRunnable).
        {
            let mut idle = s.idle.lock().unwrap();
            if !s.global.is_empty() {
                drop(idle);
                continue;
            }
            if p.id < s.gomaxprocs.load(Ordering::Relaxed) {
                p.status.store(P_IDLE, Ordering::Relaxed);
                idle.ps.push(p.id);
                s.npidle.fetch_add(1, Ordering::SeqCst);
            } else {
                p.status.store(P_RETIRED, Ordering::Relaxed);
            }
        }
        ms.p = None;
        set_current_p(None);
        let was_spinning = std::mem::take(&mut ms.spinning);
        if was_spinning {
            s.nmspinning.fetch_sub(1, Ordering::SeqCst);
            // SeqCst fence: pairs with the one in `wake_p` (decrement, StoreLoad, re-check).
            fence(Ordering::SeqCst);
            let work = !s.global.is_empty() || s.active().iter().any(P::has_work);
            if work && take_idle_p(ms, true) {
                continue;
            }
        }
        stop_m(ms);
    }
}

/// Takes an idle P for this M; true if it got one.
fn take_idle_p(ms: &mut MState, spinning: bool) -> bool {
    let s = get();
    let p = {
        let mut idle = s.idle.lock().unwrap();
        let p = idle.ps.pop();
        if p.is_some() {
            s.npidle.fetch_sub(1, Ordering::SeqCst);
        }
        p
    };
    match p {
        Some(p) => {
            if spinning {
                s.nmspinning.fetch_add(1, Ordering::SeqCst);
            }
            ms.acquire(p, spinning);
            true
        }
        None => false,
    }
}

/// Steals from the other Ps (Go: stealWork).
fn steal_work(p: &P) -> Option<Arc<G>> {
    let s = get();
    let n = s.gomaxprocs.load(Ordering::Relaxed);
    for pass in 0..STEAL_TRIES {
        let last = pass == STEAL_TRIES - 1;
        let start = (p.rand() % n as u64) as usize;
        for k in 0..n {
            let victim = &s.ps[(start + k) % n];
            if victim.id == p.id {
                continue;
            }
            // SAFETY: we hold `p`; `steal_batch_and_pop` only pushes into our own queue.
            match victim.stealer.steal_batch_and_pop(unsafe { p.runq() }) {
                Steal::Success(g) => return Some(g),
                Steal::Retry | Steal::Empty => {}
            }
            // Only on the last pass, and after a short back-off, take the victim's runnext:
            // it is about to run there, and taking it eagerly breaks the ping-pong locality
            // runnext exists for (Go: runqgrab's usleep(3)).
            if last && victim.runnext.is_some() {
                let until = Instant::now() + Duration::from_micros(3);
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
                if let Some(g) = victim.runnext.take() {
                    return Some(g);
                }
            }
        }
    }
    None
}

/// Parks this M without a P until it is handed one (Go: stopm), or, as the timer sleeper,
/// until the earliest timer is due.
fn stop_m(ms: &mut MState) {
    let s = get();
    let me = ms.m.clone();
    // Become the timer sleeper if a timer is pending and no sleeper waits for an earlier one.
    let deadline = {
        let mut sl = s.sleeper.lock().unwrap();
        let next = s.ps.iter().map(|p| p.timers.next()).min().unwrap_or(u64::MAX);
        let mine = next != u64::MAX && sl.as_ref().is_none_or(|(d, _)| next < *d);
        if mine {
            *sl = Some((next, me.clone()));
        }
        mine.then(|| instant_of(next))
    };
    // One idle M waits in the netpoller instead (until the timer, if it is the sleeper):
    // ready fds then wake goroutines without anybody else polling.
    let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
    if netpoll::block(timeout) {
        clear_sleeper(&me);
        take_idle_p(ms, false);
        return;
    }
    s.idle.lock().unwrap().ms.push(me.clone());
    let woke = me.wait(deadline);
    if deadline.is_some() {
        clear_sleeper(&me);
    }
    match woke {
        Woke::Handed(p, spinning) => ms.acquire(p, spinning),
        Woke::NoP => {
            // Leave the idle list; if we are no longer on it, a P is being handed to us.
            let on_list = {
                let mut idle = s.idle.lock().unwrap();
                let at = idle.ms.iter().position(|m| Arc::ptr_eq(m, &me));
                at.map(|i| idle.ms.swap_remove(i)).is_some()
            };
            if !on_list {
                if let Woke::Handed(p, spinning) = me.wait(None) {
                    ms.acquire(p, spinning);
                }
                return;
            }
            // Due timers need a P to run on; without one, sleep again.
            take_idle_p(ms, false);
        }
    }
}

/// Stops `me` being the timer sleeper, if it is.
fn clear_sleeper(me: &Arc<M>) {
    let mut sl = get().sleeper.lock().unwrap();
    if sl.as_ref().is_some_and(|(_, m)| Arc::ptr_eq(m, me)) {
        *sl = None;
    }
}

/// A timer due at `when` was added: wake the timer sleeper if it sleeps past it, or an M if
/// there is no sleeper (Go: wakeNetPoller).
pub(crate) fn timer_added(when: u64) {
    let s = get();
    let sl = s.sleeper.lock().unwrap();
    match &*sl {
        Some((d, m)) if when < *d => {
            m.poke();
            netpoll::wake_blocked();
        }
        Some(_) => {}
        None => {
            drop(sl);
            wake_p();
        }
    }
}

/// The timer heap a new timer goes to: the current P's, else P 0's.
pub(crate) fn timer_heap() -> &'static TimerHeap {
    match current_p() {
        Some(p) => &p.timers,
        None => &get().ps[0].timers,
    }
}

/// Gives up a P beyond GOMAXPROCS: its work goes to the global queue, its timers to P 0.
fn retire_p(ms: &mut MState) {
    let s = get();
    let p = ms.p();
    while let Some(g) = local_get(p) {
        s.global.push(g);
    }
    p.timers.drain_into(&s.ps[0].timers);
    {
        let _idle = s.idle.lock().unwrap();
        p.status.store(P_RETIRED, Ordering::Relaxed);
    }
    ms.p = None;
    if std::mem::take(&mut ms.spinning) {
        s.nmspinning.fetch_sub(1, Ordering::SeqCst);
    }
    set_current_p(None);
    wake_p();
}

/// Sets the number of Ps; returns the previous number. 0 only reads it.
pub(crate) fn set_gomaxprocs(n: usize) -> usize {
    let s = get();
    if n == 0 {
        return s.gomaxprocs.load(Ordering::Relaxed);
    }
    let n = n.min(MAX_PROCS);
    let old;
    {
        let mut idle = s.idle.lock().unwrap();
        old = s.gomaxprocs.swap(n, Ordering::SeqCst);
        // Idle Ps beyond n retire at once; running ones retire at their next schedule.
        let before = idle.ps.len();
        idle.ps.retain(|&id| id < n);
        for p in &s.ps[n..] {
            if p.status.load(Ordering::Relaxed) == P_IDLE {
                p.status.store(P_RETIRED, Ordering::Relaxed);
            }
        }
        s.npidle
            .fetch_sub(before - idle.ps.len(), Ordering::SeqCst);
        for p in &s.ps[..n] {
            if p.status.load(Ordering::Relaxed) == P_RETIRED {
                p.status.store(P_IDLE, Ordering::Relaxed);
                idle.ps.push(p.id);
                s.npidle.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    for p in &s.ps[n..old.max(n)] {
        if p.status.load(Ordering::Relaxed) == P_RETIRED {
            p.timers.drain_into(&s.ps[0].timers);
        }
    }
    for _ in old..n {
        wake_p();
    }
    old
}

/// Go's sync_runtime_canSpin: spinning for a lock pays off only with several CPUs, other
/// Ps running goroutines that may release it, and no local work waiting.
///
/// A plain thread holds no P, so for it only the first two conditions count.
pub(crate) fn can_spin(iter: u32) -> bool {
    static NCPU: OnceLock<usize> = OnceLock::new();
    let ncpu = *NCPU.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if iter >= 4 || ncpu <= 1 {
        return false;
    }
    let Some(p) = current_p() else { return true };
    let s = get();
    let busy = s.npidle.load(Ordering::Relaxed) + s.nmspinning.load(Ordering::Relaxed) + 1;
    if s.gomaxprocs.load(Ordering::Relaxed) <= busy {
        return false;
    }
    // SAFETY: we run on the M holding `p`.
    unsafe { p.runq() }.is_empty() && !p.runnext.is_some()
}
