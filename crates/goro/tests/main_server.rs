//! `#[goro::main]` end to end: this test binary's `main` is one. It ports the echo server of
//! Go's net package (`ExampleListener` in net/example_test.go), which accepts in the main
//! goroutine and starts a goroutine per connection:
//!
//! ```go
//! l, err := net.Listen("tcp", ":2000")
//! defer l.Close()
//! for {
//!     conn, err := l.Accept()
//!     go func(c net.Conn) { io.Copy(c, c); c.Close() }(conn)
//! }
//! ```
//!
//! Clients are goroutines and plain threads; every byte they send must come back. Then the
//! binary runs itself again, once per case of `GORO_MAIN_CASE`, to check what a `main` ends
//! with: Go's deadlock report (exit 2), an `Err` (exit 1), a panic (exit 101).

use goro::net::{TcpListener, TcpStream};
use goro::prelude::*;
use std::io::{Read, Write};
use std::process::Command;

const CASE: &str = "GORO_MAIN_CASE";
const CLIENTS: usize = 8;
const ROUNDS: usize = 50;

// SAFETY: main and its goroutines hold only sockets, buffers and channels across blocking
// calls; no thread-bound state.
#[goro::main(unsafe, gomaxprocs = 3, stack_size = "128K")]
fn main(sp: Spawner) -> Result<(), String> {
    match std::env::var(CASE).as_deref() {
        Ok("deadlock") => {
            let never = Chan::<()>::new(0);
            let _tx = never.clone(); // held by main, which waits: nobody can ever send
            never.recv();
            unreachable!("the deadlock ends the process");
        }
        Ok("error") => return Err("no config file".into()),
        Ok("panic") => panic!("main panicked"),
        Ok(other) => panic!("unknown {CASE}={other}"),
        Err(_) => {}
    }
    check("main is a goroutine with the attribute's settings", || {
        assert!(goro::debug::goroutine_id().is_some());
        assert_eq!(goro::gomaxprocs(), 3);
        assert_eq!(goro::debug::stack_size(), 128 * 1024);
    });
    check("the Go echo server accepts in the main goroutine", || {
        echo_server(sp)
    });
    let endings = [
        (
            "deadlock",
            2,
            "fatal error: all goroutines are asleep - deadlock!",
        ),
        ("error", 1, "Error: \"no config file\""),
        ("panic", 101, "main panicked"),
    ];
    for (case, code, says) in endings {
        check(&format!("a main ending in {case} exits {code}"), || {
            let out = child(case);
            assert_eq!(out.status.code(), Some(code), "{out:?}");
            assert!(stderr(&out).contains(says), "{out:?}");
        });
    }
    println!("\ntest result: ok. 5 passed; 0 failed");
    Ok(())
}

fn check(name: &str, f: impl FnOnce()) {
    print!("test {name} ... ");
    f();
    println!("ok");
}

fn echo_server(sp: Spawner) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    // Half the clients are goroutines, half plain threads.
    let client = move |i: usize| {
        let mut c = TcpStream::connect(addr).unwrap();
        let mut echoed = 0;
        for r in 0..ROUNDS {
            let msg = format!("client {i} round {r}\n");
            c.write_all(msg.as_bytes()).unwrap();
            let mut back = vec![0; msg.len()];
            c.read_exact(&mut back).unwrap();
            assert_eq!(back, msg.as_bytes());
            echoed += back.len();
        }
        echoed
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            if i % 2 == 0 {
                let h = go!(sp, move || client(i));
                Box::new(move || h.join().unwrap()) as Box<dyn FnOnce() -> usize>
            } else {
                let h = std::thread::spawn(move || client(i));
                Box::new(move || h.join().unwrap())
            }
        })
        .collect();
    let mut conns = Vec::new();
    for _ in 0..CLIENTS {
        // Accepting in the main goroutine; each connection gets a goroutine (`io.Copy(c, c)`).
        let (conn, _) = l.accept().unwrap();
        conns.push(go!(sp, move || {
            let (mut r, mut w) = (&conn, &conn);
            std::io::copy(&mut r, &mut w).unwrap()
        }));
    }
    let sent: usize = clients.into_iter().map(|join| join()).sum();
    // Each client's connection closes as it ends, so each copy ends at EOF.
    let copied: u64 = conns.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(copied as usize, sent);
    let want: usize = (0..CLIENTS)
        .flat_map(|i| (0..ROUNDS).map(move |r| format!("client {i} round {r}\n").len()))
        .sum();
    assert_eq!(sent, want);
}

/// This binary again, with `GORO_MAIN_CASE=case`, under the harness's hang guard; the wait
/// is a blocking call, so it goes through `syscall`.
fn child(case: &str) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(CASE, case);
    goro::syscall(|| goro_test_support::child_output(cmd))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
