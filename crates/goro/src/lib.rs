//! Go's concurrency runtime for Rust: goroutines, channels and `select!`, Go's sync
//! primitives and a netpoller, without an async colouring of every function.
//!
//! This facade re-exports the crates it is made of; depend on one of them alone if that is
//! all you need:
//!
//! | crate       | what                                                                  |
//! |-------------|-----------------------------------------------------------------------|
//! | `gmp-sched` | goroutines on Go's G/M/P work-stealing scheduler; the waiter; timers   |
//! | `gochan`    | channels, `select!`, `after`/`tick`, `Context`                        |
//! | `gosync`    | `Mutex` with starvation mode, `RwMutex`, `Once`, `WaitGroup`, `Cond`  |
//! | `gopoll`    | the netpoller and goroutine-blocking sockets                          |
//!
//! ```
//! use goro::prelude::*;
//! use std::time::Duration;
//!
//! // SAFETY: no goroutine started with `sp` keeps thread-bound state across a blocking call.
//! let sp = unsafe { Spawner::new() };
//! let h = go!(sp, {
//!     goro::sleep(Duration::from_millis(1));
//!     "done"
//! });
//! assert_eq!(h.join().unwrap(), "done");
//! ```
//!
//! A program's `main` and its tests become goroutines with an attribute, and scoped
//! goroutines borrow the caller's stack, as `std::thread::scope`'s threads do:
//!
//! ```
//! // SAFETY: main and the goroutines started with `sp` keep no thread-bound state across a
//! // blocking call.
//! #[goro::main(unsafe)]
//! fn main(sp: goro::Spawner) {
//!     let mut squares = [0u64; 8];
//!     goro::scope(sp, |s| {
//!         for (i, sq) in squares.iter_mut().enumerate() {
//!             s.go(move || *sq = (i * i) as u64);
//!         }
//!     });
//!     assert_eq!(squares[7], 49);
//! }
//! ```
//!
//! The package is `goroutines` (`goro` on crates.io is an unrelated crate); the library
//! keeps the name `goro`: `goroutines = "0.1"` in `Cargo.toml`, `use goro::...` in code.
//!
//! Sockets live in [`net`]: `TcpListener`, `TcpStream`, `UdpSocket`, Unix sockets and
//! `PollFd` for any non-blocking fd, with Go's deadlines.
//!
//! Starting a goroutine needs a promise made with `unsafe`, because a goroutine may move
//! between OS threads whenever it blocks: [`spawn`] states the contract, a [`Spawner`] is the
//! promise made once (after which [`go!`] is safe and the goroutine's body is checked as safe
//! code), and [`goroutine_local!`] replaces `thread_local!`.
//!
//! # Where a name lives
//!
//! The root holds what a program writes, and only that: spawning ([`spawn`], [`go!`],
//! [`Spawner`], [`JoinHandle`], [`scope`], [`Scope`], [`ScopedJoinHandle`]), the attributes
//! [`main`](macro@main) and [`test`](macro@test), channels and their errors ([`Chan`], [`Sender`],
//! [`Receiver`], [`select!`], [`Select`], [`after`], [`tick`], [`never()`], [`Timer`],
//! [`after_func`]), [`Context`], the
//! locks of Go's `sync` ([`Mutex`], [`RwMutex`], [`Once`], [`WaitGroup`], [`Cond`]), the
//! scheduler calls of Go's `runtime` ([`sleep`], [`yield_now`], [`preempt_point`],
//! [`gomaxprocs`], [`set_gomaxprocs`], [`lock_os_thread`], [`syscall`]),
//! [`goroutine_local!`], and the runtime's set-up ([`run`], [`Builder`], [`BuildError`]).
//! Everything else sits one module down, by who needs it:
//!
//! | module      | for                                                                   |
//! |-------------|-----------------------------------------------------------------------|
//! | [`net`]     | sockets on the netpoller (Go's `net`)                                 |
//! | [`sys`]     | building primitives: `Waiter`, `park`, spinning, `Timer`, poller hook |
//! | [`debug`]   | diagnostics: goroutine dumps, `metrics`, `num_goroutine`, ids, `serve` |
//! | [`testing`] | test helpers: `check_leaks` (Go's goleak), a clock tests pause and advance |
//! | [`prelude`] | the dozen names most programs use, for a glob import                  |
//! | [`future`]  | the futures of the async bridge (`recv_async`, `lock_async`, ...)      |
//!
//! Async Rust meets goroutines in both directions: channels, `Mutex`, `WaitGroup`, `Once`,
//! `Context` and `JoinHandle` can be awaited from async tasks (`recv_async`, `send_async`,
//! `lock_async`, `wait_async`, `call_once_async`, `done_async`, `handle.await`), and
//! [`block_on`] runs a future on a goroutine (parking the goroutine, not its thread) or a
//! thread. A future that needs a tokio reactor runs on tokio: `block_on(rt.spawn(fut))`.
//!
//! The test for a new name: would a program that only uses goroutines, channels and locks
//! write it? Then the root. Is it a piece for building a channel, lock or poller of one's
//! own? Then [`sys`]. Does it only look at the runtime? Then [`debug`].
//! crossbeam-channel's root is the yardstick: about 25 names, nearly all of them a channel,
//! its handles, its iterators or its errors.

pub mod debug;
mod entry;
mod macros;
pub mod prelude;
mod scope;
mod spawner;
pub mod testing;

pub use goroutines_macros::{main, test};
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use spawner::Spawner;

/// What the attribute macros' expansions call; not public API.
#[doc(hidden)]
pub mod internal {
    pub use crate::entry::{main, test, TEST_LEAK_GRACE};
}

pub use gmp_sched::now;
pub use gmp_sched::sys;
pub use gmp_sched::{
    gomaxprocs, goroutine_local, lock_os_thread, preempt_point, run, set_gomaxprocs, sleep, spawn,
    syscall, unlock_os_thread, yield_now, BuildError, Builder, JoinHandle, LocalKey,
    DEFAULT_STACK_SIZE, MAX_PROCS, MIN_STACK_SIZE,
};
pub use gochan::{
    after, after_func, never, select, tick, AfterFunc, CancelFn, Chan, Context, ContextError,
    IntoIter, Iter, Receiver, RecvChan, RecvTimeoutError, Select, SelectTimeoutError,
    SelectedOperation, SendChan, SendError, SendTimeoutError, Sender, Ticker, Timer, TryIter,
    TryRecvError, TrySelectError, TrySendError,
};
/// Goroutine-blocking sockets on the netpoller (`gopoll`): Go's `net` package.
///
/// ```
/// use goro::net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
///
/// let ln = TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = ln.local_addr().unwrap();
/// // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
/// let sp = unsafe { goro::Spawner::new() };
/// let server = goro::go!(sp, {
///     let (mut conn, _) = ln.accept().unwrap();
///     let mut buf = [0; 5];
///     conn.read_exact(&mut buf).unwrap();
///     conn.write_all(&buf).unwrap();
/// });
/// let mut c = TcpStream::connect(addr).unwrap();
/// c.write_all(b"hello").unwrap();
/// let mut back = [0; 5];
/// c.read_exact(&mut back).unwrap();
/// assert_eq!(&back, b"hello");
/// server.join().unwrap();
/// ```
pub mod net {
    pub use gopoll::net::*;
    pub use gopoll::{is_closed, ErrClosed, PollFd};
}

pub use gosync::{
    Cond, Mutex, MutexGuard, Once, RwMutex, RwMutexReadGuard, RwMutexWriteGuard, WaitGroup,
};

pub use gmp_sched::block_on;

/// The futures of the async bridge, for code that names them (most code just `.await`s the
/// method that returns one).
///
/// ```
/// use goro::future::RecvFuture;
///
/// let ch = goro::Chan::new(1);
/// ch.send(1).unwrap();
/// let fut: RecvFuture<'_, i32> = ch.recv_async();
/// assert_eq!(goro::block_on(fut), Some(1));
/// ```
pub mod future {
    pub use gmp_sched::JoinFuture;
    pub use gochan::{RecvFuture, SendFuture};
    pub use gosync::{LockFuture, WaitFuture};
}

/// The README's examples, run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
