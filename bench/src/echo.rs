//! The `echo` workload (issue 6): a TCP echo server per peer, all driven by one load client.
//!
//! The harness runs the client, never a server:
//!
//! ```text
//! bench-echo-client echo server=PATH peer=NAME conns=100 secs=3 procs=P [threads=T]
//! ```
//!
//! 1. The client splits its CPUs: the server gets the first `procs` (its `GOMAXPROCS`, tokio's and
//!    may's workers), the client keeps the rest (all of them when none is left). It pins itself
//!    to the server's share, starts `PATH echo-server procs=P` (the child inherits the mask),
//!    then pins itself to its own share, so server and client never fight over a CPU.
//! 2. The server listens on `127.0.0.1:0`, prints `LISTENING <addr>` as its first stdout line
//!    and serves a goroutine (task, coroutine) per connection, reading up to 4 KiB and writing
//!    back what it read, with `TCP_NODELAY` (Go's default). It exits when its stdin reaches EOF:
//!    the client closes it when done, and the kernel closes it if the client dies, so no server
//!    outlives its client.
//! 3. The client opens `conns` connections, spreads them over `threads` OS threads (default: one
//!    per client CPU), each running its own epoll loop with one 64-byte request in flight per
//!    connection: send, wait for all 64 bytes back, check them, send the next. A warm-up (a
//!    sixth of `secs`, at most 500 ms) is not counted; then every round trip that completes
//!    within `secs` counts, its latency timed from the send to the last byte back.
//!
//! Result: `value` = ns per request (1e9 / requests per second, lower is better); extras `rps`,
//! `p50_us`, `p99_us`, `server_cpu_us_per_req` (the server's CPU time per request),
//! `server_cpu_pct` and `client_cpu_pct` (CPU time over the measured window, in % of one CPU),
//! `client_idle_pct` (the share of the window the client threads spent blocked in `epoll_wait`
//! with no reply to handle: well above 0, the client waits on the server and is not the
//! bottleneck), `client_threads` and `server_rss_kib` (the server's peak RSS).

use crate::{report, Args};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Bytes per request.
pub const MSG: usize = 64;
/// Bytes a server reads (and writes back) at most per call.
pub const SERVER_BUF: usize = 4096;

/// Raises this process's `RLIMIT_NOFILE` soft limit to its hard limit, so that 1,000
/// connections (2,000 fds on loopback, client and server sides) fit.
pub fn raise_nofile_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return;
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit; raising the soft limit up to the hard one is allowed.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            eprintln!("setrlimit(NOFILE): {}", io::Error::last_os_error());
        }
    }
}

/// A server's start: raises the fd limit, prints `LISTENING addr` and arranges for the
/// process to exit once stdin reaches EOF (see the module docs).
pub fn server_listening(addr: SocketAddr) {
    println!("LISTENING {addr}");
    let _ = io::stdout().flush();
    std::thread::spawn(|| {
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        std::process::exit(0);
    });
}

/// Reads `/proc/<pid>/stat`'s utime + stime, in seconds.
pub(crate) fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1);
    Some(ticks as f64 / hz as f64)
}

/// This process's CPU time (user + system, every thread), in seconds.
fn self_cpu_secs() -> f64 {
    // SAFETY: `rusage` is plain data; all-zero is a valid value to overwrite.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

pub(crate) fn peak_rss_of(pid: u32) -> Option<f64> {
    status_kib_of(pid, "VmHWM:")
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`).
pub(crate) fn status_kib_of(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The `p`th percentile of `sorted` (nanoseconds), in µs.
pub(crate) fn percentile_us<T: Copy + Into<u64>>(sorted: &[T], p: f64) -> f64 {
    let k = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[k].into() as f64 / 1e3
}

pub(crate) fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("load client: {msg}");
    std::process::exit(1);
}

/// The server child: killed (and reaped) when dropped, unless it already exited.
pub(crate) struct Server(pub(crate) Child);

/// Starts `PATH echo-server` on this process's first `procs` CPUs and keeps the rest for
/// this client (both share all of them when there are no more than `procs`); returns the
/// client's CPUs too.
pub(crate) fn start_echo_server(path: &str, procs: usize) -> (Server, SocketAddr, Vec<usize>) {
    let cpus = crate::allowed_cpus();
    let (server_cpus, client_cpus) = if cpus.len() > procs {
        (cpus[..procs].to_vec(), cpus[procs..].to_vec())
    } else {
        (cpus.clone(), cpus)
    };
    let (server, addr) = start_server(path, "echo-server", procs, &server_cpus, &client_cpus);
    (server, addr, client_cpus)
}

/// Starts `PATH MODE procs=P` pinned to `server_cpus` (with `GOMAXPROCS=P`), pins this
/// process to `client_cpus`, and waits for the server's `LISTENING addr` line.
pub(crate) fn start_server(
    path: &str,
    mode: &str,
    procs: usize,
    server_cpus: &[usize],
    client_cpus: &[usize],
) -> (Server, SocketAddr) {
    if !server_cpus.is_empty() {
        crate::pin_to_set(server_cpus);
    }
    let child = Command::new(path)
        .arg(mode)
        .arg(format!("procs={procs}"))
        .env("GOMAXPROCS", procs.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| fail(format!("cannot start {path}: {e}")));
    let mut server = Server(child);
    if !client_cpus.is_empty() {
        crate::pin_to_set(client_cpus);
    }
    let mut first = String::new();
    let stdout = server.0.stdout.take().expect("piped stdout");
    if BufReader::new(stdout).read_line(&mut first).is_err() || first.is_empty() {
        fail("the server exited before listening");
    }
    let addr: SocketAddr = first
        .trim()
        .strip_prefix("LISTENING ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| fail(format!("expected `LISTENING addr`, got `{}`", first.trim())));
    (server, addr)
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing stdin asks it to exit; give it a second, then kill it.
        drop(self.0.stdin.take());
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The client: see the module docs.
pub fn client(args: &Args) {
    raise_nofile_limit();
    let server_path = args
        .str("server")
        .unwrap_or_else(|| fail("server=PATH is required"));
    let peer = args.str("peer").unwrap_or("unknown").to_string();
    let conns = args.usize("conns", crate::spec::ECHO_CONNS).max(1);
    let secs = args.usize("secs", crate::spec::ECHO_SECS).max(1);
    let procs = args.procs().max(1);

    let (server, addr, client_cpus) = start_echo_server(server_path, procs);
    let threads = args
        .usize("threads", client_cpus.len().max(1))
        .clamp(1, conns);
    let pid = server.0.id();

    let streams: Vec<TcpStream> = (0..conns)
        .map(|i| {
            let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .unwrap_or_else(|e| fail(format!("connection {i}: {e}")));
            s.set_nodelay(true).unwrap();
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();

    let warmup = Duration::from_millis((secs as u64 * 1000 / 6).min(500));
    let start = Instant::now() + Duration::from_millis(20);
    let measure_from = start + warmup;
    let until = measure_from + Duration::from_secs(secs as u64);
    let mut groups: Vec<Vec<TcpStream>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, s) in streams.into_iter().enumerate() {
        groups[i % threads].push(s);
    }
    let workers: Vec<_> = groups
        .into_iter()
        .map(|g| std::thread::spawn(move || drive(g, start, measure_from, until)))
        .collect();

    std::thread::sleep(measure_from.saturating_duration_since(Instant::now()));
    let (srv0, cli0) = (proc_cpu_secs(pid), self_cpu_secs());
    std::thread::sleep(until.saturating_duration_since(Instant::now()));
    let (srv1, cli1) = (proc_cpu_secs(pid), self_cpu_secs());
    let server_rss = peak_rss_of(pid);

    let mut lat: Vec<u32> = Vec::new();
    let mut idle = Duration::ZERO;
    for w in workers {
        match w.join() {
            Ok(Ok(d)) => {
                lat.extend(d.lat);
                idle += d.idle;
            }
            Ok(Err(e)) => fail(e),
            Err(_) => fail("a client thread panicked"),
        }
    }
    drop(server);
    if lat.is_empty() {
        fail("no request completed");
    }
    lat.sort_unstable();
    let pct = |p: f64| percentile_us(&lat, p);
    let window = secs as f64;
    let rps = lat.len() as f64 / window;
    let mut extra = vec![
        ("rps", rps),
        ("p50_us", pct(50.0)),
        ("p99_us", pct(99.0)),
        ("client_cpu_pct", (cli1 - cli0) / window * 100.0),
        (
            "client_idle_pct",
            idle.as_secs_f64() / (window * threads as f64) * 100.0,
        ),
        ("client_threads", threads as f64),
    ];
    if let (Some(a), Some(b)) = (srv0, srv1) {
        extra.push(("server_cpu_us_per_req", (b - a) * 1e6 / lat.len() as f64));
        extra.push(("server_cpu_pct", (b - a) / window * 100.0));
    }
    if let Some(r) = server_rss {
        extra.push(("server_rss_kib", r));
    }
    report(args, &peer, "ns_per_req", 1e9 / rps, &extra);
}

/// What one client thread measured.
struct Driven {
    /// Latencies (ns) of the round trips that finished in `[measure_from, until)`.
    lat: Vec<u32>,
    /// Time spent blocked in `epoll_wait` (nothing to do: waiting on the server) within the
    /// window.
    idle: Duration,
}

/// One client thread: `conns` connections, one request in flight on each, until `until`.
fn drive(
    conns: Vec<TcpStream>,
    start: Instant,
    measure_from: Instant,
    until: Instant,
) -> Result<Driven, String> {
    struct Conn {
        s: TcpStream,
        sent_at: Instant,
        seq: u8,
        got: usize,
        buf: [u8; MSG],
    }
    let err = |what: &str| format!("{what}: {}", io::Error::last_os_error());
    // SAFETY: epoll_create1 has no preconditions.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(err("epoll_create1"));
    }
    // SAFETY: `ep` is a fresh fd that nothing else owns.
    let _ep_guard = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(ep) };
    let mut cs: Vec<Conn> = conns
        .into_iter()
        .map(|s| Conn {
            s,
            sent_at: start,
            seq: 0,
            got: 0,
            buf: [0; MSG],
        })
        .collect();
    for (i, c) in cs.iter().enumerate() {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: i as u64,
        };
        // SAFETY: `ep` and the socket are open fds; `ev` is a valid event.
        if unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, c.s.as_raw_fd(), &mut ev) } != 0 {
            return Err(err("epoll_ctl"));
        }
    }
    let send = |c: &mut Conn| -> Result<(), String> {
        c.seq = c.seq.wrapping_add(1);
        c.got = 0;
        c.sent_at = Instant::now();
        let msg = [c.seq; MSG];
        let mut off = 0;
        // One 64-byte message in flight: the socket buffer always has room, so this loop
        // spins only in theory.
        while off < MSG {
            match (&c.s).write(&msg[off..]) {
                Ok(n) => off += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("write: {e}")),
            }
        }
        Ok(())
    };
    std::thread::sleep(start.saturating_duration_since(Instant::now()));
    for c in cs.iter_mut() {
        send(c)?;
    }
    let mut lat = Vec::with_capacity(1 << 20);
    let mut idle = Duration::ZERO;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    loop {
        let now = Instant::now();
        if now >= until {
            break;
        }
        let wait_ms = (until - now).as_millis().clamp(1, 100) as i32;
        // SAFETY: `events` is a writable array of `events.len()` epoll_events.
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, wait_ms) };
        if now >= measure_from {
            idle += now.elapsed();
        }
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err("epoll_wait"));
        }
        for ev in &events[..n as usize] {
            let c = &mut cs[ev.u64 as usize];
            loop {
                let got = c.got;
                match (&c.s).read(&mut c.buf[got..]) {
                    Ok(0) => return Err("the server closed a connection".into()),
                    Ok(k) => c.got += k,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(format!("read: {e}")),
                }
                if c.got == MSG {
                    let done = Instant::now();
                    if c.buf.iter().any(|&b| b != c.seq) {
                        return Err("the server echoed wrong bytes".into());
                    }
                    if done >= measure_from && done < until {
                        let ns = (done - c.sent_at).as_nanos();
                        lat.push(ns.min(u32::MAX as u128) as u32);
                    }
                    if done < until {
                        send(c)?;
                    }
                    break;
                }
            }
        }
    }
    Ok(Driven { lat, idle })
}
