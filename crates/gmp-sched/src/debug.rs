//! Diagnostics: what the runtime is doing, for logs, dumps, tests and leak checks (Go's
//! `runtime.Stack`, `runtime.NumGoroutine`, `runtime/metrics` and goleak).
//!
//! Nothing here changes what a program does; a program that never looks inside the runtime
//! needs nothing here.
//!
//! ```
//! // SAFETY: the closure keeps no thread-bound state across a blocking call.
//! let h = unsafe { gmp_sched::spawn(|| gmp_sched::sleep(std::time::Duration::from_millis(50))) };
//! assert!(gmp_sched::debug::num_goroutine() >= 1);
//! println!("{}", gmp_sched::debug::dump()); // a `goroutine N [reason]:` block for each
//! h.join().unwrap();
//! ```

pub use crate::dump::{
    check_leaks, dump, dump_on_sigquit, goroutines, metrics, GoroutineInfo, GoroutineState, Metrics,
};

use crate::{g, sched};

/// The number of goroutines that exist: running, runnable or parked (Go's
/// `runtime.NumGoroutine`, less the main goroutine, which Rust does not have).
///
/// ```
/// let n = gmp_sched::debug::num_goroutine();
/// # let _ = n;
/// ```
pub fn num_goroutine() -> usize {
    sched::try_get().map_or(0, |s| {
        s.ngoroutine.load(std::sync::atomic::Ordering::Relaxed)
    })
}

/// The calling goroutine's id, or `None` on a plain thread: the id dumps and
/// [`JoinHandle::id`](crate::JoinHandle::id) show.
///
/// ```
/// assert_eq!(gmp_sched::debug::goroutine_id(), None);
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(gmp_sched::debug::goroutine_id) };
/// let id = h.id();
/// assert_eq!(h.join().unwrap(), Some(id));
/// ```
pub fn goroutine_id() -> Option<u64> {
    let g = g::current_ptr();
    // SAFETY: a non-null current G is running on this thread, hence alive.
    (!g.is_null()).then(|| unsafe { (*g).id() })
}

/// The size in bytes of every goroutine's stack in this runtime.
///
/// ```
/// assert!(gmp_sched::debug::stack_size() >= gmp_sched::MIN_STACK_SIZE);
/// ```
pub fn stack_size() -> usize {
    sched::get().stacks.stack_size()
}

/// True when stack guard pages are installed with `MADV_GUARD_INSTALL` (Linux >= 6.13), so
/// each guard costs no memory mapping; false on the `mprotect` fallback or before the first
/// goroutine.
///
/// ```
/// let f = || ();
/// // SAFETY: `f` keeps no thread-bound state across a blocking call.
/// unsafe { gmp_sched::spawn(f) }.join().unwrap();
/// println!("guards in page tables: {}", gmp_sched::debug::guards_in_page_tables());
/// ```
pub fn guards_in_page_tables() -> bool {
    sched::get().stacks.guards_in_page_tables()
}

/// One line of `GODEBUG=schedtrace` now (Go's `schedtrace`): uptime, Ps, Ms and queue
/// lengths.
///
/// ```
/// assert!(gmp_sched::debug::schedtrace().starts_with("SCHED "));
/// ```
pub fn schedtrace() -> String {
    crate::dump::schedtrace_line(std::time::Duration::from_nanos(crate::clock::real_nanos()))
}
