//! loom model of a P's owner word (gmp-sched's `Owner`): the goroutine running on the P
//! pins it before touching the P's queues, enters and leaves syscalls, and its M reclaims
//! the P after a switch; sysmon retakes a P it saw running or in a syscall. The P's queues
//! (a loom `UnsafeCell` here, so loom reports any unsynchronized access) always have
//! exactly one user, and a goroutine whose P was retaken learns it. And `set_gomaxprocs`
//! retiring an idle P never races an M taking it over.
#![cfg(loom)]

use gmp_sched::internal::{Owner, PState, Pin};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

struct P {
    owner: Owner,
    queue: UnsafeCell<u32>,
}

/// A P held by generation 1's M, with its goroutine running.
fn running_p() -> (Arc<P>, u64) {
    let p = Arc::new(P {
        owner: Owner::new(),
        queue: UnsafeCell::new(0),
    });
    let gen = p.owner.take_over().expect("a new P is idle");
    p.owner.run(gen);
    (p, gen)
}

/// Sysmon's half: retake the P if it looks retakable, then use its queues as the new holder.
fn sysmon(p: Arc<P>, retook: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let seen = p.owner.load();
        if p.owner.retake(seen) {
            retook.store(true, Ordering::Relaxed);
            // SAFETY: the retake made sysmon the P's only user; loom checks exactly that.
            p.queue.with_mut(|q| unsafe { *q += 1 });
        }
    })
}

#[test]
fn pin_and_retake_never_share_the_queues() {
    loom::model(|| {
        let (p, gen) = running_p();
        let retook = Arc::new(AtomicBool::new(false));
        let s = sysmon(p.clone(), retook.clone());
        // The goroutine readies two Gs, one pin each.
        let mut lost = false;
        for _ in 0..2 {
            match p.owner.pin(gen) {
                Pin::Pinned => {
                    // SAFETY: pinned, so the queues are ours; loom checks exactly that.
                    p.queue.with_mut(|q| unsafe { *q += 1 });
                    p.owner.unpin(gen);
                }
                Pin::Held => unreachable!("a running goroutine's P is never Held"),
                Pin::Lost => lost = true,
            }
        }
        s.join().unwrap();
        // Once lost, always lost: a pin after a retake never succeeds.
        if lost {
            assert!(retook.load(Ordering::Relaxed));
            assert_eq!(p.owner.pin(gen), Pin::Lost);
        }
    });
}

#[test]
fn syscall_exit_and_retake_never_share_the_queues() {
    loom::model(|| {
        let (p, gen) = running_p();
        let retook = Arc::new(AtomicBool::new(false));
        p.owner.enter_syscall(gen);
        assert_eq!(p.owner.state(), PState::Syscall);
        let s = sysmon(p.clone(), retook.clone());
        if p.owner.exit_syscall(gen) {
            assert_eq!(p.owner.state(), PState::Running);
            if p.owner.pin(gen) == Pin::Pinned {
                // SAFETY: pinned, so the queues are ours; loom checks exactly that.
                p.queue.with_mut(|q| unsafe { *q += 1 });
                p.owner.unpin(gen);
            }
        }
        s.join().unwrap();
        assert!(p.owner.exit_syscall(gen) != retook.load(Ordering::Relaxed));
    });
}

#[test]
fn reclaim_after_switch_and_retake_never_share_the_queues() {
    loom::model(|| {
        let (p, gen) = running_p();
        let retook = Arc::new(AtomicBool::new(false));
        let s = sysmon(p.clone(), retook.clone());
        // The goroutine switched out: its M takes the P back to schedule the next one.
        let kept = p.owner.reclaim(gen);
        if kept {
            // SAFETY: reclaimed, so the queues are ours; loom checks exactly that.
            p.queue.with_mut(|q| unsafe { *q += 1 });
        }
        s.join().unwrap();
        assert!(
            kept != retook.load(Ordering::Relaxed),
            "exactly one side holds the P"
        );
    });
}

/// `set_gomaxprocs` retires idle Ps (under the idle lock) while an M takes one off the idle
/// list (under the lock: `pidle_get`) and then takes it over (after it). A retired P must
/// never be taken over, or two parties decide its fate. Caught the take-over that was a
/// load then a store after the lock, with `pidle_get` leaving the P marked idle.
#[test]
fn take_over_never_resurrects_a_retired_p() {
    loom::model(|| {
        let p = Arc::new(Owner::new());
        let idle = Arc::new(loom::sync::Mutex::new(()));
        let (p2, idle2) = (p.clone(), idle.clone());
        let shrink = thread::spawn(move || {
            let _l = idle2.lock().unwrap();
            p2.retire_idle()
        });
        // pidle_get: off the idle list, marked on its way to an M.
        {
            let _l = idle.lock().unwrap();
            if p.state() == PState::Idle {
                p.set_state(PState::Handoff);
            }
        }
        let took = p.take_over();
        let retired = shrink.join().unwrap();
        assert!(!(retired && took.is_some()), "a retired P was taken over");
        assert_eq!(retired, p.state() == PState::Retired);
    });
}

/// The same race with no idle list in between: a take-over and a retirement of an idle P,
/// each one atomic step, so exactly one of them wins.
#[test]
fn take_over_and_retire_idle_exclude_each_other() {
    loom::model(|| {
        let p = Arc::new(Owner::new());
        let p2 = p.clone();
        let shrink = thread::spawn(move || p2.retire_idle());
        let took = p.take_over();
        let retired = shrink.join().unwrap();
        assert!(took.is_some() != retired, "exactly one side wins the P");
        assert_eq!(retired, p.state() == PState::Retired);
    });
}
