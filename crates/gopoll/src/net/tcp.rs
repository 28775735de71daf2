//! TCP: [`TcpListener`] and [`TcpStream`] (Go's net.TCPListener and net.TCPConn).
//!
//! Accept is `accept4(SOCK_NONBLOCK)`, retried on `ECONNABORTED` as Go's accept loop does,
//! so an accepted stream needs no `fcntl` before registration; every accepted and connected
//! stream gets `TCP_NODELAY`, as in Go's newTCPConn. Connect is a non-blocking `connect`
//! that parks until the socket is writable, then reads `SO_ERROR` and, as Go's
//! netFD.connect, confirms with `getpeername` (a stale readiness must not pass for
//! success). Writes are `send(MSG_NOSIGNAL)`.

use super::sys;
use crate::PollFd;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

/// A TCP socket server, listening for connections; accepting parks the calling goroutine.
///
/// ```
/// use gopoll::net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let client = std::thread::spawn(move || -> std::io::Result<String> {
///     let mut s = TcpStream::connect(addr)?;
///     s.write_all(b"ping")?;
///     let mut reply = String::new();
///     s.read_to_string(&mut reply)?;
///     Ok(reply)
/// });
/// let (mut conn, _peer) = listener.accept()?;
/// let mut buf = [0; 4];
/// conn.read_exact(&mut buf)?;
/// conn.write_all(b"pong")?;
/// drop(conn);
/// assert_eq!(client.join().unwrap()?, "pong");
/// # std::io::Result::Ok(())
/// ```
pub struct TcpListener {
    fd: PollFd<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (the first address that works, as std's) and listens, with a
    /// backlog of up to 4096 (capped by `net.core.somaxconn`), as Go's `net.Listen`.
    ///
    /// ```
    /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
    /// assert!(l.local_addr()?.ip().is_loopback());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        sys::each_addr(addr, |a| {
            let l = std::net::TcpListener::from(sys::listen_tcp(a)?);
            Ok(TcpListener {
                fd: PollFd::new_nonblocking(l)?,
            })
        })
    }

    forward! {
        /// Wraps a std listener (made non-blocking).
        ///
        /// ```
        /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        /// let l = gopoll::net::TcpListener::from_std(l)?;
        /// # std::io::Result::Ok(())
        /// ```
        fn from_std(l: std::net::TcpListener) -> io::Result<Self>;
    }

    /// Accepts a connection, parking until one arrives. The connection has `TCP_NODELAY`
    /// set, as in Go. A connection aborted while queued (`ECONNABORTED`) is skipped, as Go
    /// does; other errors, such as EMFILE (out of fds), come back at once, and the pending
    /// connection stays queued for the next call.
    ///
    /// ```
    /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
    /// let c = std::net::TcpStream::connect(l.local_addr()?)?;
    /// let (s, peer) = l.accept()?;
    /// assert_eq!(peer, c.local_addr()?);
    /// assert_eq!(s.peer_addr()?, c.local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (fd, ss) = self
            .fd
            .read_with(|l| sys::accept_retry(|| sys::accept(l.as_raw_fd())))?;
        let addr = sys::from_sockaddr(&ss)?;
        let _ = sys::set_nodelay(fd.as_raw_fd());
        let fd = PollFd::new_nonblocking(std::net::TcpStream::from(fd))?;
        Ok((TcpStream { fd }, addr))
    }

    forward! {
        /// The address the listener is bound to.
        ///
        /// ```
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// assert_ne!(l.local_addr()?.port(), 0);
        /// # std::io::Result::Ok(())
        /// ```
        fn local_addr(&self) -> io::Result<SocketAddr>;

        /// Takes the pending socket error (`SO_ERROR`), if any.
        ///
        /// ```
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// assert!(l.take_error()?.is_none());
        /// # std::io::Result::Ok(())
        /// ```
        fn take_error(&self) -> io::Result<Option<io::Error>>;
    }

    poll_methods!(
        std::net::TcpListener,
        "let s = gopoll::net::TcpListener::bind(\"127.0.0.1:0\")?;"
    );
}

fd_impls!(TcpListener, "addr" => local_addr);

incoming!(
    TcpListener,
    Incoming -> TcpStream,
    "let l = gopoll::net::TcpListener::bind(\"127.0.0.1:0\")?;\nlet _c = std::net::TcpStream::connect(l.local_addr()?)?;",
    "# let _ = s;"
);

/// A TCP connection; reads and writes park the calling goroutine (or thread) while the
/// socket is not ready. Implements `Read` and `Write`, also for `&TcpStream`, so one
/// goroutine can read while another writes.
///
/// ```
/// use gopoll::net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
///
/// let l = TcpListener::bind("127.0.0.1:0")?;
/// let mut c = TcpStream::connect(l.local_addr()?)?;
/// let (mut s, _) = l.accept()?;
/// c.write_all(b"hello")?;
/// let mut buf = [0; 5];
/// s.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hello");
/// # std::io::Result::Ok(())
/// ```
pub struct TcpStream {
    fd: PollFd<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn (as std's); parks while
    /// the connection is being established. The connection has `TCP_NODELAY` set, as in Go.
    ///
    /// ```
    /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
    /// let s = gopoll::net::TcpStream::connect(l.local_addr()?)?;
    /// assert_eq!(s.peer_addr()?, l.local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        sys::each_addr(addr, |a| TcpStream::connect_deadline(a, None))
    }

    /// Connects to `addr`, failing with `TimedOut` if that takes longer than `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
    /// let s = gopoll::net::TcpStream::connect_timeout(&l.local_addr()?, Duration::from_secs(5))?;
    /// # let _ = s;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        TcpStream::connect_deadline(addr, gmp_sched::now().checked_add(timeout))
    }

    /// Connects to `addr`, failing with `TimedOut` once `deadline` passes (Go's
    /// `Dialer.Deadline`); a deadline already past fails at once, without dialing.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
    /// let d = Instant::now() + Duration::from_secs(5);
    /// let s = gopoll::net::TcpStream::connect_deadline(&l.local_addr()?, Some(d))?;
    /// # let _ = s;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect_deadline(addr: &SocketAddr, deadline: Option<Instant>) -> io::Result<TcpStream> {
        // Go's DialContext: a deadline already past fails before dialing, also where the
        // connect would complete at once (loopback).
        if deadline.is_some_and(|d| gmp_sched::now() >= d) {
            return Err(crate::deadline::timed_out());
        }
        let fd = sys::socket(sys::domain(addr), libc::SOCK_STREAM)?;
        let _ = sys::set_nodelay(fd.as_raw_fd());
        let fd = sys::connect_stream(
            fd,
            sys::to_sockaddr(addr),
            deadline,
            std::net::TcpStream::take_error,
            |s| s.peer_addr().map(drop),
        )?;
        Ok(TcpStream { fd })
    }

    forward! {
        /// Wraps a connected std stream (made non-blocking).
        ///
        /// ```
        /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        /// let c = std::net::TcpStream::connect(l.local_addr()?)?;
        /// let c = gopoll::net::TcpStream::from_std(c)?;
        /// # let _ = c;
        /// # std::io::Result::Ok(())
        /// ```
        fn from_std(s: std::net::TcpStream) -> io::Result<Self>;

        /// The remote address.
        ///
        /// ```
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// let s = gopoll::net::TcpStream::connect(l.local_addr()?)?;
        /// assert_eq!(s.peer_addr()?, l.local_addr()?);
        /// # std::io::Result::Ok(())
        /// ```
        fn peer_addr(&self) -> io::Result<SocketAddr>;

        /// The local address.
        ///
        /// ```
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// let s = gopoll::net::TcpStream::connect(l.local_addr()?)?;
        /// assert!(s.local_addr()?.ip().is_loopback());
        /// # std::io::Result::Ok(())
        /// ```
        fn local_addr(&self) -> io::Result<SocketAddr>;

        /// Shuts down the read half, the write half or both (`shutdown(2)`): after
        /// `Shutdown::Write` the peer reads end-of-file (Go's `CloseWrite`).
        ///
        /// ```
        /// use std::io::Read;
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// let c = gopoll::net::TcpStream::connect(l.local_addr()?)?;
        /// let (mut s, _) = l.accept()?;
        /// c.shutdown(std::net::Shutdown::Write)?;
        /// assert_eq!(s.read(&mut [0; 8])?, 0);
        /// # std::io::Result::Ok(())
        /// ```
        fn shutdown(&self, how: Shutdown) -> io::Result<()>;

        /// Sets or clears `TCP_NODELAY` (on: Nagle's algorithm off). As in Go, `accept` and
        /// `connect` turn it on for every new connection; a stream made with `from_std` keeps
        /// what it had.
        ///
        /// ```
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// let s = gopoll::net::TcpStream::connect(l.local_addr()?)?;
        /// s.set_nodelay(true)?;
        /// assert!(s.nodelay()?);
        /// # std::io::Result::Ok(())
        /// ```
        fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;

        /// Whether `TCP_NODELAY` is set.
        ///
        /// ```
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// let s = gopoll::net::TcpStream::connect(l.local_addr()?)?;
        /// let _ = s.nodelay()?;
        /// # std::io::Result::Ok(())
        /// ```
        fn nodelay(&self) -> io::Result<bool>;

        /// A second handle to the same connection (`dup`), registered on its own: one can
        /// read in one goroutine while the other writes in another.
        ///
        /// ```
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// let s = gopoll::net::TcpStream::connect(l.local_addr()?)?;
        /// let s2 = s.try_clone()?;
        /// assert_eq!(s2.peer_addr()?, s.peer_addr()?);
        /// # std::io::Result::Ok(())
        /// ```
        fn try_clone(&self) -> io::Result<Self>;
    }

    /// Reads without removing the data from the queue (`MSG_PEEK`), parking until some
    /// arrives.
    ///
    /// ```
    /// use std::io::Write;
    /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
    /// let mut c = gopoll::net::TcpStream::connect(l.local_addr()?)?;
    /// let (s, _) = l.accept()?;
    /// c.write_all(b"x")?;
    /// let mut buf = [0; 1];
    /// assert_eq!(s.peek(&mut buf)?, 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read_with(|s| s.peek(buf))
    }

    forward! {
        /// Takes the pending socket error (`SO_ERROR`), if any.
        ///
        /// ```
        /// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
        /// let s = gopoll::net::TcpStream::connect(l.local_addr()?)?;
        /// assert!(s.take_error()?.is_none());
        /// # std::io::Result::Ok(())
        /// ```
        fn take_error(&self) -> io::Result<Option<io::Error>>;
    }

    poll_methods!(
        std::net::TcpStream,
        "let l = gopoll::net::TcpListener::bind(\"127.0.0.1:0\")?;\nlet s = gopoll::net::TcpStream::connect(l.local_addr()?)?;"
    );
}

stream_io!(TcpStream, read_draining, "addr" => local_addr, "peer" => peer_addr);
