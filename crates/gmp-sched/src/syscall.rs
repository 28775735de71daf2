//! Blocking calls and thread wiring: Go's `entersyscall`/`exitsyscall` (runtime/proc.go)
//! and `LockOSThread`, plus the cooperative preemption point.
//!
//! `syscall(f)` moves the M's P to `SYSCALL`. Sysmon retakes a P that stays there longer
//! than 20 us (at once if other work waits) and hands it to another M, so the goroutines
//! behind the blocked one keep running. On return the goroutine takes its P back if it is
//! still in the same generation, else any idle P, else it queues itself globally and its M
//! parks.

use crate::g::{self, Act, GStatus, G};
use crate::sched;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;

/// Runs a call that blocks its OS thread (a blocking syscall, a `std` lock, a C library)
/// without stalling other goroutines: while it runs, this goroutine's P can pass to another
/// M (Go's `entersyscall`/`exitsyscall`, which Go's syscall package wraps around every
/// blocking call).
///
/// On a plain thread it simply calls `f`. A panic in `f` propagates after the goroutine is
/// back on a P.
///
/// ```
/// use std::time::Duration;
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let h = unsafe {
///     gmp_sched::spawn(|| gmp_sched::syscall(|| std::thread::sleep(Duration::from_millis(5))))
/// };
/// h.join().unwrap();
/// ```
pub fn syscall<R>(f: impl FnOnce() -> R) -> R {
    // A borrow, not a new reference (two atomic read-modify-writes per call saved).
    let g = g::current_ptr();
    if g.is_null() {
        return f();
    }
    // SAFETY: the running G is kept alive by its M's running slot while it runs, or by the
    // run queue that holds it while `exit_syscall` requeues it; this frame is the G's own,
    // so it only runs while the G is alive.
    let g: &G = unsafe { &*g };
    g.status.store(GStatus::Syscall);
    enter_syscall();
    let r = catch_unwind(AssertUnwindSafe(f));
    exit_syscall(g);
    g.status.store(GStatus::Running);
    r.unwrap_or_else(|e| resume_unwind(e))
}

fn enter_syscall() {
    let (id, gen) = crate::m::cur();
    let Some(p) = sched::current_p() else { return };
    debug_assert_eq!(p.id, id);
    // Bump the tick first, so sysmon never pairs SYSCALL with an old syscall's start time.
    p.syscalltick.fetch_add(1, Ordering::Relaxed);
    p.owner.enter_syscall(gen);
}

fn exit_syscall(g: &G) {
    let (_, gen) = crate::m::cur();
    if sched::current_p().is_some_and(|p| p.owner.exit_syscall(gen)) {
        return;
    }
    // Retaken: any idle P will do.
    if sched::acquire_idle_p_running() {
        return;
    }
    // None: queue this goroutine globally; the M parks.
    // SAFETY: `g` is the running G, on its own stack.
    unsafe { g::switch_out(g, Act::Requeue, None) };
}

/// Wires the calling goroutine to its current OS thread (Go's `runtime.LockOSThread`):
/// until as many `unlock_os_thread` calls, it runs only on this thread, and no other
/// goroutine runs on it. While it blocks, the thread's P passes to other threads.
///
/// The sound way to run thread-affine code (thread-locals, GUI or OpenGL contexts, FFI
/// handles) from a goroutine. On a plain thread it does nothing.
///
/// ```
/// // SAFETY: the goroutine is wired to its thread, so its thread-local use is sound.
/// let h = unsafe {
///     gmp_sched::spawn(|| {
///         gmp_sched::lock_os_thread();
///         let before = std::thread::current().id();
///         gmp_sched::sleep(std::time::Duration::from_millis(1));
///         let same = before == std::thread::current().id();
///         gmp_sched::unlock_os_thread();
///         same
///     })
/// };
/// assert!(h.join().unwrap());
/// ```
pub fn lock_os_thread() {
    if let (Some(g), Some(m)) = (g::current(), crate::m::current_m()) {
        // SAFETY: `g` is the running goroutine.
        unsafe { g.lock_to(m) };
    }
}

/// Undoes one [`lock_os_thread`]; after the last, the goroutine may move between threads
/// again. Extra calls do nothing.
///
/// ```
/// gmp_sched::unlock_os_thread(); // on a plain thread: nothing to undo
/// ```
pub fn unlock_os_thread() {
    if let Some(g) = g::current() {
        // SAFETY: `g` is the running goroutine.
        unsafe { g.unlock() };
    }
}

/// A cooperative preemption point for long loops that never block: yields if sysmon has
/// given this goroutine's P to another M because the goroutine ran over 10 ms while others
/// waited. Costs a thread-local read and an atomic load otherwise.
///
/// ```
/// let mut x = 0u64;
/// for i in 0..1_000_000u64 {
///     x = x.wrapping_add(i * i);
///     if i % 1024 == 0 {
///         gmp_sched::preempt_point();
///     }
/// }
/// # let _ = x;
/// ```
pub fn preempt_point() {
    if !crate::sys::in_goroutine() {
        return;
    }
    let (_, gen) = crate::m::cur();
    let ours = sched::current_p().is_some_and(|p| p.owner.is_running(gen));
    if !ours {
        crate::yield_now();
    }
}
