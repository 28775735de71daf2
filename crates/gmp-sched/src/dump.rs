//! What Go programmers reach for when a concurrent program misbehaves: goroutine dumps,
//! deadlock detection, leak checks, scheduler traces and counters.
//!
//! Ports the ideas of Go's goroutine traceback header (runtime/traceback.go), `checkdead`
//! (runtime/proc.go), `GODEBUG=schedtrace` and goleak.
//!
//! Every live G is in the registry (`registry.rs`). Parking records the reason and a coarse time (sysmon's clock,
//! updated every tick): no clock read on the hot path.

use crate::clock::deadline_after;
use crate::g::{GStatus, G};
use crate::park_state::WaitReason;
use crate::sched::{self, get};
use std::fmt::{self, Write as _};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a goroutine is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoroutineState {
    /// Queued to run.
    Runnable,
    /// Running on an M.
    Running,
    /// Parked, for this reason.
    Waiting(WaitReason),
    /// In a blocking call wrapped in [`syscall`](crate::syscall).
    Syscall,
}

/// One goroutine as [`goroutines`] saw it.
#[derive(Clone, Debug)]
pub struct GoroutineInfo {
    /// Its id.
    pub id: u64,
    /// What it was doing.
    pub state: GoroutineState,
    /// For a waiting goroutine, about how long it has waited (sysmon's clock: coarse).
    pub waiting_for: Option<Duration>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
}

impl fmt::Display for GoroutineInfo {
    /// Go's goroutine header: `goroutine 7 [chan receive, 2.5s]:` and the spawn site.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "goroutine {} [", self.id)?;
        match self.state {
            GoroutineState::Runnable => f.write_str("runnable")?,
            GoroutineState::Running => f.write_str("running")?,
            GoroutineState::Syscall => f.write_str("syscall")?,
            GoroutineState::Waiting(r) => write!(f, "{r}")?,
        }
        if let Some(d) = self.waiting_for.filter(|d| *d >= Duration::from_secs(1)) {
            write!(f, ", {:.0?}", Duration::from_secs(d.as_secs()))?;
        }
        write!(f, "]:\n\tspawned at {}", self.spawned_at)
    }
}

fn info(g: &G, now: u64) -> Option<GoroutineInfo> {
    let state = match g.status.load() {
        GStatus::Runnable => GoroutineState::Runnable,
        GStatus::Running => GoroutineState::Running,
        GStatus::Syscall => GoroutineState::Syscall,
        GStatus::Waiting => GoroutineState::Waiting(g.reason()),
        GStatus::Dead => return None,
    };
    let waiting_for = matches!(state, GoroutineState::Waiting(_))
        .then(|| Duration::from_nanos(now.saturating_sub(g.parked_at.load(Ordering::Relaxed))));
    Some(GoroutineInfo {
        id: g.id(),
        state,
        waiting_for,
        spawned_at: g.spawned_at(),
    })
}

/// Every live goroutine, by id.
///
/// ```
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(|| gmp_sched::sleep(std::time::Duration::from_millis(50))) };
/// let id = h.id();
/// assert!(gmp_sched::debug::goroutines().iter().any(|g| g.id == id));
/// h.join().unwrap();
/// ```
pub fn goroutines() -> Vec<GoroutineInfo> {
    listed(|_| true)
}

/// The live goroutines `keep` picks, by id.
fn listed(keep: impl Fn(&G) -> bool) -> Vec<GoroutineInfo> {
    let Some(s) = sched::try_get() else {
        return Vec::new();
    };
    let now = crate::clock::now_nanos();
    s.allgs
        .snapshot()
        .iter()
        .filter(|g| keep(g))
        .filter_map(|g| info(g, now))
        .collect()
}

/// A dump of every live goroutine, Go style: its id, state or wait reason (and for how
/// long, past a second), and where it was spawned.
///
/// ```
/// let text = gmp_sched::debug::dump();
/// # let _ = text;
/// ```
pub fn dump() -> String {
    let mut out = String::new();
    for g in goroutines() {
        let _ = writeln!(out, "{g}\n");
    }
    out
}

// ---------------------------------------------------------------------------------------
// Deadlock detection (Go: checkdead)

/// The `run` mains running now: while one runs, the program's main function is a goroutine,
/// so "every goroutine blocked with nothing that could wake one" is a deadlock. A count,
/// not a flag: two `run` calls (from two threads) must not switch each other's off.
static RUN_MAINS: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` as the program's main goroutine and waits for it (Go's `main`), with Go's
/// deadlock detection on: if every goroutine blocks with no timer pending, no goroutine
/// waiting for I/O and no M running, the program stops with `fatal error: all goroutines
/// are asleep - deadlock!` and a goroutine dump, exit status 2.
///
/// A panic in `f` resumes on the calling thread.
///
/// The detector assumes goroutines are woken only by goroutines, timers and I/O: a plain OS
/// thread that would later wake a goroutine is invisible to it.
///
/// # Safety
///
/// As for [`spawn`](crate::spawn): `f` keeps no thread-bound state across a blocking call.
///
/// ```
/// // SAFETY: main keeps no thread-bound state across a blocking call.
/// let answer = unsafe { gmp_sched::run(|| 42) };
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub unsafe fn run<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // Detection runs exactly while main runs, switched inside its goroutine: before it is
    // queued, goroutines left parked by an earlier `run` are not a deadlock; after it
    // returns, neither are they (Go exits), and the joining thread may wake late.
    let main = move || {
        RUN_MAINS.fetch_add(1, Ordering::SeqCst);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        RUN_MAINS.fetch_sub(1, Ordering::SeqCst);
        r.unwrap_or_else(|e| std::panic::resume_unwind(e))
    };
    crate::sched::set_check_dead(check_dead);
    // SAFETY: the caller answers for `f`; `main` adds no thread-bound state.
    let h = unsafe { crate::spawn(main) };
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Called by an M about to park with `idle_ms` Ms parked (itself included): stops the
/// program if that is a deadlock.
pub(crate) fn check_dead(idle_ms: usize) {
    if RUN_MAINS.load(Ordering::SeqCst) == 0 {
        return;
    }
    let s = get();
    // Sections of work in flight on threads not counted here (see `inflight.rs`): none may
    // be open, before or after the look, and none may have ended during it. If one was, the
    // look is repeated: by the section that is still open when it ends, or here at once.
    loop {
        let quiet = s.inflight.quiet();
        if let Some(quiet) = quiet {
            if !live(s, idle_ms) {
                if s.inflight.still_quiet(quiet) {
                    break;
                }
            } else {
                return;
            }
        }
        if s.inflight.defer_check() {
            return;
        }
    }
    let msg = format!(
        "fatal error: all goroutines are asleep - deadlock!\n\n{}",
        dump()
    );
    crate::fatal::report(format_args!("{msg}"));
    std::process::exit(2);
}

/// True if something could still run or wake a goroutine: an M running, no goroutine at
/// all, queued work, a timer, a goroutine waiting for I/O.
fn live(s: &crate::sched::Sched, idle_ms: usize) -> bool {
    crate::m::NTHREADS.load(Ordering::SeqCst) > idle_ms
        || s.ngoroutine.load(Ordering::SeqCst) == 0
        || !s.global.is_empty()
        // Every P, retired ones too: a P just beyond GOMAXPROCS may still hold timers or
        // work on their way to P 0 and the global queue.
        || s.ps
            .iter()
            .any(|p| p.has_work() || p.timers.next() != u64::MAX)
        || crate::netpoll::get().is_some_and(|p| p.has_waiters())
}

// ---------------------------------------------------------------------------------------
// Leak checks (goleak)

/// The leak-check scope of goroutines spawned from here: a goroutine inherits its spawner's.
pub(crate) fn current_scope() -> u64 {
    let g = crate::g::current_ptr();
    if g.is_null() {
        return THREAD_SCOPE.with(|s| s.get());
    }
    // SAFETY: the running G is kept alive by its M's running slot.
    unsafe { (*g).scope.load(Ordering::Relaxed) }
}

/// Makes `scope` the current goroutine's (or thread's) leak-check scope; returns the old.
fn set_scope(scope: u64) -> u64 {
    match crate::g::current() {
        Some(g) => g.scope.swap(scope, Ordering::Relaxed),
        None => THREAD_SCOPE.with(|s| s.replace(scope)),
    }
}

thread_local! {
    static THREAD_SCOPE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}
static NEXT_SCOPE: AtomicU64 = AtomicU64::new(1);

/// Runs `f` (a test body) and fails if any goroutine it started, directly or through
/// others, is still alive afterwards, like Go's goleak: the panic names each leaked
/// goroutine, its wait reason and where it was spawned.
///
/// Goroutines still finishing get up to `grace` to end. Goroutines spawned by other
/// threads or goroutines (other tests running in parallel) are not counted. Works from a
/// plain thread and from a goroutine. If `f` panics, the panic goes on without a leak check
/// (a failed test's goroutines are not news).
///
/// ```
/// // SAFETY: the closures keep no thread-bound state across a blocking call.
/// gmp_sched::debug::check_leaks(std::time::Duration::from_secs(1), || unsafe {
///     gmp_sched::spawn(|| 1).join().unwrap();
/// });
/// ```
///
/// ```should_panic
/// use std::time::Duration;
/// // SAFETY: as above.
/// gmp_sched::debug::check_leaks(Duration::from_millis(100), || unsafe {
///     let (tx, rx) = std::sync::mpsc::channel::<()>();
///     std::mem::forget(tx);
///     gmp_sched::spawn(move || gmp_sched::syscall(|| rx.recv()));
/// });
/// ```
pub fn check_leaks<R>(grace: Duration, f: impl FnOnce() -> R) -> R {
    /// Puts the caller's scope back, also when `f` unwinds.
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_scope(self.0);
        }
    }
    let scope = NEXT_SCOPE.fetch_add(1, Ordering::Relaxed);
    let restore = Restore(set_scope(scope));
    let r = f();
    drop(restore);
    let deadline = deadline_after(Instant::now(), grace);
    loop {
        let leaked = leaked_in(scope);
        if leaked.is_empty() {
            return r;
        }
        if Instant::now() >= deadline {
            let mut msg = format!("{} goroutine(s) leaked:\n\n", leaked.len());
            for g in leaked {
                let _ = writeln!(msg, "{g}\n");
            }
            panic!("{msg}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn leaked_in(scope: u64) -> Vec<GoroutineInfo> {
    listed(|g| g.scope.load(Ordering::Relaxed) == scope)
}

// ---------------------------------------------------------------------------------------
// Counters and schedtrace

/// Scheduler counters, as `GODEBUG=schedtrace` prints them, plus running totals; its
/// `Display` is `name value` a line.
///
/// ```
/// let m: gmp_sched::debug::Metrics = gmp_sched::debug::metrics();
/// assert_eq!(m.local_queues.len(), m.gomaxprocs);
/// assert!(m.to_string().contains(&format!("\ngoroutines {}\n", m.goroutines)));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// GOMAXPROCS.
    pub gomaxprocs: usize,
    /// Ps with nothing to run.
    pub idle_procs: usize,
    /// OS threads of Ms.
    pub threads: usize,
    /// Ms looking for work.
    pub spinning_threads: usize,
    /// Ms parked without a P.
    pub idle_threads: usize,
    /// Goroutines in the global run queue.
    pub global_queue: usize,
    /// Goroutines in each P's local run queue (and `runnext`).
    pub local_queues: Vec<usize>,
    /// Goroutines alive now.
    pub goroutines: usize,
    /// Goroutines spawned since the start.
    pub spawned_total: u64,
    /// Goroutines switched to since the start.
    pub switches_total: u64,
    /// Parks of goroutines since the start.
    pub parks_total: u64,
    /// Successful steals since the start.
    pub steals_total: u64,
}

/// The scheduler's counters now, for programs to export.
///
/// ```
/// let m = gmp_sched::debug::metrics();
/// assert_eq!(m.local_queues.len(), m.gomaxprocs);
/// ```
pub fn metrics() -> Metrics {
    let s = get();
    let n = s.gomaxprocs.load(Ordering::Relaxed);
    let ps = &s.ps[..n];
    Metrics {
        gomaxprocs: n,
        idle_procs: s.npidle.load(Ordering::Relaxed),
        threads: crate::m::NTHREADS.load(Ordering::Relaxed),
        spinning_threads: s.nmspinning.load(Ordering::Relaxed),
        idle_threads: sched::idle_ms(),
        global_queue: s.global.len(),
        local_queues: ps
            .iter()
            .map(|p| p.stealer.len() + usize::from(p.runnext.is_some()))
            .collect(),
        goroutines: s.ngoroutine.load(Ordering::Relaxed),
        spawned_total: s.next_gid.load(Ordering::Relaxed) - 1,
        switches_total: s
            .ps
            .iter()
            .map(|p| p.switches.load(Ordering::Relaxed))
            .sum(),
        parks_total: s.ps.iter().map(|p| p.parks.load(Ordering::Relaxed)).sum(),
        steals_total: s.ps.iter().map(|p| p.steals.load(Ordering::Relaxed)).sum(),
    }
}

/// One `GODEBUG=schedtrace` line, Go's format.
pub(crate) fn schedtrace_line(uptime: Duration) -> String {
    let m = metrics();
    format!(
        "SCHED {}ms: gomaxprocs={} idleprocs={} threads={} spinningthreads={} idlethreads={} runqueue={} [{}]",
        uptime.as_millis(),
        m.gomaxprocs,
        m.idle_procs,
        m.threads,
        m.spinning_threads,
        m.idle_threads,
        m.global_queue,
        m.local_queues_text()
    )
}

impl Metrics {
    /// The local queue lengths, space-separated, as schedtrace shows them.
    fn local_queues_text(&self) -> String {
        let queues: Vec<String> = self.local_queues.iter().map(usize::to_string).collect();
        queues.join(" ")
    }
}

/// The counters as text, `name value` a line, in the order of the fields (what
/// `goro::debug::serve` shows at `/debug/goro/metrics`).
///
/// ```
/// let text = gmp_sched::debug::metrics().to_string();
/// assert!(text.starts_with("gomaxprocs "));
/// assert!(text.lines().any(|l| l.starts_with("local_queues")));
/// ```
impl fmt::Display for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = [
            ("gomaxprocs", self.gomaxprocs as u64),
            ("idle_procs", self.idle_procs as u64),
            ("threads", self.threads as u64),
            ("spinning_threads", self.spinning_threads as u64),
            ("idle_threads", self.idle_threads as u64),
            ("global_queue", self.global_queue as u64),
        ];
        for (name, v) in counts {
            writeln!(f, "{name} {v}")?;
        }
        writeln!(f, "local_queues {}", self.local_queues_text())?;
        let totals = [
            ("goroutines", self.goroutines as u64),
            ("spawned_total", self.spawned_total),
            ("switches_total", self.switches_total),
            ("parks_total", self.parks_total),
            ("steals_total", self.steals_total),
        ];
        for (name, v) in totals {
            writeln!(f, "{name} {v}")?;
        }
        Ok(())
    }
}

/// The schedtrace period from `GODEBUG` (`schedtrace=MS` among comma-separated settings).
pub(crate) fn schedtrace_period(godebug: Option<&str>) -> Option<Duration> {
    godebug?
        .split(',')
        .find_map(|kv| kv.trim().strip_prefix("schedtrace="))
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .map(Duration::from_millis)
}

// ---------------------------------------------------------------------------------------
// SIGQUIT

static DUMP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Makes SIGQUIT (Ctrl-\) print a goroutine dump to stderr; the program goes on running
/// (Go's default would also exit). Opt-in, since it replaces SIGQUIT's default action.
///
/// ```
/// gmp_sched::debug::dump_on_sigquit();
/// ```
pub fn dump_on_sigquit() {
    // Sysmon prints the dump: it must run even before the first goroutine.
    crate::sysmon::start();
    extern "C" fn on_quit(_: libc::c_int) {
        DUMP_REQUESTED.store(true, Ordering::Relaxed);
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe; a zeroed
    // sigaction with the handler, SA_RESTART and an empty mask is valid.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_quit as *const () as usize;
        act.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaction(libc::SIGQUIT, &act, std::ptr::null_mut());
    }
    // Sysmon prints the dump; make sure it runs.
    get();
    crate::sysmon::start();
}

/// Sysmon's share: print a requested dump.
pub(crate) fn dump_if_requested() {
    if DUMP_REQUESTED.swap(false, Ordering::Relaxed) {
        crate::fatal::report(format_args!("SIGQUIT: goroutine dump\n\n{}", dump()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metrics text, `name value` a line in field order, and the schedtrace queue list.
    #[test]
    fn metrics_text_names_every_counter() {
        let m = Metrics {
            gomaxprocs: 2,
            idle_procs: 1,
            threads: 3,
            spinning_threads: 0,
            idle_threads: 1,
            global_queue: 4,
            local_queues: vec![5, 0],
            goroutines: 9,
            spawned_total: 10,
            switches_total: 11,
            parks_total: 12,
            steals_total: 13,
        };
        assert_eq!(
            m.to_string(),
            "gomaxprocs 2\nidle_procs 1\nthreads 3\nspinning_threads 0\nidle_threads 1\n\
             global_queue 4\nlocal_queues 5 0\ngoroutines 9\nspawned_total 10\n\
             switches_total 11\nparks_total 12\nsteals_total 13\n"
        );
    }

    #[test]
    fn schedtrace_setting_parses() {
        assert_eq!(
            schedtrace_period(Some("schedtrace=100")),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            schedtrace_period(Some("gctrace=1, schedtrace=5")),
            Some(Duration::from_millis(5))
        );
        assert_eq!(schedtrace_period(Some("schedtrace=0")), None);
        assert_eq!(schedtrace_period(Some("schedtrace=x")), None);
        assert_eq!(schedtrace_period(None), None);
    }
}
