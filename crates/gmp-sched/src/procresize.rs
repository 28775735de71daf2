//! Changing GOMAXPROCS at run time (Go: proc.go `procresize`, without stopping the
//! world): idle Ps beyond the new count retire at once (their timers move to P 0), running
//! ones at their next schedule (`sched::retire_p`); Ps coming back join the idle list and
//! an M is woken for each.

use crate::p::PState;
use crate::sched::{get, timer_added, wake_p, InFlight};
use std::sync::atomic::Ordering;

/// Sets the number of Ps; returns the previous number. 0 only reads it.
pub(crate) fn set_gomaxprocs(n: usize) -> usize {
    let s = get();
    if n == 0 {
        return s.gomaxprocs.load(Ordering::Relaxed);
    }
    let n = n.min(s.ps.len());
    let old;
    {
        let mut idle = s.idle.lock().unwrap();
        old = s.gomaxprocs.swap(n, Ordering::SeqCst);
        // Idle Ps beyond n retire at once; running ones retire at their next schedule.
        let before = idle.ps.len();
        idle.ps.retain(|&id| id < n);
        for p in &s.ps[n..] {
            p.owner.retire_idle();
        }
        s.npidle.fetch_sub(before - idle.ps.len(), Ordering::SeqCst);
        for p in &s.ps[..n] {
            if p.owner.state() == PState::Retired {
                p.owner.set_state(PState::Idle);
                idle.ps.push(p.id);
                s.npidle.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    // The caller may be a plain thread, which the deadlock detector does not count.
    let _in_flight = InFlight::begin();
    for p in &s.ps[n..old.max(n)] {
        if p.owner.state() == PState::Retired {
            p.timers.drain_into(&s.ps[0].timers, timer_added);
        }
    }
    for _ in old..n {
        wake_p();
    }
    old
}
