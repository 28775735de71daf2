//! Counts every message across plain and select producers, plain and select consumers, and
//! closes racing with sends: nothing lost, nothing duplicated. A value either reaches a
//! consumer or comes back to its producer in a `SendError`, exactly once.
#![cfg(not(loom))]

use gochan::{select, Chan, SendError};
use goro_test_support::{go, Mode, MODES};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const CAPS: [usize; 3] = [0, 1, 8];
const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const PER_PRODUCER: usize = 10_000;

fn run(mode: Mode) {
    let chans: Vec<Chan<usize>> = CAPS.iter().map(|&c| Chan::new(c)).collect();
    let received = Arc::new(AtomicUsize::new(0));

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let chans = chans.clone();
            go(mode, p, move || {
                let mut returned = Vec::new();
                for i in 0..PER_PRODUCER {
                    let id = p * PER_PRODUCER + i;
                    let r = if p % 2 == 0 {
                        chans[id % CAPS.len()].send(id)
                    } else {
                        select! {
                            send(chans[0], id) -> r => r,
                            send(chans[1], id) -> r => r,
                            send(chans[2], id) -> r => r,
                        }
                    };
                    if let Err(SendError(v)) = r {
                        assert_eq!(v, id);
                        returned.push(v);
                    }
                }
                returned
            })
        })
        .collect();

    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let mut chans = chans.clone();
            let received = received.clone();
            go(mode, c + PRODUCERS, move || {
                let mut got = Vec::new();
                if c % 2 == 0 {
                    for v in &chans[c % CAPS.len()] {
                        got.push(v);
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                } else {
                    let mut open = CAPS.len();
                    while open > 0 {
                        let (k, v) = select! {
                            recv(chans[0]) -> v => (0, v),
                            recv(chans[1]) -> v => (1, v),
                            recv(chans[2]) -> v => (2, v),
                        };
                        match v {
                            Some(v) => {
                                got.push(v);
                                received.fetch_add(1, Ordering::Relaxed);
                            }
                            None => {
                                chans[k] = Chan::nil();
                                open -= 1;
                            }
                        }
                    }
                }
                got
            })
        })
        .collect();

    // Close channel 0 while the producers are still sending.
    while received.load(Ordering::Relaxed) < PRODUCERS * PER_PRODUCER / 3 {
        gmp_sched::yield_now();
    }
    chans[0].close();

    let mut all = Vec::new();
    for p in producers {
        all.extend(p.join());
    }
    let returned = all.len();
    chans[1].close();
    chans[2].close();
    for c in consumers {
        all.extend(c.join());
    }
    all.sort_unstable();
    let total = PRODUCERS * PER_PRODUCER;
    assert_eq!(all.len(), total, "{mode:?}: {returned} returned");
    assert!(
        all.iter().copied().eq(0..total),
        "{mode:?}: lost or duplicated values"
    );
}

#[test]
fn every_message_counted() {
    for mode in MODES {
        run(mode);
    }
}
