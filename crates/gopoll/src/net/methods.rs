//! The methods every socket type shares, generated from the type's
//! [`PollFd`](crate::PollFd) field `fd`: the deadline, timeout and close methods
//! (`poll_methods!`, whose `$setup` is the doc examples' first line: it binds a socket of the
//! type to `s`), and the one-line forwarders to the std socket inside (`forward!`).

/// Methods written as their docs and signature only, each one line of forwarding to the
/// std socket inside the `PollFd` field `fd`:
/// - `fn from_std(s: StdType) -> io::Result<Self>;` wraps a std socket (`PollFd::new` makes
///   it non-blocking and registers it);
/// - `fn try_clone(&self) -> io::Result<Self>;` wraps the std socket's `try_clone` (a `dup`,
///   already non-blocking), registered on its own;
/// - any other `fn name(&self, arg: Type, ..) -> Ret;` calls the std method of that name.
macro_rules! forward {
    () => {};
    ($(#[$attr:meta])* fn from_std($s:ident: $std:ty) -> io::Result<Self>; $($rest:tt)*) => {
        $(#[$attr])*
        pub fn from_std($s: $std) -> io::Result<Self> {
            Ok(Self {
                fd: PollFd::new($s)?,
            })
        }
        forward!($($rest)*);
    };
    ($(#[$attr:meta])* fn try_clone(&self) -> io::Result<Self>; $($rest:tt)*) => {
        $(#[$attr])*
        pub fn try_clone(&self) -> io::Result<Self> {
            Ok(Self {
                fd: PollFd::new_nonblocking(self.fd.get_ref().try_clone()?)?,
            })
        }
        forward!($($rest)*);
    };
    ($(#[$attr:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; $($rest:tt)*) => {
        $(#[$attr])*
        pub fn $name(&self $(, $arg: $ty)*) -> $ret {
            self.fd.get_ref().$name($($arg),*)
        }
        forward!($($rest)*);
    };
}

macro_rules! poll_methods {
    ($inner:ty, $setup:literal) => {
        /// Sets the read and write deadlines (Go's `SetDeadline`): once `t` has passed, ops
        /// fail with `io::ErrorKind::TimedOut`, also ops parked now; `None` clears them.
        ///
        #[doc = concat!("```\n", $setup, "\ns.set_deadline(Some(std::time::Instant::now() + std::time::Duration::from_secs(30)));\n# std::io::Result::Ok(())\n```")]
        pub fn set_deadline(&self, t: Option<std::time::Instant>) {
            self.fd.set_deadline(t)
        }

        /// Sets the read deadline (Go's `SetReadDeadline`): once `t` has passed, reads (and
        /// accepts) fail with `io::ErrorKind::TimedOut`, also one parked now. It may be
        /// moved while a read is parked; the read then waits for the new deadline.
        ///
        #[doc = concat!("```\n", $setup, "\ns.set_read_deadline(Some(std::time::Instant::now()));\n# std::io::Result::Ok(())\n```")]
        pub fn set_read_deadline(&self, t: Option<std::time::Instant>) {
            self.fd.set_read_deadline(t)
        }

        /// Sets the write deadline (Go's `SetWriteDeadline`), like `set_read_deadline`.
        ///
        #[doc = concat!("```\n", $setup, "\ns.set_write_deadline(None);\n# std::io::Result::Ok(())\n```")]
        pub fn set_write_deadline(&self, t: Option<std::time::Instant>) {
            self.fd.set_write_deadline(t)
        }

        /// Bounds each read to `dur` of waiting, as std's `set_read_timeout` (a zero
        /// duration is an `InvalidInput` error). Combines with the read deadline.
        ///
        #[doc = concat!("```\n", $setup, "\ns.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;\nassert_eq!(s.read_timeout(), Some(std::time::Duration::from_secs(5)));\n# std::io::Result::Ok(())\n```")]
        pub fn set_read_timeout(&self, dur: Option<std::time::Duration>) -> std::io::Result<()> {
            self.fd.set_read_timeout(dur)
        }

        /// Bounds each write to `dur` of waiting, as std's `set_write_timeout`.
        ///
        #[doc = concat!("```\n", $setup, "\ns.set_write_timeout(None)?;\nassert_eq!(s.write_timeout(), None);\n# std::io::Result::Ok(())\n```")]
        pub fn set_write_timeout(&self, dur: Option<std::time::Duration>) -> std::io::Result<()> {
            self.fd.set_write_timeout(dur)
        }

        /// The read timeout, if set.
        ///
        #[doc = concat!("```\n", $setup, "\nassert_eq!(s.read_timeout(), None);\n# std::io::Result::Ok(())\n```")]
        pub fn read_timeout(&self) -> Option<std::time::Duration> {
            self.fd.read_timeout()
        }

        /// The write timeout, if set.
        ///
        #[doc = concat!("```\n", $setup, "\nassert_eq!(s.write_timeout(), None);\n# std::io::Result::Ok(())\n```")]
        pub fn write_timeout(&self) -> Option<std::time::Duration> {
            self.fd.write_timeout()
        }

        /// Closes the socket for this program's ops, as Go's `Close`: every op parked on it
        /// wakes and fails with [`ErrClosed`](crate::ErrClosed) (see
        /// [`is_closed`](crate::is_closed)), as does every later op. The fd itself is
        /// released when the value is dropped.
        ///
        #[doc = concat!("```\n", $setup, "\ns.close();\n# std::io::Result::Ok(())\n```")]
        pub fn close(&self) {
            self.fd.close()
        }

        /// The [`PollFd`](crate::PollFd) this socket is built on: the std socket inside it
        /// offers every option not repeated here (TTL, broadcast, ...).
        ///
        #[doc = concat!("```\n", $setup, "\nlet _std = s.as_poll_fd().get_ref();\n# std::io::Result::Ok(())\n```")]
        pub fn as_poll_fd(&self) -> &$crate::PollFd<$inner> {
            &self.fd
        }
    };
}

/// `Debug`, `AsRawFd` and `AsFd` for a socket type wrapping a [`PollFd`](crate::PollFd) in
/// `fd`. `Debug` shows each `"name" => method` given (the method's `Ok` value, if any), then
/// the fd.
macro_rules! fd_impls {
    ($t:ident $(, $field:literal => $get:ident)*) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field($field, &self.$get().ok()))*
                    .field("fd", &self.fd.as_raw_fd())
                    .finish()
            }
        }

        impl AsRawFd for $t {
            fn as_raw_fd(&self) -> RawFd {
                self.fd.as_raw_fd()
            }
        }

        impl AsFd for $t {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.fd.as_fd()
            }
        }
    };
}

/// A listener's `incoming` method and the iterator `$iter` it returns: `accept` in a loop,
/// never `None`. `$setup` binds the listener `l` and queues a connection; `$teardown` ends
/// the doc example.
macro_rules! incoming {
    ($listener:ident, $iter:ident -> $stream:ident, $setup:literal, $teardown:literal) => {
        impl $listener {
            /// An endless iterator of accepted connections (`accept` in a loop).
            ///
            #[doc = concat!("```\n", $setup, "\nlet s = l.incoming().next().unwrap()?;\n", $teardown, "\n# std::io::Result::Ok(())\n```")]
            pub fn incoming(&self) -> $iter<'_> {
                $iter { listener: self }
            }
        }

        #[doc = concat!("The iterator of [`", stringify!($listener), "::incoming`]: never returns `None`.")]
        #[derive(Debug)]
        pub struct $iter<'a> {
            listener: &'a $listener,
        }

        impl Iterator for $iter<'_> {
            type Item = io::Result<$stream>;

            fn next(&mut self) -> Option<io::Result<$stream>> {
                Some(self.listener.accept().map(|(s, _)| s))
            }
        }
    };
}

/// The datagram ops of a connected or unconnected datagram socket whose sender addresses
/// are `$addr`: `send`, `recv` and `recv_from`, each one op on the [`PollFd`](crate::PollFd).
/// `$pair` is the doc examples' first line: it binds `a` and `b`, `a` connected to `b`.
macro_rules! datagram_methods {
    ($addr:ty, $pair:literal) => {
        /// Sends a datagram to the connected peer.
        ///
        #[doc = concat!("```\n", $pair, "\nassert_eq!(a.send(b\"abc\")?, 3);\n# std::io::Result::Ok(())\n```")]
        pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
            self.fd.write_with(|s| s.send(buf))
        }

        /// Receives a datagram from the connected peer, parking until one comes.
        ///
        #[doc = concat!("```\n", $pair, "\na.send(b\"abc\")?;\nassert_eq!(b.recv(&mut [0; 8])?, 3);\n# std::io::Result::Ok(())\n```")]
        pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
            self.fd.read_with(|s| s.recv(buf))
        }

        /// Receives a datagram, parking until one comes; returns its length and sender.
        ///
        #[doc = concat!("```\n", $pair, "\na.send(b\"abc\")?;\nassert_eq!(b.recv_from(&mut [0; 8])?.0, 3);\n# std::io::Result::Ok(())\n```")]
        pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, $addr)> {
            self.fd.read_with(|s| s.recv_from(buf))
        }
    };
}

/// `fd_impls!`, and `Read`/`Write` for a stream socket and for a shared reference to
/// it, as std has them: each op goes through the socket's [`PollFd`](crate::PollFd). `$read`
/// is the `PollFd` method a read goes through with its buffer's length and the op:
/// `read_draining` for TCP (a short read lets the next one park first), else
/// `read_sized` (`read_with`).
macro_rules! stream_io {
    ($t:ident, $read:ident $($debug:tt)*) => {
        fd_impls!($t $($debug)*);

        impl Read for $t {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                (&*self).read(buf)
            }

            fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
                (&*self).read_vectored(bufs)
            }
        }

        impl Read for &$t {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if buf.is_empty() {
                    // Go's FD.Read: a zero-byte read on a stream returns at once (recv(2)
                    // would say EAGAIN on an idle socket and park).
                    return Ok(0);
                }
                self.fd.$read(buf.len(), |mut s| s.read(buf))
            }

            fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
                let len = bufs.iter().map(|b| b.len()).sum();
                self.fd.$read(len, |mut s| s.read_vectored(bufs))
            }
        }

        impl Write for $t {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                (&*self).write(buf)
            }

            fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                (&*self).write_vectored(bufs)
            }

            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }

        impl Write for &$t {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.fd.write_with(|s| sys::send(s.as_raw_fd(), buf))
            }

            fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                self.fd
                    .write_with(|s| sys::send_vectored(s.as_raw_fd(), bufs))
            }

            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
    };
}
