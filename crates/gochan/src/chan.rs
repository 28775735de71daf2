//! The public channel handles: [`Chan`] and its one-way views [`Sender`] and [`Receiver`]
//! (Go's `chan T`, `chan<- T`, `<-chan T`), with their iterators. Ports the user-facing side
//! of Go's runtime/chan.go: a handle is an `Arc` of the `hchan` in `hchan.rs`, or nothing for
//! the nil channel; every operation locks that `hchan` (never two) and runs Go's `chansend`,
//! `chanrecv` or `closechan` there.
//!
//! Invariants: clones of a handle are the same channel; dropping handles never closes it; the
//! nil channel blocks every send and receive and is never chosen by a select. `Sender` and
//! `Receiver` hold a `Chan` and forward to it: their methods come from `view_methods!` below,
//! so a view cannot drift from the channel it wraps.

use crate::err::{RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::future::{RecvFuture, SendFuture};
use crate::hchan::Hchan;
use gmp_sched::sys::WaitReason;
use std::fmt;
use std::iter::FusedIterator;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Blocks forever on a nil channel (or until `deadline`).
fn block_nil(deadline: Option<Instant>) {
    match deadline {
        None => loop {
            gmp_sched::sys::park(WaitReason::ChanNil, || {});
        },
        Some(d) => {
            while crate::loom::now() < d {
                gmp_sched::sys::park_until(WaitReason::ChanNil, d, || {});
            }
        }
    }
}

/// A Go channel: `make(chan T, cap)`. Cheap to clone; clones are the same channel.
///
/// `send` blocks until a receiver takes the value or the buffer has room; `recv` blocks until
/// a value arrives or the channel is closed and drained. Both work the same from goroutines
/// and from plain threads. A channel is closed only by [`close`](Chan::close): dropping
/// handles never closes it (as in Go, where channels are garbage collected).
///
/// The nil channel ([`Chan::nil`], also `Chan::default()`) blocks every send and receive
/// forever and is never chosen by [`select!`](crate::select!).
///
/// ```
/// use gochan::Chan;
///
/// let ch = Chan::new(2);
/// ch.send("a").unwrap();
/// ch.send("b").unwrap();
/// ch.close();
/// let got: Vec<_> = ch.iter().collect();
/// assert_eq!(got, ["a", "b"]);
/// assert_eq!(ch.recv(), None);
/// ```
pub struct Chan<T> {
    hchan: Option<Arc<Hchan<T>>>,
}

impl<T> Chan<T> {
    /// A channel with a buffer of `cap` values; 0 makes an unbuffered channel, whose sends
    /// wait for a receiver (Go: `make(chan T, cap)`).
    ///
    /// ```
    /// let ch = gochan::Chan::<u8>::new(3);
    /// assert_eq!(ch.cap(), 3);
    /// ```
    pub fn new(cap: usize) -> Chan<T> {
        Chan {
            hchan: Some(Arc::new(Hchan::new(cap))),
        }
    }

    /// The nil channel (Go's zero value `var ch chan T`): sends and receives block forever,
    /// [`select!`](crate::select!) never chooses it, and closing it panics.
    ///
    /// ```
    /// use gochan::{Chan, TryRecvError};
    ///
    /// let ch = Chan::<i32>::nil();
    /// assert!(ch.is_nil());
    /// assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub const fn nil() -> Chan<T> {
        Chan { hchan: None }
    }

    /// Whether this is the nil channel.
    ///
    /// ```
    /// assert!(!gochan::Chan::<()>::new(0).is_nil());
    /// ```
    pub fn is_nil(&self) -> bool {
        self.hchan.is_none()
    }

    pub(crate) fn hchan(&self) -> Option<&Hchan<T>> {
        self.hchan.as_deref()
    }

    /// Sends `v`, waiting until a receiver takes it or the buffer has room (Go: `ch <- v`).
    /// A closed channel hands the value back (Go panics instead).
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// ch.send(1).unwrap();
    /// assert_eq!(ch.recv(), Some(1));
    /// ```
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        self.send_inner(v, None)
            .map_err(|e| SendError(e.into_inner()))
    }

    /// Sends from async code: a future that resolves to what [`send`](Chan::send) would
    /// return. While it waits, the task waits in the channel's queue beside parked goroutines
    /// and threads; no thread blocks.
    ///
    /// Cancellation-safe, as a [`select!`](crate::select!) arm that is not chosen: a future
    /// dropped before it resolves either delivered `v` or never enqueued it;
    /// [`SendFuture::cancel`] hands an undelivered value back.
    ///
    /// ```
    /// use gochan::Chan;
    ///
    /// let ch = Chan::new(0);
    /// let rx = ch.clone();
    /// let t = std::thread::spawn(move || rx.recv());
    /// gmp_sched::block_on(async { ch.send_async(7).await }).unwrap();
    /// assert_eq!(t.join().unwrap(), Some(7));
    /// ```
    pub fn send_async(&self, v: T) -> SendFuture<'_, T> {
        SendFuture::new(self.hchan(), v)
    }

    /// Sends `v` if that can happen without waiting (Go: `select` with a `default`).
    ///
    /// ```
    /// use gochan::{Chan, TrySendError};
    ///
    /// let ch = Chan::new(1);
    /// assert_eq!(ch.try_send(1), Ok(()));
    /// assert_eq!(ch.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        match self.hchan() {
            Some(h) => h.try_send(v),
            None => Err(TrySendError::Full(v)),
        }
    }

    /// Sends `v`, waiting at most `timeout`.
    ///
    /// ```
    /// use gochan::{Chan, SendTimeoutError};
    /// use std::time::Duration;
    ///
    /// let ch = Chan::new(0);
    /// let r = ch.send_timeout(1, Duration::from_millis(1));
    /// assert_eq!(r, Err(SendTimeoutError::Timeout(1)));
    /// ```
    pub fn send_timeout(&self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_inner(v, deadline_after(timeout))
    }

    /// Sends `v`, waiting until `deadline` at most.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let ch = gochan::Chan::new(1);
    /// ch.send_deadline(1, Instant::now() + Duration::from_secs(1)).unwrap();
    /// assert!(ch.send_deadline(2, Instant::now()).unwrap_err().is_timeout());
    /// ```
    pub fn send_deadline(&self, v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.send_inner(v, Some(deadline))
    }

    /// Go's `chansend` with `block == true`; the nil channel blocks.
    fn send_inner(&self, v: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        match self.hchan() {
            Some(h) => h.send(v, deadline),
            None => {
                block_nil(deadline);
                Err(SendTimeoutError::Timeout(v))
            }
        }
    }

    /// Receives a value, waiting until one arrives; `None` once the channel is closed and
    /// drained (Go: `v, ok := <-ch` with `ok == false`).
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// ch.send(5).unwrap();
    /// ch.close();
    /// assert_eq!(ch.recv(), Some(5));
    /// assert_eq!(ch.recv(), None);
    /// ```
    pub fn recv(&self) -> Option<T> {
        self.recv_inner(None).ok()
    }

    /// Receives from async code: a future that resolves to what [`recv`](Chan::recv) would
    /// return. While it waits, the task waits in the channel's queue beside parked goroutines
    /// and threads; no thread blocks.
    ///
    /// Cancellation-safe, as a [`select!`](crate::select!) arm that is not chosen: a future
    /// dropped before it resolves either received nothing or passes the value it was given on
    /// to the channel's next receiver ([`RecvFuture::cancel`] keeps it instead).
    ///
    /// ```
    /// use gochan::Chan;
    ///
    /// let ch = Chan::new(0);
    /// let tx = ch.clone();
    /// let t = std::thread::spawn(move || tx.send("from a thread").unwrap());
    /// let got = gmp_sched::block_on(async { ch.recv_async().await });
    /// assert_eq!(got, Some("from a thread"));
    /// t.join().unwrap();
    /// ```
    pub fn recv_async(&self) -> RecvFuture<'_, T> {
        RecvFuture::new(self.hchan())
    }

    /// Receives a value if one is ready now.
    ///
    /// ```
    /// use gochan::{Chan, TryRecvError};
    ///
    /// let ch = Chan::new(1);
    /// assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    /// ch.send(1).unwrap();
    /// assert_eq!(ch.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.hchan()
            .map_or(Err(TryRecvError::Empty), Hchan::try_recv)
    }

    /// Receives a value, waiting at most `timeout`.
    ///
    /// ```
    /// use gochan::{Chan, RecvTimeoutError};
    /// use std::time::Duration;
    ///
    /// let ch = Chan::<i32>::new(0);
    /// assert_eq!(ch.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_inner(deadline_after(timeout))
    }

    /// Receives a value, waiting until `deadline` at most.
    ///
    /// ```
    /// use gochan::{Chan, RecvTimeoutError};
    /// use std::time::Instant;
    ///
    /// let ch = Chan::new(1);
    /// ch.send(1).unwrap();
    /// assert_eq!(ch.recv_deadline(Instant::now()), Ok(1));
    /// assert_eq!(ch.recv_deadline(Instant::now()), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_inner(Some(deadline))
    }

    /// Go's `chanrecv` with `block == true`; the nil channel blocks.
    fn recv_inner(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        match self.hchan() {
            Some(h) => h.recv(deadline),
            None => {
                block_nil(deadline);
                Err(RecvTimeoutError::Timeout)
            }
        }
    }

    /// Closes the channel (Go: `close(ch)`): parked receivers get `None`, parked senders get
    /// their values back, buffered values can still be received, later sends fail.
    ///
    /// # Panics
    /// On a closed channel ("close of closed channel") or the nil one ("close of nil
    /// channel"), as Go does.
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// ch.close();
    /// assert!(ch.is_closed());
    /// assert_eq!(ch.recv(), None);
    /// ```
    pub fn close(&self) {
        match self.hchan() {
            Some(h) => h.close(),
            None => panic!("close of nil channel"),
        }
    }

    /// How many values are buffered (Go: `len(ch)`); 0 for the nil channel.
    ///
    /// ```
    /// let ch = gochan::Chan::new(4);
    /// ch.send(1).unwrap();
    /// assert_eq!(ch.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.hchan().map_or(0, |h| h.lock().len())
    }

    /// Whether nothing is buffered.
    ///
    /// ```
    /// assert!(gochan::Chan::<i32>::new(4).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer size (Go: `cap(ch)`); 0 for unbuffered and nil channels.
    ///
    /// ```
    /// assert_eq!(gochan::Chan::<i32>::new(0).cap(), 0);
    /// ```
    pub fn cap(&self) -> usize {
        self.hchan().map_or(0, |h| h.lock().cap())
    }

    /// Whether [`close`](Chan::close) was called; false for the nil channel.
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// assert!(!ch.is_closed());
    /// ch.close();
    /// assert!(ch.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.hchan().is_some_and(|h| h.lock().is_closed())
    }

    /// Whether `self` and `other` are the same channel (Go: `ch1 == ch2`). Also `==`.
    ///
    /// ```
    /// let a = gochan::Chan::<i32>::new(0);
    /// assert!(a.same_channel(&a.clone()));
    /// assert!(!a.same_channel(&gochan::Chan::new(0)));
    /// ```
    pub fn same_channel(&self, other: &Chan<T>) -> bool {
        match (&self.hchan, &other.hchan) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    /// A blocking iterator over received values that ends when the channel is closed and
    /// drained (Go: `for v := range ch`). Also `for v in &ch`.
    ///
    /// ```
    /// let ch = gochan::Chan::new(3);
    /// for i in 0..3 {
    ///     ch.send(i).unwrap();
    /// }
    /// ch.close();
    /// assert_eq!(ch.iter().sum::<i32>(), 3);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { chan: self }
    }

    /// An iterator over the values ready now; it never blocks.
    ///
    /// ```
    /// let ch = gochan::Chan::new(3);
    /// ch.send(1).unwrap();
    /// ch.send(2).unwrap();
    /// assert_eq!(ch.try_iter().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { chan: self }
    }

    /// A send-only handle to this channel (Go: `chan<- T`).
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// let tx = ch.sender();
    /// tx.send(1).unwrap();
    /// assert_eq!(ch.recv(), Some(1));
    /// ```
    pub fn sender(&self) -> Sender<T> {
        Sender(self.clone())
    }

    /// A receive-only handle to this channel (Go: `<-chan T`).
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// let rx = ch.receiver();
    /// ch.send(1).unwrap();
    /// assert_eq!(rx.recv(), Some(1));
    /// ```
    pub fn receiver(&self) -> Receiver<T> {
        Receiver(self.clone())
    }
}

/// `now + timeout`, or no deadline when that overflows `Instant`.
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    crate::loom::now().checked_add(timeout)
}

impl<T> Clone for Chan<T> {
    fn clone(&self) -> Self {
        Chan {
            hchan: self.hchan.clone(),
        }
    }
}

impl<T> Default for Chan<T> {
    /// The nil channel, Go's zero value.
    fn default() -> Self {
        Chan::nil()
    }
}

impl<T> PartialEq for Chan<T> {
    fn eq(&self, other: &Self) -> bool {
        self.same_channel(other)
    }
}

impl<T> Eq for Chan<T> {}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hchan() {
            None => f.write_str("Chan(nil)"),
            Some(h) => {
                let s = h.lock();
                f.debug_struct("Chan")
                    .field("len", &s.len())
                    .field("cap", &s.cap())
                    .field("closed", &s.is_closed())
                    .finish()
            }
        }
    }
}

/// `IntoIterator` for a receiving handle and a reference to it: `for v in &h` is `h.iter()`,
/// `for v in h` is `$owned` (`$h` bound to the handle), both ending once the channel is
/// closed and drained.
macro_rules! into_iter_impls {
    ($handle:ident, |$h:ident| $owned:expr) => {
        impl<'a, T> IntoIterator for &'a $handle<T> {
            type Item = T;
            type IntoIter = Iter<'a, T>;
            fn into_iter(self) -> Iter<'a, T> {
                self.iter()
            }
        }

        impl<T> IntoIterator for $handle<T> {
            type Item = T;
            type IntoIter = IntoIter<T>;
            fn into_iter(self) -> IntoIter<T> {
                let $h = self;
                $owned
            }
        }
    };
}

into_iter_impls!(Chan, |chan| IntoIter { chan });

/// Blocking iterator over a channel's values; see [`Chan::iter`].
///
/// ```
/// let ch = gochan::Chan::new(1);
/// ch.send(1).unwrap();
/// ch.close();
/// let mut it = ch.iter();
/// assert_eq!(it.next(), Some(1));
/// assert_eq!(it.next(), None);
/// ```
pub struct Iter<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.chan.recv()
    }
}

impl<T> FusedIterator for Iter<'_, T> {}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iter { .. }")
    }
}

/// Non-blocking iterator over the values ready now; see [`Chan::try_iter`].
///
/// ```
/// let ch = gochan::Chan::<i32>::new(1);
/// assert_eq!(ch.try_iter().next(), None);
/// ```
pub struct TryIter<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.chan.try_recv().ok()
    }
}

impl<T> fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryIter { .. }")
    }
}

/// Owning blocking iterator over a channel's values (`for v in ch`).
///
/// ```
/// let ch = gochan::Chan::new(2);
/// ch.send('a').unwrap();
/// ch.close();
/// assert_eq!(ch.into_iter().collect::<String>(), "a");
/// ```
pub struct IntoIter<T> {
    chan: Chan<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.chan.recv()
    }
}

impl<T> FusedIterator for IntoIter<T> {}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntoIter { .. }")
    }
}

/// The methods and traits of a one-way view (`Sender`, `Receiver`, a newtype over `Chan`),
/// as gopoll's `poll_methods!`. Each `fn` listed forwards to the `Chan` method of the same
/// name; its docs link there and run `$setup` (which binds the view to `h`) then the example
/// given. `nil`, `same_channel`, `as_chan` and `From`, `Clone`, `Default`, `PartialEq`, `Eq`,
/// `Debug` come with every view.
macro_rules! view_methods {
    (
        $View:ident, $nil_doc:literal, $setup:literal,
        $(fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?, $example:literal;)*
    ) => {
        impl<T> $View<T> {
            #[doc = concat!($nil_doc, "\n\n```\nassert!(gochan::", stringify!($View),
                "::<i32>::nil().is_nil());\n```")]
            pub const fn nil() -> $View<T> {
                $View(Chan::nil())
            }

            $(
                #[doc = concat!("See [`Chan::", stringify!($name), "`].\n\n```\n", $setup,
                    "\n", $example, "\n```")]
                pub fn $name(&self $(, $arg: $ty)*) $(-> $ret)? {
                    self.0.$name($($arg),*)
                }
            )*

            /// Whether both handles are the same channel.
            ///
            #[doc = concat!("```\n", $setup, "\nassert!(h.same_channel(&h.clone()));\n```")]
            pub fn same_channel(&self, other: &$View<T>) -> bool {
                self.0.same_channel(&other.0)
            }

            pub(crate) fn as_chan(&self) -> &Chan<T> {
                &self.0
            }
        }

        impl<T> From<Chan<T>> for $View<T> {
            fn from(c: Chan<T>) -> Self {
                $View(c)
            }
        }

        impl<T> Clone for $View<T> {
            fn clone(&self) -> Self {
                $View(self.0.clone())
            }
        }

        impl<T> Default for $View<T> {
            /// The nil channel.
            fn default() -> Self {
                $View::nil()
            }
        }

        impl<T> PartialEq for $View<T> {
            fn eq(&self, other: &Self) -> bool {
                self.same_channel(other)
            }
        }

        impl<T> Eq for $View<T> {}

        impl<T> fmt::Debug for $View<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($View)).field(&self.0).finish()
            }
        }
    };
}

/// The send-only view of a channel (Go: `chan<- T`): it can send and close.
///
/// ```
/// use gochan::{Chan, Sender};
///
/// let ch = Chan::new(1);
/// let tx: Sender<i32> = ch.clone().into();
/// tx.send(3).unwrap();
/// tx.close();
/// assert_eq!(ch.recv(), Some(3));
/// ```
pub struct Sender<T>(Chan<T>);

view_methods! {
    Sender,
    "The nil send-only channel: sends block forever.",
    "let ch = gochan::Chan::<i32>::new(1);\nlet h = ch.sender();",
    fn send(v: T) -> Result<(), SendError<T>>,
        "h.send(1).unwrap();\nassert_eq!(ch.recv(), Some(1));";
    fn try_send(v: T) -> Result<(), TrySendError<T>>,
        "assert!(h.try_send(1).is_ok());\nassert!(h.try_send(2).is_err());";
    fn send_async(v: T) -> SendFuture<'_, T>,
        "gmp_sched::block_on(h.send_async(1)).unwrap();\nassert_eq!(ch.recv(), Some(1));";
    fn send_timeout(v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>>,
        "h.send(1).unwrap();\nassert!(h.send_timeout(2, std::time::Duration::ZERO).is_err());";
    fn send_deadline(v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>>,
        "h.send(1).unwrap();\nassert!(h.send_deadline(2, std::time::Instant::now()).is_err());";
    fn close(), "h.close();\nassert!(ch.is_closed());";
    fn len() -> usize, "assert_eq!(h.len(), 0);";
    fn is_empty() -> bool, "assert!(h.is_empty());";
    fn cap() -> usize, "assert_eq!(h.cap(), 1);";
    fn is_closed() -> bool, "assert!(!h.is_closed());";
    fn is_nil() -> bool, "assert!(!h.is_nil());";
}

/// The receive-only view of a channel (Go: `<-chan T`): it can receive, not send or close.
///
/// ```
/// use gochan::{Chan, Receiver};
///
/// let ch = Chan::new(1);
/// let rx: Receiver<i32> = ch.clone().into();
/// ch.send(3).unwrap();
/// assert_eq!(rx.recv(), Some(3));
/// ```
pub struct Receiver<T>(Chan<T>);

view_methods! {
    Receiver,
    "The nil receive-only channel: receives block forever.",
    "let ch = gochan::Chan::new(1);\nch.send(1).unwrap();\nlet h = ch.receiver();",
    fn recv() -> Option<T>, "assert_eq!(h.recv(), Some(1));";
    fn recv_async() -> RecvFuture<'_, T>,
        "assert_eq!(gmp_sched::block_on(h.recv_async()), Some(1));";
    fn try_recv() -> Result<T, TryRecvError>,
        "assert_eq!(h.try_recv(), Ok(1));\nassert!(h.try_recv().is_err());";
    fn recv_timeout(timeout: Duration) -> Result<T, RecvTimeoutError>,
        "assert_eq!(h.recv_timeout(std::time::Duration::ZERO), Ok(1));";
    fn recv_deadline(deadline: Instant) -> Result<T, RecvTimeoutError>,
        "assert_eq!(h.recv_deadline(std::time::Instant::now()), Ok(1));";
    fn iter() -> Iter<'_, T>, "ch.close();\nassert_eq!(h.iter().count(), 1);";
    fn try_iter() -> TryIter<'_, T>, "assert_eq!(h.try_iter().collect::<Vec<_>>(), [1]);";
    fn len() -> usize, "assert_eq!(h.len(), 1);";
    fn is_empty() -> bool, "assert!(!h.is_empty());";
    fn cap() -> usize, "assert_eq!(h.cap(), 1);";
    fn is_closed() -> bool, "assert!(!h.is_closed());";
    fn is_nil() -> bool, "assert!(!h.is_nil());";
}

into_iter_impls!(Receiver, |r| r.0.into_iter());
