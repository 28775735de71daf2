//! The `idle` workload (issue 15): many connected, idle connections, one goroutine (task,
//! coroutine) each parked in `read`: what a server holding keep-alive or websocket
//! connections pays per connection, how fast it accepts a burst of them, and how soon each
//! gets its first answer.
//!
//! ```text
//! bench-echo-client idle server=PATH peer=NAME conns=100000 procs=P [window=1024]
//! ```
//!
//! 1. The client raises `RLIMIT_NOFILE` to its hard limit (the server does the same) and
//!    clamps `conns` to what both sides can hold; the `conns` it reports is the number it
//!    reached. It starts the peer's `echo-server` on the first `procs` CPUs and keeps the rest,
//!    as `echo` does, and reads the server's RSS once it listens.
//! 2. It opens the connections from one epoll loop, `window` at a time in flight: a
//!    non-blocking `connect` from a source address of its own (`127.0.0.2`, `127.0.0.3`, ...:
//!    one per 20,000 connections, since one source address has about 28,000 ephemeral ports,
//!    `net.ipv4.ip_local_port_range`), then one byte once connected, then the echo of that byte
//!    back. The window stays below the listen backlog (`min(4096, net.core.somaxconn)` for Go
//!    and goro, 1,024 for tokio and may) and `net.ipv4.tcp_max_syn_backlog`, so no SYN is
//!    dropped (a dropped SYN is retried after a second and would measure the kernel's timer,
//!    not the server).
//! 3. Once every connection has had its echo, all are idle; after 300 ms the client reads the
//!    server's RSS again.
//!
//! Result: `value` = the server's RSS growth per connection, bytes (lower is better); extras
//! `conns` (reached), `accept_per_s` (connections that got their echo per second, from the
//! first `connect` to the last echo), `first_byte_p50_us` / `first_byte_p99_us` /
//! `first_byte_max_us` (from a connection's `connect` call to its echo: handshake, accept,
//! the goroutine's start and its first read and write), `server_rss_kib`.

use crate::echo::{fail, percentile_us, status_kib_of};
use crate::{report, Args};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// Connections per client source address (127.0.0.2, 127.0.0.3, ...).
pub const PER_SOURCE: usize = 20_000;

/// The source address of connection `i`.
///
/// ```
/// use std::net::Ipv4Addr;
/// assert_eq!(goro_bench::idle::source_addr(0), Ipv4Addr::new(127, 0, 0, 2));
/// assert_eq!(goro_bench::idle::source_addr(99_999), Ipv4Addr::new(127, 0, 0, 6));
/// ```
pub fn source_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + (i / PER_SOURCE) as u8)
}

/// The soft `RLIMIT_NOFILE` (after [`crate::echo::raise_nofile_limit`], the hard one).
fn nofile_limit() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    lim.rlim_cur.min(usize::MAX as libc::rlim_t) as usize
}

fn cvt(r: libc::c_int, what: &str) -> Result<libc::c_int, String> {
    if r < 0 {
        Err(format!("{what}: {}", io::Error::last_os_error()))
    } else {
        Ok(r)
    }
}

/// A `sockaddr_in` for `ip:port`.
fn sockaddr(ip: Ipv4Addr, port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip.octets()),
        },
        sin_zero: [0; 8],
    }
}

/// Starts a non-blocking connect from `src` to `dst`.
fn start_connect(src: Ipv4Addr, dst: &libc::sockaddr_in) -> Result<OwnedFd, String> {
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain syscall with integer arguments.
    let fd = cvt(
        unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        },
        "socket",
    )?;
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    // SAFETY: `one` is a valid c_int with its size. The option lets the kernel pick the port
    // at connect time, per destination; without it bind(port 0) takes one for good.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    let src = sockaddr(src, 0);
    cvt(
        // SAFETY: `src` is a valid sockaddr_in of `len` bytes.
        unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&src as *const libc::sockaddr_in).cast(),
                len,
            )
        },
        "bind",
    )?;
    // SAFETY: `dst` is a valid sockaddr_in of `len` bytes.
    let r = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (dst as *const libc::sockaddr_in).cast(),
            len,
        )
    };
    if r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINPROGRESS) {
        return Err(format!("connect: {}", io::Error::last_os_error()));
    }
    Ok(fd)
}

fn epoll_ctl(
    ep: RawFd,
    op: libc::c_int,
    fd: RawFd,
    events: u32,
    token: usize,
) -> Result<(), String> {
    let mut ev = libc::epoll_event {
        events,
        u64: token as u64,
    };
    // SAFETY: `ep` and `fd` are open fds; `ev` is a valid event.
    cvt(unsafe { libc::epoll_ctl(ep, op, fd, &mut ev) }, "epoll_ctl").map(drop)
}

/// What the connect loop measured.
struct Opened {
    fds: Vec<OwnedFd>,
    elapsed: Duration,
    /// Per connection, ns from its `connect` call to its echo.
    first_byte: Vec<u64>,
}

/// Opens `conns` connections to `dst`, `window` in flight at once (see the module docs).
fn open_all(dst: SocketAddr, conns: usize, window: usize) -> Result<Opened, String> {
    let SocketAddr::V4(dst) = dst else {
        return Err("the server must listen on IPv4".into());
    };
    let dst = sockaddr(*dst.ip(), dst.port());
    // SAFETY: epoll_create1 has no preconditions.
    let ep = cvt(
        unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) },
        "epoll_create1",
    )?;
    // SAFETY: `ep` is a fresh fd that nothing else owns.
    let ep = unsafe { OwnedFd::from_raw_fd(ep) };
    let mut fds: Vec<OwnedFd> = Vec::with_capacity(conns);
    let mut started: Vec<Instant> = Vec::with_capacity(conns);
    let mut first_byte = Vec::with_capacity(conns);
    let mut in_flight = 0;
    let mut done = 0;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let start = Instant::now();
    while done < conns {
        while in_flight < window && fds.len() < conns {
            let i = fds.len();
            started.push(Instant::now());
            let fd = start_connect(source_addr(i), &dst)?;
            let ev = (libc::EPOLLOUT | libc::EPOLLIN) as u32;
            epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd.as_raw_fd(), ev, i)?;
            fds.push(fd);
            in_flight += 1;
        }
        if start.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "only {done} of {conns} connections answered in 120 s"
            ));
        }
        // SAFETY: `events` is a writable array of `events.len()` epoll_events.
        let n = unsafe {
            libc::epoll_wait(
                ep.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as i32,
                1000,
            )
        };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(format!("epoll_wait: {}", io::Error::last_os_error()));
        }
        for ev in &events[..n as usize] {
            let i = ev.u64 as usize;
            let fd = fds[i].as_raw_fd();
            if ev.events & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
                return Err(format!("connection {i} failed or was closed by the server"));
            }
            if ev.events & libc::EPOLLIN as u32 != 0 {
                let mut b = 0u8;
                // SAFETY: `b` is one writable byte.
                let r = unsafe { libc::recv(fd, (&mut b as *mut u8).cast(), 1, 0) };
                match r {
                    1 => {
                        first_byte.push(started[i].elapsed().as_nanos() as u64);
                        epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, 0, i)?;
                        in_flight -= 1;
                        done += 1;
                    }
                    0 => return Err(format!("the server closed connection {i}")),
                    _ if io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock => {}
                    _ => return Err(format!("recv: {}", io::Error::last_os_error())),
                }
            } else if ev.events & libc::EPOLLOUT as u32 != 0 {
                // Connected: send the one byte and wait for it to come back.
                // SAFETY: a one-byte buffer, valid for the call.
                let r = unsafe { libc::send(fd, b"x".as_ptr().cast(), 1, libc::MSG_NOSIGNAL) };
                if r != 1 {
                    return Err(format!("send: {}", io::Error::last_os_error()));
                }
                epoll_ctl(
                    ep.as_raw_fd(),
                    libc::EPOLL_CTL_MOD,
                    fd,
                    libc::EPOLLIN as u32,
                    i,
                )?;
            }
        }
    }
    Ok(Opened {
        fds,
        elapsed: start.elapsed(),
        first_byte,
    })
}

/// The client: see the module docs.
pub fn client(args: &Args) {
    crate::echo::raise_nofile_limit();
    let server_path = args
        .str("server")
        .unwrap_or_else(|| fail("server=PATH is required"));
    let peer = args.str("peer").unwrap_or("unknown").to_string();
    let asked = args.usize("conns", 100_000).max(1);
    let window = args.usize("window", 1024).max(1);
    let procs = args.procs().max(1);
    let limit = nofile_limit().saturating_sub(64);
    let conns = asked.min(limit);
    if conns < asked {
        eprintln!(
            "idle: RLIMIT_NOFILE allows {} fds: {conns} connections instead of {asked}",
            limit + 64
        );
    }

    let (server, addr, _) = crate::echo::start_echo_server(server_path, procs);
    let pid = server.0.id();
    std::thread::sleep(Duration::from_millis(100));
    let rss0 = status_kib_of(pid, "VmRSS:").unwrap_or_else(|| fail("cannot read the server's RSS"));
    let opened = open_all(addr, conns, window).unwrap_or_else(|e| fail(e));
    std::thread::sleep(Duration::from_millis(300));
    let rss1 = status_kib_of(pid, "VmRSS:").unwrap_or_else(|| fail("cannot read the server's RSS"));
    drop(server);
    drop(opened.fds);

    let mut lat = opened.first_byte;
    lat.sort_unstable();
    let pct = |p: f64| percentile_us(&lat, p);
    let per_conn = (rss1 - rss0).max(0.0) * 1024.0 / conns as f64;
    report(
        args,
        &peer,
        "rss_bytes_per_conn",
        per_conn,
        &[
            ("conns", conns as f64),
            ("accept_per_s", conns as f64 / opened.elapsed.as_secs_f64()),
            ("first_byte_p50_us", pct(50.0)),
            ("first_byte_p99_us", pct(99.0)),
            ("first_byte_max_us", pct(100.0)),
            ("server_rss_kib", rss1),
        ],
    );
}
