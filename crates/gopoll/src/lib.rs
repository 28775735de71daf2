//! Go's netpoller for goro: sockets and fds whose operations block the calling goroutine,
//! not its OS thread.
//!
//! An op that would block (`read` on an empty socket, `accept` with no pending connection)
//! parks the goroutine through gmp-sched's waiter; the scheduler polls an edge-triggered
//! `polling::Poller` when it looks for work (and one idle M blocks in it), and readies the
//! goroutines whose fds became ready. From a plain thread the same types block the thread,
//! through the same waiter, so one socket works between goroutines, threads, or both.
//!
//! - [`net`]: [`TcpListener`](net::TcpListener), [`TcpStream`](net::TcpStream),
//!   [`UdpSocket`](net::UdpSocket), and Unix domain sockets, with std's API plus Go's
//!   deadlines (`set_read_deadline`, ...) and a `close` that wakes parked ops.
//! - [`PollFd`]: any non-blocking fd (a pipe, a socket std lacks, a device) made
//!   goroutine-blocking with `read_with(|io| ..)` / `write_with(|io| ..)`.
//!
//! A goroutine-per-connection echo server, as one writes it in Go:
//!
//! ```
//! use gopoll::net::{TcpListener, TcpStream};
//! use std::io::{Read, Write};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! // SAFETY: the goroutines keep no thread-bound state across blocking calls.
//! let server = unsafe {
//!     gmp_sched::spawn(move || {
//!         for _ in 0..2 {
//!             let (conn, _) = listener.accept().unwrap();
//!             gmp_sched::spawn(move || {
//!                 let mut buf = [0; 1024];
//!                 loop {
//!                     match (&conn).read(&mut buf) {
//!                         Ok(0) | Err(_) => break,
//!                         Ok(n) => (&conn).write_all(&buf[..n]).unwrap(),
//!                     }
//!                 }
//!             });
//!         }
//!     })
//! };
//! for msg in ["hello", "goroutines"] {
//!     let mut c = TcpStream::connect(addr)?; // from this plain thread
//!     c.write_all(msg.as_bytes())?;
//!     let mut back = vec![0; msg.len()];
//!     c.read_exact(&mut back)?;
//!     assert_eq!(back, msg.as_bytes());
//! }
//! server.join().unwrap();
//! # std::io::Result::Ok(())
//! ```
//!
//! Deadlines work as in Go: once passed, ops fail with `io::ErrorKind::TimedOut`, and they
//! can be moved while an op is parked.
//!
//! ```
//! use std::time::{Duration, Instant};
//! let s = gopoll::net::UdpSocket::bind("127.0.0.1:0")?;
//! s.set_read_deadline(Some(Instant::now() + Duration::from_millis(10)));
//! let e = s.recv_from(&mut [0; 64]).unwrap_err();
//! assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
//! # std::io::Result::Ok(())
//! ```
//!
//! Faults: writes use `MSG_NOSIGNAL`, so a reset peer gives an `io::Error`, never a
//! SIGPIPE; `accept` out of fds (EMFILE) returns the error at once; `close` on a socket
//! wakes every op parked on it with [`ErrClosed`].
//!
//! Linux (epoll) is the supported platform; `polling`'s other backends compile but the
//! socket code uses Linux's `accept4`, `SOCK_NONBLOCK` and `MSG_NOSIGNAL`.

mod loom;
mod poll_desc;

#[cfg(not(loom))]
mod deadline;
#[cfg(not(loom))]
mod fd;
#[cfg(not(loom))]
pub mod net;
#[cfg(not(loom))]
mod poller;

#[cfg(not(loom))]
pub use fd::{is_closed, ErrClosed, PollFd};

/// What loom-tests need to reach (under `cfg(loom)` only).
#[cfg(loom)]
#[doc(hidden)]
pub mod internal {
    pub use crate::poll_desc::{Slot, Stop, SPECIAL};
}

/// The README's examples, run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
