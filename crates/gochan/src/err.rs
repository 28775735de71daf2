//! The error types of channel operations. Where an operation could lose a value (a send on a
//! closed or full channel, a timed-out send) the error hands the value back.

use std::error::Error;
use std::fmt;

/// A [`send`](crate::Chan::send) on a closed channel; holds the value that was not sent.
///
/// Go panics on a send to a closed channel; goro hands the value back instead.
///
/// ```
/// use gochan::{Chan, SendError};
///
/// let ch = Chan::new(1);
/// ch.close();
/// assert_eq!(ch.send(7), Err(SendError(7)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let ch = gochan::Chan::new(0);
    /// ch.close();
    /// assert_eq!(ch.send("hi").unwrap_err().into_inner(), "hi");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("send on closed channel")
    }
}

impl<T> Error for SendError<T> {}

/// The shared body of the two send errors that hand their value back: an enum of two
/// variants, each holding the value, with `into_inner`, one `is_*` test a variant, a `Debug`
/// that does not need `T: Debug`, a Go-worded `Display`, and `From<SendError>` (a closed
/// channel).
macro_rules! send_error {
    (
        $(#[$doc:meta])*
        $name:ident {
            $(#[$first_doc:meta])* $first:ident => $is_first:ident, $first_msg:literal,
            $(#[$closed_doc:meta])* Closed => $closed_msg:literal,
        }
        examples: $into_inner_ex:literal, $is_first_ex:literal, $is_closed_ex:literal
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq)]
        pub enum $name<T> {
            $(#[$first_doc])*
            $first(T),
            $(#[$closed_doc])*
            Closed(T),
        }

        impl<T> $name<T> {
            /// The value that was not sent.
            ///
            #[doc = $into_inner_ex]
            pub fn into_inner(self) -> T {
                match self {
                    $name::$first(v) | $name::Closed(v) => v,
                }
            }

            #[doc = concat!("Whether the send failed because of `", stringify!($first), "`.")]
            ///
            #[doc = $is_first_ex]
            pub fn $is_first(&self) -> bool {
                matches!(self, $name::$first(_))
            }

            /// Whether the channel was closed.
            ///
            #[doc = $is_closed_ex]
            pub fn is_closed(&self) -> bool {
                matches!(self, $name::Closed(_))
            }
        }

        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $name::$first(_) => f.write_str(concat!(stringify!($first), "(..)")),
                    $name::Closed(_) => f.write_str("Closed(..)"),
                }
            }
        }

        impl<T> fmt::Display for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $name::$first(_) => f.write_str($first_msg),
                    $name::Closed(_) => f.write_str($closed_msg),
                }
            }
        }

        impl<T> Error for $name<T> {}

        impl<T> From<SendError<T>> for $name<T> {
            fn from(e: SendError<T>) -> Self {
                $name::Closed(e.0)
            }
        }
    };
}

send_error! {
    /// Why a [`try_send`](crate::Chan::try_send) did not send; holds the value.
    ///
    /// ```
    /// use gochan::{Chan, TrySendError};
    ///
    /// let ch = Chan::new(1);
    /// ch.try_send(1).unwrap();
    /// assert_eq!(ch.try_send(2), Err(TrySendError::Full(2)));
    /// ch.close();
    /// assert_eq!(ch.try_send(3), Err(TrySendError::Closed(3)));
    /// ```
    TrySendError {
        /// The buffer is full and no receiver is waiting (or the channel is nil).
        Full => is_full, "send on a full channel",
        /// The channel is closed.
        Closed => "send on closed channel",
    }
    examples: "```
let ch = gochan::Chan::new(0);
assert_eq!(ch.try_send(5).unwrap_err().into_inner(), 5);
```", "```
let ch = gochan::Chan::new(0);
assert!(ch.try_send(5).unwrap_err().is_full());
```", "```
let ch = gochan::Chan::new(0);
ch.close();
assert!(ch.try_send(5).unwrap_err().is_closed());
```"
}

send_error! {
    /// Why a [`send_timeout`](crate::Chan::send_timeout) did not send; holds the value.
    ///
    /// ```
    /// use gochan::{Chan, SendTimeoutError};
    /// use std::time::Duration;
    ///
    /// let ch = Chan::new(0);
    /// let err = ch.send_timeout(1, Duration::from_millis(1)).unwrap_err();
    /// assert_eq!(err, SendTimeoutError::Timeout(1));
    /// ```
    SendTimeoutError {
        /// Nobody took the value before the deadline.
        Timeout => is_timeout, "timed out sending on a channel",
        /// The channel is (or became) closed.
        Closed => "send on closed channel",
    }
    examples: "```
use std::time::Duration;
let ch = gochan::Chan::new(0);
let err = ch.send_timeout('x', Duration::ZERO).unwrap_err();
assert_eq!(err.into_inner(), 'x');
```", "```
use std::time::Duration;
let ch = gochan::Chan::new(0);
assert!(ch.send_timeout(1, Duration::ZERO).unwrap_err().is_timeout());
```", "```
use std::time::Duration;
let ch = gochan::Chan::new(0);
ch.close();
assert!(ch.send_timeout(1, Duration::ZERO).unwrap_err().is_closed());
```"
}

/// Why a [`try_recv`](crate::Chan::try_recv) got no value.
///
/// ```
/// use gochan::{Chan, TryRecvError};
///
/// let ch = Chan::<i32>::new(1);
/// assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
/// ch.close();
/// assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing is buffered and no sender is waiting (or the channel is nil).
    Empty,
    /// The channel is closed and drained.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receive from an empty channel"),
            TryRecvError::Closed => f.write_str("receive from a closed and empty channel"),
        }
    }
}

impl Error for TryRecvError {}

/// Why a [`recv_timeout`](crate::Chan::recv_timeout) got no value.
///
/// ```
/// use gochan::{Chan, RecvTimeoutError};
/// use std::time::Duration;
///
/// let ch = Chan::<i32>::new(0);
/// assert_eq!(ch.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// No value arrived before the deadline.
    Timeout,
    /// The channel is closed and drained.
    Closed,
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvTimeoutError::Timeout => f.write_str("timed out receiving from a channel"),
            RecvTimeoutError::Closed => f.write_str("receive from a closed and empty channel"),
        }
    }
}

impl Error for RecvTimeoutError {}

/// A [`Select::try_select`](crate::Select::try_select) found no case ready.
///
/// ```
/// use gochan::{Chan, Select, TrySelectError};
///
/// let ch = Chan::<i32>::new(0);
/// let mut sel = Select::new();
/// sel.recv(&ch);
/// assert_eq!(sel.try_select().unwrap_err(), TrySelectError);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TrySelectError;

impl fmt::Display for TrySelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no select case was ready")
    }
}

impl Error for TrySelectError {}

/// A [`Select::select_timeout`](crate::Select::select_timeout) found no case ready in time.
///
/// ```
/// use gochan::{Chan, Select, SelectTimeoutError};
/// use std::time::Duration;
///
/// let ch = Chan::<i32>::new(0);
/// let mut sel = Select::new();
/// sel.recv(&ch);
/// assert_eq!(sel.select_timeout(Duration::from_millis(1)).unwrap_err(), SelectTimeoutError);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SelectTimeoutError;

impl fmt::Display for SelectTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting on select")
    }
}

impl Error for SelectTimeoutError {}
