//! Parking the running goroutine (Go: proc.go `gopark`/`park_m`, and `Gosched`): through
//! the M's scheduler stack, or, when the P's `runnext` holds a goroutine, straight to it
//! (`park_direct`), the new goroutine inheriting the time slice; a yield, likewise straight
//! to the head of the local queue when the scheduler would pick it (`yield_direct`). Either
//! way the wait queue's lock (`release`) is dropped only after the parking goroutine's
//! context is saved, so a waker can never resume a goroutine that is still running.
//!
//! Invariant: after `commit_park` nothing reads the parking goroutine's stack (another M
//! may already run it): `finish_direct` works on copies.

use crate::clock;
use crate::g::{self, Act, GStatus, G};
use crate::m::{cur, NO_P};
use crate::overflow;
use crate::p::{Pin, P};
use crate::park_state::WaitReason;
use crate::sched::get;
use std::sync::atomic::Ordering;
use std::sync::Arc;

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
    g.parked_at
        .store(clock::COARSE_NOW.load(Ordering::Relaxed), Ordering::Relaxed);
    if park_direct(g, reason, &mut call) {
        return;
    }
    // SAFETY: `g` is the running G (it came from `g::current`), and `call` lives in this
    // frame, which stays frozen until the G is resumed, after the M has called it.
    unsafe {
        g::set_release(g, &mut call as &mut dyn FnMut() as *mut dyn FnMut());
        g::switch_out(g, Act::Park, Some(reason));
    }
}

/// The parking G `g` switches straight to the G in its P's `runnext`, if there is one and
/// nothing asks for the scheduler (the 61st tick with global work, a wired goroutine, a P
/// being retired), finishing its own park on the new G's stack; the new G inherits the time
/// slice. False: nothing done, use the scheduler.
fn park_direct(g: &G, reason: WaitReason, release: &mut dyn FnMut()) -> bool {
    // The switch inherits the time slice (the tick stays, as `execute` does for a G from
    // runnext), so on a tick that looks at the global queue first, `next_g` must do that.
    let Some((p, gen)) = pin_for_direct(g, |p| p.runnext.is_some()) else {
        return false;
    };
    let to = match p.runnext.take() {
        // SAFETY: we own `to`, just taken out of runnext.
        Some(to) if unsafe { to.locked_m() }.is_none() => to,
        other => {
            if let Some(to) = other {
                p.runnext.put(to);
            }
            p.owner.unpin(gen);
            return false;
        }
    };
    // SAFETY: the running G sets its own park reason.
    unsafe { g.set_reason(reason) };
    let (from, to_ptr) = swap_running(to);
    let d = DirectPark {
        from,
        to: to_ptr,
        p,
        gen,
        release: release as *mut (dyn FnMut() + '_),
    };
    // SAFETY: `g` is the running G on its own stack; the M owns `to` (running slot) and it
    // has a saved context (it was runnable); `finish_direct` does not switch, and `d.from`
    // keeps `g` alive until it is done.
    unsafe { g::switch_direct(g, &*to_ptr, d, finish_direct) };
    true
}

/// This M's P, pinned (sysmon cannot retake it until the caller unpins it), when a direct
/// switch from the running G `g` may bypass the scheduler: the M holds a P that is not
/// being retired, `g` is not wired to its M, it is not a 61st tick with global work (the
/// scheduler looks there first then), and `ready` (the caller's own condition) holds.
/// None: use the scheduler.
#[inline(always)]
fn pin_for_direct(g: &G, ready: impl FnOnce(&P) -> bool) -> Option<(&'static P, u64)> {
    let (id, gen) = cur();
    if id == NO_P {
        return None;
    }
    let s = get();
    let p: &'static P = &s.ps[id];
    // SAFETY: the running G reads its own field.
    let wired = unsafe { g.locked_m() }.is_some();
    if wired
        || p.id >= s.gomaxprocs.load(Ordering::Relaxed)
        || (p.schedtick.load(Ordering::Relaxed) % 61 == 0 && !s.global.is_empty())
        || !ready(p)
    {
        return None;
    }
    (p.owner.pin(gen) == Pin::Pinned).then_some((p, gen))
}

/// Puts `to` in the M's running slot and returns the running G's reference it held, and
/// `to`'s address (kept alive by the slot). Always inlined: on the hot path of every direct
/// switch, where a call cost about a tenth of a yield's instructions (callgrind).
#[inline(always)]
fn swap_running(to: Arc<G>) -> (Arc<G>, *const G) {
    let to_ptr: *const G = Arc::as_ptr(&to);
    let from = g::take_running().expect("a running goroutine without its slot");
    g::set_running(to);
    (from, to_ptr)
}

/// What `finish_direct` needs, moved to the new G's stack by value: the old G's stack
/// (where `park_direct`'s locals live) may be resumed by another M once its park commits.
struct DirectPark<'a> {
    /// The parking G: the M's reference, out of the running slot.
    from: Arc<G>,
    /// The G switched to, kept alive by the M's running slot.
    to: *const G,
    /// Our P, pinned by us, in generation `gen`.
    p: &'static P,
    gen: u64,
    /// The park's release function, on the old G's stack: called before the commit only
    /// (a raw pointer: no reference into that stack outlives the commit).
    release: *mut (dyn FnMut() + 'a),
}

/// The end of a direct switch, on the new G's stack with the old G's context saved:
/// finishes the old G's park and unpins the P. Everything it reads after `commit_park` is
/// in `d`, its own copy.
fn finish_direct(d: DirectPark<'_>) {
    let DirectPark {
        from,
        to,
        p,
        gen,
        release,
    } = d;
    // SAFETY: `to` is kept alive by the M's running slot.
    let to: &G = unsafe { &*to };
    // SAFETY: this M owns `to` now.
    let (guard, size) = unsafe { to.stack_info() };
    overflow::enter(guard, to.id(), size);
    from.status.store(GStatus::Waiting);
    P::bump(&p.parks);
    P::bump(&p.switches);
    // SAFETY: the old G is switched out and cannot resume before `commit_park`, so its
    // frame, where the release function lives, is frozen and ours until then.
    unsafe { (*release)() };
    if !from.park.commit_park() {
        // An unpark came meanwhile: it runs next, after the new G.
        from.status.store(GStatus::Runnable);
        if let Some(old) = p.runnext.put(from) {
            // The P is pinned by us.
            crate::sched::runq_put(p, old);
        }
    }
    to.status.store(GStatus::Running);
    p.owner.unpin(gen);
}

/// Moves the running goroutine to the back of its P's queue (Go: Gosched): straight to the
/// head of that queue when the scheduler would pick it anyway (`yield_direct`), else through
/// the scheduler.
pub(crate) fn yield_current(g: &G) {
    if yield_direct(g) {
        return;
    }
    // SAFETY: `g` is the running G, on its own stack.
    unsafe { g::switch_out(g, Act::Yield, None) };
}

/// The yielding G `g` switches straight to the head of its P's local queue, and goes to the
/// back of it on the new G's stack, when that head is exactly what `schedule` would pick:
/// nothing in `runnext`, no timers on the P, not a 61st tick with global work, and nothing
/// (a wired goroutine, a P being retired) that needs the scheduler. One context switch
/// instead of two. False: nothing done, use the scheduler.
fn yield_direct(g: &G) -> bool {
    let Some((p, gen)) = pin_for_direct(g, |p| p.timers.next() == u64::MAX && !p.runnext.is_some())
    else {
        return false;
    };
    // SAFETY: the P is pinned by us.
    let to = match unsafe { p.runq() }.pop() {
        // SAFETY: we own `to`, just taken out of the queue.
        Some(to) if unsafe { to.locked_m() }.is_none() => to,
        other => {
            if let Some(to) = other {
                // A wired G at the head: the scheduler must hand it to its M, and it must
                // stay first. `runnext` (empty, checked above, and only we put there while
                // the P is pinned) is the one slot the scheduler looks at before the queue;
                // the back of the queue would let every direct yield skip it again.
                if let Some(old) = p.runnext.put(to) {
                    // SAFETY: the P is pinned by us.
                    unsafe { p.runq() }.push(old);
                }
            }
            p.owner.unpin(gen);
            return false;
        }
    };
    let (from, to_ptr) = swap_running(to);
    let d = DirectYield {
        from,
        to: to_ptr,
        p,
        gen,
    };
    // SAFETY: `g` is the running G on its own stack; the M owns `to` (running slot) and it
    // has a saved context (it was runnable); `finish_yield` does not switch, and `d.from`
    // keeps `g` alive until it is done.
    unsafe { g::switch_direct(g, &*to_ptr, d, finish_yield) };
    true
}

/// What `finish_yield` needs, moved to the new G's stack by value.
struct DirectYield {
    /// The yielding G: the M's reference, out of the running slot.
    from: Arc<G>,
    /// The G switched to, kept alive by the M's running slot.
    to: *const G,
    /// Our P, pinned by us, in generation `gen`.
    p: &'static P,
    gen: u64,
}

/// The end of a direct yield, on the new G's stack with the old G's context saved: queues
/// the old G at the back of the P's queue, counts a schedule (the new G starts a time slice
/// of its own, as `execute` gives a G from the queue) and unpins the P.
fn finish_yield(d: DirectYield) {
    let DirectYield { from, to, p, gen } = d;
    // SAFETY: `to` is kept alive by the M's running slot.
    let to: &G = unsafe { &*to };
    // SAFETY: this M owns `to` now.
    let (guard, size) = unsafe { to.stack_info() };
    overflow::enter(guard, to.id(), size);
    from.status.store(GStatus::Runnable);
    // SAFETY: the P is pinned by us.
    unsafe { p.runq() }.push(from);
    p.next_tick();
    P::bump(&p.switches);
    to.status.store(GStatus::Running);
    p.owner.unpin(gen);
}
