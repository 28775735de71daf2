//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`] (Go's
//! net.UnixListener and net.UnixConn).
//!
//! Connect is non-blocking as for TCP; a listener whose backlog is full makes a Unix
//! `connect` fail with `WouldBlock` (EAGAIN) rather than wait, as in Go.

use super::sys;
use crate::PollFd;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix stream socket server.
///
/// ```
/// use gopoll::net::{UnixListener, UnixStream};
/// use std::io::{Read, Write};
///
/// let dir = std::env::temp_dir().join(format!("gopoll-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("l.sock");
/// # let _ = std::fs::remove_file(&path);
/// let l = UnixListener::bind(&path)?;
/// let mut c = UnixStream::connect(&path)?;
/// let (mut s, _) = l.accept()?;
/// c.write_all(b"hi")?;
/// let mut buf = [0; 2];
/// s.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hi");
/// # std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixListener {
    fd: PollFd<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist) and listens.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gopoll-bind-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let l = gopoll::net::UnixListener::bind(&path)?;
    /// # drop(l); std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    forward! {
        /// Wraps a std listener (made non-blocking).
        ///
        /// ```
        /// let path = std::env::temp_dir().join(format!("gopoll-fstd-{}.sock", std::process::id()));
        /// # let _ = std::fs::remove_file(&path);
        /// let l = std::os::unix::net::UnixListener::bind(&path)?;
        /// let l = gopoll::net::UnixListener::from_std(l)?;
        /// # drop(l); std::fs::remove_file(&path)?;
        /// # std::io::Result::Ok(())
        /// ```
        fn from_std(l: std::os::unix::net::UnixListener) -> io::Result<Self>;
    }

    /// Accepts a connection, parking until one arrives. A connection aborted while queued
    /// (`ECONNABORTED`) is skipped, as Go does; other errors come back at once.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gopoll-acc-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let l = gopoll::net::UnixListener::bind(&path)?;
    /// let _c = std::os::unix::net::UnixStream::connect(&path)?;
    /// let (s, _addr) = l.accept()?;
    /// # drop(s); std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, addr) = self.fd.read_with(|l| sys::accept_retry(|| l.accept()))?;
        s.set_nonblocking(true)?;
        let fd = PollFd::new_nonblocking(s)?;
        Ok((UnixStream { fd }, addr))
    }

    forward! {
        /// The address the listener is bound to.
        ///
        /// ```
        /// let path = std::env::temp_dir().join(format!("gopoll-la-{}.sock", std::process::id()));
        /// # let _ = std::fs::remove_file(&path);
        /// let l = gopoll::net::UnixListener::bind(&path)?;
        /// assert_eq!(l.local_addr()?.as_pathname(), Some(path.as_path()));
        /// # drop(l); std::fs::remove_file(&path)?;
        /// # std::io::Result::Ok(())
        /// ```
        fn local_addr(&self) -> io::Result<SocketAddr>;
    }

    poll_methods!(
        std::os::unix::net::UnixListener,
        "let path = std::env::temp_dir().join(format!(\"gopoll-m-{}-{}.sock\", std::process::id(), line!()));\n# let _ = std::fs::remove_file(&path);\nlet s = gopoll::net::UnixListener::bind(&path)?;\n# std::fs::remove_file(&path)?;"
    );
}

fd_impls!(UnixListener, "addr" => local_addr);

incoming!(
    UnixListener,
    UnixIncoming -> UnixStream,
    "let path = std::env::temp_dir().join(format!(\"gopoll-inc-{}.sock\", std::process::id()));\n# let _ = std::fs::remove_file(&path);\nlet l = gopoll::net::UnixListener::bind(&path)?;\nlet _c = std::os::unix::net::UnixStream::connect(&path)?;",
    "# drop(s); std::fs::remove_file(&path)?;"
);

/// A Unix stream connection; `Read` and `Write` park while the socket is not ready.
///
/// ```
/// use gopoll::net::UnixStream;
/// use std::io::{Read, Write};
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"ok")?;
/// let mut buf = [0; 2];
/// b.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"ok");
/// # std::io::Result::Ok(())
/// ```
pub struct UnixStream {
    fd: PollFd<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gopoll-con-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let l = gopoll::net::UnixListener::bind(&path)?;
    /// let c = gopoll::net::UnixStream::connect(&path)?;
    /// # drop((c, l)); std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = sys::unix_sockaddr(path.as_ref())?;
        let fd = sys::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        let fd = sys::connect_stream(
            fd,
            addr,
            None,
            std::os::unix::net::UnixStream::take_error,
            |s| s.peer_addr().map(drop),
        )?;
        Ok(UnixStream { fd })
    }

    /// A connected pair of sockets (`socketpair(2)`).
    ///
    /// ```
    /// let (a, b) = gopoll::net::UnixStream::pair()?;
    /// # let _ = (a, b);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    forward! {
        /// Wraps a connected std stream (made non-blocking).
        ///
        /// ```
        /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
        /// let a = gopoll::net::UnixStream::from_std(a)?;
        /// # let _ = a;
        /// # std::io::Result::Ok(())
        /// ```
        fn from_std(s: std::os::unix::net::UnixStream) -> io::Result<Self>;

        /// The local address.
        ///
        /// ```
        /// let (a, _b) = gopoll::net::UnixStream::pair()?;
        /// assert!(a.local_addr()?.is_unnamed());
        /// # std::io::Result::Ok(())
        /// ```
        fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The peer's address.
        ///
        /// ```
        /// let (a, _b) = gopoll::net::UnixStream::pair()?;
        /// assert!(a.peer_addr()?.is_unnamed());
        /// # std::io::Result::Ok(())
        /// ```
        fn peer_addr(&self) -> io::Result<SocketAddr>;

        /// Shuts down the read half, the write half or both.
        ///
        /// ```
        /// use std::io::Read;
        /// let (a, mut b) = gopoll::net::UnixStream::pair()?;
        /// a.shutdown(std::net::Shutdown::Write)?;
        /// assert_eq!(b.read(&mut [0; 4])?, 0);
        /// # std::io::Result::Ok(())
        /// ```
        fn shutdown(&self, how: Shutdown) -> io::Result<()>;

        /// A second handle to the same connection (`dup`), registered on its own.
        ///
        /// ```
        /// let (a, _b) = gopoll::net::UnixStream::pair()?;
        /// let a2 = a.try_clone()?;
        /// # let _ = a2;
        /// # std::io::Result::Ok(())
        /// ```
        fn try_clone(&self) -> io::Result<Self>;

        /// Takes the pending socket error (`SO_ERROR`), if any.
        ///
        /// ```
        /// let (a, _b) = gopoll::net::UnixStream::pair()?;
        /// assert!(a.take_error()?.is_none());
        /// # std::io::Result::Ok(())
        /// ```
        fn take_error(&self) -> io::Result<Option<io::Error>>;
    }

    poll_methods!(
        std::os::unix::net::UnixStream,
        "let (s, _peer) = gopoll::net::UnixStream::pair()?;"
    );
}

// Not `read_draining`: with `SO_PASSCRED` a Unix stream read stops short at a change of
// sender, with data still queued.
stream_io!(UnixStream, read_sized);

/// A Unix datagram socket.
///
/// ```
/// let (a, b) = gopoll::net::UnixDatagram::pair()?;
/// a.send(b"d")?;
/// let mut buf = [0; 4];
/// assert_eq!(b.recv(&mut buf)?, 1);
/// # std::io::Result::Ok(())
/// ```
pub struct UnixDatagram {
    fd: PollFd<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds a datagram socket to `path`.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gopoll-dg-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let s = gopoll::net::UnixDatagram::bind(&path)?;
    /// # drop(s); std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address.
    ///
    /// ```
    /// let s = gopoll::net::UnixDatagram::unbound()?;
    /// # let _ = s;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of datagram sockets.
    ///
    /// ```
    /// let (a, b) = gopoll::net::UnixDatagram::pair()?;
    /// # let _ = (a, b);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    forward! {
        /// Wraps a std socket (made non-blocking).
        ///
        /// ```
        /// let s = std::os::unix::net::UnixDatagram::unbound()?;
        /// let s = gopoll::net::UnixDatagram::from_std(s)?;
        /// # let _ = s;
        /// # std::io::Result::Ok(())
        /// ```
        fn from_std(s: std::os::unix::net::UnixDatagram) -> io::Result<Self>;

        /// Sets the default peer to the socket at `path`.
        ///
        /// ```
        /// let path = std::env::temp_dir().join(format!("gopoll-dgc-{}.sock", std::process::id()));
        /// # let _ = std::fs::remove_file(&path);
        /// let server = gopoll::net::UnixDatagram::bind(&path)?;
        /// let client = gopoll::net::UnixDatagram::unbound()?;
        /// client.connect(&path)?;
        /// client.send(b"x")?;
        /// assert_eq!(server.recv(&mut [0; 4])?, 1);
        /// # drop(server); std::fs::remove_file(&path)?;
        /// # std::io::Result::Ok(())
        /// ```
        fn connect(&self, path: impl AsRef<Path>) -> io::Result<()>;
    }

    /// Sends a datagram to the socket at `path`.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gopoll-dgs-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = gopoll::net::UnixDatagram::bind(&path)?;
    /// let client = gopoll::net::UnixDatagram::unbound()?;
    /// client.send_to(b"xy", &path)?;
    /// let (n, _from) = server.recv_from(&mut [0; 4])?;
    /// assert_eq!(n, 2);
    /// # drop(server); std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.fd.write_with(|s| s.send_to(buf, path))
    }

    datagram_methods!(
        SocketAddr,
        "let (a, b) = gopoll::net::UnixDatagram::pair()?;"
    );

    forward! {
        /// The local address.
        ///
        /// ```
        /// let s = gopoll::net::UnixDatagram::unbound()?;
        /// assert!(s.local_addr()?.is_unnamed());
        /// # std::io::Result::Ok(())
        /// ```
        fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The connected peer's address.
        ///
        /// ```
        /// let (a, _b) = gopoll::net::UnixDatagram::pair()?;
        /// assert!(a.peer_addr()?.is_unnamed());
        /// # std::io::Result::Ok(())
        /// ```
        fn peer_addr(&self) -> io::Result<SocketAddr>;
    }

    poll_methods!(
        std::os::unix::net::UnixDatagram,
        "let s = gopoll::net::UnixDatagram::unbound()?;"
    );
}

fd_impls!(UnixDatagram);
