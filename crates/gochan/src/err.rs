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
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The buffer is full and no receiver is waiting (or the channel is nil).
    Full(T),
    /// The channel is closed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let ch = gochan::Chan::new(0);
    /// assert_eq!(ch.try_send(5).unwrap_err().into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }

    /// Whether the send failed because the channel was full.
    ///
    /// ```
    /// let ch = gochan::Chan::new(0);
    /// assert!(ch.try_send(5).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the send failed because the channel was closed.
    ///
    /// ```
    /// let ch = gochan::Chan::new(0);
    /// ch.close();
    /// assert!(ch.try_send(5).unwrap_err().is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("send on a full channel"),
            TrySendError::Closed(_) => f.write_str("send on closed channel"),
        }
    }
}

impl<T> Error for TrySendError<T> {}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Closed(e.0)
    }
}

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
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// Nobody took the value before the deadline.
    Timeout(T),
    /// The channel is (or became) closed.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// use std::time::Duration;
    /// let ch = gochan::Chan::new(0);
    /// let err = ch.send_timeout('x', Duration::ZERO).unwrap_err();
    /// assert_eq!(err.into_inner(), 'x');
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Closed(v) => v,
        }
    }

    /// Whether the deadline passed.
    ///
    /// ```
    /// use std::time::Duration;
    /// let ch = gochan::Chan::new(0);
    /// assert!(ch.send_timeout(1, Duration::ZERO).unwrap_err().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// Whether the channel was closed.
    ///
    /// ```
    /// use std::time::Duration;
    /// let ch = gochan::Chan::new(0);
    /// ch.close();
    /// assert!(ch.send_timeout(1, Duration::ZERO).unwrap_err().is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, SendTimeoutError::Closed(_))
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            SendTimeoutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("timed out sending on a channel"),
            SendTimeoutError::Closed(_) => f.write_str("send on closed channel"),
        }
    }
}

impl<T> Error for SendTimeoutError<T> {}

impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(e: SendError<T>) -> Self {
        SendTimeoutError::Closed(e.0)
    }
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
