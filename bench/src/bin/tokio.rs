//! tokio tasks as the goroutine peer. `procs=1` runs the current-thread runtime, otherwise the
//! multi-thread runtime with `procs` workers; the driver of each workload is itself a spawned
//! task, as Go's is a goroutine. Channels are `tokio::sync::mpsc` (capacity at least 1: tokio has
//! no rendezvous channel, so `pingpong` uses capacity 1 each way) and `oneshot`; the `echo`
//! server is `tokio::net` with a task per connection.

use goro_bench::{
    ms, ns_per, report, report_fairness, rss_kib, skynet_sum, spec, unsupported, Args,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

const PEER: &str = "tokio";

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

fn main() {
    let args = Args::from_env();
    goro_bench::exit_on_panic();
    if args.workload.ends_with("-server") {
        goro_bench::echo::raise_nofile_limit();
    }
    let procs = args.procs();
    let rt = if procs == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(procs)
            .enable_all()
            .build()
    }
    .expect("tokio runtime");
    let a = args.clone();
    rt.block_on(async move {
        tokio::spawn(async move {
            match a.workload.as_str() {
                "spawn" => spawn(&a).await,
                "yield" => yield_(&a).await,
                "parked" => parked(&a).await,
                "pingpong" => pingpong(&a).await,
                // The tokio side of goro's `bridge-pingpong`: task to task over mpsc.
                "bridge-pingpong" => pingpong(&a).await,
                "select" => select(&a).await,
                "skynet" => skynet_run(&a).await,
                "fairness" => fairness(&a).await,
                "echo-server" => echo_server().await,
                "http-server" => http_server().await,
                _ => unsupported(&a, PEER),
            }
        })
        .await
        .unwrap();
    });
}

async fn spawn(args: &Args) {
    let n = args.usize("n", spec::SPAWN_N);
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0usize;
    for h in handles {
        sum += h.await.unwrap();
    }
    let d = start.elapsed();
    assert_eq!(sum, n * (n - 1) / 2);
    report(args, PEER, "ns_per_spawn", ns_per(d, n), &[("ms", ms(d))]);
}

async fn yield_(args: &Args) {
    let n = args.usize("n", spec::YIELD_N);
    let start = Instant::now();
    let hs: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(async move {
                for _ in 0..n {
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for h in hs {
        h.await.unwrap();
    }
    report(
        args,
        PEER,
        "ns_per_yield",
        ns_per(start.elapsed(), 2 * n),
        &[],
    );
}

async fn parked(args: &Args) {
    let n = args.usize("n", spec::PARKED_N);
    let before = rss_kib().unwrap_or(0);
    let ready = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::with_capacity(n);
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (tx, rx) = oneshot::channel::<()>();
        let ready = ready.clone();
        senders.push(tx);
        handles.push(tokio::spawn(async move {
            ready.fetch_add(1, Ordering::Relaxed);
            rx.await.unwrap();
        }));
    }
    while ready.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let during = rss_kib().unwrap_or(0);
    for tx in senders {
        tx.send(()).unwrap();
    }
    for h in handles {
        h.await.unwrap();
    }
    let per = during.saturating_sub(before) as f64 * 1024.0 / n as f64;
    report(args, PEER, "bytes_per_g", per, &[]);
}

async fn pingpong(args: &Args) {
    let n = args.usize("n", spec::PINGPONG_N);
    let d = goro_bench::tokio_mpsc_pingpong(n).await;
    report(args, PEER, "ns_per_op", ns_per(d, n), &[]);
}

async fn select(args: &Args) {
    let n = args.usize("n", spec::SELECT_N);
    let cap = args.usize("cap", 100).max(1);
    let per = n / spec::SELECT_CASES;
    let start = Instant::now();
    let mut rxs = Vec::new();
    for _ in 0..spec::SELECT_CASES {
        let (tx, rx) = mpsc::channel::<u64>(cap);
        rxs.push(rx);
        tokio::spawn(async move {
            for i in 0..per as u64 {
                tx.send(i).await.unwrap();
            }
        });
    }
    let [mut r0, mut r1, mut r2, mut r3]: [mpsc::Receiver<u64>; 4] =
        rxs.try_into().expect("four channels");
    let mut open = [true; 4];
    let mut got = 0usize;
    loop {
        tokio::select! {
            v = r0.recv(), if open[0] => match v { Some(_) => got += 1, None => open[0] = false },
            v = r1.recv(), if open[1] => match v { Some(_) => got += 1, None => open[1] = false },
            v = r2.recv(), if open[2] => match v { Some(_) => got += 1, None => open[2] = false },
            v = r3.recv(), if open[3] => match v { Some(_) => got += 1, None => open[3] = false },
            else => break,
        }
    }
    let d = start.elapsed();
    assert_eq!(got, per * spec::SELECT_CASES);
    report(args, PEER, "ns_per_select", ns_per(d, got), &[]);
}

/// Classic skynet: every node makes a channel, spawns its ten children, each of which sends
/// its sum back on it.
fn skynet(out: mpsc::Sender<u64>, num: u64, size: u64, div: u64) -> BoxFuture {
    Box::pin(async move {
        if size == 1 {
            out.send(num).await.unwrap();
            return;
        }
        let (tx, mut rx) = mpsc::channel::<u64>(1);
        for i in 0..div {
            tokio::spawn(skynet(tx.clone(), num + i * (size / div), size / div, div));
        }
        let mut sum = 0;
        for _ in 0..div {
            sum += rx.recv().await.unwrap();
        }
        out.send(sum).await.unwrap();
    })
}

async fn skynet_run(args: &Args) {
    let size = args.usize("size", spec::SKYNET_SIZE) as u64;
    let start = Instant::now();
    let (tx, mut rx) = mpsc::channel::<u64>(1);
    tokio::spawn(skynet(tx, 0, size, 10));
    let sum = rx.recv().await.unwrap();
    let d = start.elapsed();
    assert_eq!(sum, skynet_sum(size));
    report(args, PEER, "ms", ms(d), &[]);
}

async fn fairness(args: &Args) {
    let n = args.usize("n", spec::FAIRNESS_N);
    let mut txs = Vec::new();
    let mut rxs = Vec::new();
    for _ in 0..spec::SELECT_CASES {
        let (tx, rx) = mpsc::channel::<u64>(1);
        tx.send(0).await.unwrap();
        txs.push(tx);
        rxs.push(rx);
    }
    let [mut r0, mut r1, mut r2, mut r3]: [mpsc::Receiver<u64>; 4] =
        rxs.try_into().expect("four channels");
    let mut counts = [0u64; 4];
    for _ in 0..n {
        let i = tokio::select! {
            Some(_) = r0.recv() => 0,
            Some(_) = r1.recv() => 1,
            Some(_) = r2.recv() => 2,
            Some(_) = r3.recv() => 3,
        };
        counts[i] += 1;
        txs[i].send(0).await.unwrap();
    }
    report_fairness(args, PEER, &counts);
}

/// Listens on 127.0.0.1:0, says where (`goro_bench::echo::server_listening`) and runs
/// `serve(conn)` as a task for every connection, with `TCP_NODELAY` (Go's default).
async fn serve_each<F, Fut>(serve: F)
where
    F: Fn(tokio::net::TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    goro_bench::echo::server_listening(listener.local_addr().expect("local_addr"));
    loop {
        match listener.accept().await {
            Ok((conn, _)) => {
                let _ = conn.set_nodelay(true);
                tokio::spawn(serve(conn));
            }
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

/// The `http` server (`goro_bench::http`): a task per connection, `goro_bench::http::serve`'s
/// loop written with `.await`.
async fn http_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    serve_each(|mut conn| async move {
        let mut session = goro_bench::http::Session::new();
        while let Ok(n @ 1..) = conn.read(session.spare()).await {
            match session.answer(n) {
                Some(out) if conn.write_all(out).await.is_ok() => {}
                _ => return,
            }
        }
    })
    .await
}

/// The `echo` server (`goro_bench::echo`): a task per connection.
async fn echo_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    serve_each(|mut conn| async move {
        let mut buf = [0u8; goro_bench::echo::SERVER_BUF];
        while let Ok(n @ 1..) = conn.read(&mut buf).await {
            if conn.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    })
    .await
}
