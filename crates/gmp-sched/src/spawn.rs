//! Spawning goroutines and joining them: Go's `go` statement (runtime.newproc) with a
//! handle, since Rust wants results and panics to reach someone.
//!
//! A panic is caught at the goroutine's entry (unwinding must never cross a context
//! switch) and handed to `join` as `Err`. A panic nobody joins is reported on stderr with
//! the goroutine's id and where it was spawned, when its handle is dropped (or when it
//! ends, if the handle was already gone), so it cannot vanish silently.

use crate::g::Entry;
use crate::park_state::WaitReason;
use crate::waiter::{park, Waiter};
use crate::waker_slot::WakerSlot;
use std::any::Any;
use std::cell::UnsafeCell;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::Result;

struct JoinState<T> {
    result: Option<Result<T>>,
    done: bool,
    handle_alive: bool,
    waiter: Option<Waiter>,
}

struct Join<T> {
    id: u64,
    spawned_at: &'static Location<'static>,
    state: Mutex<JoinState<T>>,
}

/// A spawned goroutine's function and join state: one allocation, shared by the G (as its
/// `Entry`) and the `JoinHandle` (as a `HasJoin`).
struct Task<F, T> {
    join: Join<T>,
    /// Taken once, by the goroutine itself.
    f: UnsafeCell<Option<F>>,
}

// SAFETY: `f` is touched once, by the goroutine that runs the task (`Entry::run`), and
// moved out there; everything else is the Sync `Join`. F and T are Send.
unsafe impl<F: Send, T: Send> Sync for Task<F, T> {}

impl<F, T> Entry for Task<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    fn run(&self) {
        // SAFETY: `run` is called once, by the goroutine, the only user of `f`.
        let f = unsafe { (*self.f.get()).take() }.expect("a goroutine ran twice");
        let r = catch_unwind(AssertUnwindSafe(f));
        crate::gfree::goroutine_done();
        self.join.complete(r);
    }
}

/// The join half of a task, without its function type.
trait HasJoin<T>: Send + Sync {
    fn join(&self) -> &Join<T>;
}

impl<F: Send, T: Send> HasJoin<T> for Task<F, T> {
    fn join(&self) -> &Join<T> {
        &self.join
    }
}

impl<T> Join<T> {
    fn complete(&self, r: Result<T>) {
        let mut st = self.state.lock().unwrap();
        st.done = true;
        if st.handle_alive {
            st.result = Some(r);
        } else if let Err(e) = r {
            report_unjoined(self.id, self.spawned_at, &*e);
        }
        let w = st.waiter.take();
        drop(st);
        if let Some(w) = w {
            w.unpark();
        }
    }
}

fn report_unjoined(id: u64, at: &Location<'_>, payload: &(dyn Any + Send)) {
    let msg = crate::fatal::panic_message(payload);
    crate::fatal::report(format_args!(
        "goroutine {id} (spawned at {at}) panicked and was never joined: {msg}"
    ));
}

/// An owned permission to join a goroutine: wait for it to end and take its result.
///
/// Dropping the handle detaches the goroutine (it keeps running). If a detached goroutine
/// panics, the panic is reported on stderr with its id and spawn site.
///
/// ```
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(|| 6 * 7) };
/// assert_eq!(h.join().unwrap(), 42);
/// ```
pub struct JoinHandle<T> {
    task: Arc<dyn HasJoin<T>>,
    /// Not Sync: joining is the one owner's business.
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl<T> JoinHandle<T> {
    fn j(&self) -> &Join<T> {
        self.task.join()
    }

    /// Waits for the goroutine to end. `Err` carries the payload of its panic.
    ///
    /// Works from goroutines (only this goroutine waits) and from plain threads.
    ///
    /// ```
    /// // SAFETY: the closure keeps no thread-bound state across a blocking call.
    /// let h = unsafe { gmp_sched::spawn::<_, ()>(|| panic!("boom")) };
    /// let err = h.join().unwrap_err();
    /// assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    /// ```
    pub fn join(self) -> Result<T> {
        let mut st = self.j().state.lock().unwrap();
        loop {
            if st.done {
                return st.result.take().expect("joined twice");
            }
            st.waiter = Some(Waiter::current());
            park(WaitReason::Join, move || drop(st));
            st = self.j().state.lock().unwrap();
        }
    }

    /// True once the goroutine has ended (returned or panicked).
    ///
    /// ```
    /// // SAFETY: the closure keeps no thread-bound state across a blocking call.
    /// let h = unsafe { gmp_sched::spawn(|| ()) };
    /// while !h.is_finished() {
    ///     gmp_sched::yield_now();
    /// }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.j().state.lock().unwrap().done
    }

    /// The goroutine's id (as in Go's stack traces; ids start at 1 and are never reused).
    ///
    /// ```
    /// // SAFETY: the closure keeps no thread-bound state across a blocking call.
    /// let h = unsafe { gmp_sched::spawn(|| ()) };
    /// assert!(h.id() >= 1);
    /// ```
    pub fn id(&self) -> u64 {
        self.j().id
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut st = self.j().state.lock().unwrap();
        st.handle_alive = false;
        if let Some(Err(e)) = st.result.take() {
            report_unjoined(self.j().id, self.j().spawned_at, &*e);
        }
    }
}

/// Awaiting a `JoinHandle` waits for the goroutine from async code (a tokio task, say): the
/// task waits, no thread blocks. The output is [`join`](JoinHandle::join)'s.
///
/// ```
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(|| 6 * 7) };
/// let v = gmp_sched::block_on(async { h.await.unwrap() });
/// assert_eq!(v, 42);
/// ```
impl<T> IntoFuture for JoinHandle<T> {
    type Output = Result<T>;
    type IntoFuture = JoinFuture<T>;

    fn into_future(self) -> JoinFuture<T> {
        JoinFuture {
            handle: Some(self),
            slot: None,
        }
    }
}

/// The future of an awaited [`JoinHandle`]: resolves to the goroutine's result, `Err` with
/// its panic's payload. Dropping it detaches the goroutine, as dropping the handle does.
///
/// ```
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(|| "done") };
/// let fut: gmp_sched::JoinFuture<&str> = std::future::IntoFuture::into_future(h);
/// assert_eq!(gmp_sched::block_on(fut).unwrap(), "done");
/// ```
pub struct JoinFuture<T> {
    /// `None` once the result was returned.
    handle: Option<JoinHandle<T>>,
    /// The task's waker slot, made on the first poll that has to wait.
    slot: Option<Arc<WakerSlot>>,
}

impl<T> Future for JoinFuture<T> {
    type Output = Result<T>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = &mut *self;
        let h = this
            .handle
            .as_ref()
            .expect("JoinFuture polled after completion");
        let mut st = h.j().state.lock().unwrap();
        if st.done {
            let r = st.result.take().expect("joined twice");
            drop(st);
            this.handle = None;
            return Poll::Ready(r);
        }
        // Under the state lock, so `complete` (which takes the waiter under the same lock and
        // wakes it after unlocking) either runs before this and we saw `done`, or after, and
        // wakes the waker registered here.
        let slot = this.slot.get_or_insert_with(|| Arc::new(WakerSlot::new()));
        slot.register(cx.waker());
        st.waiter = Some(Waiter::task(slot.clone()));
        Poll::Pending
    }
}

impl<T> std::fmt::Debug for JoinFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinFuture")
            .field("handle", &self.handle)
            .finish()
    }
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.j().id)
            .field("spawned_at", &self.j().spawned_at)
            .finish()
    }
}

/// Starts a goroutine running `f` (Go's `go f()`).
///
/// From a goroutine, the new one goes to the current P's `runnext`; from a plain thread, to
/// the global queue. The global runtime starts on first use.
///
/// # Safety
///
/// A goroutine may move to another OS thread whenever it blocks (on a channel, a lock,
/// `sleep`, `join`, `yield_now`, I/O, ...). The caller promises that `f` keeps **no
/// thread-bound state across such a call**:
/// - no borrow or value from a `thread_local!` (use [`goroutine_local!`](crate::goroutine_local)
///   instead) held across a blocking call;
/// - no guard that must be released on the thread that took it (`std::sync::MutexGuard`,
///   `RwLock` guards, `RefCell` borrows of thread-locals) held across a blocking call;
/// - no code that assumes it stays on one OS thread (thread ids, thread-affine FFI handles)
///   across a blocking call, unless it holds the goroutine to its thread.
///
/// Everything `f` does between two blocking calls runs on one thread, as in a normal
/// function. The bounds `Send + 'static` are checked by the compiler as for
/// `std::thread::spawn`; the promise above is the part no type can express.
///
/// The `unsafe` covers this promise, never `f`'s body: build the closure **outside** the
/// `unsafe` block, as below. A closure written inside the unsafe block around `spawn` is
/// itself an unsafe context, where a raw-pointer dereference compiles with no `unsafe` of its own.
/// (`goro::Spawner` makes the promise once, and its `spawn` and `goro::go!` are safe.)
///
/// # Panics
///
/// If the runtime cannot start (a bad `GOMAXPROCS`) or no stack can be mapped.
///
/// ```
/// let f = || "hello from a goroutine";
/// // SAFETY: `f` keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(f) };
/// println!("{}", h.join().unwrap());
/// ```
#[track_caller]
pub unsafe fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let s = crate::sched::get();
    let id = s
        .next_gid
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let spawned_at = Location::caller();
    let task = Arc::new(Task {
        join: Join {
            id,
            spawned_at,
            state: Mutex::new(JoinState {
                result: None,
                done: false,
                handle_alive: true,
                waiter: None,
            }),
        },
        f: UnsafeCell::new(Some(f)),
    });
    let g = crate::gfree::gfree_get();
    // SAFETY: a G from `gfree_get` is new or dead and referenced by us alone.
    unsafe { g.reuse(id, task.clone(), spawned_at, crate::dump::current_scope()) };
    // Sysmon watches goroutines (syscalls, hogs, the netpoller): it starts with the first
    // (Go starts it before main). A runtime used only for timers from threads needs none.
    crate::sysmon::start();
    if let Err(e) = crate::gfree::spawn_g(g) {
        panic!("goro: cannot allocate a goroutine stack: {e}");
    }
    // A safe point, as in Go: a goroutine spawning in a long loop whose P sysmon gave away
    // queues itself behind the goroutines it made instead of running on without a P.
    crate::preempt_point();
    JoinHandle {
        task,
        _not_sync: PhantomData,
    }
}
