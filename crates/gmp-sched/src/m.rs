//! An M: an OS thread that runs goroutines while it holds a P (Go: runtime2.go `m`,
//! proc.go `newm`/`mstart`, `notesleep`/`notewakeup` for an idle M's wake-up).
//!
//! What lives here: the M itself and how one M wakes another (`Handoff` of a P, a `poke`
//! for the timer sleeper to recompute its deadline), the per-thread state (`CUR`: the P
//! this M holds and its generation; `CUR_M`: this M), and the start and end of an M's
//! thread. The scheduler loop an M runs (`m_main`, `schedule`) is in `sched.rs`, passed in
//! to `new_m`: nothing here knows how work is found.
//!
//! Invariants: `CUR` names a P only while this thread's M took it over (`sched.rs`
//! `MState::acquire`); `CUR_M` is set for exactly the life of an M's scheduler loop, whose
//! thread holds an `Arc` to it throughout. An M's thread never unwinds: a panic in
//! scheduler code is `fatal`.

use crate::g::G;
use crate::overflow;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// Ms ever started: the next M's id.
static MCOUNT: AtomicUsize = AtomicUsize::new(0);
/// OS threads of Ms alive now.
pub(crate) static NTHREADS: AtomicUsize = AtomicUsize::new(0);

/// No P.
pub(crate) const NO_P: usize = usize::MAX;

thread_local! {
    /// The P this thread's M holds and the generation it holds it in; `NO_P` if none.
    /// Goroutine code reads it through `cur`, which is never inlined (see `g::current_ptr`).
    static CUR: Cell<(usize, u64)> = const { Cell::new((NO_P, 0)) };
    /// This thread's M, if it is one.
    static CUR_M: Cell<*const M> = const { Cell::new(std::ptr::null()) };
}

#[inline(never)]
pub(crate) fn cur() -> (usize, u64) {
    CUR.with(|c| c.get())
}

pub(crate) fn set_cur(p: usize, gen: u64) {
    CUR.with(|c| c.set((p, gen)));
}

#[inline(never)]
pub(crate) fn current_m() -> Option<Arc<M>> {
    let m = CUR_M.with(|c| c.get());
    if m.is_null() {
        return None;
    }
    // SAFETY: an M's thread holds an Arc to it for as long as it runs, so it is alive;
    // we add a count for the Arc we return.
    unsafe {
        Arc::increment_strong_count(m);
        Some(Arc::from_raw(m))
    }
}

/// Marks this thread as running `m`'s scheduler loop (Go: mstart), with its stack
/// overflow guard.
pub(crate) fn enter(m: &Arc<M>) {
    overflow::install_on_this_thread();
    CUR_M.with(|c| c.set(Arc::as_ptr(m)));
}

/// Ends what [`enter`] began, when the loop exits.
pub(crate) fn exit() {
    CUR_M.with(|c| c.set(std::ptr::null()));
    overflow::uninstall_on_this_thread();
}

/// An M: an OS thread that runs goroutines while it holds a P.
pub(crate) struct M {
    id: usize,
    wake: Mutex<Wake>,
    cv: Condvar,
}

/// What one M hands another: a P (and whether to spin), and for an M wired to a goroutine
/// by `lock_os_thread`, that goroutine.
pub(crate) struct Handoff {
    pub(crate) p: usize,
    pub(crate) spinning: bool,
    pub(crate) g: Option<Arc<G>>,
}

#[derive(Default)]
struct Wake {
    handed: Option<Handoff>,
    /// Woken without a P: to recompute its timer deadline.
    poked: bool,
}

pub(crate) enum Woke {
    Handed(Handoff),
    NoP,
}

impl M {
    pub(crate) fn hand(&self, h: Handoff) {
        self.wake.lock().unwrap().handed = Some(h);
        self.cv.notify_one();
    }

    pub(crate) fn poke(&self) {
        self.wake.lock().unwrap().poked = true;
        self.cv.notify_one();
    }

    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Woke {
        let mut w = self.wake.lock().unwrap();
        loop {
            if let Some(h) = w.handed.take() {
                return Woke::Handed(h);
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

/// Starts an M on a new OS thread that runs `main` (the scheduler loop) with `h`: the P it
/// holds (Go: newm). The caller has taken that P for it.
pub(crate) fn new_m(h: Handoff, thread_name: &str, main: fn(Arc<M>, Handoff)) {
    let id = MCOUNT.fetch_add(1, Ordering::Relaxed);
    NTHREADS.fetch_add(1, Ordering::Relaxed);
    let m = Arc::new(M {
        id,
        wake: Mutex::new(Wake::default()),
        cv: Condvar::new(),
    });
    let name = format!("{thread_name}-{}", m.id);
    std::thread::Builder::new()
        .name(name)
        .stack_size(256 * 1024)
        .spawn(move || {
            // Scheduler code must never unwind: a panic here would leave Ps and Gs owned by
            // a dead thread. Abort with the message instead.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| main(m, h)));
            if let Err(e) = r {
                let msg = crate::fatal::panic_message(&*e);
                crate::fatal::fatal(format_args!("the goro scheduler panicked: {msg}"));
            }
            NTHREADS.fetch_sub(1, Ordering::Relaxed);
        })
        .unwrap_or_else(|e| {
            // Past this point the caller has taken a P (and maybe raised `nmspinning`) for
            // this M: unwinding would leak both and leave no M to run the P's work.
            crate::fatal::fatal(format_args!(
                "cannot create an OS thread for an M ({} threads): {e}",
                NTHREADS.load(Ordering::Relaxed)
            ))
        });
}

/// The timer sleeper: the one idle M that parks with a timeout, at the earliest timer of all
/// Ps, so that timers fire with every other M asleep. Adding an earlier timer pokes it (and
/// the netpoller, if it waits there). Go has no such M: its idle Ms sleep in the netpoller
/// until the next timer (findRunnable's pollUntil), which is what this slot arranges.
///
/// Invariant: at most one M is the sleeper, and the deadline it holds is the one it sleeps
/// to; the slot's lock orders a claim against `poke_if_later`, so an earlier timer is either
/// seen by the claim or pokes the claimant.
pub(crate) struct Sleeper(Mutex<Option<(u64, Arc<M>)>>);

impl Sleeper {
    pub(crate) fn new() -> Sleeper {
        Sleeper(Mutex::new(None))
    }

    /// `me` is about to park: `next()` gives the earliest timer (epoch nanoseconds) and
    /// whether it is still in the future. `me` becomes the sleeper if it is and no sleeper
    /// waits for an earlier one. Returns the deadline to sleep to, if `me` is the sleeper,
    /// and whether the earliest timer is already due.
    pub(crate) fn claim(
        &self,
        me: &Arc<M>,
        next: impl FnOnce() -> (u64, bool),
    ) -> (Option<u64>, bool) {
        let mut sl = self.0.lock().unwrap();
        let (next, future) = next();
        let mine = future && sl.as_ref().is_none_or(|(d, _)| next < *d);
        if mine {
            *sl = Some((next, me.clone()));
        }
        (mine.then_some(next), !future)
    }

    /// Stops `me` being the sleeper, if it is.
    pub(crate) fn clear(&self, me: &Arc<M>) {
        let mut sl = self.0.lock().unwrap();
        if sl.as_ref().is_some_and(|(_, m)| Arc::ptr_eq(m, me)) {
            *sl = None;
        }
    }

    /// The clock moved (a test advanced or resumed it): pokes the sleeper so it looks at
    /// the timers again. False if there is no sleeper.
    pub(crate) fn poke(&self) -> bool {
        let sl = self.0.lock().unwrap();
        if let Some((_, m)) = &*sl {
            m.poke();
            crate::netpoll::wake_blocked();
        }
        sl.is_some()
    }

    /// A timer due at `when` was added: pokes the sleeper if it sleeps past it. False if
    /// there is no sleeper, and the caller must wake an M itself.
    pub(crate) fn poke_if_later(&self, when: u64) -> bool {
        let sl = self.0.lock().unwrap();
        match &*sl {
            Some((d, m)) if when < *d => {
                m.poke();
                crate::netpoll::wake_blocked();
                true
            }
            Some(_) => true,
            None => false,
        }
    }
}
