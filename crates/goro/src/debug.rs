//! Diagnostics: what the runtime is doing (Go's `runtime.Stack`, `runtime.NumGoroutine`,
//! `runtime/metrics`, goleak), and a live view of it over HTTP (Go's `net/http/pprof`).
//!
//! Everything of [`gmp_sched::debug`] is here, plus [`serve`]: a small HTTP/1.1 server,
//! running on goroutines and gopoll sockets like any goro program, that shows the goroutine
//! dump, the schedtrace line and the metrics as plain text and as one HTML page. Its routes:
//!
//! | path                               | what (Go's anchor)                                       |
//! |------------------------------------|----------------------------------------------------------|
//! | `/`, `/debug/goro/`                | HTML page: metrics, schedtrace, goroutines grouped       |
//! | `/debug/pprof/goroutine?debug=2`   | every goroutine, as in a crash dump (pprof's `debug=2`)  |
//! | `/debug/pprof/goroutine?debug=1`   | goroutines grouped by wait reason and spawn site, counted |
//! | `/debug/goro/schedtrace`           | one `GODEBUG=schedtrace` line                            |
//! | `/debug/goro/metrics`              | the scheduler's counters, `name value` per line          |
//!
//! ```
//! use std::io::{Read, Write};
//!
//! let server = goro::debug::serve("127.0.0.1:0").unwrap();
//! let mut c = std::net::TcpStream::connect(server.local_addr()).unwrap();
//! c.write_all(b"GET /debug/goro/metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
//! let mut resp = String::new();
//! c.read_to_string(&mut resp).unwrap();
//! assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(resp.contains("gomaxprocs "));
//! ```

pub use gmp_sched::debug::*;

use gopoll::net::{TcpListener, TcpStream};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// A running debug server (see [`serve`]). It serves until the program exits; dropping the
/// handle does not stop it.
///
/// ```
/// let server: goro::debug::DebugServer = goro::debug::serve("127.0.0.1:0").unwrap();
/// println!("goroutines at http://{}/debug/pprof/goroutine?debug=2", server.local_addr());
/// ```
#[derive(Debug)]
pub struct DebugServer {
    addr: SocketAddr,
}

impl DebugServer {
    /// The address it listens on (with the port the system chose for port 0).
    ///
    /// ```
    /// let s = goro::debug::serve("127.0.0.1:0").unwrap();
    /// assert_ne!(s.local_addr().port(), 0);
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Serves the live view of this program on `addr` (Go: importing `net/http/pprof` and
/// `http.ListenAndServe`): an accept loop on a goroutine, a goroutine per connection, over
/// gopoll sockets. Returns once it listens; an address that cannot be bound is an error.
/// Requests are plain HTTP/1.1 GETs (curl, a browser); each response closes its connection.
///
/// ```
/// let server = goro::debug::serve("127.0.0.1:0")?;
/// println!("see http://{}/", server.local_addr());
/// # std::io::Result::Ok(())
/// ```
pub fn serve(addr: impl ToSocketAddrs) -> io::Result<DebugServer> {
    let ln = TcpListener::bind(addr)?;
    let addr = ln.local_addr()?;
    // SAFETY: the server's goroutines hold only sockets and owned strings across blocking
    // calls: no thread-local borrow, no std lock guard.
    let sp = unsafe { crate::Spawner::new() };
    drop(sp.spawn(move || {
        while let Ok((conn, _)) = ln.accept() {
            drop(sp.spawn(move || {
                let _ = handle(conn);
            }));
        }
    }));
    Ok(DebugServer { addr })
}

/// The most a request head may take.
const MAX_HEAD: usize = 8 << 10;

/// How long a client may take to send its request head: a connection that sends nothing
/// (a browser's speculative pre-connect, a stuck client) must not hold a goroutine forever.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads one request, writes one response, closes.
fn handle(mut conn: TcpStream) -> io::Result<()> {
    conn.set_read_deadline(Some(crate::now() + HEAD_TIMEOUT));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return respond(&mut conn, 431, "text/plain", "request header too large\n");
        }
        let n = match conn.read(&mut buf) {
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                return respond(&mut conn, 408, "text/plain", "request timeout\n");
            }
            r => r?,
        };
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut parts = head.lines().next().unwrap_or("").split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/")) {
        return respond(&mut conn, 400, "text/plain", "bad request\n");
    }
    if method != "GET" && method != "HEAD" {
        return respond(&mut conn, 405, "text/plain", "only GET\n");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let debug = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("debug="))
        .unwrap_or("0");
    let (ctype, body) = match path {
        "/" | "/debug/goro" | "/debug/goro/" => ("text/html; charset=utf-8", html_page()),
        "/debug/pprof/goroutine" if debug == "2" => ("text/plain; charset=utf-8", dump()),
        "/debug/pprof/goroutine" => ("text/plain; charset=utf-8", grouped_text()),
        "/debug/goro/schedtrace" => ("text/plain; charset=utf-8", schedtrace() + "\n"),
        "/debug/goro/metrics" => ("text/plain; charset=utf-8", metrics().to_string()),
        _ => return respond(&mut conn, 404, "text/plain", "not found\n"),
    };
    let body = if method == "HEAD" {
        String::new()
    } else {
        body
    };
    respond(&mut conn, 200, ctype, &body)
}

fn respond(conn: &mut TcpStream, code: u16, ctype: &str, body: &str) -> io::Result<()> {
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        _ => "Request Header Fields Too Large",
    };
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes())?;
    conn.write_all(body.as_bytes())?;
    conn.flush()
}

/// One group of goroutines: state (wait reason), spawn site, ids, the longest wait.
type Group = (String, String, Vec<u64>, Option<Duration>);

/// The goroutines grouped by state (wait reason) and spawn site, largest group first.
fn groups() -> Vec<Group> {
    let mut by: BTreeMap<(String, String), (Vec<u64>, Option<Duration>)> = BTreeMap::new();
    for g in goroutines() {
        let state = match g.state {
            GoroutineState::Runnable => "runnable".to_string(),
            GoroutineState::Running => "running".to_string(),
            GoroutineState::Syscall => "syscall".to_string(),
            GoroutineState::Waiting(r) => r.to_string(),
            _ => format!("{:?}", g.state),
        };
        let e = by.entry((state, g.spawned_at.to_string())).or_default();
        e.0.push(g.id);
        e.1 = e.1.max(g.waiting_for);
    }
    let mut v: Vec<_> = by
        .into_iter()
        .map(|((s, at), (ids, wait))| (s, at, ids, wait))
        .collect();
    v.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then_with(|| a.0.cmp(&b.0)));
    v
}

/// pprof's `debug=1` shape: a total, then `count @ [state]` and the spawn site per group.
fn grouped_text() -> String {
    let groups = groups();
    let total: usize = groups.iter().map(|g| g.2.len()).sum();
    let mut out = format!("goroutine profile: total {total}\n");
    for (state, at, ids, _) in groups {
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "{} @ [{state}]\n#\tspawned at {at}\n#\tgoroutines {}\n",
            ids.len(),
            ids.join(" ")
        );
    }
    out
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

/// The one HTML page: metrics, schedtrace, goroutine groups, links to the text views.
fn html_page() -> String {
    let groups = groups();
    let total: usize = groups.iter().map(|g| g.2.len()).sum();
    let mut rows = String::new();
    for (state, at, ids, wait) in &groups {
        let wait = match wait.filter(|d| d.as_secs() > 0) {
            Some(d) => format!("{:.0?}", Duration::from_secs(d.as_secs())),
            None => String::new(),
        };
        let shown: Vec<String> = ids.iter().take(20).map(u64::to_string).collect();
        let more = if ids.len() > 20 { " ..." } else { "" };
        let _ = write!(
            rows,
            "<tr><td class=n>{}</td><td><span class=s>{}</span></td><td class=n>{wait}</td><td><code>{}</code></td><td>{}{more}</td></tr>",
            ids.len(),
            esc(state),
            esc(at),
            shown.join(" ")
        );
    }
    let metrics = esc(&metrics().to_string());
    let trace = esc(&schedtrace());
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>goro: {total} goroutines</title>\
<style>body{{font:14px system-ui,sans-serif;margin:1.5em;color:#222}}h1{{font-size:1.3em}}\
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}\
th{{background:#eee}}td.n{{text-align:right}}.s{{background:#e6f0ff;border-radius:3px;padding:0 4px}}\
pre{{background:#f6f6f6;padding:8px}}</style></head><body>\
<h1>goro: {total} goroutines</h1>\
<p><a href=\"/debug/pprof/goroutine?debug=2\">full dump</a> · \
<a href=\"/debug/pprof/goroutine?debug=1\">grouped (text)</a> · \
<a href=\"/debug/goro/schedtrace\">schedtrace</a> · <a href=\"/debug/goro/metrics\">metrics</a></p>\
<h2>Goroutines by wait reason and spawn site</h2>\
<table><tr><th>count</th><th>state</th><th>longest wait</th><th>spawned at</th><th>ids</th></tr>{rows}</table>\
<h2>Scheduler</h2><pre>{trace}</pre><pre>{metrics}</pre></body></html>"
    )
}
