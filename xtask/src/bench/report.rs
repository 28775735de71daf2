//! Turning medians into the console table, the goal check and `benchmarks.md`.
//!
//! Every figure is shown beside the ratio goro/peer from the same run (below 1: goro is faster,
//! or smaller); a lone absolute is never quoted.

use super::cases::{self, Case, GoalKind, Group};
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
    /// Why there is no median (the first failure), or a parameter this peer ran with instead.
    pub(crate) note: Option<String>,
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
                    let ratio = match (goro_median, median) {
                        // No ratio beside a starved run (an infinite figure).
                        (Some(g), Some(v))
                            if comparable
                                && m.peer != "goro"
                                && v > 0.0
                                && g.is_finite()
                                && v.is_finite() =>
                        {
                            Some(g / v)
                        }
                        _ => None,
                    };
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
                        note,
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
    if let Some(r) = c.ratio {
        let _ = write!(s, " ({}x)", num(r));
    }
    if let (Some(n), Some(_)) = (&c.note, c.median) {
        let _ = write!(s, " [{n}]");
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
        let _ = writeln!(out, "\n{} (medians; (Nx) = goro/peer)", group.title());
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

/// One goal of the issues, checked against goro's medians.
pub(crate) struct GoalCheck {
    /// `MET`, `MISS` or `n/a`.
    pub(crate) status: &'static str,
    pub(crate) case: &'static str,
    pub(crate) goal: &'static str,
    /// The figures behind the verdict.
    pub(crate) measured: String,
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
        let ratio_to =
            |peer: &str, g: f64, bound: &str| match find(peer).and_then(|p| p.median(key)) {
                Some(p) if p > 0.0 => Some((
                    g / p,
                    format!(
                        "goro/{peer} = {} (goro {} vs {} {unit}; goal {bound})",
                        num(g / p),
                        num(g),
                        num(p),
                    ),
                )),
                _ => None,
            };
        // A goal on goro's own figure, shown beside Go's.
        let own = |g: f64, min: f64, max: f64, bound: String| {
            let go = find("go")
                .and_then(|p| p.median(key))
                .map_or_else(String::new, |p| {
                    if g.is_finite() && p.is_finite() && p > 0.0 {
                        format!("; Go {}, goro/go = {}", num(p), num(g / p))
                    } else {
                        format!("; Go {}", num(p))
                    }
                });
            (
                if (min..=max).contains(&g) {
                    "MET"
                } else {
                    "MISS"
                },
                format!("goro {} {unit} (goal {bound}{go})", num(g)),
            )
        };
        let (status, measured) = match (&goal.kind, goro.median(key)) {
            (_, None) => ("MISS", "goro failed".to_string()),
            (GoalKind::Ratio { peer, max }, Some(g)) => {
                match ratio_to(peer, g, &format!("<= {max}")) {
                    Some((r, text)) => (if r <= *max { "MET" } else { "MISS" }, text),
                    None => ("n/a", format!("{peer} did not run")),
                }
            }
            (GoalKind::RatioAtLeast { peer, min }, Some(g)) => {
                match ratio_to(peer, g, &format!(">= {min}")) {
                    Some((r, text)) => (if r >= *min { "MET" } else { "MISS" }, text),
                    None => ("n/a", format!("{peer} did not run")),
                }
            }
            (GoalKind::Below { max }, Some(g)) => {
                own(g, f64::NEG_INFINITY, *max, format!("<= {}", num(*max)))
            }
            (GoalKind::Within { min, max }, Some(g)) => own(
                g,
                *min,
                *max,
                format!("within [{}, {}]", num(*min), num(*max)),
            ),
        };
        out.push(GoalCheck {
            status,
            case: goal.case,
            goal: goal.text,
            measured,
        });
    }
    out
}

/// The goal checks as console lines.
pub(crate) fn goals_text(checks: &[GoalCheck]) -> String {
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(
            out,
            "  {:<4}  {:<22} {}: {}",
            c.status, c.case, c.goal, c.measured
        );
    }
    out
}

const WORKLOADS: &str = "\
- `spawn`: n goroutines spawned from one goroutine, then all joined (Go: a WaitGroup; tokio:
  `JoinHandle`s; may: `go!` + `join`; threads: 10,000 threads, so compare per spawn). Value: ns
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
  peers: 8 threads). Value: ns per message.
- `select`: one goroutine selecting over 4 channels of capacity 100, each fed by its own
  goroutine until closed. Value: ns per select.
- `skynet`: the classic: 1,111,111 goroutines in a tree of ten children each, sums sent back on
  channels. Value: ms.
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
  and 99th percentiles of all the calls' waits, and ns per lock. On a shared machine the maximum
  also catches the OS descheduling the holder; the percentiles show the lock's own fairness.
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
         {runs} times{quick}, interleaved round-robin across the peers of a case, each run a \
         fresh process; the figures are medians. Each cell shows the median and, in \
         parentheses, **goro / peer** from the same run: below 1 means goro is faster (or \
         smaller). Absolute figures depend on the machine below and on its load; only the \
         ratios carry over.\n",
        runs = opts.runs,
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
    let _ = writeln!(
        md,
        "The P count of a case (`procs`, default: all CPUs) goes to every peer: `GOMAXPROCS` for \
         goro and Go, the worker count for tokio (`procs=1`: its current-thread runtime) and \
         may, and a CPU affinity mask of that many CPUs for the peers built on OS threads.\n"
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
                c.status,
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
            .filter(|m| m.case.group == group && m.failure().is_some())
            .collect();
        if !failures.is_empty() {
            md.push_str("\nFailed runs:\n\n");
            for m in failures {
                let _ = writeln!(
                    md,
                    "- {} on `{}`: `{}`",
                    m.peer,
                    m.case.label(),
                    m.failure().unwrap_or_default()
                );
            }
        }
        let file = format!("bench-{}.svg", group.slug());
        std::fs::write(dir.join(&file), svg::chart(group.title(), &rows, &peers))?;
        let _ = writeln!(md, "\n![{}]({file})\n", group.title());
    }
    let _ = writeln!(md, "## What each workload measures\n\n{WORKLOADS}");
    let _ = writeln!(
        md,
        "The programs: `bench/src/bin/*.rs` (one binary per Rust peer; shared loops in \
         `bench/src/{{threaded,locks}}.rs`) and `bench/go/main.go`. Run one by hand as \
         `target/release/bench-goro pingpong n=200000 procs=1`.\n"
    );
    let _ = writeln!(
        md,
        "## Every run\n\nSpread: (max - min) / median of the runs; a wide one means the \
         machine's load moved during the runs, and the ratios of that case deserve less \
         trust.\n\n| case | peer | parameters | values | spread |\n|---|---|---|---|---|"
    );
    for m in measured {
        let values: Vec<String> = m
            .runs
            .iter()
            .map(|r| match r {
                Ok(s) => num(s["value"]),
                Err(_) => "failed".into(),
            })
            .collect();
        let params: Vec<String> = m.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let ok: Vec<f64> = m
            .runs
            .iter()
            .filter_map(|r| Some(r.as_ref().ok()?["value"]))
            .collect();
        let spread = match m.median("value") {
            Some(med) if med > 0.0 && ok.len() > 1 && ok.iter().all(|v| v.is_finite()) => {
                let (lo, hi) = ok
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                format!("{:.0}%", (hi - lo) / med * 100.0)
            }
            _ => "-".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {spread} |",
            m.case.label(),
            m.peer,
            params.join(" "),
            values.join(", ")
        );
    }
    std::fs::write(dir.join("benchmarks.md"), md)
}
