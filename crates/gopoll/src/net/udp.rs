//! UDP: [`UdpSocket`] (Go's net.UDPConn). Datagram ops are single syscalls, so each is one
//! `PollFd` op; ops in one direction run one at a time (Go's fdMutex), which is what keeps
//! several goroutines receiving on one socket from losing a wake-up.

use crate::PollFd;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

/// A UDP socket; receiving parks the calling goroutine (or thread) until a datagram comes.
///
/// ```
/// use gopoll::net::UdpSocket;
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// a.send_to(b"hi", b.local_addr()?)?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf)?;
/// assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
/// # std::io::Result::Ok(())
/// ```
pub struct UdpSocket {
    fd: PollFd<std::net::UdpSocket>,
}

fn first_addr(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to"))
}

impl UdpSocket {
    /// Binds a socket to `addr`.
    ///
    /// ```
    /// let s = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let _ = s;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocket::from_std(std::net::UdpSocket::bind(addr)?)
    }

    forward! {
        /// Wraps a std socket (made non-blocking).
        ///
        /// ```
        /// let s = gopoll::net::UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
        /// # let _ = s;
        /// # std::io::Result::Ok(())
        /// ```
        fn from_std(s: std::net::UdpSocket) -> io::Result<Self>;
    }

    /// Sends a datagram to `addr` (its first resolved address).
    ///
    /// ```
    /// let s = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(s.send_to(b"abc", s.local_addr()?)?, 3);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = first_addr(addr)?;
        self.fd.write_with(|s| s.send_to(buf, addr))
    }

    datagram_methods!(
        SocketAddr,
        "let a = gopoll::net::UdpSocket::bind(\"127.0.0.1:0\")?;\na.connect(a.local_addr()?)?;\n# let b = &a;"
    );

    /// Like [`recv_from`](UdpSocket::recv_from) but leaves the datagram queued.
    ///
    /// ```
    /// let s = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
    /// s.send_to(b"abc", s.local_addr()?)?;
    /// let mut buf = [0; 8];
    /// assert_eq!(s.peek_from(&mut buf)?.0, 3);
    /// assert_eq!(s.recv_from(&mut buf)?.0, 3);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.fd.read_with(|s| s.peek_from(buf))
    }

    forward! {
        /// Sets the default peer for [`send`](UdpSocket::send) and the only one
        /// [`recv`](UdpSocket::recv) accepts from.
        ///
        /// ```
        /// let a = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
        /// let b = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
        /// a.connect(b.local_addr()?)?;
        /// assert_eq!(a.peer_addr()?, b.local_addr()?);
        /// # std::io::Result::Ok(())
        /// ```
        fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()>;

        /// The local address.
        ///
        /// ```
        /// let s = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
        /// assert_ne!(s.local_addr()?.port(), 0);
        /// # std::io::Result::Ok(())
        /// ```
        fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The connected peer's address.
        ///
        /// ```
        /// let s = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
        /// assert!(s.peer_addr().is_err()); // not connected
        /// # std::io::Result::Ok(())
        /// ```
        fn peer_addr(&self) -> io::Result<SocketAddr>;

        /// A second handle to the same socket (`dup`), registered on its own.
        ///
        /// ```
        /// let s = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
        /// let t = s.try_clone()?;
        /// assert_eq!(t.local_addr()?, s.local_addr()?);
        /// # std::io::Result::Ok(())
        /// ```
        fn try_clone(&self) -> io::Result<Self>;
    }

    poll_methods!(
        std::net::UdpSocket,
        "let s = gopoll::net::UdpSocket::bind(\"127.0.0.1:0\")?;"
    );
}

fd_impls!(UdpSocket, "addr" => local_addr);
