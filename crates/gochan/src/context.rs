//! Go's `context`: cancellation and deadlines that flow from a parent to its children, with a
//! `done` channel to select on. Ports the cancel and deadline half of Go's
//! context/context.go (`cancelCtx`, `timerCtx`, `propagateCancel`); values are left out.
//!
//! A cancellable context owns a `done` channel that cancelling closes, the error that ended
//! it, and its live children. Cancelling takes the context's lock, records the error, takes
//! the children out, unlocks, closes `done` and cancels the children with the same error;
//! so locks are taken parent before child, never the other way. Children are held weakly: a
//! context nobody refers to any more costs its parent one dead entry, pruned as more are
//! added. A deadline arms a scheduler timer whose callback cancels with `DeadlineExceeded`.

use crate::chan::{Chan, Receiver};
use gmp_sched::sys::Timer;
use std::error::Error;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// Why a [`Context`] ended (Go: `context.Canceled`, `context.DeadlineExceeded`).
///
/// ```
/// use gochan::{Context, ContextError};
///
/// let (ctx, cancel) = Context::with_cancel(&Context::background());
/// cancel.cancel();
/// assert_eq!(ctx.err(), Some(ContextError::Canceled));
/// assert_eq!(ContextError::Canceled.to_string(), "context canceled");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContextError {
    /// A [`CancelFn`] was called (on this context or an ancestor).
    Canceled,
    /// The deadline (of this context or an ancestor) passed.
    DeadlineExceeded,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::Canceled => "context canceled",
            ContextError::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl Error for ContextError {}

/// A cancellation scope in Go's sense: a [`done`](Context::done) channel that is closed when
/// the context is cancelled, its deadline passes or its parent ends, and the
/// [`err`](Context::err) that ended it. Cheap to clone; clones are the same context.
///
/// Pass it to the goroutines doing work on your behalf, and have them select on `done()`:
/// cancelling the context (or a parent) then stops all of them, which is how Go code avoids
/// leaking goroutines.
///
/// ```
/// use gochan::{select, Chan, Context};
///
/// let (ctx, cancel) = Context::with_cancel(&Context::background());
/// let results = Chan::<i32>::new(0);
/// let worker = {
///     let (ctx, results) = (ctx.clone(), results.clone());
///     std::thread::spawn(move || {
///         for i in 0.. {
///             select! {
///                 send(results, i) -> _ => {}
///                 recv(ctx.done()) -> _ => return ctx.err(),
///             }
///         }
///         unreachable!()
///     })
/// };
/// assert_eq!(results.recv(), Some(0));
/// assert_eq!(results.recv(), Some(1));
/// cancel.cancel();
/// assert_eq!(worker.join().unwrap(), Some(gochan::ContextError::Canceled));
/// ```
#[derive(Clone, Default)]
pub struct Context {
    /// `None`: the background context, never cancelled.
    inner: Option<Arc<CancelCtx>>,
}

/// Cancels the [`Context`] it came with (Go: `context.CancelFunc`). Calling it more than once
/// does nothing more. Dropping it does not cancel: call [`cancel`](CancelFn::cancel) when the
/// work is done, or the context and its timer live on until the parent ends.
///
/// ```
/// use gochan::Context;
///
/// let (ctx, cancel) = Context::with_cancel(&Context::background());
/// assert_eq!(ctx.err(), None);
/// cancel.cancel();
/// cancel.cancel();
/// assert!(ctx.err().is_some());
/// ```
#[derive(Clone)]
pub struct CancelFn {
    ctx: Arc<CancelCtx>,
}

/// Go's `cancelCtx` (plus `timerCtx`'s deadline and timer).
struct CancelCtx {
    parent: Context,
    deadline: Option<Instant>,
    /// Closed by the first cancel.
    done: Chan<()>,
    state: Mutex<CtxState>,
}

struct CtxState {
    err: Option<ContextError>,
    children: Vec<Weak<CancelCtx>>,
    timer: Option<Timer>,
}

impl CancelCtx {
    fn state(&self) -> MutexGuard<'_, CtxState> {
        // Critical sections do not panic; recover the data all the same.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Go's `cancelCtx.cancel`: record `err`, close `done`, cancel the children, leave the
    /// parent's list when `remove_from_parent`.
    fn cancel(self: &Arc<Self>, remove_from_parent: bool, err: ContextError) {
        let mut st = self.state();
        if st.err.is_some() {
            return;
        }
        st.err = Some(err);
        let children = std::mem::take(&mut st.children);
        let timer = st.timer.take();
        drop(st);
        self.done.close();
        for child in children.iter().filter_map(Weak::upgrade) {
            child.cancel(false, err);
        }
        if let Some(t) = timer {
            t.stop();
        }
        if remove_from_parent {
            if let Some(p) = &self.parent.inner {
                p.state()
                    .children
                    .retain(|c| c.strong_count() > 0 && !std::ptr::eq(c.as_ptr(), &**self));
            }
        }
    }
}

impl Context {
    /// The root context: never cancelled, no deadline, `done()` never fires (Go:
    /// `context.Background()`). Also `Context::default()`.
    ///
    /// ```
    /// let bg = gochan::Context::background();
    /// assert_eq!(bg.err(), None);
    /// assert_eq!(bg.deadline(), None);
    /// assert!(bg.done().is_nil());
    /// ```
    pub fn background() -> Context {
        Context { inner: None }
    }

    /// A child of `parent` with its own cancel function (Go: `context.WithCancel`). The child
    /// ends when `cancel` is called or when the parent ends, whichever comes first.
    ///
    /// ```
    /// use gochan::{Context, ContextError};
    ///
    /// let (parent, cancel_parent) = Context::with_cancel(&Context::background());
    /// let (child, _cancel_child) = Context::with_cancel(&parent);
    /// cancel_parent.cancel();
    /// assert_eq!(child.err(), Some(ContextError::Canceled));
    /// assert_eq!(child.done().recv(), None); // closed
    /// ```
    pub fn with_cancel(parent: &Context) -> (Context, CancelFn) {
        Context::new_child(parent, None)
    }

    /// A child of `parent` that ends at `deadline` at the latest (Go:
    /// `context.WithDeadline`). A parent deadline that comes earlier wins.
    ///
    /// ```
    /// use gochan::{Context, ContextError};
    /// use std::time::Instant;
    ///
    /// let (ctx, _cancel) = Context::with_deadline(&Context::background(), Instant::now());
    /// assert_eq!(ctx.done().recv(), None);
    /// assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    /// ```
    pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFn) {
        if parent.deadline().is_some_and(|d| d <= deadline) {
            // The parent's deadline comes first: this is only a cancel scope.
            return Context::with_cancel(parent);
        }
        Context::new_child(parent, Some(deadline))
    }

    /// A child of `parent` that ends after `timeout` at the latest (Go:
    /// `context.WithTimeout`).
    ///
    /// ```
    /// use gochan::{select, Context, ContextError};
    /// use std::time::Duration;
    ///
    /// let (ctx, cancel) = Context::with_timeout(&Context::background(), Duration::from_millis(5));
    /// select! {
    ///     recv(ctx.done()) -> _ => assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded)),
    /// }
    /// cancel.cancel(); // release resources; the error stays DeadlineExceeded
    /// assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    /// ```
    pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFn) {
        match crate::loom::now().checked_add(timeout) {
            Some(d) => Context::with_deadline(parent, d),
            None => Context::with_cancel(parent),
        }
    }

    fn new_child(parent: &Context, deadline: Option<Instant>) -> (Context, CancelFn) {
        let ctx = Arc::new(CancelCtx {
            parent: parent.clone(),
            deadline,
            done: Chan::new(0),
            state: Mutex::new(CtxState {
                err: None,
                children: Vec::new(),
                timer: None,
            }),
        });
        // Go's propagateCancel.
        if let Some(p) = &parent.inner {
            let mut pst = p.state();
            match pst.err {
                Some(err) => {
                    drop(pst);
                    ctx.cancel(false, err);
                }
                None => {
                    if pst.children.len() == pst.children.capacity() {
                        pst.children.retain(|c| c.strong_count() > 0);
                    }
                    pst.children.push(Arc::downgrade(&ctx));
                }
            }
        }
        if let Some(d) = deadline {
            if crate::loom::now() >= d {
                ctx.cancel(true, ContextError::DeadlineExceeded);
            } else {
                let weak = Arc::downgrade(&ctx);
                let timer = Timer::new(d, None, move || {
                    if let Some(c) = weak.upgrade() {
                        c.cancel(true, ContextError::DeadlineExceeded);
                    }
                });
                let mut st = ctx.state();
                if st.err.is_some() {
                    drop(st);
                    timer.stop();
                } else {
                    st.timer = Some(timer);
                }
            }
        }
        (
            Context {
                inner: Some(ctx.clone()),
            },
            CancelFn { ctx },
        )
    }

    /// A channel that is closed when this context ends (Go: `ctx.Done()`); receive from it
    /// in [`select!`](crate::select!). The background context's is the nil channel, which
    /// never fires.
    ///
    /// ```
    /// let (ctx, cancel) = gochan::Context::with_cancel(&gochan::Context::background());
    /// let done = ctx.done();
    /// assert!(done.try_recv().is_err());
    /// cancel.cancel();
    /// assert_eq!(done.recv(), None);
    /// ```
    pub fn done(&self) -> Receiver<()> {
        match &self.inner {
            Some(c) => c.done.receiver(),
            None => Receiver::nil(),
        }
    }

    /// Waits from async code until this context ends and returns why (Go: `<-ctx.Done()`
    /// then `ctx.Err()`). The task waits in the `done` channel's queue, no thread blocks; the
    /// background context's never resolves. Dropping the future stops waiting.
    ///
    /// ```
    /// use gochan::{Context, ContextError};
    ///
    /// let (ctx, cancel) = Context::with_cancel(&Context::background());
    /// let t = std::thread::spawn(move || cancel.cancel());
    /// assert_eq!(gmp_sched::block_on(ctx.done_async()), ContextError::Canceled);
    /// t.join().unwrap();
    /// ```
    pub async fn done_async(&self) -> ContextError {
        let done = self.done();
        // Nothing is ever sent on `done`: this returns when it is closed.
        let _ = done.recv_async().await;
        self.err()
            .expect("a context's error is set before its done channel is closed")
    }

    /// Why the context ended, or `None` while it has not (Go: `ctx.Err()`).
    ///
    /// ```
    /// assert_eq!(gochan::Context::background().err(), None);
    /// ```
    pub fn err(&self) -> Option<ContextError> {
        self.inner.as_ref().and_then(|c| c.state().err)
    }

    /// The time this context ends at the latest, if any (Go: `ctx.Deadline()`).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let d = Instant::now() + Duration::from_secs(60);
    /// let (ctx, _cancel) = gochan::Context::with_deadline(&gochan::Context::background(), d);
    /// assert_eq!(ctx.deadline(), Some(d));
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        let mut ctx = self.inner.as_ref();
        while let Some(c) = ctx {
            if c.deadline.is_some() {
                return c.deadline;
            }
            ctx = c.parent.inner.as_ref();
        }
        None
    }
}

impl CancelFn {
    /// Cancels the context and its children with [`ContextError::Canceled`] (unless it has
    /// already ended), closes its `done` channel and releases its timer.
    ///
    /// ```
    /// let (ctx, cancel) = gochan::Context::with_cancel(&gochan::Context::background());
    /// cancel.cancel();
    /// assert!(ctx.done().is_closed());
    /// ```
    pub fn cancel(&self) {
        self.ctx.cancel(true, ContextError::Canceled);
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("Context::background"),
            Some(_) => f
                .debug_struct("Context")
                .field("deadline", &self.deadline())
                .field("err", &self.err())
                .finish(),
        }
    }
}

impl fmt::Debug for CancelFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelFn").finish_non_exhaustive()
    }
}
