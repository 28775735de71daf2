//! Turning medians into the console table, the goal check and `benchmarks.md`.
//!
//! Every figure is shown beside the ratio goro/peer from the same run (below 1: goro is faster,
//! or smaller); a lone absolute is never quoted. The ratio is the median of the ratios taken
//! within each round (`Measured::paired`), and a goal's verdict reads their spread
//! (`stats.rs`): MET or MISS only when the interquartile range lies on one side of the goal,
//! "within noise" when it straddles it.

use super::cases::{self, Case, GoalKind, Group};
use super::stats::{Spread, Verdict};
use super::{svg, Measured, Opts};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// What the numbers were measured on.
pub(crate) struct Machine {
    pub(crate) cpus: usize,
    cpu_model: String,
    kernel: String,
    date: String,
    loadavg: String,
    /// The load average when the runs ended (set by the caller).
    pub(crate) loadavg_end: String,
    commit: String,
    go: String,
    rustc: String,
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Machine {
    pub(crate) fn probe(cpus: usize) -> Machine {
        let root = crate::root();
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpu_model = read("/proc/cpuinfo")
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".into(), |(_, m)| m.trim().to_string());
        let commit = output(
            Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .current_dir(&root),
        )
        .unwrap_or_else(|| "unknown".into());
        let dirty = output(
            Command::new("git")
                .args(["status", "--porcelain", "--untracked-files=no"])
                .current_dir(&root),
        )
        .is_some_and(|s| !s.is_empty());
        Machine {
            cpus,
            cpu_model,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            date: output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
                .unwrap_or_else(|| "unknown".into()),
            loadavg: loadavg(),
            loadavg_end: String::new(),
            commit: if dirty {
                format!("{commit} (with uncommitted changes)")
            } else {
                commit
            },
            go: output(Command::new(root.join(".venv-go/bin/go")).arg("version"))
                .unwrap_or_else(|| "not installed".into()),
            rustc: output(
                Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())).arg("-V"),
            )
            .unwrap_or_else(|| "unknown".into()),
        }
    }
}

/// The 1, 5 and 15 minute load averages.
pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A cell of a table.
pub(crate) struct Cell {
    pub(crate) median: Option<f64>,
    /// goro / this peer, when both succeeded and the figures are comparable.
    pub(crate) ratio: Option<f64>,
    /// The lowest and highest per-round ratio, when more than one round paired up.
    pub(crate) ratio_range: Option<(f64, f64)>,
    /// Why there is no median (the first failure), or a parameter this peer ran with instead.
    pub(crate) note: Option<String>,
    /// Runs that failed although others succeeded: (failed, of how many rounds).
    pub(crate) some_failed: Option<(usize, usize)>,
}

/// A row: one metric of one case, a cell per peer of the group.
pub(crate) struct Row {
    pub(crate) label: String,
    pub(crate) unit: String,
    /// More is better in this row (requests per second): a ratio above 1 means goro wins.
    pub(crate) higher_is_better: bool,
    pub(crate) cells: Vec<Option<Cell>>,
}

/// The peers of `group` in order of first appearance (goro first).
pub(crate) fn peers_of(measured: &[Measured], group: Group) -> Vec<&'static str> {
    let mut peers: Vec<&'static str> = Vec::new();
    for m in measured.iter().filter(|m| m.case.group == group) {
        if !peers.contains(&m.peer) {
            peers.push(m.peer);
        }
    }
    peers
}

/// The rows of `group`'s table.
pub(crate) fn rows(measured: &[Measured], group: Group, peers: &[&str]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for m in measured.iter().filter(|m| m.case.group == group) {
        if !labels.contains(&m.case.label()) {
            labels.push(m.case.label());
        }
    }
    for label in labels {
        let of_case: Vec<&Measured> = measured
            .iter()
            .filter(|m| m.case.group == group && m.case.label() == label)
            .collect();
        let case: &Case = &of_case[0].case;
        let mut metrics = vec![("value", case.unit, true)];
        metrics.extend(case.extras.iter().map(|&(k, u)| (k, u, false)));
        for (key, unit, per_op) in metrics {
            let goro = of_case.iter().find(|m| m.peer == "goro");
            let goro_median = goro.and_then(|g| g.median(key));
            let cells = peers
                .iter()
                .map(|p| {
                    let m = of_case.iter().find(|m| m.peer == *p)?;
                    let median = m.median(key);
                    // Totals (not per-op figures) compare only at equal sizes.
                    let comparable = per_op || goro.is_some_and(|g| g.params == m.params);
                    let mut ratio_range = None;
                    let ratio = match (goro, goro_median, median) {
                        // No ratio beside a starved run (an infinite figure).
                        (Some(goro), Some(g), Some(v))
                            if comparable
                                && m.peer != "goro"
                                && v > 0.0
                                && g.is_finite()
                                && v.is_finite() =>
                        {
                            // The median of the per-round ratios; the ratio of the medians
                            // only when no round has both.
                            match Spread::of(&goro.paired(m, key)) {
                                Some(s) => {
                                    ratio_range = (s.n > 1).then_some((s.min, s.max));
                                    Some(s.median)
                                }
                                None => Some(g / v),
                            }
                        }
                        _ => None,
                    };
                    let failed = m.failed_runs();
                    let some_failed = (failed > 0 && median.is_some())
                        .then_some((failed, m.runs.len() + m.skipped));
                    let note = match m.failure() {
                        Some(f) => Some(f.to_string()),
                        None => m
                            .params
                            .iter()
                            .find(|kv| !m.base_params.contains(kv))
                            .map(|(k, v)| format!("{k}={v}")),
                    };
                    Some(Cell {
                        median,
                        ratio,
                        ratio_range,
                        note,
                        some_failed,
                    })
                })
                .collect();
            rows.push(Row {
                label: label.clone(),
                unit: unit.to_string(),
                higher_is_better: cases::higher_is_better(key),
                cells,
            });
        }
    }
    rows
}

/// A number with about three significant digits. Infinity stands for a ratio with a zero count:
/// a pair of `fairness-hog` never ran.
pub(crate) fn num(x: f64) -> String {
    let a = x.abs();
    if a.is_infinite() {
        "starved".into()
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

fn cell_text(c: &Option<Cell>, markdown: bool) -> String {
    let Some(c) = c else {
        return "-".into();
    };
    let mut s = match c.median {
        Some(m) => num(m),
        // The peer ran but does not report this extra (`bridge-pingpong`'s `g2g_ns`).
        None if c.note.is_none() => "-".into(),
        None if markdown => "failed".into(),
        None => "FAILED".into(),
    };
    match (c.ratio, c.ratio_range) {
        (Some(r), Some((lo, hi))) => {
            let _ = write!(s, " ({}x, {}-{})", num(r), num(lo), num(hi));
        }
        (Some(r), None) => {
            let _ = write!(s, " ({}x)", num(r));
        }
        _ => {}
    }
    if let (Some(n), Some(_)) = (&c.note, c.median) {
        let _ = write!(s, " [{n}]");
    }
    if let Some((failed, of)) = c.some_failed {
        let _ = write!(s, " [{failed} of {of} runs failed]");
    }
    s
}

/// Aligned plain-text tables, one per group, for the terminal.
pub(crate) fn console(measured: &[Measured]) -> String {
    let mut out = String::new();
    for group in Group::ALL {
        let peers = peers_of(measured, group);
        if peers.is_empty() {
            continue;
        }
        let rows = rows(measured, group, &peers);
        let mut table: Vec<Vec<String>> = vec![{
            let mut h = vec!["case".to_string(), "unit".to_string()];
            h.extend(peers.iter().map(|p| p.to_string()));
            h
        }];
        for r in &rows {
            let mut line = vec![r.label.clone(), r.unit.clone()];
            line.extend(r.cells.iter().map(|c| cell_text(c, false)));
            table.push(line);
        }
        let widths: Vec<usize> = (0..table[0].len())
            .map(|i| {
                table
                    .iter()
                    .map(|l| l[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let _ = writeln!(
            out,
            "\n{} (medians; (Nx, lo-hi) = goro/peer per round: median, min-max)",
            group.title()
        );
        for line in &table {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
        }
    }
    out
}

/// One goal of the issues, checked against the per-round figures.
pub(crate) struct GoalCheck {
    /// None: the peer the goal compares with did not run.
    pub(crate) verdict: Option<Verdict>,
    /// The peer the goal compares with, for a ratio goal.
    pub(crate) peer: Option<&'static str>,
    pub(crate) case: &'static str,
    pub(crate) goal: &'static str,
    /// The figures behind the verdict.
    pub(crate) measured: String,
}

impl GoalCheck {
    /// `MET`, `MISS`, `within noise` or `n/a`.
    pub(crate) fn status(&self) -> &'static str {
        self.verdict.map_or("n/a", Verdict::text)
    }
}

/// `median (min, max, IQR q1-q3, n rounds)`; the IQR only from 4 rounds on, where the verdict
/// reads it.
fn spread_text(s: &Spread) -> String {
    let iqr = if s.n >= 4 {
        format!(", IQR {}-{}", num(s.q1), num(s.q3))
    } else {
        String::new()
    };
    format!(
        "{} (min {}, max {}{iqr}, {} rounds)",
        num(s.median),
        num(s.min),
        num(s.max),
        s.n
    )
}

/// The issues' goals whose case ran.
pub(crate) fn goals(measured: &[Measured]) -> Vec<GoalCheck> {
    let mut out = Vec::new();
    for goal in cases::goals() {
        let find = |peer: &str| {
            measured
                .iter()
                .find(|m| m.case.label() == goal.case && m.peer == peer)
        };
        let Some(goro) = find("goro") else {
            continue;
        };
        let key = goal.metric;
        let unit = if key == "value" {
            goro.case.unit
        } else {
            goro.case
                .extras
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(key, |(_, u)| *u)
        };
        let inf = f64::INFINITY;
        let (peer, min, max, bound) = match goal.kind {
            GoalKind::Ratio { peer, max } => (Some(peer), -inf, max, format!("<= {max}")),
            GoalKind::RatioAtLeast { peer, min } => (Some(peer), min, inf, format!(">= {min}")),
            GoalKind::Below { max } => (None, -inf, max, format!("<= {}", num(max))),
            GoalKind::Within { min, max } => (
                None,
                min,
                max,
                format!("within [{}, {}]", num(min), num(max)),
            ),
        };
        let medians = |m: &Measured| m.median(key).map_or_else(|| "-".into(), num);
        let (verdict, measured) = match peer {
            _ if goro.median(key).is_none() => (Some(Verdict::Miss), "goro failed".to_string()),
            Some(peer) => match find(peer).map(|p| (p, Spread::of(&goro.paired(p, key)))) {
                Some((p, Some(s))) => (
                    Some(Verdict::of(&s, min, max)),
                    format!(
                        "goro/{peer} per round = {}; goal {bound}; medians goro {} vs {} {unit}",
                        spread_text(&s),
                        medians(goro),
                        medians(p),
                    ),
                ),
                _ => (None, format!("{peer} did not run")),
            },
            // A goal on goro's own figure, read from its runs, shown beside Go's median.
            None => {
                let go = find("go")
                    .and_then(|p| p.median(key))
                    .map_or_else(String::new, |p| format!("; Go's median {}", num(p)));
                match goro.spread(key) {
                    Some(s) => (
                        Some(Verdict::of(&s, min, max)),
                        format!("goro {} {unit}; goal {bound}{go}", spread_text(&s)),
                    ),
                    // Only infinite figures (a starved pair): outside any bound.
                    None => (
                        Some(Verdict::Miss),
                        format!("goro {} {unit}; goal {bound}{go}", medians(goro)),
                    ),
                }
            }
        };
        out.push(GoalCheck {
            verdict,
            peer,
            case: goal.case,
            goal: goal.text,
            measured,
        });
    }
    out
}

/// The peers to run again in a case whose goal is within noise: goro and the goal's peer.
/// Empty when every goal of `measured` has a verdict.
pub(crate) fn noisy_peers(measured: &[Measured]) -> Vec<&'static str> {
    let mut peers = Vec::new();
    for check in goals(measured) {
        if check.verdict == Some(Verdict::Noise) {
            for p in std::iter::once("goro").chain(check.peer) {
                if !peers.contains(&p) {
                    peers.push(p);
                }
            }
        }
    }
    peers
}

/// The goal checks as console lines.
pub(crate) fn goals_text(checks: &[GoalCheck]) -> String {
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(
            out,
            "  {:<12}  {:<22} {}: {}",
            c.status(),
            c.case,
            c.goal,
            c.measured
        );
    }
    out
}

const WORKLOADS: &str = "\
- `spawn`: n goroutines spawned from one goroutine, then all joined (goro and Go: each stores
  its result into a slot allocated before the timer starts and counts down one WaitGroup, goro
  dropping each JoinHandle at once; tokio: `JoinHandle`s; may: `go!` + `join`; threads: 10,000
  threads, so compare per spawn). Value: ns
  per spawn+join; rows below: the whole run in ms and the peak RSS (ratios only where the
  peer ran the same n). may runs 30,000: it maps each coroutine stack on its own with an
  mprotect guard page, two mappings per stack, and past about 32,700 live coroutines it hits
  `vm.max_map_count` (65530) and panics; that is also why it fails `skynet`.
- `yield`: two goroutines each yielding n times on one P (Go `runtime.Gosched` at GOMAXPROCS=1,
  tokio `yield_now` on the current-thread runtime, may with one worker, threads: two threads
  pinned to one CPU calling `sched_yield`). Value: ns per yield.
- `parked`: 100,000 goroutines each blocked receiving on its own channel (tokio: a oneshot;
  may: 30,000, see `spawn`; threads: 10,000 threads on std channels). Value: (RSS with all parked - RSS before) / n,
  bytes; it includes the channel and the handle each costs.
- `pingpong`: an unbuffered round trip between two goroutines (tokio: mpsc of capacity 1 each
  way, it has no rendezvous channel; may: its unbounded channels, one message in flight; the
  thread peers: two threads pinned to `procs` CPUs). Value: ns per round trip.
- `prodcons`: 4 producers and 4 consumers share one channel of capacity 0, 10 or 100 (thread
  peers: 8 threads); every consumer sums what it receives into a local and hands the sum over
  once at the end. Value: ns per message.
- `select`: one goroutine selecting over 4 channels of capacity 100, each fed by its own
  goroutine until closed. Value: ns per select.
- `skynet`: the classic: 1,111,111 goroutines in a tree of ten children each, sums sent back on
  channels. Value: ms; rows below: the peak RSS and the live goroutines at the peak (goro:
  `debug::num_goroutine` sampled every 200 us from a thread; Go: `runtime.NumGoroutine` from a
  goroutine sleeping 200 us), which says how breadth-first the tree was expanded.
- `burst`: a million goroutines parked at once, then all ended; the RSS before, at the height,
  and each second for 10 s after. Value: RSS 10 s after over RSS before (chart below the
  memory table).
- `parked hold=10`: as `parked`, with the reading taken after the goroutines have been parked
  for 10 s.
- `fairness`: 1,000,000 selects over 4 always-ready channels (each refilled after it fires).
  Value: the largest distance of any case's share from 25%, in percentage points.
- `chan-threads`: goro's channel used from two plain OS threads (one sends, one receives),
  against crossbeam-channel, flume and std's `sync_channel`. Value: ns per message.
- `mutex`: g goroutines (2, 8, 64) share 1,000,000 lock/unlock pairs around a counter; with
  `work=100`, each also does 100 xorshift steps outside the lock. The thread peers run g OS
  threads. Value: ns per lock/unlock.
- `uncontended`: lock+unlock on one goroutine. Value: ns per pair.
- `waitgroup`: `add(1); done(); wait()` cycles; `spawn=1` runs `done` on a new goroutine so that
  `wait` really waits (Go's BenchmarkWaitGroupActuallyWait). Value: ns per cycle.
- `fairness-hog`: Go's TestPingPongHog (`runtime/proc_test.go`) on one P. Two hog goroutines
  hand a token back and forth on an unbuffered channel, doing 1,000,000 units of work per
  hand-off (a unit: one xorshift step, as in `mutex work=100`, where Go's test counts
  `*counter++`, which each compiler unrolls its own way); two light ones do 1,000. Each loops
  on a select over {done, wake}; after 300 ms `done` is closed. Value: hog units / light units
  done by then: near 1 when the pairs share the P by time, as Go's hand-off through `runnext`
  inheriting the time slice makes them; Go's test accepts [1/20, 20]. `starved`: one pair never
  ran (the rows below, units done by each pair, say which). goro's driver is the main OS thread,
  which needs no P, so the run ends even then (it then takes up to 300 ms more, waiting for the
  starved pair to take its first token).
- `mutex-tail`: 4 goroutines hammer one mutex (1,000,000 lock/unlock pairs between them); each
  times every `lock()` call. Value: the longest any call waited, in µs; rows below: the 99.9th
  and 99th percentiles of all the calls' waits, and ns per lock (the clock stops when the last
  contender is joined; gathering the waits is outside it). On a shared machine the maximum
  also catches the OS descheduling the holder; the percentiles show the lock's own fairness.
- `hog`: on one P, and so on one CPU, a goroutine spins for 2 s without a blocking call while
  another sleeps on a 1 ms ticker. Value: the ticker's p99 lateness, µs; rows below: p50 and
  max, and the CPU seconds the process used (at most the wall time, since it runs on one CPU).
  Go preempts the spinner asynchronously; goro flags it at 10 ms and hands its P to another
  thread, which shares the one CPU with the spinner under the OS scheduler.
- `echo`: a TCP echo server on 127.0.0.1 with a goroutine per connection (goro: `gopoll::net`;
  Go: `net`; tokio: `tokio::net`, a task each; may: `may::net`, a coroutine each), each reading
  up to 4 KiB and writing it back. One load client drives every server (`bench-echo-client`,
  `bench/src/echo.rs`): it starts the server pinned to the first `procs` CPUs (half of them)
  and runs itself on the rest, opens `conns` connections (100 or 1,000) spread over one epoll
  thread per client CPU, and keeps one 64-byte request in flight on each: send, wait for the
  64 bytes back, check them, send again, for 3 s after a 0.5 s warm-up (1 s with `--quick`).
  Value: ns per request (1e9 / requests per second); rows below: requests per second (higher
  is better, so there a ratio above 1 means goro wins), the p50 and p99 round-trip latency,
  the server's CPU time per request, the CPU the server and the client used over the window
  (% of one CPU), the share of the window the client spent blocked in `epoll_wait` with no
  reply to handle (well above 0: the client waits on the server, so it is not the
  bottleneck) and the server's peak RSS. On loopback much of the receiving side's
  TCP work runs inside the sender's write, so the client costs about what a server does per
  request: compare the servers' figures with each other, not with the client's.
- `http` (issue 15): TechEmpower's plaintext test under Debian's `wrk` 4.1 (`-t1 --latency`,
  installed with apt-get when missing), `bench/src/http.rs`. Every server answers each `GET`
  with the same 13-byte body over HTTP/1.1 keep-alive from a goroutine (task, coroutine) per
  connection that reads up to 4 KiB, answers every complete request in it and writes the
  answers at once (goro: `gopoll::net`; `go`: Go's raw `net`; `go_http`: Go's `net/http`, a
  handler; tokio: `tokio::net`; may: `may::net`). The server runs on one CPU with 2 scheduler
  threads (`GOMAXPROCS=2`, 2 workers), wrk on another; 256, 1,024 and 10,000 connections,
  `pipeline=16` sending 16 requests per write (a Lua script). A 1 s warm-up run, then 5 s
  measured (1 s with `--quick`). Value: ns per request (1e9 / requests per second); rows below:
  requests per second, wrk's p50 and p99 latency (with pipelining, of a batch), wrk's socket
  errors, the server's CPU over the window (% of one CPU; 100 = its CPU was never idle) and its
  peak RSS.
- `idle` (issue 15): many idle connections to the `echo` server, `bench/src/idle.rs`. The client
  opens them from one epoll loop, 1,024 in flight at a time (under every server's listen backlog,
  so no SYN is dropped and retried a second later), from source addresses 127.0.0.2, .3, ...
  (20,000 each: one address has about 28,000 ephemeral ports); on each, once connected, it
  sends one byte and waits for the echo. Value: the server's RSS growth per connection, bytes,
  read 300 ms after the last echo (each connection then has a goroutine parked in `read`);
  rows below: the connections reached (the client clamps `conns` to `RLIMIT_NOFILE`'s hard
  limit, which it cannot raise: the figure is per connection at the count reached),
  connections accepted and answered per second, and a connection's first-byte latency (from its
  `connect` call to its echo) at p50 and p99. The listen backlog is `min(4096,
  net.core.somaxconn)` for goro and Go, 1,024 for tokio and may; raise `somaxconn` and
  `net.ipv4.tcp_max_syn_backlog` for bursts larger than that.
";

/// Writes `benchmarks.md` and the charts into `dir`.
pub(crate) fn write(
    dir: &Path,
    measured: &[Measured],
    machine: &Machine,
    opts: &Opts,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Benchmarks\n\n\
         Written by `cargo xtask bench`; do not edit by hand. Every (case, peer) pair ran \
         {runs} times{quick} in rounds: a round runs each peer of a case once, back to back \
         (the first peer rotating), each run a fresh process. A case whose goal came out \
         within noise got more rounds of goro and that goal's peer, up to {max_runs}. Each \
         cell shows the median and, in parentheses, **goro / peer**: the median of the ratios \
         taken within each round, so that drift in the machine's load between rounds cancels \
         out, then the lowest and highest of those ratios. Below 1 means goro is faster (or \
         smaller). Absolute figures depend on the \
         machine below and on its load; only the ratios carry over.\n\n\
         A goal's verdict reads the spread of the per-round ratios: **MET** or **MISS** when \
         their interquartile range (with fewer than 4 rounds: their whole range) lies on one \
         side of the goal, **within noise** when it straddles it. The min, max and IQR are \
         printed beside each verdict.\n",
        runs = opts.runs,
        max_runs = opts.max_runs,
        quick = if opts.quick {
            " with `--quick` (a tenth of the iterations)"
        } else {
            ""
        },
    );
    let _ = writeln!(
        md,
        "| | |\n|---|---|\n\
         | command | `{}` |\n| date | {} |\n| CPUs (nproc) | {} |\n| CPU | {} |\n\
         | kernel | {} |\n| load average at start, at end | {}; {} |\n| commit | {} |\n| Go | {} |\n\
         | Rust | {} |\n",
        opts.command,
        machine.date,
        machine.cpus,
        machine.cpu_model,
        machine.kernel,
        machine.loadavg,
        machine.loadavg_end,
        machine.commit,
        machine.go,
        machine.rustc,
    );
    // A machine busier than its CPUs at the start: every figure shares the CPUs with others.
    let load1: f64 = machine
        .loadavg
        .split_whitespace()
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or(0.0);
    if load1 > machine.cpus as f64 {
        let _ = writeln!(
            md,
            "**Loaded machine**: the 1-minute load average was {load1} on {} CPUs when the runs \
             started, so other processes competed for the CPUs throughout; the per-round \
             ratios cancel part of that, the spreads show the rest.\n",
            machine.cpus
        );
    }
    let _ = writeln!(
        md,
        "The P count of a case (`procs`, default: all CPUs) goes to every peer: `GOMAXPROCS` for \
         goro and Go, the worker count for tokio (`procs=1`: its current-thread runtime) and \
         may, and the thread count for the peers built on OS threads. When a case has fewer Ps \
         than the machine has CPUs, every peer's process starts on a CPU affinity mask of that \
         many CPUs, so that one P means one CPU for all of them (a runtime that moves its P to \
         another thread cannot borrow a second CPU). The environment of every run is cleared \
         of `GODEBUG`, `GOGC` and `GOMEMLIMIT`. Each run's wall time and CPU time (user + \
         system, from `wait4`) are in the last table.\n"
    );
    let checks = goals(measured);
    if !checks.is_empty() {
        let _ = writeln!(
            md,
            "## Goals from the issues\n\n| | case | goal | measured |\n|---|---|---|---|"
        );
        for c in &checks {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                c.status(),
                c.case,
                c.goal,
                c.measured.replace('|', "\\|")
            );
        }
        md.push('\n');
    }
    for group in Group::ALL {
        let peers = peers_of(measured, group);
        if peers.is_empty() {
            continue;
        }
        let rows = rows(measured, group, &peers);
        let _ = writeln!(md, "## {}\n", group.title());
        let _ = writeln!(md, "| case | unit | {} |", peers.join(" | "));
        let _ = writeln!(md, "|---|---|{}", "---|".repeat(peers.len()));
        for r in &rows {
            let cells: Vec<String> = r.cells.iter().map(|c| cell_text(c, true)).collect();
            let _ = writeln!(md, "| {} | {} | {} |", r.label, r.unit, cells.join(" | "));
        }
        let failures: Vec<&Measured> = measured
            .iter()
            .filter(|m| m.case.group == group && m.failed_runs() > 0)
            .collect();
        if !failures.is_empty() {
            md.push_str("\nFailed runs (a peer that failed once is not run again):\n\n");
            for m in failures {
                let _ = writeln!(
                    md,
                    "- {} on `{}`, {} of {} runs failed: `{}`",
                    m.peer,
                    m.case.label(),
                    m.failed_runs(),
                    m.runs.len() + m.skipped,
                    m.first_error().unwrap_or_default()
                );
            }
        }
        let file = format!("bench-{}.svg", group.slug());
        std::fs::write(dir.join(&file), svg::chart(group.title(), &rows, &peers))?;
        let _ = writeln!(md, "\n![{}]({file})\n", group.title());
    }
    burst_curve(dir, measured, &mut md)?;
    let _ = writeln!(md, "## What each workload measures\n\n{WORKLOADS}");
    let _ = writeln!(
        md,
        "The programs: `bench/src/bin/*.rs` (one binary per Rust peer; shared loops in \
         `bench/src/{{threaded,locks}}.rs`) and `bench/go/main.go`. Run one by hand as \
         `target/release/bench-goro pingpong n=200000 procs=1`.\n"
    );
    let _ = writeln!(
        md,
        "## Every run\n\nValues in round order. Spread: (max - min) / median of the runs; a \
         wide one means the machine's load moved during the runs, and the ratios of that case \
         deserve less trust. Wall and CPU: medians of the processes' seconds, measured from \
         outside; CPU / wall is how many CPUs it kept busy.\n\n\
         | case | peer | parameters | values | spread | wall s | CPU s | CPU / wall |\n\
         |---|---|---|---|---|---|---|---|"
    );
    for m in measured {
        let values: Vec<String> = m
            .runs
            .iter()
            .map(|r| match &r.result {
                Ok(s) => num(s["value"]),
                Err(_) => "failed".into(),
            })
            .collect();
        let params: Vec<String> = m.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let spread = match m.spread("value") {
            Some(s) if s.n > 1 && s.max.is_finite() => {
                format!("{:.0}%", s.relative_range() * 100.0)
            }
            _ => "-".into(),
        };
        let med = |key| m.median(key).map_or_else(|| "-".into(), num);
        let busy = m
            .median("proc_wall_s")
            .zip(m.median("proc_cpu_s"))
            .filter(|(w, _)| *w > 0.0)
            .map_or_else(|| "-".into(), |(w, c)| num(c / w));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {spread} | {} | {} | {busy} |",
            m.case.label(),
            m.peer,
            params.join(" "),
            values.join(", "),
            med("proc_wall_s"),
            med("proc_cpu_s"),
        );
    }
    std::fs::write(dir.join("benchmarks.md"), md)
}

/// The `burst` case's RSS over time, a chart and a table (issue 14): what each peer gives
/// back after a million goroutines end.
fn burst_curve(dir: &Path, measured: &[Measured], md: &mut String) -> std::io::Result<()> {
    let of_burst: Vec<&Measured> = measured
        .iter()
        .filter(|m| m.case.workload == "burst")
        .collect();
    let series: Vec<(&str, Vec<(f64, f64)>)> = of_burst
        .iter()
        .map(|m| {
            let mut pts: Vec<(f64, f64)> = [("before_kib", -2.0), ("height_kib", -1.0)]
                .iter()
                .filter_map(|&(k, t)| Some((t, m.median(k)?)))
                .collect();
            pts.extend(
                (0..=60).filter_map(|s| Some((s as f64, m.median(&format!("rss_{s}s_kib"))?))),
            );
            (m.peer, pts)
        })
        .filter(|(_, pts)| !pts.is_empty())
        .collect();
    if series.is_empty() {
        return Ok(());
    }
    let label = of_burst[0].case.label();
    let _ = writeln!(
        md,
        "### After a burst: `{label}`\n\nA million goroutines parked at once, then all ended; \
         the process's RSS before, at the height, and each second after (medians, MiB).\n"
    );
    let _ = writeln!(
        md,
        "| t | {} |",
        series.iter().map(|s| s.0).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(md, "|---|{}", "---|".repeat(series.len()));
    let times: Vec<f64> = series[0].1.iter().map(|p| p.0).collect();
    for t in times {
        let name = if t < -1.5 {
            "before".to_string()
        } else if t < 0.0 {
            "all parked".to_string()
        } else {
            format!("{t} s after")
        };
        let cells: Vec<String> = series
            .iter()
            .map(|(_, pts)| {
                pts.iter()
                    .find(|p| p.0 == t)
                    .map_or("-".into(), |p| num(p.1 / 1024.0))
            })
            .collect();
        let _ = writeln!(md, "| {name} | {} |", cells.join(" | "));
    }
    let file = "bench-burst.svg";
    std::fs::write(
        dir.join(file),
        svg::curve("RSS after a burst (issue 14)", &series),
    )?;
    let _ = writeln!(md, "\n![RSS after a burst]({file})\n");
    Ok(())
}
