//! The `http` workload (issue 15): TechEmpower's "plaintext" test, driven by a client no one
//! here wrote, Debian's `wrk` 4.1.
//!
//! ```text
//! bench-echo-client http server=PATH peer=NAME conns=256 pipeline=1 secs=5 procs=2 [mode=M]
//! ```
//!
//! 1. The server gets one CPU (the first of this process's mask) and `procs` scheduler threads
//!    on it (`GOMAXPROCS`, tokio's and may's workers); `wrk -t1` gets the next CPU. The client
//!    starts `PATH http-server procs=P` (or `PATH M` when `mode=M` is given: Go's `net/http`
//!    server is `nethttp-server`) pinned to the server's CPU, as the `echo` client does.
//! 2. The server answers every `GET` with the same 13-byte body over HTTP/1.1 keep-alive
//!    ([`RESPONSE`]), a goroutine (task, coroutine) per connection that reads up to 4 KiB,
//!    answers each complete request in it ([`answer`]) and writes all the answers at once: so
//!    a pipelined batch costs one read and one write, as in every TechEmpower entry.
//! 3. `wrk` runs once for a second (warm-up: connections made, stacks touched), then for `secs`
//!    with `--latency`; with `pipeline=N` above 1 a Lua script ([`PIPELINE_LUA`]) sends N
//!    requests per write (wrk counts each and times the batch).
//!
//! Result: `value` = ns per request (1e9 / requests per second, lower is better); extras `rps`,
//! `p50_us`, `p99_us` (wrk's latency distribution; left out when wrk prints zeros, which it
//! does when each connection completed only a batch or two), `socket_errors` (wrk's connect,
//! read, write and timeout errors together), `server_cpu_pct`, `server_rss_kib`. A non-2xx
//! answer or a run with no request fails the run. wrk connects every connection at the start
//! of the measured run (a new process), so at 10,000 connections a 5 s run counts 10,000
//! accepts and first requests as much as keep-alive traffic.
//!
//! With `syscalls=1` the measured run also counts the server's system calls with
//! `perf stat -e raw_syscalls:sys_enter,syscalls:sys_enter_<name>..` (Debian's `linux-perf`;
//! tracepoints, so the count is exact and the run pays a few percent for it) and adds
//! `sys_per_req` (all of them) and `sys_<name>_per_req` for each of [`COUNTED_SYSCALLS`]
//! that happened: per request, over wrk's count of requests.

use crate::echo::{fail, peak_rss_of, proc_cpu_secs, start_server};
use crate::{report, Args};
use std::io::{Read, Write};
use std::process::Command;

/// The answer to every request: the plaintext test's body, `Hello, World!`. No `Date` header,
/// so every peer writes the same bytes.
pub const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

/// Bytes a server reads at most per call; a request must fit.
pub const REQ_BUF: usize = 4096;

/// wrk's pipelining script: `wrk.format()` (the plain GET wrk would send) `args[1]` times in
/// one write.
pub const PIPELINE_LUA: &str = r#"
init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do r[i] = wrk.format() end
  req = table.concat(r)
end
request = function() return req end
"#;

/// Appends one [`RESPONSE`] to `out` for each complete request (ended by an empty line) at
/// the start of `input`, and returns how many bytes those requests took. Requests have no
/// body (wrk sends `GET`). Whatever follows the last complete request is left for the next
/// read.
///
/// ```
/// let mut out = Vec::new();
/// let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHo";
/// assert_eq!(goro_bench::http::answer(req, &mut out), 27);
/// assert_eq!(out, goro_bench::http::RESPONSE);
/// ```
pub fn answer(input: &[u8], out: &mut Vec<u8>) -> usize {
    let mut used = 0;
    while let Some(end) = input[used..].windows(4).position(|w| w == b"\r\n\r\n") {
        used += end + 4;
        out.extend_from_slice(RESPONSE);
    }
    used
}

/// One connection's state: the bytes read and not yet answered, and the answers to write.
/// Every peer's server runs it the same way: read into [`spare`](Session::spare), then write
/// what [`answer`](Session::answer) returns.
pub struct Session {
    buf: [u8; REQ_BUF],
    have: usize,
    out: Vec<u8>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A session with nothing read.
    pub fn new() -> Session {
        Session {
            buf: [0; REQ_BUF],
            have: 0,
            out: Vec::with_capacity(RESPONSE.len() * 16),
        }
    }

    /// Where the next read goes.
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.have..]
    }

    /// After a read of `n` bytes into [`spare`](Session::spare): the answers to every request
    /// now complete (empty while a request is partial), or `None` when a request does not
    /// fit in [`REQ_BUF`] (not one wrk sends): close the connection.
    ///
    /// ```
    /// let mut s = goro_bench::http::Session::new();
    /// let req = b"GET / HTTP/1.1\r\n\r\n";
    /// s.spare()[..req.len()].copy_from_slice(req);
    /// assert_eq!(s.answer(req.len()), Some(goro_bench::http::RESPONSE));
    /// ```
    pub fn answer(&mut self, n: usize) -> Option<&[u8]> {
        self.have += n;
        self.out.clear();
        let used = answer(&self.buf[..self.have], &mut self.out);
        self.buf.copy_within(used..self.have, 0);
        self.have -= used;
        (self.have < REQ_BUF).then_some(&self.out[..])
    }
}

/// Serves one connection until the peer closes it or an error: read, answer, write (see
/// [`Session`]). The blocking-style peers (goro, may) run it as it is.
pub fn serve<S>(mut conn: S)
where
    S: Read + Write,
{
    let mut session = Session::new();
    while let Ok(n @ 1..) = conn.read(session.spare()) {
        match session.answer(n) {
            Some(out) if conn.write_all(out).is_ok() => {}
            _ => return,
        }
    }
}

/// The system calls `syscalls=1` counts one by one (every other one is in the total only).
pub const COUNTED_SYSCALLS: [&str; 17] = [
    "read",
    "readv",
    "recvfrom",
    "recvmsg",
    "write",
    "writev",
    "sendto",
    "sendmsg",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_ctl",
    "futex",
    "sched_yield",
    "nanosleep",
    "clock_nanosleep",
    "accept4",
];

/// Starts `perf stat` counting `pid`'s system calls for `secs` seconds into `out`.
fn start_perf(pid: u32, secs: usize, out: &std::path::Path) -> std::process::Child {
    let mut events = String::from("raw_syscalls:sys_enter");
    for name in COUNTED_SYSCALLS {
        events.push_str(",syscalls:sys_enter_");
        events.push_str(name);
    }
    Command::new("perf")
        .args(["stat", "-x,", "-e", &events, "-p", &pid.to_string(), "-o"])
        .arg(out)
        .args(["--", "sleep", &secs.to_string()])
        .spawn()
        .unwrap_or_else(|e| fail(format!("cannot run perf (apt-get install linux-perf): {e}")))
}

/// `perf stat -x,`'s counts: (syscall name, count), `all` for `raw_syscalls:sys_enter`.
///
/// ```
/// let out = "# started\n\n120,,raw_syscalls:sys_enter,1000,100.00,,\n\
///            3,,syscalls:sys_enter_futex,1000,100.00,,\n<not counted>,,syscalls:sys_enter_read,0,0,,\n";
/// assert_eq!(goro_bench::http::parse_perf(out), [("all".to_string(), 120.0), ("futex".to_string(), 3.0)]);
/// ```
pub fn parse_perf(out: &str) -> Vec<(String, f64)> {
    out.lines()
        .filter_map(|l| {
            let mut f = l.split(',');
            let count: f64 = f.next()?.parse().ok()?;
            let event = f.nth(1)?;
            let name = match event.strip_prefix("syscalls:sys_enter_") {
                Some(n) => n.to_string(),
                None if event == "raw_syscalls:sys_enter" => "all".to_string(),
                None => return None,
            };
            Some((name, count))
        })
        .collect()
}

/// What one wrk run printed, parsed.
#[derive(Debug, Default, PartialEq)]
pub struct WrkOutput {
    /// `Requests/sec:`.
    pub rps: f64,
    /// The `50%` and `99%` lines of `--latency`, in µs.
    pub p50_us: f64,
    /// See `p50_us`.
    pub p99_us: f64,
    /// `Socket errors:` summed (connect, read, write, timeout).
    pub socket_errors: f64,
    /// `Non-2xx or 3xx responses:`.
    pub non_2xx: f64,
    /// `N requests in ..`: every request answered in the run.
    pub requests: f64,
}

/// A wrk duration (`12.34us`, `1.20ms`, `2.00s`, `1.5m`) in µs.
fn wrk_us(s: &str) -> Option<f64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let x: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => x,
        "ms" => x * 1e3,
        "s" => x * 1e6,
        "m" => x * 60e6,
        "h" => x * 3600e6,
        _ => return None,
    })
}

/// Parses wrk 4.1's report (run with `--latency`).
///
/// ```
/// let out = "  Latency Distribution\n     50%  101.00us\n     99%    2.50ms\n  \
///            Socket errors: connect 0, read 2, write 0, timeout 1\n\
///            Requests/sec: 123456.78\n";
/// let w = goro_bench::http::parse_wrk(out).unwrap();
/// assert_eq!((w.rps, w.p50_us, w.p99_us, w.socket_errors), (123456.78, 101.0, 2500.0, 3.0));
/// ```
pub fn parse_wrk(out: &str) -> Option<WrkOutput> {
    let mut w = WrkOutput::default();
    let mut saw_rps = false;
    for line in out.lines().map(str::trim) {
        let mut f = line.split_whitespace();
        match f.next() {
            Some("Requests/sec:") => {
                w.rps = f.next()?.parse().ok()?;
                saw_rps = true;
            }
            Some("50%") => w.p50_us = wrk_us(f.next()?)?,
            Some("99%") => w.p99_us = wrk_us(f.next()?)?,
            Some("Socket") => {
                w.socket_errors = line
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|n| n.parse::<f64>().ok())
                    .sum();
            }
            Some("Non-2xx") => w.non_2xx = line.rsplit(' ').next()?.parse().ok()?,
            Some(n) if line.contains(" requests in ") => w.requests = n.parse().ok()?,
            _ => {}
        }
    }
    saw_rps.then_some(w)
}

/// Runs `wrk` pinned to this process's CPUs; its parsed report.
fn run_wrk(url: &str, conns: usize, secs: usize, script: Option<(&str, usize)>) -> WrkOutput {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t1", "--latency", "--timeout", "10s"])
        .arg(format!("-c{conns}"))
        .arg(format!("-d{secs}s"));
    if let Some((path, _)) = script {
        cmd.args(["-s", path]);
    }
    cmd.arg(url);
    if let Some((_, depth)) = script {
        cmd.args(["--", &depth.to_string()]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| fail(format!("cannot run wrk (apt-get install wrk): {e}")));
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        fail(format!(
            "wrk: {}: {}{}",
            out.status,
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_wrk(&text).unwrap_or_else(|| fail(format!("cannot read wrk's report: {text}")))
}

/// The client: see the module docs.
pub fn client(args: &Args) {
    crate::echo::raise_nofile_limit();
    let server_path = args
        .str("server")
        .unwrap_or_else(|| fail("server=PATH is required"));
    let mode = args.str("mode").unwrap_or("http-server");
    let peer = args.str("peer").unwrap_or("unknown").to_string();
    let conns = args.usize("conns", 256).max(1);
    let pipeline = args.usize("pipeline", 1).max(1);
    let secs = args.usize("secs", 5).max(1);
    let procs = args.procs().max(1);

    // One CPU for the server, the next for wrk (the same one when there is only one).
    let cpus = crate::allowed_cpus();
    let server_cpus = cpus[..cpus.len().min(1)].to_vec();
    let client_cpus = if cpus.len() > 1 {
        cpus[1..2].to_vec()
    } else {
        cpus.clone()
    };
    let (server, addr) = start_server(server_path, mode, procs, &server_cpus, &client_cpus);
    let pid = server.0.id();
    let url = format!("http://{addr}/");
    let script_path = std::env::temp_dir().join(format!("goro-bench-pipeline-{}.lua", pid));
    let script = if pipeline > 1 {
        std::fs::write(&script_path, PIPELINE_LUA)
            .unwrap_or_else(|e| fail(format!("cannot write {}: {e}", script_path.display())));
        Some((script_path.to_str().expect("a UTF-8 temp dir"), pipeline))
    } else {
        None
    };

    run_wrk(&url, conns, 1, script);
    let perf_out = std::env::temp_dir().join(format!("goro-bench-perf-{pid}.csv"));
    let perf = (args.usize("syscalls", 0) == 1).then(|| start_perf(pid, secs, &perf_out));
    let cpu0 = proc_cpu_secs(pid);
    let w = run_wrk(&url, conns, secs, script);
    let cpu1 = proc_cpu_secs(pid);
    let counts = perf.map(|mut p| {
        let _ = p.wait();
        let text = std::fs::read_to_string(&perf_out).unwrap_or_default();
        let _ = std::fs::remove_file(&perf_out);
        parse_perf(&text)
    });
    let rss = peak_rss_of(pid);
    drop(server);
    let _ = std::fs::remove_file(&script_path);
    if w.rps <= 0.0 {
        fail("no request completed");
    }
    if w.non_2xx > 0.0 {
        fail(format!("{} answers were not 2xx", w.non_2xx));
    }
    let mut extra = vec![("rps", w.rps), ("socket_errors", w.socket_errors)];
    // wrk prints 0 for every percentile when each connection finished only a batch or two
    // (10,000 connections, pipelined): no figure rather than a false one.
    if w.p99_us > 0.0 {
        extra.extend([("p50_us", w.p50_us), ("p99_us", w.p99_us)]);
    }
    if let (Some(a), Some(b)) = (cpu0, cpu1) {
        extra.push(("server_cpu_pct", (b - a) / secs as f64 * 100.0));
    }
    if let Some(r) = rss {
        extra.push(("server_rss_kib", r));
    }
    // perf counts over its own `secs`, wrk over its run: the same window to within the
    // start-up of each, a few ms in seconds.
    let named: Vec<(String, f64)> = counts
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, c)| *c > 0.0)
        .map(|(n, c)| match n.as_str() {
            "all" => ("sys_per_req".to_string(), c / w.requests.max(1.0)),
            _ => (format!("sys_{n}_per_req"), c / w.requests.max(1.0)),
        })
        .collect();
    extra.extend(named.iter().map(|(k, v)| (k.as_str(), *v)));
    report(args, &peer, "ns_per_req", 1e9 / w.rps, &extra);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_each_complete_request_and_keeps_the_rest() {
        let one = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n";
        let mut input = one.repeat(16);
        input.extend_from_slice(&one[..10]);
        let mut out = Vec::new();
        assert_eq!(answer(&input, &mut out), one.len() * 16);
        assert_eq!(out, RESPONSE.repeat(16));
        out.clear();
        assert_eq!(answer(b"GET / HTTP/1.1\r\n", &mut out), 0);
        assert!(out.is_empty());
    }

    #[test]
    fn serve_answers_a_pipelined_batch_in_one_write() {
        struct Conn {
            input: Vec<u8>,
            read_at: usize,
            writes: Vec<Vec<u8>>,
        }
        impl Read for Conn {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                // Hands the input over in pieces of 7 bytes, cutting requests anywhere.
                let n = (self.input.len() - self.read_at).min(7).min(buf.len());
                buf[..n].copy_from_slice(&self.input[self.read_at..self.read_at + n]);
                self.read_at += n;
                Ok(n)
            }
        }
        impl Write for Conn {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.writes.push(buf.to_vec());
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let one = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";
        let mut c = Conn {
            input: one.repeat(5),
            read_at: 0,
            writes: Vec::new(),
        };
        serve(&mut c);
        assert_eq!(c.writes.concat(), RESPONSE.repeat(5));
    }

    #[test]
    fn parses_wrk_requests() {
        let out = "  1234 requests in 2.00s, 1.00MB read\nRequests/sec:    617.00\n";
        let w = parse_wrk(out).unwrap();
        assert_eq!((w.requests, w.rps), (1234.0, 617.0));
    }

    #[test]
    fn parses_wrk_units() {
        assert_eq!(wrk_us("12.50us"), Some(12.5));
        assert_eq!(wrk_us("1.20ms"), Some(1200.0));
        assert_eq!(wrk_us("2.00s"), Some(2e6));
        assert_eq!(wrk_us("2.00parsecs"), None);
        assert_eq!(parse_wrk("no report"), None);
    }
}
