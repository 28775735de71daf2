//! G: a goroutine. Its stack, its saved context, and what it is doing.
//!
//! Ownership of the non-atomic fields follows the run state, as in Go: while a G runs,
//! only the goroutine itself and the M running it touch them; while it sits in a run queue
//! or is parked, only the party that took it out (the M that will resume it) does. The
//! hand-over between parties always goes through a run queue, `runnext`, or the
//! `ParkState` CAS, each of which orders the accesses (Release on publish, Acquire on take).

use crate::sched::M;
use crate::stack::Stack;
use crate::waiter::{ParkState, WaitReason};
use context::Context;
use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

/// G status, for dumps and for `Drop` (a G dropped while not dead leaks its stack).
pub(crate) const G_RUNNABLE: u8 = 0;
pub(crate) const G_RUNNING: u8 = 1;
pub(crate) const G_WAITING: u8 = 2;
pub(crate) const G_DEAD: u8 = 3;
pub(crate) const G_SYSCALL: u8 = 4;

/// The switch a goroutine asks its M for, passed through `Transfer::data`.
pub(crate) const ACT_YIELD: usize = 1;
pub(crate) const ACT_PARK: usize = 2;
pub(crate) const ACT_EXIT: usize = 3;
/// Back from a syscall with no P to run on: queue me globally.
pub(crate) const ACT_REQUEUE: usize = 4;

pub(crate) struct G {
    pub(crate) id: u64,
    pub(crate) park: ParkState,
    pub(crate) status: AtomicU8,
    pub(crate) spawned_at: &'static Location<'static>,
    /// Leak-check scope, inherited from the spawner (0: none).
    pub(crate) scope: u64,
    /// When it last parked (sysmon's coarse clock), for dumps.
    pub(crate) parked_at: AtomicU64,
    /// The saved context while the G is not running. Owner: the M about to resume it.
    ctx: UnsafeCell<Option<Context>>,
    /// While the G runs: the context of the M's scheduler loop to switch back to.
    sched_ctx: UnsafeCell<Option<Context>>,
    stack: UnsafeCell<Option<Stack>>,
    entry: UnsafeCell<Option<Box<dyn FnOnce() + Send>>>,
    /// Set by `park` just before switching out; called by the M once the context is saved.
    release: UnsafeCell<Option<*mut dyn FnMut()>>,
    reason: UnsafeCell<WaitReason>,
    /// The M this G is wired to by `lock_os_thread`, and the nesting depth.
    locked: UnsafeCell<(Option<Arc<M>>, u32)>,
    /// Goroutine-local values, keyed by the address of their `LocalKey`.
    pub(crate) locals: UnsafeCell<Vec<(usize, Box<dyn Any + Send>)>>,
}

// SAFETY: the UnsafeCell fields are touched by one party at a time, handed over through
// synchronizing queue operations or the ParkState CAS (see the top of this file); the
// raw `release` pointer is only dereferenced by the M that runs this G, while the G's
// stack frame it points into is frozen.
unsafe impl Send for G {}
// SAFETY: as above; shared access from other threads is limited to the atomics.
unsafe impl Sync for G {}

impl G {
    pub(crate) fn new(
        id: u64,
        entry: Box<dyn FnOnce() + Send>,
        spawned_at: &'static Location<'static>,
        scope: u64,
    ) -> G {
        G {
            id,
            park: ParkState::new(),
            status: AtomicU8::new(G_RUNNABLE),
            spawned_at,
            scope,
            parked_at: AtomicU64::new(0),
            ctx: UnsafeCell::new(None),
            sched_ctx: UnsafeCell::new(None),
            stack: UnsafeCell::new(None),
            entry: UnsafeCell::new(Some(entry)),
            release: UnsafeCell::new(None),
            reason: UnsafeCell::new(WaitReason::Other("")),
            locked: UnsafeCell::new((None, 0)),
            locals: UnsafeCell::new(Vec::new()),
        }
    }

    /// Gives the G its stack and the context that starts it in `g_entry`.
    ///
    /// # Safety
    /// - The caller owns the G (it is in no queue and not running).
    pub(crate) unsafe fn prepare(&self, stack: Stack) {
        // SAFETY: `s` describes `stack`, which the G keeps until it is dead, so the context
        // never outlives its stack; the caller owns the G's fields.
        unsafe {
            let s = context::stack::Stack::new(stack.top() as *mut _, stack.bottom() as *mut _);
            *self.ctx.get() = Some(Context::new(&s, g_entry));
            *self.stack.get() = Some(stack);
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

    /// Switches from the scheduler to this G until it yields, parks or exits; returns the
    /// action it asked for.
    ///
    /// # Safety
    /// - The caller owns the G and runs on an M's scheduler stack (not on a goroutine's).
    /// - The G has a saved context (it was prepared and is not dead).
    pub(crate) unsafe fn resume(&self) -> usize {
        // SAFETY: the caller owns the G, so it may take the saved context.
        let ctx = unsafe { (*self.ctx.get()).take() }.expect("resumed a G with no context");
        // SAFETY: the context was saved by this G's last switch out (or made by `prepare`)
        // on its own live stack; the G receives our context and switches back to it.
        let t = unsafe { ctx.resume(self as *const G as usize) };
        if t.data != ACT_EXIT {
            // SAFETY: the G is switched out and we are its owner again.
            unsafe { *self.ctx.get() = Some(t.context) };
        }
        t.data
    }

    /// Runs the `release` function `park` stored, on the scheduler stack.
    ///
    /// # Safety
    /// The caller is the M that just switched out of this G with `ACT_PARK`.
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

    /// The reason of the G's last park.
    pub(crate) fn reason(&self) -> WaitReason {
        // SAFETY: written only by the G itself before it parks; a racy read could at worst
        // see the previous reason, and WaitReason is Copy with no invalid bit patterns used.
        unsafe { *self.reason.get() }
    }
}

impl std::fmt::Debug for G {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = match self.status.load(Ordering::Relaxed) {
            G_RUNNABLE => "runnable",
            G_RUNNING => "running",
            G_WAITING => "waiting",
            _ => "dead",
        };
        write!(f, "goroutine {} [{status}", self.id)?;
        if status == "waiting" {
            write!(f, ": {}", self.reason())?;
        }
        write!(f, "] spawned at {}", self.spawned_at)
    }
}

thread_local! {
    /// The G the calling M runs, or null on a scheduler stack or a plain thread.
    static CURRENT: std::cell::Cell<*const G> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Sets the G the calling M runs.
pub(crate) fn set_current(g: *const G) {
    CURRENT.with(|c| c.set(g));
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
    // SAFETY: a running G is kept alive by the Arc its M holds in `execute`; we add a
    // strong count for the reference we return.
    unsafe {
        Arc::increment_strong_count(p);
        Some(Arc::from_raw(p))
    }
}

/// Switches from the running G `g` back to its M's scheduler, asking for `action`.
/// Returns when an M resumes the G (for `ACT_EXIT`, never).
///
/// # Safety
/// - `g` is the G running on this thread, and the caller runs on its stack.
/// - For `ACT_PARK`, `g.release` is set.
pub(crate) unsafe fn switch_out(g: &G, action: usize, reason: Option<WaitReason>) {
    // SAFETY: the running G owns its fields.
    unsafe {
        if let Some(r) = reason {
            *g.reason.get() = r;
        }
        let sched = (*g.sched_ctx.get())
            .take()
            .expect("G running without a scheduler");
        let t = sched.resume(action);
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

/// Every goroutine starts here, on its own stack.
extern "C" fn g_entry(t: context::Transfer) -> ! {
    // SAFETY: `G::resume` passes the G's address as data, and keeps the G alive while it runs.
    let g = unsafe { &*(t.data as *const G) };
    // SAFETY: the running G owns its fields.
    unsafe { *g.sched_ctx.get() = Some(t.context) };
    // SAFETY: the running G owns its fields; the entry is taken once.
    if let Some(f) = unsafe { (*g.entry.get()).take() } {
        // `spawn` wraps the user function in catch_unwind; this second net only keeps an
        // unwind from crossing the context switch if that wrapper itself panics.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
            crate::fatal(format_args!("goroutine {} unwound past its entry", g.id));
        }
    }
    // SAFETY: we are the running G on its own stack; after ACT_EXIT nobody resumes us.
    unsafe { switch_out(g, ACT_EXIT, None) };
    unreachable!("a dead goroutine was resumed");
}
