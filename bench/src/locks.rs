//! Lock workloads written once over [`Lock`] (the mutex) and [`Spawn`] (what runs the
//! contenders: OS threads, goroutines or coroutines), so every peer runs the same loop.

use crate::{ns_per, report, spec, timed, work, Args};
use std::sync::Arc;
use std::time::Instant;

/// A mutex around a `u64` counter.
pub trait Lock: Send + Sync + 'static {
    /// A new unlocked mutex holding 0.
    fn new() -> Self;
    /// Locks, runs `f` on the counter, unlocks.
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R;
}

/// Waits for a spawned contender to finish.
pub type Join = Box<dyn FnOnce() + Send>;

/// Starts contenders.
pub trait Spawn {
    /// Runs `f` concurrently; the returned closure joins it (panicking if `f` panicked).
    ///
    /// # Safety
    /// `f` may run as a goroutine or coroutine that moves between OS threads whenever it
    /// blocks: it must keep no thread-bound state (a `thread_local!` borrow, a guard that must
    /// be released on the thread that took it) across a blocking call.
    unsafe fn spawn(f: impl FnOnce() + Send + 'static) -> Join;
}

/// Contenders on OS threads.
pub struct Threads;

impl Spawn for Threads {
    unsafe fn spawn(f: impl FnOnce() + Send + 'static) -> Join {
        let h = std::thread::spawn(f);
        Box::new(move || h.join().unwrap())
    }
}

/// `mutex`: `g` contenders share `n` lock/unlock pairs; `work` busy iterations outside the lock
/// after each unlock.
pub fn mutex<L: Lock, S: Spawn>(args: &Args, peer: &str) {
    let g = args.usize("g", 2).max(1);
    let n = args.usize("n", spec::MUTEX_N);
    let iters = args.usize("work", 0);
    let per = n / g;
    let lock = Arc::new(L::new());
    let (d, ()) = timed(|| {
        let joins: Vec<Join> = (0..g)
            .map(|i| {
                let lock = lock.clone();
                // SAFETY: the contender holds an Arc of the lock and takes the lock's guard
                // only inside `with`, released before the next blocking call; nothing in it
                // is thread-bound.
                unsafe {
                    S::spawn(move || {
                        let mut x = i as u64 + 1;
                        for _ in 0..per {
                            lock.with(|c| *c += 1);
                            if iters > 0 {
                                x = work(x, iters);
                            }
                        }
                    })
                }
            })
            .collect();
        joins.into_iter().for_each(|j| j());
    });
    assert_eq!(lock.with(|c| *c), (per * g) as u64);
    report(args, peer, "ns_per_lock", ns_per(d, per * g), &[]);
}

/// `uncontended`: lock+unlock `n` times on the calling thread.
pub fn uncontended<L: Lock>(args: &Args, peer: &str) {
    let n = args.usize("n", spec::UNCONTENDED_N);
    let lock = L::new();
    let (d, ()) = timed(|| {
        for _ in 0..n {
            lock.with(|c| *c += 1);
        }
    });
    assert_eq!(lock.with(|c| *c), n as u64);
    report(args, peer, "ns_per_lock", ns_per(d, n), &[]);
}

/// `mutex-tail`: `g` contenders hammer one lock, each timing every `lock()` call. The value is
/// the longest wait, in µs; `p99_wait_us` and `p999_wait_us` are percentiles over every call
/// (the maximum of one run also catches the OS descheduling a holder; the percentiles less so).
pub fn tail<L: Lock, S: Spawn>(args: &Args, peer: &str) {
    let g = args.usize("g", 4).max(1);
    let n = args.usize("n", spec::MUTEX_N);
    let per = n / g;
    let lock = Arc::new(L::new());
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u32>>();
    // The timer stops when the last contender is joined, as Go's stops at `wg.Wait()`:
    // gathering the waits is outside it.
    let (d, ()) = timed(|| {
        let joins: Vec<Join> = (0..g)
            .map(|_| {
                let lock = lock.clone();
                let tx = tx.clone();
                // SAFETY: the contender holds an Arc of the lock, whose guard lives only inside
                // `with`, and a std Sender of an unbounded channel (whose send never blocks);
                // nothing in it is thread-bound.
                unsafe {
                    S::spawn(move || {
                        // Allocated up front: the loop only stores.
                        let mut waits = Vec::with_capacity(per);
                        for _ in 0..per {
                            let start = Instant::now();
                            let waited = lock.with(|c| {
                                *c += 1;
                                start.elapsed()
                            });
                            waits.push(u32::try_from(waited.as_nanos()).unwrap_or(u32::MAX));
                        }
                        // An unbounded std channel never blocks the sender.
                        tx.send(waits).unwrap();
                    })
                }
            })
            .collect();
        joins.into_iter().for_each(|j| j());
    });
    drop(tx);
    let mut waits: Vec<u32> = rx.iter().flatten().collect();
    assert_eq!(lock.with(|c| *c), (per * g) as u64);
    let us = |ns: u32| f64::from(ns) / 1e3;
    let worst = waits.iter().copied().max().unwrap_or(0);
    let p999 = percentile(&mut waits, 99.9);
    let p99 = percentile(&mut waits, 99.0);
    report(
        args,
        peer,
        "max_wait_us",
        us(worst),
        &[
            ("p999_wait_us", us(p999)),
            ("p99_wait_us", us(p99)),
            ("ns_per_lock", ns_per(d, per * g)),
        ],
    );
}

/// The `pct` percentile of `v` (reorders `v`); 0 when empty.
pub fn percentile(v: &mut [u32], pct: f64) -> u32 {
    if v.is_empty() {
        return 0;
    }
    let k = ((v.len() as f64 * pct / 100.0).ceil() as usize).clamp(1, v.len()) - 1;
    *v.select_nth_unstable(k).1
}

/// `std::sync::Mutex`.
pub struct StdMutex(std::sync::Mutex<u64>);

impl Lock for StdMutex {
    fn new() -> Self {
        StdMutex(std::sync::Mutex::new(0))
    }
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
}

/// `parking_lot::Mutex`.
pub struct ParkingLot(parking_lot::Mutex<u64>);

impl Lock for ParkingLot {
    fn new() -> Self {
        ParkingLot(parking_lot::Mutex::new(0))
    }
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles() {
        let mut v: Vec<u32> = (1..=1000).rev().collect();
        assert_eq!(percentile(&mut v, 99.9), 999);
        assert_eq!(percentile(&mut v, 99.0), 990);
        assert_eq!(percentile(&mut v, 100.0), 1000);
        assert_eq!(percentile(&mut [], 50.0), 0);
    }
}
