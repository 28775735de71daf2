//! Go's channels for Rust: a port of Go's runtime/chan.go and runtime/select.go on the
//! `gmp-sched` goroutine scheduler.
//!
//! Every blocking operation parks through the scheduler's waiter, so the same channel works
//! between two goroutines, two OS threads, or one of each: a goroutine that blocks frees its
//! thread for other goroutines, a thread that blocks just sleeps.
//!
//! # A tour
//!
//! [`Chan::new`] makes a channel (Go: `make(chan T, cap)`); clones are handles to the same
//! channel. Capacity 0 is an unbuffered channel: each send meets a receive.
//!
//! ```
//! use gochan::Chan;
//!
//! let ch = Chan::new(0);
//! let tx = ch.clone();
//! let producer = std::thread::spawn(move || {
//!     for i in 0..3 {
//!         tx.send(i).unwrap();
//!     }
//!     tx.close();
//! });
//! // `for v := range ch`: ends once the channel is closed and drained.
//! let got: Vec<i32> = ch.iter().collect();
//! assert_eq!(got, [0, 1, 2]);
//! producer.join().unwrap();
//! ```
//!
//! Errors are values where a value could be lost: sending on a closed channel hands the
//! value back ([`SendError`]) instead of panicking as Go does; [`Chan::recv`] returns `None`
//! where Go's receive says `ok == false`. [`try_send`](Chan::try_send) and
//! [`try_recv`](Chan::try_recv) never block and tell full, empty and closed apart;
//! [`send_timeout`](Chan::send_timeout) and [`recv_timeout`](Chan::recv_timeout) wait a
//! bounded time. Closing twice panics, as in Go.
//!
//! ```
//! use gochan::{Chan, SendError, TryRecvError, TrySendError};
//!
//! let ch = Chan::new(1);
//! assert_eq!(ch.try_send(1), Ok(()));
//! assert_eq!(ch.try_send(2), Err(TrySendError::Full(2)));
//! ch.close();
//! assert_eq!(ch.send(3), Err(SendError(3)));
//! assert_eq!(ch.try_recv(), Ok(1)); // buffered values survive the close
//! assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
//! ```
//!
//! [`Sender`] and [`Receiver`] are the send-only and receive-only views (Go's `chan<- T` and
//! `<-chan T`); the nil channel ([`Chan::nil`]) blocks forever, as in Go.
//!
//! ## select
//!
//! [`select!`] waits on several operations and runs the arm of the first that can happen;
//! ready arms are chosen at random, nil channels never fire, `default` makes it
//! non-blocking. [`after`] and [`tick`] give channels that deliver the time, for timeouts
//! and periodic work.
//!
//! ```
//! use gochan::{after, select, Chan};
//! use std::time::Duration;
//!
//! let data = Chan::new(1);
//! let quit = Chan::<()>::new(0);
//! data.send("hello").unwrap();
//! loop {
//!     select! {
//!         recv(data) -> msg => println!("got {msg:?}"),
//!         recv(quit) -> _ => break,
//!         recv(after(Duration::from_millis(5))) -> _ => break, // idle: stop
//!     }
//! }
//! ```
//!
//! [`Select`] builds the same from a list known only at run time.
//!
//! ## Context
//!
//! [`Context`] carries cancellation and deadlines from a caller to the goroutines working
//! for it, as Go's `context` package: select on [`ctx.done()`](Context::done) next to the
//! real work, and cancelling the context (or any parent) stops them all.
//!
//! ```
//! use gochan::{select, Chan, Context, ContextError};
//! use std::time::Duration;
//!
//! let (ctx, _cancel) = Context::with_timeout(&Context::background(), Duration::from_millis(5));
//! let never_ready = Chan::<i32>::new(0);
//! let r = select! {
//!     recv(never_ready) -> v => Ok(v),
//!     recv(ctx.done()) -> _ => Err(ctx.err().unwrap()),
//! };
//! assert_eq!(r, Err(ContextError::DeadlineExceeded));
//! ```
//!
//! # How it works
//!
//! Each channel is Go's `hchan`: one short lock, a ring buffer, and queues of parked senders
//! and receivers. A send that finds a parked receiver copies the value straight into it and
//! wakes it (into the sender's P's `runnext`, so ping-pong stays on one P); a receive from a
//! full buffer with parked senders takes the head and refills the tail from the first
//! sender; close wakes every waiter. A select locks its channels in address order, polls the
//! cases in random order, and if none is ready parks once on all of them; the first party to
//! claim it wins, and it unlinks itself from the others. See the `hchan`, `waitq` and
//! `select` module sources for the invariants.

mod chan;
#[cfg(not(loom))]
mod context;
mod err;
mod future;
mod hchan;
mod loom;
mod select;
mod select_dyn;
mod select_macro;
#[cfg(not(loom))]
mod time;
mod waitq;

pub use crate::chan::{Chan, IntoIter, Iter, Receiver, Sender, TryIter};
#[cfg(not(loom))]
pub use crate::context::{CancelFn, Context, ContextError};
pub use crate::err::{
    RecvTimeoutError, SelectTimeoutError, SendError, SendTimeoutError, TryRecvError,
    TrySelectError, TrySendError,
};
pub use crate::future::{RecvFuture, SendFuture};
pub use crate::select::{RecvChan, SendChan};
pub use crate::select_dyn::{Select, SelectedOperation};
#[cfg(not(loom))]
pub use crate::time::{after, after_func, never, tick, AfterFunc, Ticker, Timer};

/// What the macros (and loom models) need; not public API.
#[doc(hidden)]
pub mod internal {
    #[cfg(loom)]
    pub use crate::hchan::SpinLock;
    #[cfg(loom)]
    pub use crate::loom::set_spin;
    pub use crate::select::{select, CaseRef, Mode, RecvCase, SendCase};

    /// `(parked senders, parked receivers)` of `ch` (nodes of selects that already fired
    /// elsewhere count until unlinked): lets tests wait for a party to park without sleeping.
    pub fn queue_lens<T>(ch: &crate::Chan<T>) -> (usize, usize) {
        ch.hchan().map_or((0, 0), |h| h.queue_lens())
    }

    /// Spins (yielding) until `ch` has `senders` parked senders and `receivers` parked
    /// receivers.
    ///
    /// # Panics
    /// After a minute without it: the test hangs otherwise.
    pub fn wait_parked<T>(ch: &crate::Chan<T>, senders: usize, receivers: usize) {
        #[cfg(not(loom))]
        let start = std::time::Instant::now();
        while queue_lens(ch) != (senders, receivers) {
            #[cfg(not(loom))]
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "wait_parked: still {:?} parked, want ({senders}, {receivers})",
                queue_lens(ch)
            );
            #[cfg(not(loom))]
            gmp_sched::yield_now();
            #[cfg(loom)]
            loom::thread::yield_now();
        }
    }
}

/// The README's examples, run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
