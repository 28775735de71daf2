//! goro's versions of every workload: goroutines (`gmp_sched`), channels and `select!`
//! (`gochan`), `Mutex` and `WaitGroup` (`gosync`), sockets (`gopoll`). The driver of each workload is itself a
//! goroutine, as Go's `main` is, except in `chan-threads` (goro's channel between OS threads) and
//! `fairness-hog` (driven from the main thread, so that it ends even if its goroutines keep the P).

use gmp_sched::JoinHandle;
use gochan::{select, Chan};
use goro_bench::locks::{self, Join, Lock, Spawn};
use goro_bench::threaded::{self, Channel};
use goro_bench::{
    ms, ns_per, report, report_fairness, report_hog_ratio, rss_kib, skynet_sum, spec, timed,
    unsupported, work, Args,
};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PEER: &str = "goro";

fn main() {
    let args = Args::from_env();
    goro_bench::exit_on_panic();
    if args.workload.ends_with("-server") {
        goro_bench::echo::raise_nofile_limit();
    }
    if let Err(e) = gmp_sched::Builder::new().gomaxprocs(args.procs()).init() {
        eprintln!("cannot start goro's runtime: {e}");
        std::process::exit(1);
    }
    if args.workload == "chan-threads" {
        // The one workload that runs on OS threads: goro's channel against crossbeam's.
        threaded::chan_threads::<GoroOnThreads>(&args, PEER);
        return;
    }
    if args.workload == "fairness-hog" {
        fairness_hog(&args);
        return;
    }
    let a = args.clone();
    // SAFETY: the driver keeps no thread-bound state across blocking calls: every workload
    // below holds only channels, Arcs and goro's own primitives, none of them thread-bound.
    let driver = unsafe { gmp_sched::spawn(move || dispatch(&a)) };
    if driver.join().is_err() {
        std::process::exit(101);
    }
}

fn dispatch(a: &Args) {
    match a.workload.as_str() {
        "spawn" => spawn(a),
        "yield" => yield_(a),
        "parked" => parked(a),
        "burst" => burst(a),
        "pingpong" => pingpong(a),
        "prodcons" => prodcons(a),
        "select" => select_fed(a),
        "skynet" => skynet_run(a),
        "fairness" => fairness(a),
        "mutex" => locks::mutex::<GoroMutex, Goroutines>(a, PEER),
        "uncontended" => locks::uncontended::<GoroMutex>(a, PEER),
        "mutex-tail" => locks::tail::<GoroMutex, Goroutines>(a, PEER),
        "waitgroup" => waitgroup(a),
        "syscall" => syscall_cost(a),
        "hog" => hog(a),
        "echo-server" => echo_server(),
        "http-server" => http_server(),
        "bridge-pingpong" => bridge_pingpong(a),
        _ => unsupported(a, PEER),
    }
}

/// Spawns `f` as a goroutine.
///
/// # Safety
/// As [`gmp_sched::spawn`]: `f` keeps no thread-bound state across a blocking call.
unsafe fn go<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    // SAFETY: passed on to our caller.
    unsafe { gmp_sched::spawn(f) }
}

struct GoroMutex(gosync::Mutex<u64>);

impl Lock for GoroMutex {
    fn new() -> Self {
        GoroMutex(gosync::Mutex::new(0))
    }
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock())
    }
}

struct Goroutines;

impl Spawn for Goroutines {
    unsafe fn spawn(f: impl FnOnce() + Send + 'static) -> Join {
        // SAFETY: `Spawn::spawn`'s contract is `gmp_sched::spawn`'s.
        let h = unsafe { go(f) };
        Box::new(move || h.join().unwrap())
    }
}

/// goro's channel used from plain OS threads.
struct GoroOnThreads;

impl Channel for GoroOnThreads {
    type Tx = Chan<u64>;
    type Rx = Chan<u64>;
    fn bounded(cap: usize) -> (Chan<u64>, Chan<u64>) {
        let c = Chan::new(cap);
        (c.clone(), c)
    }
    fn send(tx: &Chan<u64>, v: u64) -> bool {
        tx.send(v).is_ok()
    }
    fn recv(rx: &Chan<u64>) -> Option<u64> {
        rx.recv()
    }
    fn close(tx: Chan<u64>) {
        tx.close();
    }
}

fn spawn(args: &Args) {
    let n = args.usize("n", spec::SPAWN_N);
    // The same work as Go's body: each goroutine stores its result into a slot allocated up
    // front and counts down one WaitGroup; the handles are dropped (detached) at once.
    let results: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
    let wg = Arc::new(gosync::WaitGroup::new());
    let (d, ()) = timed(|| {
        wg.add(n as isize);
        for i in 0..n {
            let (results, wg) = (results.clone(), wg.clone());
            // SAFETY: the goroutine holds two Arcs, nothing thread-bound.
            drop(unsafe {
                go(move || {
                    results[i].store(i, Ordering::Relaxed);
                    wg.done();
                })
            });
        }
        wg.wait();
    });
    let sum: usize = results.iter().map(|r| r.load(Ordering::Relaxed)).sum();
    assert_eq!(sum, n * (n - 1) / 2);
    report(args, PEER, "ns_per_spawn", ns_per(d, n), &[("ms", ms(d))]);
}

fn yield_(args: &Args) {
    let n = args.usize("n", spec::YIELD_N);
    let (d, ()) = timed(|| {
        let hs: Vec<_> = (0..2)
            .map(|_| {
                // SAFETY: the goroutine holds nothing but a count.
                unsafe {
                    go(move || {
                        for _ in 0..n {
                            gmp_sched::yield_now();
                        }
                    })
                }
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    report(args, PEER, "ns_per_yield", ns_per(d, 2 * n), &[]);
}

/// Starts `n` goroutines, each blocked receiving on its own channel, and returns once all
/// have started; the returned function ends them all and joins them.
fn park_many(n: usize) -> impl FnOnce() {
    let ready = Arc::new(AtomicUsize::new(0));
    let chans: Vec<Chan<()>> = (0..n).map(|_| Chan::new(0)).collect();
    let handles: Vec<_> = chans
        .iter()
        .map(|c| {
            let (c, ready) = (c.clone(), ready.clone());
            // SAFETY: the goroutine holds a channel and an Arc, nothing thread-bound.
            unsafe {
                go(move || {
                    ready.fetch_add(1, Ordering::Relaxed);
                    c.recv().unwrap();
                })
            }
        })
        .collect();
    while ready.load(Ordering::Relaxed) < n {
        gmp_sched::sleep(Duration::from_millis(1));
    }
    move || {
        for c in &chans {
            c.send(()).unwrap();
        }
        handles.into_iter().for_each(|h| h.join().unwrap());
    }
}

fn parked(args: &Args) {
    let n = args.usize("n", spec::PARKED_N);
    let before = rss_kib().unwrap_or(0);
    let release = park_many(n);
    // `hold=S`: parked for S seconds before the reading (a runtime may shrink long-parked
    // goroutines); else 50 ms.
    let hold = Duration::from_secs(args.usize("hold", 0) as u64);
    gmp_sched::sleep(hold.max(Duration::from_millis(50)));
    let during = rss_kib().unwrap_or(0);
    release();
    let per = during.saturating_sub(before) as f64 * 1024.0 / n as f64;
    report(args, PEER, "bytes_per_g", per, &[]);
}

/// `burst`: n goroutines parked at once, then all ended; the RSS before, at its height, and
/// each second after for `secs` seconds (`rss_<s>s_kib`). Value: RSS `secs` after the burst
/// over RSS before it.
fn burst(args: &Args) {
    let n = args.usize("n", spec::BURST_N);
    let secs = args.usize("secs", spec::BURST_SECS);
    // The runtime's threads are up (we run in a goroutine) before the first reading.
    gmp_sched::sleep(Duration::from_millis(50));
    let before = rss_kib().unwrap_or(0);
    let release = park_many(n);
    let height = rss_kib().unwrap_or(0);
    release();
    let mut extra = vec![
        ("before_kib".to_string(), before as f64),
        ("height_kib".to_string(), height as f64),
    ];
    let start = std::time::Instant::now();
    let mut last = 0;
    for s in 0..=secs {
        gmp_sched::sleep(
            (start + Duration::from_secs(s as u64))
                .saturating_duration_since(std::time::Instant::now()),
        );
        last = rss_kib().unwrap_or(0);
        extra.push((format!("rss_{s}s_kib"), last as f64));
    }
    let extra: Vec<(&str, f64)> = extra.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    report(
        args,
        PEER,
        "rss_after_over_before",
        last as f64 / before.max(1) as f64,
        &extra,
    );
}

fn pingpong(args: &Args) {
    let n = args.usize("n", spec::PINGPONG_N);
    let d = goroutine_pingpong(n);
    report(args, PEER, "ns_per_op", ns_per(d, n), &[]);
}

/// `n` round trips from the calling goroutine to an echo goroutine over two unbuffered
/// channels; the time they took.
fn goroutine_pingpong(n: usize) -> Duration {
    let (ping, pong) = (Chan::<u64>::new(0), Chan::<u64>::new(0));
    let (ping2, pong2) = (ping.clone(), pong.clone());
    // SAFETY: the echo goroutine holds two channels, nothing thread-bound.
    let echo = unsafe {
        go(move || {
            for v in &ping2 {
                pong2.send(v).unwrap();
            }
        })
    };
    let (d, ()) = timed(|| {
        for i in 0..n as u64 {
            ping.send(i).unwrap();
            assert_eq!(pong.recv(), Some(i));
        }
    });
    ping.close();
    echo.join().unwrap();
    d
}

fn prodcons(args: &Args) {
    let n = args.usize("n", spec::PRODCONS_N);
    let cap = args.usize("cap", 0);
    let sides = spec::PRODCONS_SIDES;
    let per = n / sides;
    let c = Chan::<u64>::new(cap);
    let (d, sum) = timed(|| {
        let consumers: Vec<_> = (0..sides)
            .map(|_| {
                let c = c.clone();
                // SAFETY: the consumer holds a channel, nothing thread-bound.
                unsafe { go(move || c.iter().sum::<u64>()) }
            })
            .collect();
        let producers: Vec<_> = (0..sides)
            .map(|_| {
                let c = c.clone();
                // SAFETY: the producer holds a channel, nothing thread-bound.
                unsafe {
                    go(move || {
                        for i in 0..per as u64 {
                            c.send(i).unwrap();
                        }
                    })
                }
            })
            .collect();
        producers.into_iter().for_each(|p| p.join().unwrap());
        c.close();
        consumers
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum::<u64>()
    });
    let per64 = per as u64;
    assert_eq!(sum, sides as u64 * per64 * per64.saturating_sub(1) / 2);
    report(args, PEER, "ns_per_msg", ns_per(d, per * sides), &[]);
}

fn select_fed(args: &Args) {
    let n = args.usize("n", spec::SELECT_N);
    let cap = args.usize("cap", 100);
    let per = n / spec::SELECT_CASES;
    let (d, got) = timed(|| {
        let mut cs: Vec<Chan<u64>> = Vec::new();
        for _ in 0..spec::SELECT_CASES {
            let c = Chan::new(cap);
            let feed = c.clone();
            cs.push(c);
            // SAFETY: the feeder holds a channel, nothing thread-bound.
            unsafe {
                go(move || {
                    for i in 0..per as u64 {
                        feed.send(i).unwrap();
                    }
                    feed.close();
                })
            };
        }
        let [mut c0, mut c1, mut c2, mut c3]: [Chan<u64>; 4] =
            cs.try_into().expect("four channels");
        let (mut got, mut open) = (0usize, 4);
        while open > 0 {
            // A closed channel becomes nil, which never fires again (Go: `c0 = nil`).
            let ok = select! {
                recv(c0) -> v => v.is_some() || { c0 = Chan::nil(); false },
                recv(c1) -> v => v.is_some() || { c1 = Chan::nil(); false },
                recv(c2) -> v => v.is_some() || { c2 = Chan::nil(); false },
                recv(c3) -> v => v.is_some() || { c3 = Chan::nil(); false },
            };
            if ok {
                got += 1;
            } else {
                open -= 1;
            }
        }
        got
    });
    assert_eq!(got, per * spec::SELECT_CASES);
    report(args, PEER, "ns_per_select", ns_per(d, got), &[]);
}

/// Classic skynet: every node makes a channel, spawns its ten children, each of which sends
/// its sum back on it.
fn skynet(out: Chan<u64>, num: u64, size: u64, div: u64) {
    if size == 1 {
        out.send(num).unwrap();
        return;
    }
    let c = Chan::new(0);
    for i in 0..div {
        let c = c.clone();
        // SAFETY: a skynet node holds channels, nothing thread-bound.
        unsafe { go(move || skynet(c, num + i * (size / div), size / div, div)) };
    }
    let sum: u64 = (0..div).map(|_| c.recv().unwrap()).sum();
    out.send(sum).unwrap();
}

fn skynet_run(args: &Args) {
    let size = args.usize("size", spec::SKYNET_SIZE) as u64;
    let sampler = goro_bench::PeakSampler::start(gmp_sched::debug::num_goroutine);
    let (d, sum) = timed(|| {
        let c = Chan::new(0);
        let root = c.clone();
        // SAFETY: a skynet node holds channels, nothing thread-bound.
        unsafe { go(move || skynet(root, 0, size, 10)) };
        c.recv().unwrap()
    });
    let peak_live = sampler.stop();
    assert_eq!(sum, skynet_sum(size));
    report(args, PEER, "ms", ms(d), &[("peak_live", peak_live as f64)]);
}

fn fairness(args: &Args) {
    let n = args.usize("n", spec::FAIRNESS_N);
    let cs: Vec<Chan<u64>> = (0..spec::SELECT_CASES).map(|_| Chan::new(1)).collect();
    for c in &cs {
        c.send(0).unwrap();
    }
    let mut counts = [0u64; 4];
    for _ in 0..n {
        let i = select! {
            recv(cs[0]) => 0,
            recv(cs[1]) => 1,
            recv(cs[2]) => 2,
            recv(cs[3]) => 3,
        };
        counts[i] += 1;
        cs[i].send(0).unwrap();
    }
    report_fairness(args, PEER, &counts);
}

fn waitgroup(args: &Args) {
    let n = args.usize("n", spec::WAITGROUP_N);
    let spawn = args.usize("spawn", 0) != 0;
    let wg = Arc::new(gosync::WaitGroup::new());
    let (d, ()) = timed(|| {
        for _ in 0..n {
            wg.add(1);
            if spawn {
                let wg = wg.clone();
                // SAFETY: the goroutine holds an Arc of the WaitGroup, nothing thread-bound.
                unsafe { go(move || wg.done()) };
            } else {
                wg.done();
            }
            wg.wait();
        }
    });
    report(args, PEER, "ns_per_cycle", ns_per(d, n), &[]);
}

/// The `echo` server (`goro_bench::echo`): a goroutine per connection, as one writes it in Go.
fn echo_server() {
    let listener = gopoll::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    goro_bench::echo::server_listening(listener.local_addr().expect("local_addr"));
    loop {
        let conn = match listener.accept() {
            Ok((c, _)) => c,
            Err(e) => {
                // Out of fds and the like: keep serving the others.
                eprintln!("accept: {e}");
                gmp_sched::sleep(Duration::from_millis(5));
                continue;
            }
        };
        let _ = conn.set_nodelay(true);
        // SAFETY: the goroutine owns its connection and a buffer, nothing thread-bound.
        unsafe {
            go(move || {
                let mut buf = [0u8; goro_bench::echo::SERVER_BUF];
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
            })
        };
    }
}

/// The `http` server (`goro_bench::http`): a goroutine per connection running the shared
/// read-answer-write loop on `gopoll`'s `TcpStream`.
fn http_server() {
    let listener = gopoll::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    goro_bench::echo::server_listening(listener.local_addr().expect("local_addr"));
    loop {
        match listener.accept() {
            // SAFETY: the goroutine owns its connection and buffers, nothing thread-bound.
            Ok((conn, _)) => drop(unsafe { go(move || goro_bench::http::serve(&conn)) }),
            Err(e) => {
                eprintln!("accept: {e}");
                gmp_sched::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// `syscall`: the cost of `gmp_sched::syscall` around a trivial system call (getppid), the
/// way Go's `syscall.Syscall` wraps one in entersyscall/exitsyscall.
fn syscall_cost(args: &Args) {
    let n = args.usize("n", spec::SYSCALL_N);
    let (d, ()) = timed(|| {
        for _ in 0..n {
            // SAFETY: getppid has no preconditions and cannot fail.
            std::hint::black_box(gmp_sched::syscall(|| unsafe { libc::getppid() }));
        }
    });
    report(args, PEER, "ns_per_call", ns_per(d, n), &[]);
}

/// `hog`: how late a 1 ms ticker's goroutine runs while another goroutine spins without
/// ever yielding, on one P. Lateness of a tick = its interval minus the period.
fn hog(args: &Args) {
    let secs = args.usize("secs", spec::HOG_SECS) as u64;
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    // SAFETY: the spinner holds only an atomic flag.
    let spinner = unsafe {
        go(move || {
            while !s.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        })
    };
    let period = Duration::from_millis(1);
    let ticker = gochan::tick(period);
    let end = Instant::now() + Duration::from_secs(secs);
    let mut late = Vec::new();
    let mut last = Instant::now();
    while Instant::now() < end {
        ticker.c().recv();
        let now = Instant::now();
        late.push(now.saturating_duration_since(last + period).as_micros() as u32);
        last = now;
    }
    ticker.stop();
    stop.store(true, Ordering::Relaxed);
    spinner.join().unwrap();
    let mut pct = |p| f64::from(locks::percentile(&mut late, p));
    let (p50, p99, max) = (pct(50.0), pct(99.0), pct(100.0));
    report(
        args,
        PEER,
        "p99_late_us",
        p99,
        &[("p50_late_us", p50), ("max_late_us", max)],
    );
}

/// `fairness-hog`: Go's TestPingPongHog (runtime/proc_test.go) on one P. Two "hog" goroutines
/// hand a token back and forth doing 1e6 units of work per hand-off (xorshift steps, [`work`]),
/// two "light" ones 1e3; each loops on a select over {done, wake}. This OS thread plays Go's
/// `main` but needs no P: should the hog pair keep the only P, the light pair never runs, and
/// every wait here has a limit.
fn fairness_hog(args: &Args) {
    let period = Duration::from_millis(args.usize("ms", spec::FAIRNESS_HOG_MS) as u64);
    let done = Chan::<()>::new(0);
    let pairs = spec::FAIRNESS_HOG_UNITS.map(|units| {
        let (wake, count) = (Chan::<()>::new(0), Arc::new(AtomicU64::new(0)));
        for _ in 0..2 {
            let (done, wake, count) = (done.clone(), wake.clone(), count.clone());
            // SAFETY: the goroutine holds channels and an atomic counter, nothing thread-bound.
            unsafe {
                go(move || {
                    let mut x = 1;
                    loop {
                        select! {
                            recv(done) => return,
                            recv(wake) => {
                                x = work(x, units);
                                count.fetch_add(units as u64, Ordering::Relaxed);
                                let _ = wake.send(());
                            }
                        }
                    }
                })
            };
        }
        (wake, count)
    });
    // Go: `hogChan <- true; lightChan <- true`. A pair that never reaches its select misses it.
    let started = pairs
        .each_ref()
        .map(|(wake, _)| wake.send_timeout((), period).is_ok());
    std::thread::sleep(period);
    done.close();
    let [hog, light] = pairs.each_ref().map(|(_, c)| c.load(Ordering::Relaxed));
    // Go: `<-hogChan; <-lightChan`: the token back from each pair, if it still holds one.
    for ((wake, _), started) in pairs.iter().zip(started) {
        if started {
            let _ = wake.recv_timeout(Duration::from_secs(1));
        }
    }
    report_hog_ratio(args, PEER, hog, light);
}

/// `bridge-pingpong`: round trips between this goroutine and a tokio task over two unbuffered
/// goro channels (the task awaits `recv_async`/`send_async`); beside it, in the same process,
/// the same round trip between two goroutines (`g2g_ns`) and between two tokio tasks over
/// `tokio::sync::mpsc` of capacity 1 (`t2t_ns`, as the tokio peer's `pingpong`). tokio runs
/// `procs` workers (a current-thread runtime on its own thread for one).
fn bridge_pingpong(args: &Args) {
    let n = args.usize("n", spec::PINGPONG_N);
    let procs = args.procs();
    let rt = if procs == 1 {
        tokio::runtime::Builder::new_current_thread().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(procs)
            .build()
    }
    .expect("a tokio runtime");
    // A current-thread runtime runs its tasks only inside `block_on`: give it a thread.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let handle = rt.handle().clone();
    let driver = std::thread::spawn(move || {
        rt.block_on(async {
            let _ = stop_rx.await;
        })
    });

    // goroutine <-> tokio task.
    let (ping, pong) = (Chan::<u64>::new(0), Chan::<u64>::new(0));
    let (ping2, pong2) = (ping.clone(), pong.clone());
    let echo = handle.spawn(async move {
        while let Some(v) = ping2.recv_async().await {
            pong2.send_async(v).await.unwrap();
        }
    });
    let (d, ()) = timed(|| {
        for i in 0..n as u64 {
            ping.send(i).unwrap();
            assert_eq!(pong.recv(), Some(i));
        }
    });
    ping.close();
    gmp_sched::block_on(echo).unwrap();

    // goroutine <-> goroutine, as `pingpong`; tokio task <-> task, as tokio's `pingpong`.
    let g2g = goroutine_pingpong(n);
    let t2t = gmp_sched::block_on(handle.spawn(goro_bench::tokio_mpsc_pingpong(n))).unwrap();
    let _ = stop_tx.send(());
    driver.join().unwrap();
    report(
        args,
        PEER,
        "ns_per_op",
        ns_per(d, n),
        &[("g2g_ns", ns_per(g2g, n)), ("t2t_ns", ns_per(t2t, n))],
    );
}
