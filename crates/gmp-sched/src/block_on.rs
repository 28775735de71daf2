//! `block_on`: runs a future to completion on the calling goroutine or thread, parking it
//! through the waiter between polls (the other half of the async bridge; the first is
//! `WakerSlot`, async tasks waiting in goro's wait queues).
//!
//! The future's waker is a `Woken` flag plus the caller's [`Waiter`]: `wake` sets the flag,
//! then unparks the waiter. The loop polls, and while the flag is clear parks; it clears the
//! flag (a swap) before each poll. So:
//! - inside a goroutine only the goroutine parks; its M runs other goroutines meanwhile;
//! - a wake before the park (from another thread, or by the future itself during its poll)
//!   leaves the flag set and the waiter's permit, so the loop polls again at once;
//! - nested `block_on`s on one goroutine each have their own flag: a wake meant for the outer
//!   one that unparks the inner one's park is not lost, since the outer loop reads its own flag
//!   before it parks (an unpark consumed by the inner park only makes it poll spuriously).

use crate::park_state::WaitReason;
use crate::waiter::{park, Waiter};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// The waker of one `block_on` call.
struct Woken {
    /// Set by `wake`, cleared by the polling loop before each poll.
    flag: AtomicBool,
    /// The goroutine or thread running the loop.
    waiter: Waiter,
}

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Release: pairs with the Acquire swap in `block_on`, so what the waking party wrote
        // before waking is visible to the next poll. The flag first, then the unpark: the
        // parked loop re-reads the flag when the unpark resumes it.
        if !self.flag.swap(true, Ordering::Release) {
            self.waiter.unpark();
        }
    }
}

/// Runs `fut` to completion on the calling goroutine or thread and returns its output.
///
/// Inside a goroutine it parks the goroutine, not its OS thread, whenever the future is
/// pending: the thread runs other goroutines until the future's waker fires. On a plain
/// thread it blocks the thread. A future that wakes itself while it is polled is polled again
/// at once, and `block_on` may be nested (a future polled by `block_on` may call `block_on`).
///
/// A future that needs an async runtime's reactor (a tokio socket or timer) must run on that
/// runtime: spawn it there and `block_on` its join handle, `block_on(handle.spawn(fut))`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::task::{Poll, Waker};
///
/// // A one-shot slot that a plain thread fills, awaited by a goroutine.
/// let slot: Arc<Mutex<(Option<u32>, Option<Waker>)>> = Arc::default();
/// let s = slot.clone();
/// let fut = std::future::poll_fn(move |cx| {
///     let mut g = s.lock().unwrap();
///     match g.0.take() {
///         Some(v) => Poll::Ready(v),
///         None => {
///             g.1 = Some(cx.waker().clone());
///             Poll::Pending
///         }
///     }
/// });
/// // SAFETY: the std guard in `fut` is dropped before every park.
/// let h = unsafe { gmp_sched::spawn(move || gmp_sched::block_on(fut)) };
/// let mut g = slot.lock().unwrap();
/// g.0 = Some(42);
/// if let Some(w) = g.1.take() {
///     w.wake();
/// }
/// drop(g);
/// assert_eq!(h.join().unwrap(), 42);
/// assert_eq!(gmp_sched::block_on(async { 7 }), 7); // on a plain thread it blocks the thread
/// ```
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let woken = Arc::new(Woken {
        flag: AtomicBool::new(false),
        waiter: Waiter::current(),
    });
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        // Acquire: pairs with the Release swap in `wake_by_ref`.
        while !woken.flag.swap(false, Ordering::Acquire) {
            park(WaitReason::Other("block_on"), || {});
        }
    }
}
