//! `Context`: cancel, deadlines, propagation to children, `done()` in select.
#![cfg(not(loom))]

use gochan::{select, Chan, Context, ContextError};
use goro_test_support::{go, MODES};
use std::time::{Duration, Instant};

#[test]
fn background_never_ends() {
    let bg = Context::background();
    assert_eq!(bg.err(), None);
    assert_eq!(bg.deadline(), None);
    let r = select! {
        recv(bg.done()) -> _ => 1,
        default => 2,
    };
    assert_eq!(r, 2);
}

#[test]
fn cancel_closes_done_and_sets_err() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    assert_eq!(ctx.err(), None);
    assert!(ctx.done().try_recv().is_err());
    cancel.cancel();
    assert_eq!(ctx.err(), Some(ContextError::Canceled));
    assert_eq!(ctx.done().recv(), None);
    cancel.cancel(); // idempotent
    assert_eq!(ctx.err(), Some(ContextError::Canceled));
}

#[test]
fn parent_cancel_reaches_all_descendants_but_not_up() {
    let (root, cancel_root) = Context::with_cancel(&Context::background());
    let (mid, cancel_mid) = Context::with_cancel(&root);
    let (leaf1, _c1) = Context::with_cancel(&mid);
    let (leaf2, _c2) = Context::with_timeout(&mid, Duration::from_secs(3600));
    let (sibling, _c3) = Context::with_cancel(&root);

    cancel_mid.cancel();
    for c in [&mid, &leaf1, &leaf2] {
        assert_eq!(c.err(), Some(ContextError::Canceled));
    }
    assert_eq!(root.err(), None);
    assert_eq!(sibling.err(), None);
    cancel_root.cancel();
    assert_eq!(sibling.err(), Some(ContextError::Canceled));
}

#[test]
fn child_of_ended_parent_starts_ended() {
    let (p, cancel) = Context::with_cancel(&Context::background());
    cancel.cancel();
    let (c, _cc) = Context::with_cancel(&p);
    assert_eq!(c.err(), Some(ContextError::Canceled));
    assert_eq!(c.done().recv(), None);
}

#[test]
fn deadline_fires_and_propagates() {
    for mode in MODES {
        let h = go(mode, 0, || {
            let start = Instant::now();
            let (ctx, _cancel) =
                Context::with_timeout(&Context::background(), Duration::from_millis(3));
            let (child, _cc) = Context::with_cancel(&ctx);
            assert_eq!(child.deadline(), ctx.deadline());
            assert_eq!(child.done().recv(), None);
            assert!(start.elapsed() >= Duration::from_millis(3));
            assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
            assert_eq!(child.err(), Some(ContextError::DeadlineExceeded));
        });
        h.join();
    }
}

#[test]
fn earlier_parent_deadline_wins() {
    let d1 = Instant::now() + Duration::from_secs(60);
    let (p, _c) = Context::with_deadline(&Context::background(), d1);
    let (c, _cc) = Context::with_deadline(&p, d1 + Duration::from_secs(60));
    assert_eq!(c.deadline(), Some(d1));
    let (c2, _cc2) = Context::with_deadline(&p, d1 - Duration::from_secs(30));
    assert_eq!(c2.deadline(), Some(d1 - Duration::from_secs(30)));
}

#[test]
fn past_deadline_is_exceeded_at_once() {
    let (c, _cancel) = Context::with_deadline(&Context::background(), Instant::now());
    assert_eq!(c.err(), Some(ContextError::DeadlineExceeded));
}

#[test]
fn cancel_stops_workers() {
    for mode in MODES {
        let (ctx, cancel) = Context::with_cancel(&Context::background());
        let out = Chan::<usize>::new(0);
        let workers: Vec<_> = (0..4)
            .map(|i| {
                let (ctx, out) = (ctx.clone(), out.clone());
                go(mode, i, move || loop {
                    select! {
                        send(out, i) -> _ => {}
                        recv(ctx.done()) -> _ => return ctx.err(),
                    }
                })
            })
            .collect();
        for _ in 0..100 {
            out.recv().unwrap();
        }
        cancel.cancel();
        for w in workers {
            assert_eq!(w.join(), Some(ContextError::Canceled), "{mode:?}");
        }
    }
}

#[test]
fn done_async_resolves_with_the_error_in_each_mode() {
    for mode in MODES {
        let (parent, cancel) = Context::with_cancel(&Context::background());
        let (child, _child_cancel) = Context::with_timeout(&parent, Duration::from_secs(3600));
        let waiter = go(mode, 0, move || gmp_sched::block_on(child.done_async()));
        cancel.cancel(); // the parent's cancel reaches the child
        assert_eq!(waiter.join(), ContextError::Canceled, "{mode:?}");
    }
    let (ctx, _c) = Context::with_deadline(&Context::background(), Instant::now());
    assert_eq!(
        gmp_sched::block_on(ctx.done_async()),
        ContextError::DeadlineExceeded
    );
    // The background context never ends.
    let bg = Context::background();
    let mut fut = std::pin::pin!(bg.done_async());
    let cx = &mut std::task::Context::from_waker(std::task::Waker::noop());
    assert!(std::future::Future::poll(fut.as_mut(), cx).is_pending());
}
