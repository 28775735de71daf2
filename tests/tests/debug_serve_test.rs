//! `goro::debug::serve` (issue 18): the live view over gopoll, asked with curl-style raw
//! HTTP/1.1 requests from a plain `std::net` client. Go's anchor is net/http/pprof's
//! `/debug/pprof/goroutine?debug=1|2`.
//!
//! Deterministic: the goroutines a test looks for are parked at a known place (on a channel
//! nobody sends on) before it asks, and released after.

use goro::{Chan, JoinHandle};
use goro_test_support::wait_until;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The one server of this test binary.
fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| goro::debug::serve("127.0.0.1:0").unwrap().local_addr())
}

/// Sends `request` raw and returns the whole response (the server closes the connection).
fn raw(request: &str) -> String {
    let mut c = std::net::TcpStream::connect(server()).unwrap();
    c.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    out
}

/// `curl http://addr{path}`: status line and body.
fn get(path: &str) -> (String, String) {
    let resp = raw(&format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n"
    ));
    let (head, body) = resp.split_once("\r\n\r\n").expect("a response head");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("Content-Length")
        .parse()
        .unwrap();
    assert_eq!(body.len(), len, "Content-Length");
    (head.to_string(), body.to_string())
}

/// `n` goroutines parked on receiving from one channel, spawned on one line; returns their
/// handles, the channel that releases them, and their spawn site as dumps print it.
/// The tests that park goroutines run one at a time, so each sees only its own group.
fn parked(
    n: usize,
) -> (
    Vec<JoinHandle<()>>,
    Chan<()>,
    String,
    MutexGuard<'static, ()>,
) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let c = Chan::<()>::new(0);
    let line = line!() + 5;
    let hs: Vec<_> = (0..n)
        .map(|_| {
            let c = c.clone();
            // SAFETY: the goroutine holds only a channel across its blocking call.
            unsafe { goro::spawn(move || assert_eq!(c.recv(), None)) }
        })
        .collect();
    let ids: Vec<u64> = hs.iter().map(|h| h.id()).collect();
    wait_until(|| {
        goro::debug::goroutines()
            .iter()
            .filter(|g| ids.contains(&g.id))
            .all(|g| {
                g.state == goro::debug::GoroutineState::Waiting(goro::sys::WaitReason::ChanReceive)
            })
    });
    (hs, c, format!("{}:{line}:", file!()), guard)
}

/// Releases the goroutines and waits until they are gone from the listing.
fn release(hs: Vec<JoinHandle<()>>, c: Chan<()>) {
    let ids: Vec<u64> = hs.iter().map(|h| h.id()).collect();
    c.close();
    for h in hs {
        h.join().unwrap();
    }
    wait_until(|| {
        goro::debug::goroutines()
            .iter()
            .all(|g| !ids.contains(&g.id))
    });
}

/// `?debug=2` is the full dump: a Go-style header for each parked goroutine.
#[test]
fn goroutine_dump_debug2() {
    let (hs, c, site, _one) = parked(3);
    let (head, body) = get("/debug/pprof/goroutine?debug=2");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/plain"), "{head}");
    for h in &hs {
        let want = format!("goroutine {} [chan receive", h.id());
        assert!(body.contains(&want), "{want} missing in:\n{body}");
    }
    assert!(body.contains(&site), "{site} missing in:\n{body}");
    release(hs, c);
}

/// `?debug=1` groups by wait reason and spawn site, with counts and ids.
#[test]
fn goroutines_grouped_debug1() {
    let (hs, c, site, _one) = parked(4);
    let (_, body) = get("/debug/pprof/goroutine?debug=1");
    assert!(body.starts_with("goroutine profile: total "), "{body}");
    let group = body
        .split("\n\n")
        .find(|g| g.contains(&site))
        .unwrap_or_else(|| panic!("no group for {site} in:\n{body}"));
    assert!(
        group.contains("4 @ [chan receive]\n#\tspawned at "),
        "{group}"
    );
    for h in &hs {
        assert!(group.contains(&format!(" {}", h.id())), "{group}");
    }
    release(hs, c);
}

/// The HTML page shows the groups (escaped) and links to the text views.
#[test]
fn html_page() {
    let (hs, c, site, _one) = parked(2);
    let (head, body) = get("/");
    assert!(head.contains("Content-Type: text/html"), "{head}");
    assert!(body.starts_with("<!doctype html>"));
    assert!(body.contains("/debug/pprof/goroutine?debug=2"));
    let row = body
        .split("<tr>")
        .find(|r| r.contains(&format!("<code>{site}")))
        .unwrap_or_else(|| panic!("no row for {site} in:\n{body}"));
    assert!(
        row.starts_with("<td class=n>2</td><td><span class=s>chan receive</span>"),
        "{row}"
    );
    assert!(body.contains("SCHED "));
    release(hs, c);
}

/// Metrics and schedtrace as text.
#[test]
fn metrics_and_schedtrace() {
    let (_, m) = get("/debug/goro/metrics");
    let gomaxprocs = format!("gomaxprocs {}\n", goro::gomaxprocs());
    assert!(m.contains(&gomaxprocs), "{m}");
    assert!(m.contains("goroutines "), "{m}");
    let (_, t) = get("/debug/goro/schedtrace");
    assert!(t.starts_with("SCHED ") && t.contains("gomaxprocs="), "{t}");
}

/// Bad input gets a clear status, never a hang: unknown path, wrong method, a request line
/// that is not HTTP, a head too large.
#[test]
fn bad_requests() {
    assert!(get("/nope").0.starts_with("HTTP/1.1 404 "));
    let r = raw("POST /debug/goro/metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 405 "), "{r}");
    let r = raw("hello\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 400 "), "{r}");
    let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
    let mut c = std::net::TcpStream::connect(server()).unwrap();
    let _ = c.write_all(big.as_bytes()); // the server may close before reading it all
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
    // HEAD: the head alone.
    let r = raw("HEAD /debug/goro/metrics HTTP/1.1\r\n\r\n");
    assert!(
        r.starts_with("HTTP/1.1 200 ") && r.ends_with("\r\n\r\n"),
        "{r}"
    );
}

/// A client that connects and sends nothing gets `408` once the head timeout passes, so it
/// cannot hold a goroutine forever. On the test clock (a child process): auto-advance moves
/// the clock to the handler's read deadline as soon as every goroutine is blocked.
#[test]
fn silent_client_times_out() {
    goro_test_support::in_child("silent_client_times_out", &[], || {
        goro::testing::pause();
        let t0 = goro::now();
        let mut c = std::net::TcpStream::connect(server()).unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 408 "), "{out}");
        assert!(goro::now() >= t0 + std::time::Duration::from_secs(10));
        goro::testing::resume();
    });
}
