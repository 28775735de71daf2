//! The few raw socket calls std does not offer in non-blocking form: socket creation,
//! `connect` that may be in progress, `accept4`, and `send` with `MSG_NOSIGNAL` (so a write
//! to a reset peer gives `EPIPE`, never a SIGPIPE that kills the process). Plus conversions
//! between `SocketAddr` and `sockaddr_storage`, and the connect both stream types share.
//!
//! Every unsafe block here passes the kernel pointers to locals of the right size, with
//! their sizes; the kernel writes at most that much.

use crate::PollFd;
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A new non-blocking, close-on-exec socket.
pub(crate) fn socket(domain: libc::c_int, ty: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with integer arguments.
    let fd =
        cvt(unsafe { libc::socket(domain, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The address family of `addr`: `AF_INET` or `AF_INET6`.
pub(crate) fn domain(addr: &SocketAddr) -> libc::c_int {
    match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    }
}

/// Marks the socket address types that fit in a `sockaddr_storage`: `sockaddr_in`,
/// `sockaddr_in6`, `sockaddr_un`, each plain old data (every bit pattern is a value).
///
/// # Safety
/// The implementing type is plain old data no larger than `sockaddr_storage`, and its
/// alignment divides `sockaddr_storage`'s.
unsafe trait SockAddrKind: Copy {}
// SAFETY: POSIX requires sockaddr_storage to be large and aligned enough for every
// sockaddr type of the system; these three are C structs of integers.
unsafe impl SockAddrKind for libc::sockaddr_in {}
// SAFETY: as above.
unsafe impl SockAddrKind for libc::sockaddr_in6 {}
// SAFETY: as above.
unsafe impl SockAddrKind for libc::sockaddr_un {}

/// `SockAddrKind`'s size and alignment promise, checked at compile time.
const fn assert_fits<A>() {
    assert!(size_of::<A>() <= size_of::<libc::sockaddr_storage>());
    assert!(std::mem::align_of::<libc::sockaddr_storage>() % std::mem::align_of::<A>() == 0);
}

/// A zeroed `sockaddr_storage`.
fn zeroed_storage() -> libc::sockaddr_storage {
    // SAFETY: sockaddr_storage is plain old data; all zeroes is a valid value.
    unsafe { zeroed() }
}

/// `sa` in a `sockaddr_storage`, with its length (`size_of::<A>()`).
fn to_storage<A: SockAddrKind>(sa: A) -> (libc::sockaddr_storage, libc::socklen_t) {
    const { assert_fits::<A>() };
    let mut ss = zeroed_storage();
    // SAFETY: `A: SockAddrKind`: it fits in and is aligned for the storage.
    unsafe {
        (&mut ss as *mut libc::sockaddr_storage)
            .cast::<A>()
            .write(sa)
    };
    (ss, size_of::<A>() as libc::socklen_t)
}

/// The first `size_of::<A>()` bytes of `ss`, read as an `A`.
fn from_storage<A: SockAddrKind>(ss: &libc::sockaddr_storage) -> A {
    const { assert_fits::<A>() };
    // SAFETY: `A: SockAddrKind`: it fits in and is aligned for the storage, and any bits
    // are a valid `A`.
    unsafe { (ss as *const libc::sockaddr_storage).cast::<A>().read() }
}

/// An all-zero `A`, the start of every address built here.
fn zeroed_sockaddr<A: SockAddrKind>() -> A {
    from_storage(&zeroed_storage())
}

/// A `SocketAddr` as a `sockaddr_storage` and its length.
pub(crate) fn to_sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    match addr {
        SocketAddr::V4(a) => {
            let mut sin: libc::sockaddr_in = zeroed_sockaddr();
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr = libc::in_addr {
                s_addr: u32::from_ne_bytes(a.ip().octets()),
            };
            to_storage(sin)
        }
        SocketAddr::V6(a) => {
            let mut sin6: libc::sockaddr_in6 = zeroed_sockaddr();
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: a.ip().octets(),
            };
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_scope_id = a.scope_id();
            to_storage(sin6)
        }
    }
}

/// The `SocketAddr` the kernel wrote into `ss`.
pub(crate) fn from_sockaddr(ss: &libc::sockaddr_storage) -> io::Result<SocketAddr> {
    match ss.ss_family as libc::c_int {
        libc::AF_INET => {
            let sin: libc::sockaddr_in = from_storage(ss);
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            let sin6: libc::sockaddr_in6 = from_storage(ss);
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not an IP socket address",
        )),
    }
}

/// Runs `f` on each address `addr` resolves to, in turn, until one succeeds, as std's
/// `bind` and `connect` do: the first success, else the last error (`InvalidInput` when
/// `addr` resolves to nothing).
pub(crate) fn each_addr<R>(
    addr: impl ToSocketAddrs,
    mut f: impl FnMut(&SocketAddr) -> io::Result<R>,
) -> io::Result<R> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match f(&a) {
            Ok(r) => return Ok(r),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}

/// Starts a connect: `Ok(true)` when connected at once, `Ok(false)` when in progress.
pub(crate) fn connect(
    fd: RawFd,
    ss: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> io::Result<bool> {
    // SAFETY: `ss` is valid for `len` bytes.
    let r = unsafe { libc::connect(fd, (ss as *const libc::sockaddr_storage).cast(), len) };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINPROGRESS) | Some(libc::EINTR) | Some(libc::EALREADY) => Ok(false),
        _ => Err(e),
    }
}

/// Connects the fresh stream socket `fd` to `ss` and wraps it: a non-blocking `connect`
/// that, while in progress, parks until the socket is writable (or `deadline` passes).
/// Go: netFD.connect. Writable means done or failed; `take_error` (`SO_ERROR`) says which,
/// and `peer_addr` (`getpeername`) guards against a stale readiness: `ENOTCONN` parks again.
pub(crate) fn connect_stream<T: AsRawFd + From<OwnedFd>>(
    fd: OwnedFd,
    (ss, len): (libc::sockaddr_storage, libc::socklen_t),
    deadline: Option<Instant>,
    take_error: impl Fn(&T) -> io::Result<Option<io::Error>>,
    peer_addr: impl Fn(&T) -> io::Result<()>,
) -> io::Result<PollFd<T>> {
    let s = PollFd::new_nonblocking(T::from(fd))?;
    if connect(s.as_raw_fd(), &ss, len)? {
        return Ok(s);
    }
    loop {
        s.wait_writable(deadline)?;
        if let Some(e) = take_error(s.get_ref())? {
            return Err(e);
        }
        match peer_addr(s.get_ref()) {
            Ok(()) => return Ok(s),
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `accept4` with `SOCK_NONBLOCK | SOCK_CLOEXEC`; the peer address in `ss`.
pub(crate) fn accept(fd: RawFd) -> io::Result<(OwnedFd, libc::sockaddr_storage)> {
    let mut ss = zeroed_storage();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `ss` is valid for `len` bytes, and `len` is a valid socklen_t.
    let r = unsafe {
        libc::accept4(
            fd,
            (&mut ss as *mut libc::sockaddr_storage).cast(),
            &mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    let nfd = cvt(r)?;
    // SAFETY: `nfd` was just returned by accept4 and is owned by nobody else.
    Ok((unsafe { OwnedFd::from_raw_fd(nfd) }, ss))
}

/// Runs one accept step, trying again at once while it fails with `ECONNABORTED` (a
/// connection reset while it sat in the backlog: the next one may be fine), as Go's
/// `FD.Accept` loop does (internal/poll/fd_unix.go). Every other result, `WouldBlock`
/// included (the caller parks), comes back as it is. `accept` is the syscall, a parameter
/// so that tests can give a fake.
pub(crate) fn accept_retry<R>(mut accept: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    loop {
        match accept() {
            Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
            r => return r,
        }
    }
}

/// Turns Nagle's algorithm off, as Go's `newTCPConn` does for every TCP connection. Like Go,
/// the caller ignores a failure: the connection works either way.
pub(crate) fn set_nodelay(fd: RawFd) -> io::Result<()> {
    set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)
}

/// `setsockopt(2)` of an `int` option.
fn set_int_option(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` is a valid c_int for the duration of the call, with its size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// `send(2)` with `MSG_NOSIGNAL`: a broken connection gives `EPIPE`, not SIGPIPE.
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// `sendmsg(2)` of several buffers with `MSG_NOSIGNAL`.
pub(crate) fn send_vectored(fd: RawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: msghdr is plain old data; all zeroes is a valid value.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    // IoSlice is ABI-compatible with iovec on Unix (std guarantees it).
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(1024) as _;
    // SAFETY: `msg` points at `bufs`, valid iovecs for the call's duration.
    let n = unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// A `sockaddr_un` for `path` and its length.
pub(crate) fn unix_sockaddr(
    path: &std::path::Path,
) -> io::Result<(libc::sockaddr_storage, libc::socklen_t)> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut sun: libc::sockaddr_un = zeroed_sockaddr();
    if bytes.contains(&0) || bytes.len() >= sun.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "path must be shorter than SUN_LEN and contain no NUL",
        ));
    }
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in sun.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    let base = std::mem::offset_of!(libc::sockaddr_un, sun_path);
    let (ss, _) = to_storage(sun);
    Ok((ss, (base + bytes.len() + 1) as libc::socklen_t))
}

/// The listen backlog: the kernel caps it at `net.core.somaxconn` (Go reads that file and
/// passes it; std passes 128, which drops SYNs under a burst of connects).
const BACKLOG: libc::c_int = 4096;

/// A non-blocking TCP listener on `addr`, with `SO_REUSEADDR` as std and Go set it.
pub(crate) fn listen_tcp(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let fd = socket(domain(addr), libc::SOCK_STREAM)?;
    set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    let (ss, len) = to_sockaddr(addr);
    // SAFETY: `ss` is valid for `len` bytes.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&ss as *const libc::sockaddr_storage).cast(),
            len,
        )
    })?;
    // SAFETY: plain syscall with integer arguments.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), BACKLOG) })?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os_err(code: libc::c_int) -> io::Error {
        io::Error::from_raw_os_error(code)
    }

    #[test]
    fn accept_retry_skips_econnaborted() {
        // A fake accept4: two aborted connections, then one that works.
        let mut calls = 0;
        let r = accept_retry(|| {
            calls += 1;
            match calls {
                1 | 2 => Err(os_err(libc::ECONNABORTED)),
                _ => Ok(calls),
            }
        });
        assert_eq!(r.unwrap(), 3);
        assert_eq!(calls, 3);
    }

    #[test]
    fn accept_retry_returns_every_other_error() {
        for code in [
            libc::EAGAIN,
            libc::EMFILE,
            libc::ENFILE,
            libc::EINVAL,
            libc::EBADF,
            libc::ENOBUFS,
            libc::EPERM,
        ] {
            let mut calls = 0;
            let e = accept_retry(|| -> io::Result<()> {
                calls += 1;
                Err(os_err(code))
            })
            .unwrap_err();
            assert_eq!((e.raw_os_error(), calls), (Some(code), 1));
        }
        // An aborted connection, then an empty backlog: WouldBlock, so the caller parks.
        let mut calls = 0;
        let e = accept_retry(|| -> io::Result<()> {
            calls += 1;
            Err(os_err(if calls == 1 {
                libc::ECONNABORTED
            } else {
                libc::EAGAIN
            }))
        })
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(calls, 2);
    }
}
