//! Goroutines and async Rust in one program: a tokio server and tokio tasks on one side,
//! goroutines on the other, talking over goro channels and awaiting each other.
//!
//! 1. From async code to goroutines: tokio tasks feed jobs into a goro channel with
//!    `send_async` and collect the results with `recv_async`; goroutines do the work with the
//!    ordinary blocking calls. One channel serves tasks and goroutines at once.
//! 2. Awaiting goroutines: a tokio task awaits a goroutine's `JoinHandle`, a `WaitGroup`
//!    and a `goro::Mutex` the goroutines share.
//! 3. From goroutines to async code: a goroutine calls a real async library (tokio's
//!    `TcpStream`, against a tokio echo server on 127.0.0.1) with
//!    `goro::block_on(handle.spawn(fut))`: the future runs on tokio's reactor, and only the
//!    goroutine waits for it, not its thread.
//! 4. Cancellation: a `recv_async` cut short by `tokio::select!` loses no value.
//!
//! Run: `cargo run --release -p goro --example async_bridge`

use goro::prelude::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() {
    // SAFETY: the goroutines below hold channels, goro locks, Arcs and a tokio `Handle`
    // across blocking calls, nothing thread-bound.
    let sp = unsafe { Spawner::new() };
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let handle = rt.handle().clone();

    // 1. Jobs from tokio tasks, done by goroutines, results back to a tokio task.
    let jobs = Chan::<u64>::new(0);
    let results = Chan::<(u64, u64)>::new(16);
    let workers = WaitGroup::new();
    for _ in 0..4 {
        let (jobs, results) = (jobs.clone(), results.clone());
        workers.add(1);
        let wg = workers.clone();
        go!(sp, move || {
            for n in &jobs {
                results.send((n, (1..=n).product())).unwrap(); // n!
            }
            wg.done();
        });
    }
    let feeders: Vec<_> = (0..2u64)
        .map(|f| {
            let jobs = jobs.clone();
            rt.spawn(async move {
                for n in (1..=10).filter(|n| n % 2 == f) {
                    jobs.send_async(n).await.unwrap();
                }
            })
        })
        .collect();
    let sum = rt.block_on(async {
        for f in feeders {
            f.await.unwrap();
        }
        jobs.close();
        // 2. Await the goroutines: their WaitGroup, then close the results.
        workers.wait_async().await;
        results.close();
        let mut sum = 0;
        while let Some((n, fact)) = results.recv_async().await {
            println!("tokio task got {n}! = {fact}");
            sum += fact;
        }
        sum
    });
    println!("sum of 1!..10! = {sum}");
    assert_eq!(sum, 4_037_913);

    // 2. A goroutine's JoinHandle and a Mutex shared with goroutines, awaited by tokio.
    let hits = std::sync::Arc::new(Mutex::new(0u32));
    let h = {
        let hits = hits.clone();
        go!(sp, move || {
            for _ in 0..1000 {
                *hits.lock() += 1;
            }
            "goroutine done"
        })
    };
    let msg = rt.block_on(async {
        for _ in 0..1000 {
            *hits.lock_async().await += 1;
        }
        h.await.unwrap()
    });
    println!("{msg}; hits = {}", *hits.lock());
    assert_eq!(*hits.lock(), 2000);

    // 3. A goroutine calls tokio's TcpStream against a tokio echo server.
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        loop {
            let (mut conn, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut r, mut w) = conn.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    let clients: Vec<_> = (0..3)
        .map(|i| {
            let handle = handle.clone();
            go!(sp, move || {
                // The future needs tokio's reactor: run it there, wait for it here.
                let reply = goro::block_on(handle.spawn(async move {
                    let mut s = tokio::net::TcpStream::connect(addr).await?;
                    s.write_all(format!("hello {i}").as_bytes()).await?;
                    let mut buf = vec![0; 7];
                    s.read_exact(&mut buf).await?;
                    Ok::<_, std::io::Error>(String::from_utf8_lossy(&buf).into_owned())
                }))
                .expect("the task ran")
                .expect("the echo");
                println!("goroutine {i} got {reply:?} back from the tokio server");
                reply
            })
        })
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        assert_eq!(c.join().unwrap(), format!("hello {i}"));
    }

    // 4. A receive cut short by tokio::select! loses nothing: a value it was given passes on.
    let ch = Chan::<&str>::new(0);
    let tx = ch.clone();
    go!(sp, move || tx.send("kept").unwrap());
    let got = rt.block_on(async {
        loop {
            tokio::select! {
                v = ch.recv_async() => break v,
                _ = tokio::time::sleep(Duration::from_micros(10)) => continue,
            }
        }
    });
    println!("after cancelled receives: {got:?}");
    assert_eq!(got, Some("kept"));
}
