//! G: a goroutine. Its stack, its saved context, and what it is doing.
//!
//! Ownership of the non-atomic fields follows the run state, as in Go: while a G runs,
//! only the goroutine itself and the M running it touch them; while it sits in a run queue
//! or is parked, only the party that took it out (the M that will resume it) does. The
//! hand-over between parties always goes through a run queue, `runnext`, or the
//! `ParkState` CAS, each of which orders the accesses (Release on publish, Acquire on take).

use crate::m::M;
use crate::park_state::{AtomicReason, ParkState, WaitReason};
use crate::stack::Stack;
use context::Context;
use std::cell::UnsafeCell;
use std::panic::Location;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

/// One goroutine's (or thread's) locals (`local.rs`), keyed by the address of their
/// `LocalKey`. `None` marks a value whose initialiser is running.
pub(crate) type Locals = Vec<(usize, Option<Box<dyn std::any::Any + Send>>)>;

/// What a G is doing, for dumps and the scheduler's bookkeeping (Go: `_Grunnable` and
/// friends in runtime2.go).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GStatus {
    /// In a run queue, `runnext`, or being handed to an M.
    Runnable,
    /// Running on an M.
    Running,
    /// Parked; `G::reason` says why.
    Waiting,
    /// Not a goroutine (yet, or any more): new, exited or in a free list.
    Dead,
    /// Running a blocking call wrapped in `syscall`.
    Syscall,
}

impl GStatus {
    const ALL: [GStatus; 5] = [
        GStatus::Runnable,
        GStatus::Running,
        GStatus::Waiting,
        GStatus::Dead,
        GStatus::Syscall,
    ];
}

/// A G's status word: a [`GStatus`] in an atomic byte. Written by whoever owns the G,
/// read by anyone (dumps): Relaxed, since nothing else is published through it.
pub(crate) struct Status(AtomicU8);

impl Status {
    fn new(s: GStatus) -> Status {
        Status(AtomicU8::new(s as u8))
    }

    pub(crate) fn load(&self) -> GStatus {
        GStatus::ALL[usize::from(self.0.load(Ordering::Relaxed))]
    }

    pub(crate) fn store(&self, s: GStatus) {
        self.0.store(s as u8, Ordering::Relaxed);
    }
}

/// What a goroutine runs: `spawn`'s task, which also holds the join state.
pub(crate) trait Entry: Send + Sync {
    /// Runs the goroutine's function once and publishes its result.
    fn run(&self);
}

/// The switch a goroutine asks its M for, passed through `Transfer::data` (a `usize`).
#[repr(usize)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Act {
    /// To the back of the run queue (Go: Gosched).
    Yield = 1,
    /// Parked: run its `release`, then commit the park.
    Park = 2,
    /// Returned: recycle it.
    Exit = 3,
    /// Back from a syscall with no P to run on: queue me globally.
    Requeue = 4,
}

impl Act {
    fn from_usize(a: usize) -> Act {
        match a {
            1 => Act::Yield,
            2 => Act::Park,
            3 => Act::Exit,
            4 => Act::Requeue,
            other => unreachable!("unknown goroutine action {other}"),
        }
    }
}

pub(crate) struct G {
    /// Set anew each time the G is (re)used for a goroutine (Go reuses Gs too).
    id: AtomicU64,
    pub(crate) park: ParkState,
    pub(crate) status: Status,
    spawned_at: AtomicPtr<Location<'static>>,
    /// Links in the registry's shard list (prev, next), under the shard's lock.
    pub(crate) reg: UnsafeCell<(*const G, *const G)>,
    /// Leak-check scope, inherited from the spawner (0: none).
    pub(crate) scope: AtomicU64,
    /// When it last parked (sysmon's coarse clock), for dumps.
    pub(crate) parked_at: AtomicU64,
    /// The saved context while the G is not running. Owner: the M about to resume it.
    ctx: UnsafeCell<Option<Context>>,
    /// While the G runs: the context of the M's scheduler loop to switch back to.
    sched_ctx: UnsafeCell<Option<Context>>,
    stack: UnsafeCell<Option<Stack>>,
    entry: UnsafeCell<Option<Arc<dyn Entry>>>,
    /// Set by `park` just before switching out; called by the M once the context is saved.
    release: UnsafeCell<Option<*mut dyn FnMut()>>,
    /// Why it last parked: written by the G itself, read by dumps at any time.
    reason: AtomicReason,
    /// The M this G is wired to by `lock_os_thread`, and the nesting depth.
    locked: UnsafeCell<(Option<Arc<M>>, u32)>,
    /// Goroutine-local values, keyed by the address of their `LocalKey`.
    pub(crate) locals: UnsafeCell<Locals>,
}

// SAFETY: the UnsafeCell fields are touched by one party at a time, handed over through
// synchronizing queue operations or the ParkState CAS (see the top of this file); the
// raw `release` pointer is only dereferenced by the M that runs this G, while the G's
// stack frame it points into is frozen.
unsafe impl Send for G {}
// SAFETY: as above; shared access from other threads is limited to the atomics.
unsafe impl Sync for G {}

impl G {
    /// An unused G; [`G::reuse`] gives it a goroutine to run.
    pub(crate) fn new() -> G {
        G {
            id: AtomicU64::new(0),
            park: ParkState::new(),
            status: Status::new(GStatus::Dead),
            spawned_at: AtomicPtr::new(Location::caller() as *const _ as *mut _),
            scope: AtomicU64::new(0),
            reg: UnsafeCell::new((std::ptr::null(), std::ptr::null())),
            parked_at: AtomicU64::new(0),
            ctx: UnsafeCell::new(None),
            sched_ctx: UnsafeCell::new(None),
            stack: UnsafeCell::new(None),
            entry: UnsafeCell::new(None),
            release: UnsafeCell::new(None),
            reason: AtomicReason::new(),
            locked: UnsafeCell::new((None, 0)),
            locals: UnsafeCell::new(Vec::new()),
        }
    }

    /// Makes this (new or dead, recycled) G the goroutine `id`, to run `entry`.
    ///
    /// # Safety
    /// The caller owns the G: it is new, or dead and referenced by the caller alone.
    pub(crate) unsafe fn reuse(
        &self,
        id: u64,
        entry: Arc<dyn Entry>,
        spawned_at: &'static Location<'static>,
        scope: u64,
    ) {
        self.id.store(id, Ordering::Relaxed);
        self.spawned_at
            .store(spawned_at as *const _ as *mut _, Ordering::Relaxed);
        self.scope.store(scope, Ordering::Relaxed);
        self.status.store(GStatus::Runnable);
        self.park.reset();
        self.parked_at.store(0, Ordering::Relaxed);
        // SAFETY: the caller owns the G's fields.
        unsafe {
            *self.reg.get() = (std::ptr::null(), std::ptr::null());
            *self.entry.get() = Some(entry);
            *self.locked.get() = (None, 0);
        }
    }

    /// The goroutine's id.
    pub(crate) fn id(&self) -> u64 {
        self.id.load(Ordering::Relaxed)
    }

    /// Where the goroutine was spawned.
    pub(crate) fn spawned_at(&self) -> &'static Location<'static> {
        // SAFETY: always set from a `&'static Location`.
        unsafe { &*self.spawned_at.load(Ordering::Relaxed) }
    }

    /// True when the G still has its stack (a recycled one).
    ///
    /// # Safety
    /// The caller owns the G.
    pub(crate) unsafe fn has_stack(&self) -> bool {
        // SAFETY: the caller owns the G's fields.
        unsafe { (*self.stack.get()).is_some() }
    }

    /// Gives the G its stack and the context that starts it in `g_entry`.
    ///
    /// # Safety
    /// - The caller owns the G (it is in no queue and not running).
    pub(crate) unsafe fn prepare(&self, stack: Option<Stack>) {
        // SAFETY: `s` describes `stack`, which the G keeps until it is dead, so the context
        // never outlives its stack; the caller owns the G's fields. `g_entry` switches
        // straight back on its first run (below), touching nothing but its own stack.
        unsafe {
            if let Some(stack) = stack {
                *self.stack.get() = Some(stack);
            }
            let stack = (*self.stack.get())
                .as_ref()
                .expect("prepared a G without a stack");
            let s = context::stack::Stack::new(stack.top() as *mut _, stack.bottom() as *mut _);
            // Start it once: `g_entry` jumps right back, so the G's saved context is an
            // ordinary suspended one. A direct switch (`resume_ontop`) into a context that
            // never ran would land in Boost's trampoline with its Transfer lost.
            let t = Context::new(&s, g_entry).resume(0);
            *self.ctx.get() = Some(t.context);
        }
    }

    /// The stack's guard page and size, for the overflow handler.
    ///
    /// # Safety
    /// The caller owns the G.
    pub(crate) unsafe fn stack_info(&self) -> ((usize, usize), usize) {
        // SAFETY: the caller owns the G's fields.
        match unsafe { &*self.stack.get() } {
            Some(s) => (s.guard(), s.size()),
            None => ((0, 0), 0),
        }
    }

    /// Runs the `release` function `park` stored, on the scheduler stack.
    ///
    /// # Safety
    /// The caller is the M that just switched out of this G with `Act::Park`.
    pub(crate) unsafe fn run_release(&self) {
        // SAFETY: the G is switched out; its `park` frame, which the pointer refers to, is
        // frozen until the G is resumed, which cannot happen before `commit_park`.
        unsafe {
            if let Some(f) = (*self.release.get()).take() {
                (*f)();
            }
        }
    }

    /// Takes back the G's stack once it is dead.
    ///
    /// # Safety
    /// The caller owns the G and it has exited.
    pub(crate) unsafe fn take_stack(&self) -> Option<Stack> {
        // SAFETY: the caller owns the dead G.
        unsafe { (*self.stack.get()).take() }
    }

    /// The M this G is wired to, if any.
    ///
    /// # Safety
    /// The caller owns the G (it runs it, or it is switched out and the caller took it).
    pub(crate) unsafe fn locked_m(&self) -> Option<Arc<M>> {
        // SAFETY: the caller owns the G's fields.
        unsafe { (*self.locked.get()).0.clone() }
    }

    /// True when this G is wired to `m`.
    ///
    /// # Safety
    /// As for [`G::locked_m`].
    pub(crate) unsafe fn locked_to(&self, m: &Arc<M>) -> bool {
        // SAFETY: the caller owns the G's fields.
        unsafe { (*self.locked.get()).0.as_ref() }.is_some_and(|l| Arc::ptr_eq(l, m))
    }

    /// Wires the G to `m` (one more level of nesting).
    ///
    /// # Safety
    /// The caller is the running G.
    pub(crate) unsafe fn lock_to(&self, m: Arc<M>) {
        // SAFETY: the running G owns its fields.
        let l = unsafe { &mut *self.locked.get() };
        l.0 = Some(m);
        l.1 += 1;
    }

    /// Undoes one `lock_to`; the last one unwires the G.
    ///
    /// # Safety
    /// The caller is the running G.
    pub(crate) unsafe fn unlock(&self) {
        // SAFETY: the running G owns its fields.
        let l = unsafe { &mut *self.locked.get() };
        l.1 = l.1.saturating_sub(1);
        if l.1 == 0 {
            l.0 = None;
        }
    }

    /// Records why the running G parks.
    ///
    /// # Safety
    /// The caller is the running G (the one writer of its reason).
    pub(crate) unsafe fn set_reason(&self, r: WaitReason) {
        self.reason.store(r);
    }

    /// The reason of the G's last park (or of the one it is making).
    pub(crate) fn reason(&self) -> WaitReason {
        self.reason.load()
    }
}

impl std::fmt::Debug for G {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.status.load();
        let name = match status {
            GStatus::Runnable => "runnable",
            GStatus::Running => "running",
            GStatus::Waiting => "waiting",
            GStatus::Dead => "dead",
            GStatus::Syscall => "syscall",
        };
        write!(f, "goroutine {} [{name}", self.id())?;
        if status == GStatus::Waiting {
            write!(f, ": {}", self.reason())?;
        }
        write!(f, "] spawned at {}", self.spawned_at())
    }
}

thread_local! {
    /// The G the calling M runs, or null on a scheduler stack or a plain thread.
    static CURRENT: std::cell::Cell<*const G> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Makes `g` the G the calling M runs; the M's reference to it moves into the slot.
pub(crate) fn set_running(g: Arc<G>) {
    CURRENT.with(|c| c.set(Arc::into_raw(g)));
}

/// Takes the M's reference to the G it ran (after that G switched back to the scheduler:
/// with direct switches, not necessarily the one the scheduler resumed).
pub(crate) fn take_running() -> Option<Arc<G>> {
    let p = CURRENT.with(|c| c.replace(std::ptr::null()));
    // SAFETY: a non-null slot holds a reference made by `set_running`'s `Arc::into_raw`.
    (!p.is_null()).then(|| unsafe { Arc::from_raw(p) })
}

/// Switches from the scheduler to the G in the running slot until a G (it, or one it
/// switched to directly) yields, parks or exits; returns the action asked for. The G that
/// came back is then in the slot.
///
/// # Safety
/// - The caller runs on an M's scheduler stack, and the slot holds a G it owns with a saved
///   context.
pub(crate) unsafe fn resume_running() -> Act {
    let g = current_ptr();
    // SAFETY: the slot's G is owned by this M and switched out, so its context is ours.
    let ctx = unsafe { (*(*g).ctx.get()).take() }.expect("resumed a G with no context");
    // SAFETY: the context was saved by the G's last switch out (or made by `prepare`) on
    // its own live stack; the G receives our context and switches back to it.
    let t = unsafe { ctx.resume(g as usize) };
    // The scheduler side never changes threads, so reading the slot again is sound.
    let back = current_ptr();
    let act = Act::from_usize(t.data);
    if act != Act::Exit {
        // SAFETY: the G that switched back is suspended and owned by this M again.
        unsafe { *(*back).ctx.get() = Some(t.context) };
    }
    act
}

/// The G running on this thread, if any.
///
/// Never inlined, and never called twice in one function across a context switch: the
/// goroutine may wake up on another thread, and a cached TLS address would be the old one's.
#[inline(never)]
pub(crate) fn current_ptr() -> *const G {
    CURRENT.with(|c| c.get())
}

/// The G running on this thread, if any, as a new reference.
#[inline(never)]
pub(crate) fn current() -> Option<Arc<G>> {
    let p = current_ptr();
    if p.is_null() {
        return None;
    }
    // SAFETY: a running G is kept alive by the reference in the M's running slot; we add
    // a strong count for the one we return.
    unsafe {
        Arc::increment_strong_count(p);
        Some(Arc::from_raw(p))
    }
}

/// Switches from the running G `g` back to its M's scheduler, asking for `action`.
/// Returns when an M resumes the G (for `Act::Exit`, never).
///
/// # Safety
/// - `g` is the G running on this thread, and the caller runs on its stack.
/// - For `Act::Park`, `g.release` is set.
pub(crate) unsafe fn switch_out(g: &G, action: Act, reason: Option<WaitReason>) {
    if let Some(r) = reason {
        g.reason.store(r);
    }
    // SAFETY: the running G owns its fields.
    unsafe {
        let sched = (*g.sched_ctx.get())
            .take()
            .expect("G running without a scheduler");
        let t = sched.resume(action as usize);
        // Resumed, possibly by another M: remember that M's scheduler.
        *g.sched_ctx.get() = Some(t.context);
    }
}

/// Stores the `release` function for the M to run after this G's context is saved.
///
/// # Safety
/// `g` is the running G, and the pointee stays alive until the G is resumed.
pub(crate) unsafe fn set_release(g: &G, f: *mut (dyn FnMut() + '_)) {
    // SAFETY: the running G owns its fields. The lifetime is erased: the caller keeps the
    // closure alive on its frozen stack until the M has called it.
    unsafe {
        *g.release.get() = Some(std::mem::transmute::<
            *mut (dyn FnMut() + '_),
            *mut dyn FnMut(),
        >(f))
    };
}

/// What a direct switch carries to the new G's stack. `direct_on_top` moves it out of the
/// switching G's frame before anything else runs, so nothing on that frame is read once
/// `finish` may let another M resume the switching G.
struct Direct<D> {
    from: *const G,
    data: D,
    finish: fn(D),
}

/// Switches from the running G `from` straight to `to`, which the caller took from its P's
/// `runnext`, without passing through the scheduler (Go goes through `schedule`; this is
/// what makes a hand-off between two goroutines cost one switch instead of two).
/// `finish(data)` runs on `to`'s stack after `from`'s context is saved, exactly where the
/// scheduler would have run `from`'s `release`; `data` is moved there, so `finish` uses
/// only values of its own. The M's running slot must already hold `to`.
///
/// # Safety
/// - `from` is the running G on its own stack; `to` is owned by the caller (out of every
///   queue) and has a saved context.
/// - `finish` must not switch goroutines, and `data` keeps `from` alive until `finish` is
///   done with it.
pub(crate) unsafe fn switch_direct<D>(from: &G, to: &G, data: D, finish: fn(D)) {
    // ManuallyDrop: `direct_on_top` moves the value out; this frame must not drop it again.
    let d = std::mem::ManuallyDrop::new(Direct { from, data, finish });
    // SAFETY: the caller owns `to`.
    let ctx = unsafe { (*to.ctx.get()).take() }.expect("switched to a G with no context");
    // SAFETY: `to`'s context was saved on its own live stack; `d` lives in this frame, which
    // stays frozen until `direct_on_top`, which runs first, has moved it out.
    let t = unsafe { ctx.resume_ontop(&*d as *const Direct<D> as usize, direct_on_top::<D>) };
    // Resumed by a scheduler (or a direct switch) later: remember whose scheduler.
    // SAFETY: the running G owns its fields.
    unsafe { *from.sched_ctx.get() = Some(t.context) };
}

/// Runs on the new G's stack right after a direct switch: moves the `Direct` out of the old
/// G's frame, saves the old G's context, hands the new G the M's scheduler context, and
/// calls `finish`.
extern "C" fn direct_on_top<D>(t: context::Transfer) -> context::Transfer {
    // SAFETY: `switch_direct` passed a pointer to its `Direct`, alive in the old G's frozen
    // frame and never dropped there; we move it out before `finish` can let the old G
    // resume, and never touch that frame again.
    let d = unsafe { std::ptr::read(t.data as *const Direct<D>) };
    // SAFETY: `d.data` keeps the old G alive (the caller's promise); it is switched out
    // and owned by this M until `finish` commits its park.
    let sched = unsafe {
        let from = &*d.from;
        *from.ctx.get() = Some(t.context);
        (*from.sched_ctx.get())
            .take()
            .expect("G running without a scheduler")
    };
    (d.finish)(d.data);
    // To the new G: its scheduler, and (for a G that never ran) its own address.
    context::Transfer::new(sched, current_ptr() as usize)
}

/// Every goroutine starts here, on its own stack.
extern "C" fn g_entry(t: context::Transfer) -> ! {
    // First run, from `G::prepare`: back at once. The real start comes with the first
    // resume, which passes the G's address as data.
    // SAFETY: `t.context` is `prepare`'s, suspended in its `resume` and waiting for us.
    let t = unsafe { t.context.resume(0) };
    // SAFETY: every resume (`resume_running`, `direct_on_top`) passes the running G's
    // address, and the M's running slot keeps that G alive while it runs.
    let g = unsafe { &*(t.data as *const G) };
    // SAFETY: the running G owns its fields.
    unsafe { *g.sched_ctx.get() = Some(t.context) };
    // SAFETY: the running G owns its fields; the entry is taken once.
    if let Some(entry) = unsafe { (*g.entry.get()).take() } {
        // `spawn`'s entry catches the user function's panic; this second net only keeps an
        // unwind from crossing the context switch if the entry itself panics.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry.run())).is_err() {
            crate::fatal::fatal(format_args!("goroutine {} unwound past its entry", g.id()));
        }
    }
    // Goroutine-local values die with the goroutine, on its own stack (their destructors
    // may block like any goroutine code).
    // SAFETY: the running G owns its fields.
    drop(unsafe { std::mem::take(&mut *g.locals.get()) });
    // SAFETY: we are the running G on its own stack; after `Act::Exit` nobody resumes us.
    unsafe { switch_out(g, Act::Exit, None) };
    unreachable!("a dead goroutine was resumed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_reads_back_whole() {
        let g = G::new();
        assert_eq!(g.reason(), WaitReason::Other(""));
        for r in [
            WaitReason::Sleep,
            WaitReason::Other("gate"),
            WaitReason::Other("gate2"),
        ] {
            g.reason.store(r);
            assert_eq!(g.reason(), r);
        }
    }

    #[test]
    fn a_goroutine_in_a_syscall_does_not_print_as_dead() {
        let g = G::new();
        g.status.store(GStatus::Syscall);
        let text = format!("{g:?}");
        assert!(text.contains("[syscall]"), "{text}");
    }
}
