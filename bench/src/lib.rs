//! Benchmark workloads for goro and its peers, driven by `cargo xtask bench`.
//!
//! Every peer is its own binary (`bench-goro`, `bench-may`, `bench-tokio`, `bench-threads`,
//! `bench-crossbeam`, `bench-flume`, `bench-parking-lot`, `bench-std`; the Go versions live in
//! `bench/go`). The `echo` workload is the exception: the harness runs `bench-echo-client`,
//! which starts the peer's `echo-server` and drives it (see [`echo`]). Each is run as
//!
//! ```text
//! BIN WORKLOAD [key=value ..]
//! ```
//!
//! and prints exactly one line that the harness parses:
//!
//! ```text
//! RESULT workload=pingpong peer=goro metric=ns_per_op value=123.4 peak_rss_kib=2048 [extra=..]
//! ```
//!
//! `value` is always lower-is-better, so `goro / peer` below 1 means goro wins. The harness sets
//! `GOMAXPROCS` and passes `procs=N` to every peer: Go and goro read the variable, tokio and may
//! size their worker pools from `procs`, and the thread-based peers pin themselves to `procs`
//! CPUs (see [`pin_to_cpus`]) so that a "one P" run means one CPU for them too.
//!
//! This library holds what every binary shares: argument parsing, the result line, memory
//! readings and the shape of the workloads ([`spec`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

pub mod echo;
pub mod http;
pub mod idle;
pub mod locks;
pub mod spec;
pub mod threaded;

/// The command line of a workload binary: a workload name and `key=value` parameters.
#[derive(Debug, Clone)]
pub struct Args {
    /// The workload to run (`spawn`, `pingpong`, ...).
    pub workload: String,
    params: BTreeMap<String, String>,
}

impl Args {
    /// Parses `std::env::args()`; exits with a usage message when no workload is named.
    pub fn from_env() -> Args {
        let mut it = std::env::args().skip(1);
        let Some(workload) = it.next() else {
            eprintln!("usage: BIN WORKLOAD [key=value ..]");
            std::process::exit(2);
        };
        let mut params = BTreeMap::new();
        for kv in it {
            match kv.split_once('=') {
                Some((k, v)) => {
                    params.insert(k.to_string(), v.to_string());
                }
                None => {
                    eprintln!("bad parameter `{kv}`: expected key=value");
                    std::process::exit(2);
                }
            }
        }
        Args { workload, params }
    }

    /// The integer parameter `key`, or `default` when absent. Exits on a malformed value.
    pub fn usize(&self, key: &str, default: usize) -> usize {
        match self.params.get(key) {
            None => default,
            Some(v) => v.replace('_', "").parse().unwrap_or_else(|_| {
                eprintln!("parameter {key}={v}: not a number");
                std::process::exit(2);
            }),
        }
    }

    /// The text parameter `key`, if given.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// `procs=N`: the P count the harness gave this run (default: the CPUs available).
    pub fn procs(&self) -> usize {
        self.usize("procs", available_cpus())
    }
}

/// Prints the `RESULT` line for this run and returns.
///
/// `value` is in `metric` units and lower is better. `extra` adds more `key=value` fields; the
/// peak RSS (`peak_rss_kib`) is always added.
pub fn report(args: &Args, peer: &str, metric: &str, value: f64, extra: &[(&str, f64)]) {
    let mut line = format!(
        "RESULT workload={} peer={peer} metric={metric} value={value:.3}",
        args.workload
    );
    for (k, v) in extra {
        let _ = write!(line, " {k}={v:.3}");
    }
    if let Some(hwm) = peak_rss_kib() {
        let _ = write!(line, " peak_rss_kib={hwm}");
    }
    println!("{line}");
}

/// Exits with a message saying this peer has no version of `args.workload`.
pub fn unsupported(args: &Args, peer: &str) -> ! {
    eprintln!("peer {peer} has no `{}` workload", args.workload);
    std::process::exit(3);
}

/// Makes any panic, on any thread, goroutine or coroutine, end the process at once (exit
/// status 101) after the usual message. A runtime that catches a panic in a coroutine could
/// otherwise leave the workload waiting forever for a result that never comes.
pub fn exit_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        std::process::exit(101);
    }));
}

/// Nanoseconds per operation.
pub fn ns_per(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_nanos() as f64 / ops.max(1) as f64
}

/// Milliseconds in `d`.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Times `f`.
pub fn timed<R>(f: impl FnOnce() -> R) -> (Duration, R) {
    let start = Instant::now();
    let r = f();
    (start.elapsed(), r)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The process's resident set now (`VmRSS`), in KiB; None off Linux.
pub fn rss_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

/// The process's peak resident set (`VmHWM`), in KiB; None off Linux.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// The CPUs this process may run on (its affinity mask), at least 1.
pub fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The CPUs in this thread's affinity mask, in order (empty off Linux or on failure).
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is plain data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a valid, writable cpu_set_t of `size` bytes.
    if unsafe { libc::sched_getaffinity(0, size, &mut set) } != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` < CPU_SETSIZE, within the set.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

/// Restricts the calling thread, and every thread or process it starts later, to `cpus`.
pub fn pin_to_set(cpus: &[usize]) {
    // SAFETY: `cpu_set_t` is plain data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus.iter().filter(|&&c| c < libc::CPU_SETSIZE as usize) {
        // SAFETY: `cpu` < CPU_SETSIZE, within the set.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a valid cpu_set_t of `size` bytes; pid 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, size, &set) } != 0 {
        eprintln!(
            "sched_setaffinity failed: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Restricts this process (its current thread and every thread it starts later) to the first
/// `n` CPUs of its affinity mask: how the thread-based peers honour a P count. No-op when `n`
/// covers them all.
pub fn pin_to_cpus(n: usize) {
    // SAFETY: `cpu_set_t` is plain data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a valid, writable cpu_set_t of `size` bytes.
    if unsafe { libc::sched_getaffinity(0, size, &mut set) } != 0 {
        return;
    }
    let mut kept = 0;
    for cpu in 0..libc::CPU_SETSIZE as usize {
        // SAFETY: `cpu` < CPU_SETSIZE, within the set.
        if unsafe { libc::CPU_ISSET(cpu, &set) } {
            if kept < n {
                kept += 1;
            } else {
                // SAFETY: as above.
                unsafe { libc::CPU_CLR(cpu, &mut set) };
            }
        }
    }
    // SAFETY: `set` is a valid cpu_set_t of `size` bytes; pid 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, size, &set) } != 0 {
        eprintln!(
            "sched_setaffinity failed: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// A cheap xorshift step, so busy work outside a lock cannot be optimised away.
#[inline]
pub fn work(mut x: u64, iters: usize) -> u64 {
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    std::hint::black_box(x)
}

/// Fairness result: the largest distance of any case's share from an even split, in percent
/// points (`counts` are how often each case was chosen).
pub fn max_share_deviation(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let even = 100.0 / counts.len() as f64;
    counts
        .iter()
        .map(|&c| (c as f64 * 100.0 / total.max(1) as f64 - even).abs())
        .fold(0.0, f64::max)
}

/// Reports a fairness run: max deviation, plus each case's share.
pub fn report_fairness(args: &Args, peer: &str, counts: &[u64]) {
    let total: u64 = counts.iter().sum::<u64>().max(1);
    let shares: Vec<(String, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| (format!("share{i}_pct"), c as f64 * 100.0 / total as f64))
        .collect();
    let extra: Vec<(&str, f64)> = shares.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    report(
        args,
        peer,
        "max_dev_pct",
        max_share_deviation(counts),
        &extra,
    );
}

/// Reports a `fairness-hog` run: hog units / light units, infinite when either pair never ran
/// (the report shows it as "starved"; the counts, also reported, say which).
pub fn report_hog_ratio(args: &Args, peer: &str, hog: u64, light: u64) {
    let ratio = if hog == 0 || light == 0 {
        f64::INFINITY
    } else {
        hog as f64 / light as f64
    };
    let counts = [("hog_units", hog as f64), ("light_units", light as f64)];
    report(args, peer, "hog_per_light", ratio, &counts);
}

/// Samples a count (live goroutines) every 200 us on a plain thread and keeps its peak:
/// how far a workload fans out at once. [`PeakSampler::stop`] returns the peak.
pub struct PeakSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<usize>,
}

impl PeakSampler {
    /// Starts sampling `count` every 200 us.
    pub fn start(count: fn() -> usize) -> PeakSampler {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(Ordering::Relaxed) {
                peak = peak.max(count());
                std::thread::sleep(Duration::from_micros(200));
            }
            peak.max(count())
        });
        PeakSampler { stop, thread }
    }

    /// Stops sampling; the highest count seen.
    pub fn stop(self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

/// Skynet's expected sum for `size` leaves: 0 + 1 + .. + size-1.
pub fn skynet_sum(size: u64) -> u64 {
    size * (size - 1) / 2
}

/// tokio's `pingpong` (also the tokio side of goro's `bridge-pingpong`): `n` round trips from
/// the calling task to an echo task over two `tokio::sync::mpsc` channels of capacity 1 (tokio
/// has no rendezvous channel); the time they took. Call it inside a tokio runtime.
pub async fn tokio_mpsc_pingpong(n: usize) -> Duration {
    let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
    let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
    let echo = tokio::spawn(async move {
        while let Some(v) = ping_rx.recv().await {
            if pong_tx.send(v).await.is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    for i in 0..n as u64 {
        ping_tx.send(i).await.unwrap();
        assert_eq!(pong_rx.recv().await, Some(i));
    }
    let d = start.elapsed();
    drop(ping_tx);
    echo.await.unwrap();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviation() {
        assert_eq!(max_share_deviation(&[25, 25, 25, 25]), 0.0);
        assert!((max_share_deviation(&[30, 20, 25, 25]) - 5.0).abs() < 1e-9);
    }

    #[test]
    fn skynet_of_a_million() {
        assert_eq!(skynet_sum(1_000_000), 499_999_500_000);
    }
}
