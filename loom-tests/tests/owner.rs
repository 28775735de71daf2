//! loom model of a P's owner word (gmp-sched's `Owner`): the goroutine running on the P
//! pins it before touching the P's queues, enters and leaves syscalls, and its M reclaims
//! the P after a switch; sysmon retakes a P it saw running or in a syscall. The P's queues
//! (a loom `UnsafeCell` here, so loom reports any unsynchronized access) always have
//! exactly one user, and a goroutine whose P was retaken learns it.
#![cfg(loom)]

use gmp_sched::internal::{Owner, Pin, P_RUNNING, P_SYSCALL};
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
    let gen = p.owner.take_over();
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
        assert_eq!(p.owner.state(), P_SYSCALL);
        let s = sysmon(p.clone(), retook.clone());
        if p.owner.exit_syscall(gen) {
            assert_eq!(p.owner.state(), P_RUNNING);
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
