//! The async bridge across crates: tokio tasks on one side, goroutines (and threads) on the
//! other, over goro channels, with futures cancelled at random mid-wait by `tokio::select!`
//! and `tokio::time::timeout`; every message is counted both ways. And the other direction:
//! goroutines `block_on` futures that tokio runs. Each scenario runs at GOMAXPROCS 1 and 2,
//! in a child process of its own.
//!
//! Not a port of a Go test file: Go has no async Rust to meet.

use goro::{block_on, Chan, WaitGroup};
use goro_test_support::{goroutine, in_child};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Values per tokio producer, producers, goroutine relays, tokio consumers.
const PER: u64 = 1500;
const PRODUCERS: u64 = 3;
const RELAYS: usize = 3;
const CONSUMERS: usize = 3;

/// A small xorshift for cancellation points: deterministic per task, no timing decides a
/// result (only where a wait is cut short, and every outcome is counted the same).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// tokio producers -> `to_go` -> goroutine relays -> `to_tokio` -> tokio consumers.
fn tokio_and_goroutines_count_every_message() {
    let rt = runtime();
    let total = PER * PRODUCERS;
    let to_go = Chan::<u64>::new(0);
    let to_tokio = Chan::<u64>::new(1);
    let seen_go: Arc<Vec<AtomicUsize>> =
        Arc::new((0..total).map(|_| AtomicUsize::new(0)).collect());
    let seen_tokio: Arc<Vec<AtomicUsize>> =
        Arc::new((0..total).map(|_| AtomicUsize::new(0)).collect());
    let cancelled = Arc::new(AtomicUsize::new(0));

    // Goroutine relays: blocking receives and sends.
    let relays = WaitGroup::new();
    for _ in 0..RELAYS {
        let (rx, tx, seen) = (to_go.clone(), to_tokio.clone(), seen_go.clone());
        let wg = relays.clone();
        wg.add(1);
        goroutine(move || {
            for v in &rx {
                seen[v as usize].fetch_add(1, Ordering::Relaxed);
                tx.send(v).unwrap();
            }
            wg.done();
        });
    }
    // Close `to_tokio` once every relay is done, from a goroutine awaiting nothing async.
    {
        let (wg, tx) = (relays.clone(), to_tokio.clone());
        goroutine(move || {
            wg.wait();
            tx.close();
        });
    }

    // tokio producers: each value goes through `send_async` futures that a select! or a
    // timeout may cut short; `cancel` hands an undelivered value back for the next try.
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (tx, cancelled) = (to_go.clone(), cancelled.clone());
            rt.spawn(async move {
                let mut rng = Rng(0x9E37_79B9 + p);
                for v in p * PER..(p + 1) * PER {
                    let mut value = v;
                    loop {
                        let mut fut = pin!(tx.send_async(value));
                        let r = rng.next() % 4;
                        let sent = if r == 0 {
                            // Branches in random order: the send may be cut short even after
                            // a receiver took the value (then `cancel` says so).
                            tokio::select! {
                                r = &mut fut => { r.unwrap(); true }
                                _ = tokio::time::sleep(Duration::from_micros(rng.next() % 50)) => false,
                            }
                        } else if r == 3 {
                            // A select! that prefers a yield: the send is cut short whenever
                            // it cannot complete at once.
                            tokio::select! {
                                biased;
                                r = &mut fut => { r.unwrap(); true }
                                _ = tokio::task::yield_now() => false,
                            }
                        } else if r == 1 {
                            tokio::time::timeout(Duration::from_micros(rng.next() % 50), &mut fut)
                                .await
                                .map(|r| r.unwrap())
                                .is_ok()
                        } else {
                            fut.as_mut().await.unwrap();
                            true
                        };
                        if sent {
                            break;
                        }
                        cancelled.fetch_add(1, Ordering::Relaxed);
                        match fut.as_mut().cancel() {
                            Some(back) => value = back, // not delivered: try again
                            None => break,              // delivered after all
                        }
                    }
                }
            })
        })
        .collect();

    // tokio consumers: receives cut short by select!, by timeouts (the future is dropped:
    // a chosen one passes its value on) and by `cancel` (which keeps it).
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let (rx, seen, cancelled) = (to_tokio.clone(), seen_tokio.clone(), cancelled.clone());
            rt.spawn(async move {
                let mut rng = Rng(0x51_7CC1 + c as u64);
                let mut count = 0usize;
                loop {
                    let got = match rng.next() % 4 {
                        0 => {
                            // A yield that wins on the select!'s second poll: the receive
                            // was linked on the first and may have been chosen meanwhile;
                            // then it is dropped unpolled and its value passes on to
                            // another receiver.
                            tokio::select! {
                                biased;
                                _ = tokio::task::yield_now() => {
                                    cancelled.fetch_add(1, Ordering::Relaxed);
                                    continue;
                                }
                                v = rx.recv_async() => v,
                            }
                        }
                        3 => match tokio::time::timeout(
                            Duration::from_micros(rng.next() % 50),
                            rx.recv_async(),
                        )
                        .await
                        {
                            Ok(v) => v,
                            Err(_) => {
                                cancelled.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                        },
                        1 => {
                            let mut fut = pin!(rx.recv_async());
                            tokio::select! {
                                biased;
                                v = &mut fut => v,
                                _ = tokio::task::yield_now() => {
                                    cancelled.fetch_add(1, Ordering::Relaxed);
                                    match fut.as_mut().cancel() {
                                        Some(v) => Some(v), // it had been chosen: ours
                                        None => continue,
                                    }
                                }
                            }
                        }
                        _ => rx.recv_async().await,
                    };
                    match got {
                        Some(v) => {
                            seen[v as usize].fetch_add(1, Ordering::Relaxed);
                            count += 1;
                        }
                        None => return count,
                    }
                }
            })
        })
        .collect();

    rt.block_on(async {
        for p in producers {
            p.await.unwrap();
        }
    });
    to_go.close();
    let received: usize = rt.block_on(async {
        let mut n = 0;
        for c in consumers {
            n += c.await.unwrap();
        }
        n
    });
    assert_eq!(received as u64, total);
    for (v, n) in seen_go.iter().enumerate() {
        assert_eq!(n.load(Ordering::Relaxed), 1, "goroutines saw {v}");
    }
    for (v, n) in seen_tokio.iter().enumerate() {
        assert_eq!(n.load(Ordering::Relaxed), 1, "tokio saw {v}");
    }
    assert!(
        cancelled.load(Ordering::Relaxed) > 0,
        "no future was cut short"
    );
}

#[test]
fn tokio_and_goroutines_count_every_message_gomaxprocs_1() {
    in_child(
        "tokio_and_goroutines_count_every_message_gomaxprocs_1",
        &[("GOMAXPROCS", "1")],
        tokio_and_goroutines_count_every_message,
    );
}

#[test]
fn tokio_and_goroutines_count_every_message_gomaxprocs_2() {
    in_child(
        "tokio_and_goroutines_count_every_message_gomaxprocs_2",
        &[("GOMAXPROCS", "2")],
        tokio_and_goroutines_count_every_message,
    );
}

/// Goroutines `block_on` futures that need tokio's reactor (a timer, a socket), spawned on
/// the runtime: `block_on(handle.spawn(fut))`. The goroutine parks, its thread runs others.
fn goroutines_block_on_tokio_futures() {
    let rt = runtime();
    let handle = rt.handle().clone();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    // A tokio echo server.
    rt.spawn(async move {
        loop {
            let (mut conn, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut r, mut w) = conn.split();
                tokio::io::copy(&mut r, &mut w).await.unwrap();
            });
        }
    });
    let clients: Vec<_> = (0..8u64)
        .map(|i| {
            let handle = handle.clone();
            goroutine(move || {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let slept = block_on(handle.spawn(async move {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    i
                }))
                .unwrap();
                let echoed = block_on(handle.spawn(async move {
                    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
                    s.write_all(&i.to_le_bytes()).await.unwrap();
                    let mut buf = [0u8; 8];
                    s.read_exact(&mut buf).await.unwrap();
                    u64::from_le_bytes(buf)
                }))
                .unwrap();
                (slept, echoed)
            })
        })
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        assert_eq!(c.join().unwrap(), (i as u64, i as u64));
    }
}

#[test]
fn goroutines_block_on_tokio_futures_gomaxprocs_1() {
    in_child(
        "goroutines_block_on_tokio_futures_gomaxprocs_1",
        &[("GOMAXPROCS", "1")],
        goroutines_block_on_tokio_futures,
    );
}

#[test]
fn goroutines_block_on_tokio_futures_gomaxprocs_2() {
    in_child(
        "goroutines_block_on_tokio_futures_gomaxprocs_2",
        &[("GOMAXPROCS", "2")],
        goroutines_block_on_tokio_futures,
    );
}

/// tokio tasks await goroutines: a `JoinHandle`, a `WaitGroup`, a `Mutex` shared with them.
#[test]
fn tokio_tasks_await_goroutines() {
    let rt = runtime();
    let m = Arc::new(goro::Mutex::new(0u64));
    let wg = WaitGroup::new();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (m, wg) = (m.clone(), wg.clone());
            wg.add(1);
            goroutine(move || {
                for _ in 0..200 {
                    *m.lock() += 1;
                    goro::yield_now();
                }
                wg.done();
                7u64
            })
        })
        .collect();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            rt.spawn(async move {
                for _ in 0..200 {
                    *m.lock_async().await += 1;
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let sum: u64 = rt.block_on(async {
        wg.wait_async().await;
        for t in tasks {
            t.await.unwrap();
        }
        let mut sum = 0;
        for w in workers {
            sum += w.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 28);
    assert_eq!(*m.lock(), 1600);
}
