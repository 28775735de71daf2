//! `block_on` (a goroutine or thread running a future) and `JoinHandle: IntoFuture`; the task
//! kind of `Waiter`. Futures completed by threads and goroutines, self-waking and nested
//! futures, at GOMAXPROCS 1 and 2.

use gmp_sched::block_on;
use gmp_sched::sys::{Waiter, WakerSlot};
use goro_test_support::{go, goroutine, in_child, wait_until, MODES};
use std::future::{poll_fn, Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A one-shot value: `set` from anywhere, `get` awaits it. Wakes the registered waker through
/// a task `Waiter`, as goro's wait queues do.
#[derive(Default)]
struct OneShot {
    value: Mutex<(Option<u64>, Option<Waiter>)>,
    slot: Arc<WakerSlot>,
    parked: AtomicBool,
}

impl OneShot {
    fn set(&self, v: u64) {
        let mut g = self.value.lock().unwrap();
        g.0 = Some(v);
        let w = g.1.take();
        drop(g);
        if let Some(w) = w {
            w.wake();
        }
    }

    fn get(&self) -> impl Future<Output = u64> + '_ {
        poll_fn(move |cx| {
            let mut g = self.value.lock().unwrap();
            match g.0.take() {
                Some(v) => Poll::Ready(v),
                None => {
                    self.slot.register(cx.waker());
                    g.1 = Some(Waiter::task(self.slot.clone()));
                    self.parked.store(true, Ordering::SeqCst);
                    Poll::Pending
                }
            }
        })
    }
}

#[test]
fn a_goroutine_blocks_on_a_future_that_a_thread_completes() {
    for mode in MODES {
        let shot = Arc::new(OneShot::default());
        let s2 = shot.clone();
        let waiter = go(mode, 0, move || block_on(s2.get()));
        wait_until(|| shot.parked.load(Ordering::SeqCst));
        let s3 = shot.clone();
        go(mode, 1, move || s3.set(42)).join();
        assert_eq!(waiter.join(), 42, "{mode:?}");
    }
}

#[test]
fn block_on_parks_the_goroutine_not_its_thread() {
    in_child(
        "block_on_parks_the_goroutine_not_its_thread",
        &[("GOMAXPROCS", "1")],
        || {
            // With one P, the goroutine that completes the future can only run if the blocked
            // one gave its M back.
            let shot = Arc::new(OneShot::default());
            let s2 = shot.clone();
            let waiter = goroutine(move || block_on(s2.get()));
            let s3 = shot.clone();
            let setter = goroutine(move || {
                while !s3.parked.load(Ordering::SeqCst) {
                    gmp_sched::yield_now();
                }
                s3.set(7);
            });
            setter.join().unwrap();
            assert_eq!(waiter.join().unwrap(), 7);
        },
    );
}

/// Wakes itself during its poll `n` times before it is ready.
struct SelfWaking(usize);

impl Future for SelfWaking {
    type Output = usize;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        if self.0 == 0 {
            return Poll::Ready(7);
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn a_self_waking_future_is_polled_again() {
    for mode in MODES {
        assert_eq!(go(mode, 0, || block_on(SelfWaking(100))).join(), 7);
    }
}

#[test]
fn nested_block_on_loses_no_wake_up() {
    for mode in MODES {
        // The outer future's wake comes while the inner block_on is parked: the inner one
        // absorbs the unpark, the outer one must still see its own wake.
        let outer = Arc::new(OneShot::default());
        let inner = Arc::new(OneShot::default());
        let (o2, i2) = (outer.clone(), inner.clone());
        let polls = Arc::new(AtomicUsize::new(0));
        let p2 = polls.clone();
        let waiter = go(mode, 0, move || {
            block_on(async move {
                let mut first = true;
                poll_fn(|cx| {
                    p2.fetch_add(1, Ordering::SeqCst);
                    // Register for the outer shot first, then run a nested block_on.
                    let mut outer_get = Box::pin(o2.get());
                    if let Poll::Ready(v) = outer_get.as_mut().poll(cx) {
                        return Poll::Ready(v);
                    }
                    if first {
                        first = false;
                        assert_eq!(block_on(i2.get()), 1);
                    }
                    Poll::Pending
                })
                .await
            })
        });
        wait_until(|| inner.parked.load(Ordering::SeqCst));
        outer.set(2); // unparks the goroutine inside the inner block_on
        inner.set(1);
        assert_eq!(waiter.join(), 2, "{mode:?}");
        assert!(polls.load(Ordering::SeqCst) >= 2);
    }
}

#[test]
fn a_join_handle_is_awaitable() {
    for mode in MODES {
        let start = Arc::new(AtomicBool::new(false));
        let s2 = start.clone();
        let worker = goroutine(move || {
            while !s2.load(Ordering::SeqCst) {
                gmp_sched::yield_now();
            }
            6 * 7
        });
        let joiner = go(mode, 0, move || block_on(async move { worker.await }));
        start.store(true, Ordering::SeqCst);
        assert_eq!(joiner.join().unwrap(), 42);
        let panicking = goroutine(|| -> u8 { panic!("boom") });
        let err = block_on(panicking.into_future()).unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    }
}

#[test]
fn a_task_waiter_wakes_its_latest_waker() {
    #[derive(Default)]
    struct Count(AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (a, b) = (Arc::new(Count::default()), Arc::new(Count::default()));
    let slot = Arc::new(WakerSlot::new());
    let w = Waiter::task(slot.clone());
    assert!(!w.is_goroutine());
    assert_eq!(format!("{w:?}"), "Waiter(task)");
    slot.register(&Waker::from(a.clone()));
    slot.register(&Waker::from(b.clone()));
    w.unpark();
    assert_eq!(
        (a.0.load(Ordering::SeqCst), b.0.load(Ordering::SeqCst)),
        (0, 1)
    );
    w.unpark(); // nobody registered now: nothing to wake
    assert_eq!(b.0.load(Ordering::SeqCst), 1);
}

/// Many goroutines each blocking on a future another goroutine completes.
fn many_goroutines_block_on_futures() {
    let shots: Vec<Arc<OneShot>> = (0..64).map(|_| Arc::default()).collect();
    let waiters: Vec<_> = shots
        .iter()
        .map(|s| {
            let s = s.clone();
            goroutine(move || block_on(s.get()))
        })
        .collect();
    let setters: Vec<_> = shots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let s = s.clone();
            goroutine(move || {
                while !s.parked.load(Ordering::SeqCst) {
                    gmp_sched::yield_now();
                }
                s.set(i as u64);
            })
        })
        .collect();
    for s in setters {
        s.join().unwrap();
    }
    let got: Vec<u64> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(got, (0..64).collect::<Vec<_>>());
}

#[test]
fn block_on_at_gomaxprocs_1() {
    in_child(
        "block_on_at_gomaxprocs_1",
        &[("GOMAXPROCS", "1")],
        many_goroutines_block_on_futures,
    );
}

#[test]
fn block_on_at_gomaxprocs_2() {
    in_child(
        "block_on_at_gomaxprocs_2",
        &[("GOMAXPROCS", "2")],
        many_goroutines_block_on_futures,
    );
}
