//! [`PollFd`]: any non-blocking fd made goroutine-blocking (Go's internal/poll.FD).
//!
//! An op takes its direction's op lock, checks the deadline, tries the syscall, and on
//! `WouldBlock` waits on the poll descriptor's slot (`poll_desc.rs`) and retries. The fd is
//! registered with the poller once, in [`PollFd::new`], and deregistered when dropped.

use crate::deadline::timed_out;
use crate::poll_desc::{Dir, PollDesc, Slot, Stop};
use crate::poller;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

/// The error of an op on a closed [`PollFd`] or socket: Go's `net.ErrClosed`, "use of closed
/// network connection". It is the payload of an `io::Error` of kind `NotConnected`; test for
/// it with [`is_closed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrClosed;

impl fmt::Display for ErrClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("use of closed network connection")
    }
}

impl std::error::Error for ErrClosed {}

/// True if `e` says the fd was closed with [`PollFd::close`] (or a socket's `close`).
///
/// ```
/// let l = gopoll::net::TcpListener::bind("127.0.0.1:0")?;
/// l.close();
/// let e = l.accept().unwrap_err();
/// assert!(gopoll::is_closed(&e));
/// # std::io::Result::Ok(())
/// ```
pub fn is_closed(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<ErrClosed>())
}

pub(crate) fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, ErrClosed)
}

pub(crate) fn stop_err(s: Stop) -> io::Error {
    match s {
        Stop::Closed => closed(),
        Stop::TimedOut => timed_out(),
    }
}

/// Releases a slot's op lock when an op ends, also by panic.
struct OpGuard<'a>(&'a Slot);

impl Drop for OpGuard<'_> {
    fn drop(&mut self) {
        self.0.unlock_op();
    }
}

/// A non-blocking fd whose operations block the calling goroutine (or thread) until the fd
/// is ready, through the netpoller: Go's `internal/poll.FD`, or async-io's `Async`.
///
/// [`read_with`](PollFd::read_with) and [`write_with`](PollFd::write_with) run a
/// non-blocking operation and, while it says `WouldBlock`, park until the fd is readable or
/// writable and retry. `PollFd` implements `Read`/`Write` when `&T` does, so a pipe, a
/// socket of any kind or a character device works with ordinary code. (The socket types in
/// [`net`](crate::net) write with `MSG_NOSIGNAL`; a plain `write` to a pipe whose reader is
/// gone raises SIGPIPE unless the program ignores it, as Rust programs do by default.)
///
/// ```
/// use gopoll::PollFd;
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
///
/// let (a, b) = UnixStream::pair()?;
/// let (mut a, mut b) = (PollFd::new(a)?, PollFd::new(b)?); // sets O_NONBLOCK
/// let t = std::thread::spawn(move || {
///     let mut buf = [0; 5];
///     b.read_exact(&mut buf).map(|()| buf) // parks until `a` writes
/// });
/// a.write_all(b"hello")?;
/// assert_eq!(&t.join().unwrap()?, b"hello");
/// # std::io::Result::Ok(())
/// ```
pub struct PollFd<T: AsRawFd> {
    io: ManuallyDrop<T>,
    pd: &'static PollDesc,
}

/// `$with_mut`: [`$with`](PollFd) for ops that need `&mut T`, in direction `$dir`;
/// `$example` is its doc example's body.
macro_rules! with_mut {
    ($with_mut:ident, $with:ident, $dir:ident, $example:literal) => {
        #[doc = concat!("[`", stringify!($with), "`](PollFd::", stringify!($with), ") for ops that need `&mut T`.")]
        ///
        #[doc = concat!("```\n", $example, "\n# std::io::Result::Ok(())\n```")]
        pub fn $with_mut<R>(
            &mut self,
            mut op: impl FnMut(&mut T) -> io::Result<R>,
        ) -> io::Result<R> {
            let io = &mut *self.io;
            run(self.pd, Dir::$dir, || op(io))
        }
    };
}

impl<T: AsRawFd> PollFd<T> {
    /// Puts `io` in non-blocking mode and registers it with the netpoller.
    ///
    /// ```
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let l = gopoll::PollFd::new(l)?;
    /// assert!(l.get_ref().local_addr()?.port() > 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new(io: T) -> io::Result<PollFd<T>> {
        set_nonblocking(io.as_raw_fd())?;
        Self::new_nonblocking(io)
    }

    /// Registers an fd that is already non-blocking.
    pub(crate) fn new_nonblocking(io: T) -> io::Result<PollFd<T>> {
        let pd = poller::get()?.register(io.as_raw_fd())?;
        Ok(PollFd {
            io: ManuallyDrop::new(io),
            pd,
        })
    }

    /// The wrapped I/O object.
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// println!("{}", fd.get_ref().local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The wrapped I/O object, mutably. Do not make it blocking.
    ///
    /// ```
    /// let mut fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// fd.get_mut().set_ttl(32)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Deregisters the fd and returns the I/O object (still non-blocking).
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// let std_socket = fd.into_inner();
    /// std_socket.set_nonblocking(false)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_inner(self) -> T {
        let mut me = ManuallyDrop::new(self);
        if let Ok(p) = poller::get() {
            p.deregister(me.io.as_raw_fd(), me.pd);
        }
        // SAFETY: `me` is never dropped or used again, so `io` is taken exactly once.
        unsafe { ManuallyDrop::take(&mut me.io) }
    }

    /// Runs `op` until it does not say `WouldBlock`, parking until the fd is readable in
    /// between. Fails with `TimedOut` once the read deadline passes and with [`ErrClosed`]
    /// once the fd is closed. Ops in one direction run one at a time.
    ///
    /// ```
    /// use std::io::Read;
    /// let (a, b) = std::os::unix::net::UnixStream::pair()?;
    /// let b = gopoll::PollFd::new(b)?;
    /// std::thread::spawn(move || std::io::Write::write_all(&mut &a, b"x"));
    /// let mut buf = [0; 1];
    /// let n = b.read_with(|s| (&*s).read(&mut buf))?;
    /// assert_eq!((n, buf), (1, *b"x"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.run(Dir::Read, || op(&self.io))
    }

    with_mut!(
        read_with_mut,
        read_with,
        Read,
        "use std::io::Read;\nlet (a, b) = std::os::unix::net::UnixStream::pair()?;\nlet mut b = gopoll::PollFd::new(b)?;\nstd::io::Write::write_all(&mut &a, b\"y\")?;\nlet mut buf = [0; 1];\nb.read_with_mut(|s| s.read(&mut buf))?;\nassert_eq!(&buf, b\"y\");"
    );

    /// Like [`read_with`](PollFd::read_with), waiting for writability and obeying the
    /// write deadline.
    ///
    /// ```
    /// use std::io::Write;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = gopoll::PollFd::new(a)?;
    /// assert_eq!(a.write_with(|s| (&*s).write(b"hi"))?, 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.run(Dir::Write, || op(&self.io))
    }

    with_mut!(
        write_with_mut,
        write_with,
        Write,
        "use std::io::Write;\nlet (a, _b) = std::os::unix::net::UnixStream::pair()?;\nlet mut a = gopoll::PollFd::new(a)?;\nassert_eq!(a.write_with_mut(|s| s.write(b\"hi\"))?, 2);"
    );

    fn run<R>(&self, dir: Dir, op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
        run(self.pd, dir, op)
    }

    /// [`read_with`](PollFd::read_with) for the stream reads of `stream_io!` that must not
    /// take `DRAINED` into account (`len` unused).
    pub(crate) fn read_sized(
        &self,
        _len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.read_with(op)
    }

    /// A TCP stream read of up to `len` bytes: a short read (`0 < n < len`) emptied the
    /// receive queue, so the next read parks before its syscall rather than spend one on
    /// `EAGAIN` (see `poll_desc.rs`, "Read before parking, or park before reading"). Only
    /// for ops that consume what they read (not `MSG_PEEK`) on a TCP socket.
    pub(crate) fn read_draining(
        &self,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let slot = &self.pd.read;
        run_from(self.pd, Dir::Read, true, || {
            let n = op(&self.io)?;
            if n > 0 && n < len {
                slot.set_drained();
            }
            Ok(n)
        })
    }

    /// Waits until the fd is (or may be) writable: for a non-blocking `connect`.
    pub(crate) fn wait_writable(&self, deadline: Option<Instant>) -> io::Result<()> {
        let slot = &self.pd.write;
        slot.lock_op().map_err(stop_err)?;
        let _g = OpGuard(slot);
        let mut started = None;
        let d = self.pd.deadlines.op_deadline(Dir::Write, &mut started);
        let d = match (d, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        slot.wait(d).map_err(stop_err)
    }

    /// Sets the read and write deadlines (Go's `SetDeadline`); see
    /// [`set_read_deadline`](PollFd::set_read_deadline).
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// fd.set_deadline(Some(std::time::Instant::now()));
    /// let e = fd.read_with(|s| s.recv(&mut [0; 8])).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_deadline(&self, t: Option<Instant>) {
        self.set_read_deadline(t);
        self.set_write_deadline(t);
    }

    /// Sets the read deadline (Go's `SetReadDeadline`): once `t` has passed, reads fail with
    /// `io::ErrorKind::TimedOut`, also one parked now; `None` clears it. It may be moved
    /// while a read is parked: the read then waits for the new deadline.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// fd.set_read_deadline(Some(Instant::now() + Duration::from_millis(5)));
    /// let e = fd.read_with(|s| s.recv(&mut [0; 8])).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_read_deadline(&self, t: Option<Instant>) {
        self.pd.deadlines.set(Dir::Read, t);
        self.pd.read.interrupt();
    }

    /// Sets the write deadline (Go's `SetWriteDeadline`); like
    /// [`set_read_deadline`](PollFd::set_read_deadline).
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// fd.set_write_deadline(None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_write_deadline(&self, t: Option<Instant>) {
        self.pd.deadlines.set(Dir::Write, t);
        self.pd.write.interrupt();
    }

    /// The read deadline, if set.
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// assert_eq!(fd.read_deadline(), None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read_deadline(&self) -> Option<Instant> {
        self.pd.deadlines.get(Dir::Read)
    }

    /// The write deadline, if set.
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// assert_eq!(fd.write_deadline(), None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_deadline(&self) -> Option<Instant> {
        self.pd.deadlines.get(Dir::Write)
    }

    /// Bounds each read to `dur` of waiting, as std's `set_read_timeout` (`None`: no bound;
    /// a zero duration is an `InvalidInput` error). Combines with the read deadline: a read
    /// gives up at whichever comes first.
    ///
    /// ```
    /// use std::time::Duration;
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// fd.set_read_timeout(Some(Duration::from_millis(2)))?;
    /// assert_eq!(fd.read_timeout(), Some(Duration::from_millis(2)));
    /// let e = fd.read_with(|s| s.recv(&mut [0; 8])).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_read_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.pd.deadlines.set_timeout(Dir::Read, dur)?;
        self.pd.read.interrupt();
        Ok(())
    }

    /// Bounds each write to `dur` of waiting, as std's `set_write_timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// fd.set_write_timeout(Some(Duration::from_secs(1)))?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_write_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.pd.deadlines.set_timeout(Dir::Write, dur)?;
        self.pd.write.interrupt();
        Ok(())
    }

    /// The read timeout, if set.
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// assert_eq!(fd.read_timeout(), None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read_timeout(&self) -> Option<Duration> {
        self.pd.deadlines.timeout(Dir::Read)
    }

    /// The write timeout, if set.
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// assert_eq!(fd.write_timeout(), None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_timeout(&self) -> Option<Duration> {
        self.pd.deadlines.timeout(Dir::Write)
    }

    /// Closes the fd for this program's ops, as Go's `Close` while another goroutine is
    /// blocked in `Read`: every op parked on it now wakes and fails with [`ErrClosed`], as
    /// does every later op. The fd itself is released when the `PollFd` is dropped.
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// fd.close();
    /// assert!(fd.is_closed());
    /// let e = fd.read_with(|s| s.recv(&mut [0; 8])).unwrap_err();
    /// assert!(gopoll::is_closed(&e));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close(&self) {
        self.pd.close();
    }

    /// True while a read (or accept) is parked waiting for the fd to become readable, its
    /// waiter stored where `close`, a deadline or readiness will wake it. For tests that
    /// must act only once an op is blocked, from a goroutine or a plain thread alike (Go's
    /// tests sleep instead); a snapshot, stale as soon as it returns.
    #[doc(hidden)]
    pub fn read_parked(&self) -> bool {
        self.pd.read.is_parked()
    }

    /// Like [`read_parked`](PollFd::read_parked), for a write (or connect).
    #[doc(hidden)]
    pub fn write_parked(&self) -> bool {
        self.pd.write.is_parked()
    }

    /// True once [`close`](PollFd::close) was called.
    ///
    /// ```
    /// let fd = gopoll::PollFd::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// assert!(!fd.is_closed());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.pd.read.is_closed()
    }
}

/// The op loop shared by every `PollFd` op (Go: `FD.Read`'s loop around `pd.waitRead`).
fn run<R>(pd: &PollDesc, dir: Dir, op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    run_from(pd, dir, false, op)
}

/// [`run`], waiting for readiness before the first syscall when `wait_first` and the previous
/// op drained the queue (see `poll_desc.rs`).
fn run_from<R>(
    pd: &PollDesc,
    dir: Dir,
    wait_first: bool,
    mut op: impl FnMut() -> io::Result<R>,
) -> io::Result<R> {
    let slot = pd.slot(dir);
    slot.lock_op().map_err(stop_err)?;
    let _g = OpGuard(slot);
    let mut started = None;
    // Every op takes DRAINED, so one that may leave data queued (a peek, an op of the
    // caller's own, a full read) never leaves it to the next.
    let mut skip = slot.take_drained() && wait_first;
    loop {
        pd.deadlines.check(dir)?;
        if !skip {
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
        skip = false;
        let deadline = pd.deadlines.op_deadline(dir, &mut started);
        slot.wait(deadline).map_err(stop_err)?;
    }
}

impl<T: AsRawFd> Drop for PollFd<T> {
    fn drop(&mut self) {
        if let Ok(p) = poller::get() {
            p.deregister(self.io.as_raw_fd(), self.pd);
        }
        // SAFETY: `drop` runs once and `io` is not used after it.
        unsafe { ManuallyDrop::drop(&mut self.io) };
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for PollFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollFd").field("io", &*self.io).finish()
    }
}

impl<T: AsRawFd> AsRawFd for PollFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl<T: AsRawFd + AsFd> AsFd for PollFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl<T: AsRawFd> Read for PollFd<T>
where
    for<'a> &'a T: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl<T: AsRawFd> Read for &PollFd<T>
where
    for<'a> &'a T: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_with(|mut io| io.read(buf))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.read_with(|mut io| io.read_vectored(bufs))
    }
}

impl<T: AsRawFd> Write for PollFd<T>
where
    for<'a> &'a T: Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

impl<T: AsRawFd> Write for &PollFd<T>
where
    for<'a> &'a T: Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_with(|mut io| io.write(buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.write_with(|mut io| io.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_with(|mut io| io.flush())
    }
}

/// Sets O_NONBLOCK on `fd` (one `ioctl(FIONBIO)`).
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    let mut on: libc::c_int = 1;
    // SAFETY: FIONBIO reads one c_int through the pointer, which is valid for the call; a
    // bad fd only makes the call fail.
    let r = unsafe { libc::ioctl(fd, libc::FIONBIO, &mut on) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
