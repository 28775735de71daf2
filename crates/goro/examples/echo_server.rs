//! goro's side of the `echo` benchmark: a TCP echo server with one goroutine per
//! connection, written as one writes it in Go:
//!
//! ```go
//! for { c, _ := l.Accept(); go func() { io.Copy(c, c); c.Close() }() }
//! ```
//!
//! As in Go, `main` is a goroutine (`#[goro::main]`): it accepts, and each connection's
//! goroutine goes to its P's `runnext`, so it runs next, on the same thread. Each connection's
//! goroutine reads into a buffer and writes back what it read; a read or write that would
//! block parks only that goroutine (gopoll's netpoller). As in Go's net package, accepted
//! connections have `TCP_NODELAY` on.
//!
//! ```text
//! cargo run --release -p goroutines --example echo_server -- [ADDR] [--max-conns N]
//! ```
//!
//! `ADDR` defaults to `127.0.0.1:7000` (`127.0.0.1:0` picks a free port). Once listening it
//! prints `listening on <addr>` on stdout, so a load driver can wait for that line and
//! read the port. `--max-conns N` exits after N connections have come and gone (for smoke
//! tests); without it the server runs until killed. `GOMAXPROCS` sets the number of Ps.

use goro::net::TcpListener;
use goro::Spawner;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

// SAFETY: main and each connection's goroutine own only sockets, a buffer and an Arc of an
// atomic across their blocking accepts, reads and writes: no thread-bound state.
#[goro::main(unsafe)]
fn main(sp: Spawner) -> std::io::Result<()> {
    let mut addr = "127.0.0.1:7000".to_string();
    let mut max_conns = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--max-conns" => {
                let n = args.next().and_then(|n| n.parse::<usize>().ok());
                max_conns = Some(n.expect("--max-conns takes a number"));
            }
            "-h" | "--help" => {
                println!("usage: echo_server [ADDR] [--max-conns N]");
                return Ok(());
            }
            _ => addr = a,
        }
    }

    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;

    let live = Arc::new(AtomicUsize::new(0));
    let mut handlers = Vec::new();
    let mut accepted = 0usize;
    while max_conns.is_none_or(|m| accepted < m) {
        let conn = match listener.accept() {
            Ok((c, _)) => c,
            Err(e) => {
                // Out of fds (EMFILE) and the like: say so and keep serving the others.
                eprintln!("accept: {e}");
                goro::sleep(std::time::Duration::from_millis(5));
                continue;
            }
        };
        accepted += 1;
        live.fetch_add(1, Ordering::Relaxed);
        let live = live.clone();
        let h = goro::go!(sp, move || {
            let mut buf = [0u8; 4096];
            loop {
                match (&conn).read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if (&conn).write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            live.fetch_sub(1, Ordering::Relaxed);
        });
        if max_conns.is_some() {
            handlers.push(h);
        }
    }
    for h in handlers {
        let _ = h.join();
    }
    Ok(())
}
