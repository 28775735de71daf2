//! The scheduler: Go's `schedule`, `findRunnable`, `wakep`, `startm`/`stopm` and the
//! global state they share (Go: runtime/proc.go).
//!
//! Where a G goes when it becomes runnable:
//! - spawned or readied by a goroutine: the current P's `runnext` (the displaced one goes to
//!   the local queue's tail), then `wake_p`;
//! - spawned or readied from a plain thread: the global queue, then `wake_p`;
//! - yielding: the local queue's tail.
//!
//! A local queue holds at most 256 Gs: a push onto a full one moves its older half, and the
//! new G, to the global queue (Go's runqput/runqputslow; see `runq_put`).
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

use crate::clock;
use crate::config::{BuildError, Builder, Config, MAX_PROCS};
use crate::g::{self, Act, GStatus, G};
use crate::inflight::InFlightCount;
use crate::m::{self, cur, new_m, set_cur, Handoff, Sleeper, Woke, M, NO_P};
use crate::netpoll;
use crate::overflow;
use crate::p::{PState, Pin, P};
use crate::registry::Registry;
use crate::stack::StackPool;
use crate::timer::TimerHeap;
use crossbeam_deque::{Injector, Steal};

use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The deadlock check, installed by `run` (the diagnostics above this layer): called by an M
/// about to park, under the idle lock, with the number of Ms parked. A named hook: the one
/// way the scheduler calls up (Go's stopm calls checkdead through mput).
static CHECK_DEAD: OnceLock<fn(usize)> = OnceLock::new();

/// Installs the deadlock check (once; later calls change nothing).
pub(crate) fn set_check_dead(check: fn(usize)) {
    let _ = CHECK_DEAD.set(check);
}

/// Stealing passes over all Ps before giving up (Go: stealTries).
const STEAL_TRIES: usize = 4;

/// The global scheduler state (Go's `sched` plus `allp`).
pub(crate) struct Sched {
    pub(crate) ps: Box<[P]>,
    pub(crate) gomaxprocs: AtomicUsize,
    pub(crate) global: Injector<Arc<G>>,
    pub(crate) idle: Mutex<Idle>,
    pub(crate) npidle: AtomicUsize,
    pub(crate) nmspinning: AtomicUsize,
    pub(crate) ngoroutine: AtomicUsize,
    pub(crate) next_gid: AtomicU64,
    pub(crate) stacks: StackPool,
    /// Dead Gs beyond the per-P lists, for reuse (stackless; see `gfree.rs`).
    pub(crate) gfree: Mutex<crate::gfree::GlobalFree>,
    /// Every live G.
    pub(crate) allgs: Registry,
    /// Ms parked in `stop_locked_m`, waiting for their wired goroutine.
    pub(crate) nlockedidle: AtomicUsize,
    /// Threads outside the M count (sysmon, a plain thread) moving work between places the
    /// deadlock detector looks at; see [`InFlight`].
    pub(crate) inflight: InFlightCount,
    sleeper: Sleeper,
    thread_name: String,
}

/// Idle Ps and idle Ms: Go's `sched.pidle` and `sched.midle`, under one lock.
pub(crate) struct Idle {
    pub(crate) ps: Vec<usize>,
    ms: Vec<Arc<M>>,
}

static SCHED: OnceLock<Sched> = OnceLock::new();

/// Starts the global runtime with `cfg`; fails if it already runs.
pub(crate) fn init(cfg: Config) -> Result<(), BuildError> {
    let mut fresh = false;
    SCHED.get_or_init(|| {
        fresh = true;
        Sched::new(cfg)
    });
    if fresh {
        Ok(())
    } else {
        Err(BuildError::AlreadyStarted)
    }
}

impl Builder {
    /// Starts the global runtime with these settings.
    ///
    /// Fails if it already runs (any goroutine, timer or `sleep` starts it), or if a setting
    /// or an environment variable it falls back to is invalid.
    ///
    /// ```
    /// let err = gmp_sched::Builder::new().gomaxprocs(0).init().unwrap_err();
    /// assert!(err.to_string().contains("gomaxprocs"));
    /// ```
    pub fn init(self) -> Result<(), BuildError> {
        let config = self.config()?;
        init(config)
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
    SCHED.get_or_init(|| match Builder::new().config() {
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
        crate::config::raise_nofile_limit();
        clock::start();
        // Room for MAX_PROCS Ps, or as many as asked for at start-up if that is more.
        let ps: Box<[P]> = (0..cfg.gomaxprocs.max(MAX_PROCS)).map(P::new).collect();
        for p in ps.iter().skip(cfg.gomaxprocs) {
            p.owner.set_state(PState::Retired);
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
            stacks: StackPool::new(cfg.stack_size),
            gfree: Mutex::new(crate::gfree::GlobalFree::new()),
            allgs: Registry::new(),
            nlockedidle: AtomicUsize::new(0),
            inflight: InFlightCount::new(),
            sleeper: Sleeper::new(),
            thread_name: cfg.thread_name,
        }
    }

    pub(crate) fn active(&self) -> &[P] {
        &self.ps[..self.gomaxprocs.load(Ordering::Relaxed)]
    }
}

/// A section in which a thread that the deadlock detector does not count as running (sysmon,
/// or a plain thread calling into the runtime) moves work it may make runnable: due timers
/// taken off a heap before their callbacks ready goroutines, timers drained from a retired
/// P, goroutines a poll readied (see `inflight.rs`). It ends when the guard drops.
#[must_use = "the section ends when the guard drops"]
pub(crate) struct InFlight(&'static Sched);

impl InFlight {
    pub(crate) fn begin() -> InFlight {
        let s = get();
        s.inflight.begin();
        InFlight(s)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.inflight.end() {
            // A deadlock check ran into this section and concluded nothing; the Ms may all
            // be parked now, so nobody else would look again.
            if let Some(check_dead) = CHECK_DEAD.get() {
                let idle = self.0.idle.lock().unwrap();
                check_dead(idle.ms.len() + self.0.nlockedidle.load(Ordering::SeqCst));
            }
            // An auto-advance of the test clock gave up for this section: look again.
            if clock::auto_advancing() {
                wake_p();
            }
        }
    }
}

/// The P this thread's M holds (or held: its owner may have changed since), if any.
pub(crate) fn current_p() -> Option<&'static P> {
    let (id, _) = cur();
    (id != NO_P).then(|| &get().ps[id])
}

/// This thread's M, if it is one.
/// Calls `f` with this thread's P if its M still owns it, pinned so that sysmon cannot
/// take it meanwhile; with `None` otherwise (a plain thread, or an M whose P was retaken).
/// `f` must not switch goroutines.
pub(crate) fn with_p<R>(f: impl FnOnce(Option<&'static P>) -> R) -> R {
    let (id, gen) = cur();
    if id == NO_P {
        return f(None);
    }
    let p = &get().ps[id];
    match p.owner.pin(gen) {
        Pin::Held => f(Some(p)),
        Pin::Pinned => {
            let r = f(Some(p));
            p.owner.unpin(gen);
            r
        }
        Pin::Lost => f(None),
    }
}

/// What the scheduler loop of one M carries between calls. Its P is in `CUR`.
struct MState {
    m: Arc<M>,
    spinning: bool,
}

impl MState {
    /// The P this M holds, in scheduler state.
    fn p(&self) -> &'static P {
        current_p().expect("M without a P looked for work")
    }

    fn has_p(&self) -> bool {
        cur().0 != NO_P
    }

    fn acquire(&mut self, p: usize, spinning: bool) {
        let gen = take_over(&get().ps[p]);
        set_cur(p, gen);
        self.spinning = spinning;
    }

    fn drop_p(&mut self) {
        set_cur(NO_P, 0);
    }
}

fn m_main(m: Arc<M>, h: Handoff) {
    m::enter(&m);
    let mut ms = MState { m, spinning: false };
    ms.acquire(h.p, h.spinning);
    let mut next = h.g;
    loop {
        let (g, inherit) = match next.take() {
            Some(g) => (g, false),
            None => match schedule(&mut ms) {
                Some(r) => r,
                None => break, // an idle M beyond the limit: exit
            },
        };
        next = execute(&mut ms, g, inherit);
    }
    m::exit();
}

/// Hands P `p` to an idle M, or to a new one (Go: startm).
fn start_m(p: usize, spinning: bool) {
    let m = get().idle.lock().unwrap().ms.pop();
    let h = Handoff {
        p,
        spinning,
        g: None,
    };
    match m {
        Some(m) => m.hand(h),
        None => new_m(h, &get().thread_name, m_main),
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
    if s.nmspinning
        .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return;
    }
    match pidle_get() {
        Some(p) => start_m(p, true),
        None => {
            s.nmspinning.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// For a goroutine back from a syscall whose P was retaken: takes an idle P for this M,
/// running. False if none is idle.
pub(crate) fn acquire_idle_p_running() -> bool {
    set_cur(NO_P, 0);
    let Some(id) = pidle_get() else { return false };
    let p = &get().ps[id];
    let gen = take_over(p);
    p.owner.run(gen);
    set_cur(id, gen);
    true
}

/// Takes over P `p`, which the caller took off the idle list, was handed, or retook: it
/// is never retired (only an idle P retires from outside, and this one is not on the list).
fn take_over(p: &P) -> u64 {
    p.owner.take_over().unwrap_or_else(|| {
        crate::fatal::fatal(format_args!(
            "the goro scheduler took over P {}, which is retired",
            p.id
        ))
    })
}

/// Takes a P off the idle list (Go: pidleget), marking it on its way to an M, so that
/// `set_gomaxprocs` cannot retire it before the M takes it over.
fn pidle_get() -> Option<usize> {
    let s = get();
    let mut idle = s.idle.lock().unwrap();
    let p = idle.ps.pop();
    if let Some(id) = p {
        s.ps[id].owner.set_state(PState::Handoff);
        s.npidle.fetch_sub(1, Ordering::SeqCst);
    }
    p
}

/// Puts P `p` on the idle list, or retires it if it is beyond GOMAXPROCS (Go: pidleput).
/// A retired P's timers move to P 0: nobody looks at a retired P's heap.
fn pidle_put(p: &P) {
    let s = get();
    {
        let mut idle = s.idle.lock().unwrap();
        if p.id < s.gomaxprocs.load(Ordering::Relaxed) {
            p.owner.set_state(PState::Idle);
            idle.ps.push(p.id);
            s.npidle.fetch_add(1, Ordering::SeqCst);
            return;
        }
        p.owner.set_state(PState::Retired);
    }
    p.timers.drain_into(&s.ps[0].timers, timer_added);
}

/// Gives a P that its M cannot use (a goroutine blocked in a syscall or hogging it, or a
/// wired M parking) to an M that can, or to the idle list (Go: handoffp).
pub(crate) fn handoff_p(p: &P) {
    let s = get();
    // Work to do, or due timers: an M must run it now.
    let timers_due = p.timers.next() <= clock::now_nanos();
    if p.has_work() || !s.global.is_empty() || timers_due {
        start_m(p.id, false);
        return;
    }
    // Nobody spinning or idle to notice new work: make this one spin.
    if s.nmspinning.load(Ordering::SeqCst) + s.npidle.load(Ordering::SeqCst) == 0
        && s.nmspinning
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    {
        start_m(p.id, true);
        return;
    }
    pidle_put(p);
    // A timer on this P may be earlier than what the sleeper waits for.
    let next = p.timers.next();
    if next != u64::MAX {
        timer_added(next);
    }
}

/// Makes `g` runnable (Go: ready / goready).
pub(crate) fn ready(g: Arc<G>) {
    g.status.store(GStatus::Runnable);
    let s = get();
    // Some(true): on our P; Some(false): globally; None: kept by the polling M.
    let local = with_p(|p| match p {
        Some(p) => {
            if let Some(old) = p.runnext.put(g) {
                runq_put(p, old);
            }
            Some(true)
        }
        None => match netpoll::collect(g) {
            Ok(()) => None,
            Err(g) => {
                s.global.push(g);
                Some(false)
            }
        },
    });
    match local {
        // Our own M will run it: waking another only adds parallelism, so the cheap check
        // (no StoreLoad fence) is enough here.
        Some(true)
            if s.npidle.load(Ordering::Relaxed) != 0
                && s.nmspinning.load(Ordering::Relaxed) == 0 =>
        {
            wake_p()
        }
        Some(false) => wake_p(),
        Some(true) | None => {}
    }
}

/// A P's local run queue holds this many Gs before half of them move to the global queue
/// (Go: `len(p.runq)`, 256).
const RUNQ_MAX: usize = 256;

/// Puts `g` at the tail of `p`'s local queue (Go: runqput). The caller holds `p`.
///
/// A full queue moves its older half, then `g`, to the global queue (Go: runqputslow). This
/// bound is what keeps a fan-out like skynet depth-first: the queue is FIFO, so without it
/// the oldest, shallowest Gs would always run first and every level of the tree would be
/// spawned before any leaf returned (672,000 live goroutines at skynet's peak on one P
/// against Go's 60,000). With it, old shallow work waits in the global queue, looked at
/// every 61st tick or when the local queue is empty, while recent deep work runs and ends.
pub(crate) fn runq_put(p: &P, g: Arc<G>) {
    // SAFETY: the caller holds `p`, so its queue is ours.
    let q = unsafe { p.runq() };
    if q.len() < RUNQ_MAX {
        q.push(g);
    } else {
        runq_put_slow(q, g);
    }
}

#[cold]
fn runq_put_slow(q: &crossbeam_deque::Worker<Arc<G>>, g: Arc<G>) {
    let global = &get().global;
    for old in std::iter::from_fn(|| q.pop()).take(RUNQ_MAX / 2) {
        global.push(old);
    }
    global.push(g);
}

/// Takes back this M's P after a goroutine switched out: it is ours again if it is still
/// in our generation (running, or in a syscall the goroutine parked inside); otherwise
/// sysmon gave it away and we run on without one.
fn reclaim_p(ms: &mut MState) -> Option<&'static P> {
    let (id, gen) = cur();
    if id == NO_P {
        return None;
    }
    let p = &get().ps[id];
    if p.owner.reclaim(gen) {
        return Some(p);
    }
    ms.drop_p();
    None
}

/// Queues a runnable G: on `p` if we hold one, else globally.
fn requeue(p: Option<&P>, g: Arc<G>) {
    g.status.store(GStatus::Runnable);
    match p {
        Some(p) => runq_put(p, g),
        None => {
            get().global.push(g);
            wake_p();
        }
    }
}

/// Runs `g` on this M until it yields, parks or exits (Go: execute + the park_m / goexit0
/// continuations, which run here on the scheduler stack). Returns a G to run next when this
/// M is wired to one (`lock_os_thread`) and was handed it back.
///
/// `inherit`: `g` came from `runnext`, so it runs in the time slice of the G that readied
/// it and the schedule tick stays (Go: execute's inheritTime). Two goroutines handing a
/// value back and forth thus share one slice, and sysmon preempts the pair as one after
/// 10 ms instead of never (each hand-off would otherwise look like a fresh schedule).
fn execute(ms: &mut MState, g: Arc<G>, inherit: bool) -> Option<Arc<G>> {
    let s = get();
    let mut g = g;
    let mut inherit = inherit;
    loop {
        g.status.store(GStatus::Running);
        // SAFETY: we own `g`: it came out of a run queue, `runnext` or a hand-off.
        let (guard, size) = unsafe { g.stack_info() };
        overflow::enter(guard, g.id(), size);
        let (id, gen) = cur();
        let p = &s.ps[id];
        if !std::mem::take(&mut inherit) {
            p.next_tick();
        }
        P::bump(&p.switches);
        // From here sysmon may retake the P if the goroutine keeps it too long.
        p.owner.run(gen);
        g::set_running(g);
        // SAFETY: we run on the M's scheduler stack and own the G in the running slot,
        // which has a saved context.
        let action = unsafe { g::resume_running() };
        // With direct switches, the G that came back may not be the one we resumed.
        g = g::take_running().expect("a goroutine switched back without a G");
        overflow::leave();
        let p = reclaim_p(ms);
        // SAFETY: `g` is switched out; we own it again.
        let wired = unsafe { g.locked_to(&ms.m) };
        match action {
            Act::Yield | Act::Requeue => requeue(p, g),
            Act::Park => {
                g.status.store(GStatus::Waiting);
                if let Some(p) = p {
                    P::bump(&p.parks);
                }
                // SAFETY: we just switched out of `g` with Act::Park.
                unsafe { g.run_release() };
                if !g.park.commit_park() {
                    // An unpark came while it was switching out: run it again.
                    if p.is_none() && !take_idle_p(ms, false) {
                        requeue(None, g);
                        return None;
                    }
                    continue;
                }
            }
            Act::Exit => {
                g.status.store(GStatus::Dead);
                if Arc::strong_count(&g) == 1 {
                    // Nobody else can reach it: recycle it, stack and all (Go: gfput).
                    crate::gfree::gfree_put(p, g);
                // SAFETY: the G has exited; we own it.
                } else if let Some(stack) = unsafe { g.take_stack() } {
                    // SAFETY: we hold `p` (if any), so its stack cache is ours.
                    s.stacks.put(stack, p.map(|p| unsafe { p.stacks() }));
                }
                return None;
            }
        }
        if !wired {
            return None;
        }
        return stop_locked_m(ms);
    }
}

/// A wired M whose goroutine blocked: give the P away and wait until the goroutine is
/// handed back with a P to run it on (Go: stoplockedm).
fn stop_locked_m(ms: &mut MState) -> Option<Arc<G>> {
    // Counted idle before the P goes: once it has, our goroutine may be readied and handed
    // back (`start_locked_m` counts us running again first), and the count must never dip
    // below the wired Ms actually parked. Meanwhile whatever the P holds is still in its
    // queues, where the deadlock detector looks.
    let s = get();
    s.nlockedidle.fetch_add(1, Ordering::SeqCst);
    if let Some(p) = current_p().filter(|_| ms.has_p()) {
        p.owner.set_state(PState::Sched);
        ms.drop_p();
        handoff_p(p);
    }
    loop {
        // Only `start_locked_m` hands anything to a wired M (it is on no idle list), always
        // with its goroutine, and it has already counted us running.
        if let Woke::Handed(h) = ms.m.wait(None) {
            ms.acquire(h.p, h.spinning);
            return Some(h.g.expect("a wired M was handed a P without its goroutine"));
        }
    }
}

/// Hands `g`, wired to M `m`, to that M together with our P; we go on without a P (Go:
/// startlockedm).
fn start_locked_m(ms: &mut MState, m: Arc<M>, g: Arc<G>) {
    let p = ms.p();
    ms.drop_p();
    let spinning = std::mem::take(&mut ms.spinning);
    let s = get();
    if spinning {
        s.nmspinning.fetch_sub(1, Ordering::SeqCst);
    }
    // The wired M counts as running before it is woken, not once it runs: we are about to
    // park ourselves, and in between the deadlock detector must not see every M idle with
    // `g` in nobody's queue (Go: startlockedm's incidlelocked(-1)).
    s.nlockedidle.fetch_sub(1, Ordering::SeqCst);
    m.hand(Handoff {
        p: p.id,
        spinning: false,
        g: Some(g),
    });
}

/// Picks the next G to run, giving up the P first if it is beyond GOMAXPROCS, and handing
/// wired goroutines to their Ms. `None`: this idle M should exit.
fn schedule(ms: &mut MState) -> Option<Runnable> {
    let s = get();
    loop {
        let (g, inherit) = next_g(ms)?;
        // GOMAXPROCS may have shrunk while we looked: this P must not run anything more.
        if ms.p().id >= s.gomaxprocs.load(Ordering::Relaxed) {
            s.global.push(g);
            retire_p(ms);
            continue;
        }
        // SAFETY: we own `g`: it came out of a run queue.
        match unsafe { g.locked_m() } {
            Some(m) if !Arc::ptr_eq(&m, &ms.m) => start_locked_m(ms, m, g),
            _ => return Some((g, inherit)),
        }
    }
}

/// One schedule pass's search for a runnable G (Go: schedule's fast path).
fn next_g(ms: &mut MState) -> Option<Runnable> {
    let s = get();
    if !ms.has_p() {
        return find_runnable(ms);
    }
    let p = ms.p();
    if p.id >= s.gomaxprocs.load(Ordering::Relaxed) {
        retire_p(ms);
        return find_runnable(ms);
    }
    let tick = p.schedtick.load(Ordering::Relaxed);
    if p.timers.next() != u64::MAX {
        p.timers.run(clock::now_nanos());
    }
    // Every 61st tick, the global queue first, so it cannot starve behind local work. One G
    // only, as Go's globrunqget(pp, 1): a batch would pull old, shallow work (what
    // `runq_put` moved out) back in front of the recent work in the local queue.
    if tick % 61 == 0 {
        if let Some(g) = global_get_one() {
            return Some(found_work(ms, (g, false)));
        }
    }
    if let Some(next) = local_get(p) {
        return Some(found_work(ms, next));
    }
    find_runnable(ms)
}

/// A G to run, and whether it inherits the current time slice (see `execute`).
type Runnable = (Arc<G>, bool);

/// The next G of `p`'s own: `runnext` first, then the queue. The flag says it came from
/// `runnext` and so inherits the time slice of the G that readied it (Go: runqget's
/// inheritTime).
fn local_get(p: &P) -> Option<(Arc<G>, bool)> {
    if let Some(g) = p.runnext.take() {
        return Some((g, true));
    }
    // SAFETY: the caller holds `p`.
    unsafe { p.runq() }.pop().map(|g| (g, false))
}

/// Takes one G from the global queue.
fn global_get_one() -> Option<Arc<G>> {
    loop {
        match get().global.steal() {
            Steal::Success(g) => return Some(g),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}

/// Takes a batch from the global queue into `p`'s and returns one of them (Go:
/// globrunqgetbatch): `min(len / GOMAXPROCS + 1, RUNQ_MAX / 2)` Gs, Go's share. crossbeam's
/// own batch stops at a block boundary (at most 63) or half the queue; topping it up to Go's
/// share matters to the shape of a fan-out: the more of the old work the local queue takes in
/// at once, the fewer shallow nodes run ahead of the deep ones (skynet at one P, peak live
/// goroutines: 136,000 taking one G at a time, 120,000 with crossbeam's batch, 108,000 with
/// Go's).
fn global_get(p: &P) -> Option<Arc<G>> {
    let s = get();
    let want = (s.global.len() / s.gomaxprocs.load(Ordering::Relaxed).max(1) + 1).min(RUNQ_MAX / 2);
    // SAFETY: the caller holds `p`.
    let q = unsafe { p.runq() };
    let g = loop {
        match s.global.steal_batch_with_limit_and_pop(q, want) {
            Steal::Success(g) => break g,
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    };
    // The local queue was empty or nearly (this runs when it had nothing to give), so it has
    // room for the rest.
    while q.len() + 1 < want {
        let before = q.len();
        match s.global.steal_batch_with_limit(q, want - 1 - before) {
            Steal::Success(()) => {}
            Steal::Empty => break,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
    Some(g)
}

/// Stops spinning after finding work; if this was the last spinning M, wakes another so
/// that remaining work keeps finding Ms (Go: resetspinning).
fn found_work(ms: &mut MState, next: Runnable) -> Runnable {
    if ms.spinning {
        ms.spinning = false;
        let s = get();
        if s.nmspinning.fetch_sub(1, Ordering::SeqCst) == 1 {
            wake_p();
        }
    }
    next
}

/// Finds a runnable G, stealing and finally parking the M if need be (Go: findRunnable).
/// `None`: this M has been idle too long and should exit.
fn find_runnable(ms: &mut MState) -> Option<Runnable> {
    let s = get();
    loop {
        if !ms.has_p() {
            if stop_m(ms) {
                return None;
            }
            continue;
        }
        let p = ms.p();
        // Due timers of every P: a timer on a busy or idle P must not wait for it.
        let now = clock::now_nanos();
        for q in s.active() {
            if q.timers.next() <= now {
                q.timers.run(now);
            }
        }
        if let Some(next) = local_get(p) {
            return Some(found_work(ms, next));
        }
        if let Some(g) = global_get(p) {
            return Some(found_work(ms, (g, false)));
        }
        // Goroutines whose fds are ready land in our runnext.
        if netpoll::poll_now() {
            if let Some(next) = local_get(p) {
                return Some(found_work(ms, next));
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
                return Some(found_work(ms, (g, false)));
            }
        }

        // Nothing: give the P back (Go: the second half of findRunnable).
        if !s.global.is_empty() {
            continue;
        }
        ms.drop_p();
        pidle_put(p);
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
        if stop_m(ms) {
            return None;
        }
    }
}

/// Takes an idle P for this M; true if it got one.
fn take_idle_p(ms: &mut MState, spinning: bool) -> bool {
    match pidle_get() {
        Some(p) => {
            if spinning {
                get().nmspinning.fetch_add(1, Ordering::SeqCst);
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
                Steal::Success(g) => {
                    P::bump(&p.steals);
                    return Some(g);
                }
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

/// Ms parked without a P, for `metrics`.
pub(crate) fn idle_ms() -> usize {
    get().idle.lock().unwrap().ms.len() + get().nlockedidle.load(Ordering::Relaxed)
}

/// How long an idle M beyond `MAX_IDLE_MS` lingers before its thread exits.
const IDLE_M_EXIT: Duration = Duration::from_secs(1);
/// Idle Ms kept for quick wake-ups; more exit after `IDLE_M_EXIT`.
const MAX_IDLE_MS: usize = 4;

/// Parks this M without a P until it is handed one (Go: stopm), or, as the timer sleeper,
/// until the earliest timer is due. True: this M has idled too long and should exit.
fn stop_m(ms: &mut MState) -> bool {
    let s = get();
    let me = ms.m.clone();
    // Become the timer sleeper if a timer is pending and no sleeper waits for an earlier one.
    let (deadline, overdue) = s.sleeper.claim(&me, || {
        let next = s
            .active()
            .iter()
            .map(|p| p.timers.next())
            .min()
            .unwrap_or(u64::MAX);
        (next, next > clock::now_nanos())
    });
    // A timer fell due since we last looked (a periodic one re-armed, or one added on a busy
    // P): run it with an idle P (`find_runnable` fires every active P's due timers). With no
    // idle P it is for the Ps' own Ms, or sysmon's: do not spin on it.
    if overdue && take_idle_p(ms, false) {
        return false;
    }
    // A paused test clock with auto-advance: the last M to go idle moves it to the next
    // timer, and runs what that readies.
    if clock::auto_advancing() && auto_advance() && take_idle_p(ms, false) {
        s.sleeper.clear(&me);
        return false;
    }
    // One idle M waits in the netpoller instead (until the timer, if it is the sleeper):
    // ready fds then wake goroutines without anybody else polling.
    // Runtime time may be a test's: a paused clock moves only when `advance` pokes us.
    // Not while a test clock auto-advances: an M in the poller holds what it readied where
    // `auto_advance` cannot see it; sysmon polls every 10 ms instead, in an in-flight
    // section.
    let timeout = deadline.and_then(clock::real_wait);
    let block = || {
        (!clock::auto_advancing())
            .then(|| netpoll::block(timeout))
            .flatten()
    };
    if let Some(readied) = block() {
        s.sleeper.clear(&me);
        let got_p = take_idle_p(ms, false);
        let many = readied.len() > 1;
        for g in readied {
            // The goroutines the poll readied run here if we got a P (Go: the M that polled
            // runs them), else wherever an M is free.
            requeue(got_p.then(|| ms.p()), g);
        }
        if got_p && many {
            wake_p();
        }
        return false;
    }
    {
        let mut idle = s.idle.lock().unwrap();
        idle.ms.push(me.clone());
        if let Some(check_dead) = CHECK_DEAD.get() {
            check_dead(idle.ms.len() + s.nlockedidle.load(Ordering::SeqCst));
        }
    }
    let wake_at = match deadline {
        Some(d) => clock::real_wait(d).map(|w| clock::deadline_after(Instant::now(), w)),
        None => Some(Instant::now() + IDLE_M_EXIT),
    };
    let woke = me.wait(wake_at);
    if deadline.is_some() {
        s.sleeper.clear(&me);
    }
    match woke {
        Woke::Handed(h) => {
            ms.acquire(h.p, h.spinning);
            false
        }
        Woke::NoP => {
            // Leave the idle list; if we are no longer on it, a P is being handed to us.
            let (on_list, crowded) = {
                let mut idle = s.idle.lock().unwrap();
                let at = idle.ms.iter().position(|m| Arc::ptr_eq(m, &me));
                let crowded = idle.ms.len() > MAX_IDLE_MS;
                (at.map(|i| idle.ms.swap_remove(i)).is_some(), crowded)
            };
            if !on_list {
                if let Woke::Handed(h) = me.wait(None) {
                    ms.acquire(h.p, h.spinning);
                }
                return false;
            }
            if crowded && deadline.is_none() {
                return true; // idle for IDLE_M_EXIT with plenty of others idle: exit
            }
            // Due timers need a P to run on; without one, sleep again.
            take_idle_p(ms, false);
            false
        }
    }
}

/// Auto-advance of a paused test clock (tokio's auto-advance; Go's synctest advances its
/// bubble's clock when every goroutine in it is durably blocked): if every other M is idle,
/// nothing is queued or in flight and no fd is ready, moves the clock to the earliest timer.
/// True if it moved. Goroutines waiting for I/O do not hold it back (a socket deadline is a
/// timer like any other); plain threads are not seen, as the deadlock detector does not see
/// them.
fn auto_advance() -> bool {
    let s = get();
    // Goroutines whose fds are ready go to the queues, and the look below sees them.
    netpoll::poll_now();
    let next = loop {
        let Some(quiet) = s.inflight.quiet() else {
            if s.inflight.defer_check() {
                return false; // the section's end wakes an M, which looks again
            }
            continue;
        };
        let idle = s.idle.lock().unwrap();
        let others_idle = crate::m::NTHREADS.load(Ordering::SeqCst)
            <= idle.ms.len() + s.nlockedidle.load(Ordering::SeqCst) + 1;
        if !others_idle || !s.global.is_empty() || s.ps.iter().any(|p| p.has_work()) {
            return false;
        }
        let next =
            s.ps.iter()
                .map(|p| p.timers.next())
                .min()
                .unwrap_or(u64::MAX);
        drop(idle);
        if s.inflight.still_quiet(quiet) {
            break next;
        }
    };
    // No timer, or only ones past the paused clock's range (a sleep of `Duration::MAX`):
    // nothing to advance to.
    if next > clock::MAX_PAUSED {
        return false;
    }
    let c = clock::Control::lock();
    if !clock::auto_advancing() {
        return false;
    }
    c.set(next);
    true
}

/// A timer due at `when` was added: wake the timer sleeper if it sleeps past it, or an M if
/// there is no sleeper (Go: wakeNetPoller).
pub(crate) fn timer_added(when: u64) {
    if !get().sleeper.poke_if_later(when) {
        wake_p();
    }
}

/// The runtime's clock moved other than by running (a test advanced or resumed it): the
/// timer sleeper looks at the timers again, or an M does if nobody sleeps on them.
pub(crate) fn clock_moved() {
    if !get().sleeper.poke() {
        wake_p();
    }
}

/// The timer heap a new timer goes to: the current P's, else P 0's.
pub(crate) fn timer_heap() -> &'static TimerHeap {
    let s = get();
    match current_p() {
        // Never a retired P's: its heap was drained to P 0's and nobody looks at it.
        Some(p) if p.id < s.gomaxprocs.load(Ordering::Relaxed) => &p.timers,
        _ => &s.ps[0].timers,
    }
}

/// Gives up a P beyond GOMAXPROCS: its work goes to the global queue, its timers to P 0.
fn retire_p(ms: &mut MState) {
    let s = get();
    let p = ms.p();
    while let Some((g, _)) = local_get(p) {
        s.global.push(g);
    }
    p.timers.drain_into(&s.ps[0].timers, timer_added);
    {
        let _idle = s.idle.lock().unwrap();
        p.owner.set_state(PState::Retired);
    }
    ms.drop_p();
    if std::mem::take(&mut ms.spinning) {
        s.nmspinning.fetch_sub(1, Ordering::SeqCst);
    }
    wake_p();
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
    !p.has_work()
}
