//! Goroutine-blocking sockets: TCP, UDP and Unix domain sockets on the netpoller.
//!
//! Each type wraps its `std` counterpart in non-blocking mode inside a [`PollFd`]: an op
//! that would block parks the calling goroutine (or thread) until the socket is ready, and
//! every type has Go's deadlines (`set_read_deadline`, ...) and a `close` that wakes
//! parked ops. They implement `std::io::Read`/`Write` (also for `&T`, as std does).
//!
//! [`PollFd`]: crate::PollFd

#[macro_use]
mod methods;
mod sys;
mod tcp;
mod udp;
mod unix;

pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixIncoming, UnixListener, UnixStream};
