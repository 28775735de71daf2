//! The benchmark matrix: which workload runs with which parameters against which peers, and the
//! goals the issues set for goro. The workloads themselves are described in
//! `bench/src/spec.rs` (Rust peers) and `bench/go/main.go` (Go).

use std::time::Duration;

/// A group of cases, one per issue; each gets a table and a chart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Group {
    /// Issue 2: the scheduler.
    Sched,
    /// Issue 3: channels and select.
    Chan,
    /// Issue 4: sync.
    Sync,
    /// Issue 5: sysmon, syscalls and preemption.
    Sysmon,
    /// Issue 6: the netpoller.
    Net,
    /// Issue 15: network at scale (HTTP under wrk, many idle connections).
    NetScale,
    /// Issue 14: memory (skynet's peak, stacks given back, parked goroutines).
    Memory,
}

impl Group {
    pub(crate) const ALL: [Group; 7] = [
        Group::Sched,
        Group::Chan,
        Group::Sync,
        Group::Sysmon,
        Group::Net,
        Group::NetScale,
        Group::Memory,
    ];

    /// Short name, used in file names (`docs/bench-sched.svg`).
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Group::Sched => "sched",
            Group::Chan => "chan",
            Group::Sync => "sync",
            Group::Sysmon => "sysmon",
            Group::Net => "net",
            Group::NetScale => "net-scale",
            Group::Memory => "memory",
        }
    }

    /// Section title.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Group::Sched => "Scheduler (issue 2): spawn, yield, parked goroutines",
            Group::Chan => "Channels and select (issue 3)",
            Group::Sync => "Sync (issue 4): Mutex, WaitGroup",
            Group::Sysmon => "Sysmon (issue 5): syscalls and a goroutine that never yields",
            Group::Net => "Netpoller (issue 6): TCP echo server",
            Group::NetScale => {
                "Network at scale (issue 15): HTTP plaintext under wrk, idle connections"
            }
            Group::Memory => {
                "Memory (issue 14): skynet's peak, a burst given back, parked goroutines"
            }
        }
    }
}

/// One row of the matrix: a workload with fixed parameters, run by every peer listed.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    pub(crate) group: Group,
    /// Workload name, the binaries' first argument.
    pub(crate) workload: &'static str,
    /// Parameters passed as `key=value` (also `procs`); `n` and `size` shrink to a tenth under
    /// `--quick`, `secs` to 1. `n`, `size`, `secs` and `ms` are left out of the label.
    pub(crate) params: Vec<(&'static str, usize)>,
    /// The P count: `GOMAXPROCS` for goro and Go, workers for tokio and may, CPUs for threads.
    pub(crate) procs: usize,
    /// The peers, goro first.
    pub(crate) peers: Vec<&'static str>,
    /// Per-peer parameter overrides (a peer that cannot run the full size).
    pub(crate) overrides: Vec<(&'static str, &'static str, usize)>,
    /// Unit of the `value` metric, for display.
    pub(crate) unit: &'static str,
    /// Extra metrics (printed by the binaries) shown as rows of their own: (key, unit).
    pub(crate) extras: Vec<(&'static str, &'static str)>,
    /// A run's time limit when shorter than `--timeout`: for a case that may hang by design.
    pub(crate) timeout: Option<Duration>,
}

impl Case {
    /// `workload k=v ..` without `n`/`size`/`secs`/`ms`: identifies the case in tables.
    pub(crate) fn label(&self) -> String {
        let mut s = self.workload.to_string();
        for (k, v) in &self.params {
            if !matches!(*k, "n" | "size" | "secs" | "ms") {
                s.push_str(&format!(" {k}={v}"));
            }
        }
        if self.shows_procs() {
            s.push_str(&format!(" procs={}", self.procs));
        }
        s
    }

    fn shows_procs(&self) -> bool {
        matches!(self.workload, "pingpong" | "yield" | "bridge-pingpong")
            || self.group == Group::Memory
    }

    /// The parameters `peer` runs with, scaled for `--quick`.
    pub(crate) fn params_for(&self, peer: &str, quick: bool) -> Vec<(&'static str, usize)> {
        let mut params = self.params.clone();
        for (p, k, v) in &self.overrides {
            if *p == peer {
                match params.iter_mut().find(|(pk, _)| pk == k) {
                    Some(slot) => slot.1 = *v,
                    None => params.push((k, *v)),
                }
            }
        }
        if quick {
            for (k, v) in params.iter_mut() {
                match *k {
                    "n" | "size" => *v = (*v / 10).max(1),
                    "secs" => *v = 1,
                    _ => {}
                }
            }
        }
        params.push(("procs", self.procs));
        params
    }
}

/// Every case, in report order. `cpus` is the machine's CPU count (the default P count).
pub(crate) fn all(cpus: usize) -> Vec<Case> {
    use Group::*;
    let mut v = Vec::new();
    let case =
        |group, workload, params: &[(&'static str, usize)], procs, peers: &[&'static str], unit| {
            Case {
                group,
                workload,
                params: params.to_vec(),
                procs,
                peers: peers.to_vec(),
                overrides: Vec::new(),
                unit,
                extras: Vec::new(),
                timeout: None,
            }
        };

    // Issue 2: the scheduler.
    let mut spawn = case(
        Sched,
        "spawn",
        &[("n", 1_000_000)],
        cpus,
        &["goro", "go", "may", "tokio", "threads"],
        "ns/spawn",
    );
    // may gives each coroutine its own mapping plus an mprotect guard: past ~32,700 live ones
    // it runs into vm.max_map_count (65530) and panics, so it spawns 30,000.
    spawn.overrides.push(("may", "n", 30_000));
    spawn.overrides.push(("threads", "n", 10_000));
    spawn.extras = vec![("ms", "ms total"), ("peak_rss_kib", "peak RSS KiB")];
    v.push(spawn);
    v.push(case(
        Sched,
        "yield",
        &[("n", 1_000_000)],
        1,
        &["goro", "go", "may", "tokio", "threads"],
        "ns/yield",
    ));
    let mut parked = case(
        Sched,
        "parked",
        &[("n", 100_000)],
        cpus,
        &["goro", "go", "may", "tokio", "threads"],
        "bytes/G",
    );
    parked.overrides.push(("may", "n", 30_000));
    parked.overrides.push(("threads", "n", 10_000));
    v.push(parked);

    // Issue 3: channels.
    let chan_g = ["goro", "go", "may", "tokio", "crossbeam", "flume", "std"];
    for procs in [1, 2.min(cpus).max(1)] {
        v.push(case(
            Chan,
            "pingpong",
            &[("n", 200_000)],
            procs,
            &chan_g,
            "ns/round trip",
        ));
    }
    for cap in [0, 10, 100] {
        v.push(case(
            Chan,
            "prodcons",
            &[("n", 500_000), ("cap", cap)],
            cpus,
            &["goro", "go", "crossbeam", "flume"],
            "ns/msg",
        ));
    }
    v.push(case(
        Chan,
        "select",
        &[("n", 1_000_000), ("cap", 100)],
        cpus,
        &["goro", "go", "tokio", "crossbeam", "flume"],
        "ns/select",
    ));
    v.push(case(
        Chan,
        "fairness",
        &[("n", 1_000_000)],
        cpus,
        &["goro", "go", "tokio", "crossbeam", "flume"],
        "max points off 25%",
    ));
    for (cap, n) in [(0, 200_000), (100, 1_000_000)] {
        v.push(case(
            Chan,
            "chan-threads",
            &[("n", n), ("cap", cap)],
            cpus,
            &["goro", "crossbeam", "flume", "std"],
            "ns/msg",
        ));
    }

    // Issue 4: sync.
    let locks = ["goro", "go", "parking_lot", "std", "may"];
    for work in [0, 100] {
        for g in [2, 8, 64] {
            v.push(case(
                Sync,
                "mutex",
                &[("n", 1_000_000), ("g", g), ("work", work)],
                cpus,
                &locks,
                "ns/lock",
            ));
        }
    }
    v.push(case(
        Sync,
        "uncontended",
        &[("n", 10_000_000)],
        cpus,
        &locks,
        "ns/lock",
    ));
    for spawn in [0, 1] {
        v.push(case(
            Sync,
            "waitgroup",
            &[("n", 1_000_000), ("spawn", spawn)],
            cpus,
            &["goro", "go"],
            "ns/cycle",
        ));
    }
    let mut tail = case(
        Sync,
        "mutex-tail",
        &[("n", 1_000_000), ("g", 4)],
        cpus,
        &locks,
        "max wait µs",
    );
    tail.extras = vec![
        ("p999_wait_us", "p99.9 wait µs"),
        ("p99_wait_us", "p99 wait µs"),
        ("ns_per_lock", "ns/lock"),
    ];
    v.push(tail);

    // Issue 5: sysmon. Both on one P, where a stuck goroutine would stall everything.
    v.push(case(
        Sysmon,
        "syscall",
        &[("n", 1_000_000)],
        1,
        &["goro", "go"],
        "ns/call",
    ));
    let mut hog = case(
        Sysmon,
        "hog",
        &[("secs", 2)],
        1,
        &["goro", "go"],
        "p99 µs late",
    );
    hog.extras = vec![
        ("p50_late_us", "p50 µs late"),
        ("max_late_us", "max µs late"),
        ("proc_cpu_s", "process CPU s"),
    ];
    v.push(hog);
    // Issue 12: Go's TestPingPongHog. goro's driver is an OS thread and needs no P, so the run
    // ends even while one pair keeps the P; the limit is for a hang all the same.
    let mut pingpong_hog = case(
        Sysmon,
        "fairness-hog",
        &[("ms", 300)],
        1,
        &["goro", "go"],
        "hog/light",
    );
    pingpong_hog.extras = vec![
        ("hog_units", "hog units done"),
        ("light_units", "light units done"),
    ];
    pingpong_hog.timeout = Some(Duration::from_secs(20));
    v.push(pingpong_hog);

    // Issue 6: the netpoller. The client (`bench-echo-client`) starts each peer's server on
    // the first `procs` CPUs and drives it from the others, so the two never share a CPU.
    for conns in [100, 1_000] {
        let mut echo = case(
            Net,
            "echo",
            &[("conns", conns), ("secs", 3)],
            (cpus / 2).max(1),
            &["goro", "go", "tokio", "may"],
            "ns/request",
        );
        echo.extras = vec![
            ("rps", "requests/s (higher is better)"),
            ("p50_us", "p50 latency µs"),
            ("p99_us", "p99 latency µs"),
            ("server_cpu_us_per_req", "server CPU µs/request"),
            ("server_cpu_pct", "server CPU %"),
            ("client_cpu_pct", "client CPU %"),
            ("client_idle_pct", "client idle %"),
            ("server_rss_kib", "server peak RSS KiB"),
        ];
        v.push(echo);
    }

    // Issue 15: HTTP plaintext under Debian's wrk (`bench-echo-client http` runs it): the
    // server on one CPU with 2 scheduler threads, `wrk -t1` on another.
    for conns in HTTP_CONNS {
        for pipeline in [1, 16] {
            let mut http = case(
                NetScale,
                "http",
                &[("conns", conns), ("pipeline", pipeline), ("secs", 5)],
                2,
                &["goro", "go", "go_http", "tokio", "may"],
                "ns/request",
            );
            http.extras = vec![
                ("rps", "requests/s (higher is better)"),
                ("p50_us", "p50 latency µs"),
                ("p99_us", "p99 latency µs"),
                ("socket_errors", "wrk socket errors"),
                ("server_cpu_pct", "server CPU %"),
                ("server_rss_kib", "server peak RSS KiB"),
            ];
            v.push(http);
        }
    }
    // Idle connections: connected, one goroutine each parked in read (`bench-echo-client idle`).
    let mut idle = case(
        NetScale,
        "idle",
        &[("conns", 100_000)],
        (cpus / 2).max(1),
        &["goro", "go", "tokio", "may"],
        "bytes/conn",
    );
    idle.extras = vec![
        ("conns", "connections reached (RLIMIT_NOFILE)"),
        ("accept_per_s", "accepted/s (higher is better)"),
        ("first_byte_p50_us", "first byte p50 µs"),
        ("first_byte_p99_us", "first byte p99 µs"),
        ("server_rss_kib", "server RSS KiB"),
    ];
    v.push(idle);
    // Issue 14: memory. Skynet moved here from issue 3, at 1 and 2 Ps, with its peak RSS and
    // the live goroutines at its peak (sampled every 200 us) beside its time.
    for procs in [1, 2.min(cpus).max(1)] {
        let mut skynet = case(
            Memory,
            "skynet",
            &[("size", 1_000_000)],
            procs,
            &["goro", "go", "may", "tokio"],
            "ms",
        );
        skynet.extras = vec![
            ("peak_rss_kib", "peak RSS KiB"),
            ("peak_live", "live goroutines at the peak"),
        ];
        v.push(skynet);
        let mut spawn = case(
            Memory,
            "spawn",
            &[("n", 1_000_000)],
            procs,
            &["goro", "go"],
            "ns/spawn",
        );
        spawn.extras = vec![("peak_rss_kib", "peak RSS KiB")];
        v.push(spawn);
    }
    let two = 2.min(cpus).max(1);
    let mut burst = case(
        Memory,
        "burst",
        &[("n", 1_000_000), ("secs", 10)],
        two,
        &["goro", "go"],
        "RSS 10 s after / before",
    );
    burst.extras = BURST_EXTRAS.to_vec();
    v.push(burst);
    let mut parked_long = case(
        Memory,
        "parked",
        &[("n", 100_000), ("hold", 10)],
        two,
        &["goro", "go", "may", "tokio"],
        "bytes/G",
    );
    parked_long.overrides.push(("may", "n", 30_000));
    v.push(parked_long);
    // Issue 16: the async bridge. goro's value is a goroutine <-> tokio task round trip over
    // goro channels; its extras are, from the same process, goroutine <-> goroutine and
    // tokio task <-> task (mpsc, capacity 1); the tokio peer's value is the latter again.
    for procs in [1, 2.min(cpus).max(1)] {
        let mut bridge = case(
            Chan,
            "bridge-pingpong",
            &[("n", 200_000)],
            procs,
            &["goro", "tokio"],
            "ns/round trip",
        );
        bridge.extras = vec![
            ("g2g_ns", "goroutine-goroutine ns/round trip"),
            ("t2t_ns", "tokio-tokio (mpsc) ns/round trip"),
        ];
        v.push(bridge);
    }
    v
}

/// The connection counts of the `http` workload (issue 15).
pub(crate) const HTTP_CONNS: [usize; 3] = [256, 1_024, 10_000];

/// The workloads the shared load client (`bench-echo-client`) runs, starting the peer's
/// server itself.
pub(crate) fn client_driven(workload: &str) -> bool {
    matches!(workload, "echo" | "http" | "idle")
}

/// The rows of `burst`: RSS before, at the burst's height, and after it ended.
pub(crate) const BURST_EXTRAS: [(&str, &str); 8] = [
    ("before_kib", "RSS KiB before"),
    ("height_kib", "RSS KiB, all parked"),
    ("rss_0s_kib", "RSS KiB as they end"),
    ("rss_1s_kib", "RSS KiB 1 s after"),
    ("rss_2s_kib", "RSS KiB 2 s after"),
    ("rss_3s_kib", "RSS KiB 3 s after"),
    ("rss_5s_kib", "RSS KiB 5 s after"),
    ("rss_10s_kib", "RSS KiB 10 s after"),
];

/// Whether a larger `key` is better. `value` never is (see `bench/src/lib.rs`); among the
/// extras, requests per second is.
pub(crate) fn higher_is_better(key: &str) -> bool {
    matches!(key, "rps" | "accept_per_s" | "conns")
}

/// A target an issue sets for goro.
pub(crate) struct Goal {
    /// The case's label (`Case::label`).
    pub(crate) case: &'static str,
    /// The metric the goal is on: `value`, or one of the case's extras.
    pub(crate) metric: &'static str,
    /// What the issue asks, in words.
    pub(crate) text: &'static str,
    pub(crate) kind: GoalKind,
}

pub(crate) enum GoalKind {
    /// goro/peer at most `max`.
    Ratio { peer: &'static str, max: f64 },
    /// goro/peer at least `min` (for a metric where more is better).
    RatioAtLeast { peer: &'static str, min: f64 },
    /// goro's own value at most `max` (in the case's unit).
    Below { max: f64 },
    /// goro's own value within `min..=max`.
    Within { min: f64, max: f64 },
}

/// The goals of issues 2 to 6, 12, 14, 15, 16 and 17.
pub(crate) fn goals() -> Vec<Goal> {
    use GoalKind::*;
    let g = |case, text, kind| Goal {
        case,
        metric: "value",
        text,
        kind,
    };
    let on = |case, metric, text, kind| Goal {
        case,
        metric,
        text,
        kind,
    };
    let mut v = vec![
        g(
            "spawn",
            "spawn at or under Go's time",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "yield procs=1",
            "yield at most half of Go's Gosched",
            Ratio {
                peer: "go",
                max: 0.5,
            },
        ),
        g(
            "parked",
            "a parked goroutine at most 5 KiB",
            Below { max: 5120.0 },
        ),
        g(
            "pingpong procs=1",
            "ping-pong at most half of Go's at GOMAXPROCS=1",
            Ratio {
                peer: "go",
                max: 0.5,
            },
        ),
        g(
            "prodcons cap=0",
            "prodcons at or under Go",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "prodcons cap=10",
            "prodcons at or under Go",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "prodcons cap=100",
            "prodcons at or under Go",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "syscall",
            "syscall enter+exit overhead at or under Go's",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "hog",
            "hog on one CPU: a ticker's p99 lateness within 2x of Go's (async preemption)",
            Ratio {
                peer: "go",
                max: 2.0,
            },
        ),
        g(
            "fairness-hog",
            "hog/light ratio within [0.05, 20], as Go",
            Within {
                min: 0.05,
                max: 20.0,
            },
        ),
        g(
            "skynet procs=1",
            "skynet at or under Go at 1 P",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "skynet procs=2",
            "skynet at or under Go at 2 Ps",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        on(
            "skynet procs=1",
            "peak_rss_kib",
            "skynet's peak RSS at most 2x Go's at 1 P",
            Ratio {
                peer: "go",
                max: 2.0,
            },
        ),
        on(
            "skynet procs=2",
            "peak_rss_kib",
            "skynet's peak RSS at most 2x Go's at 2 Ps",
            Ratio {
                peer: "go",
                max: 2.0,
            },
        ),
        g(
            "spawn procs=1",
            "spawn+join at or under Go at 1 P",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "spawn procs=2",
            "spawn+join at or under Go at 2 Ps",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "burst procs=2",
            "RSS 10 s after a burst within 1.5x of before",
            Below { max: 1.5 },
        ),
        g(
            "parked hold=10 procs=2",
            "a goroutine parked 10 s at most 2 KiB",
            Below { max: 2048.0 },
        ),
        g(
            "chan-threads cap=0",
            "thread-to-thread within 1.5x of crossbeam-channel",
            Ratio {
                peer: "crossbeam",
                max: 1.5,
            },
        ),
        g(
            "chan-threads cap=100",
            "thread-to-thread within 1.5x of crossbeam-channel",
            Ratio {
                peer: "crossbeam",
                max: 1.5,
            },
        ),
        g(
            "fairness",
            "every fairness share within 25% +- 1%",
            Below { max: 1.0 },
        ),
        g(
            "mutex g=2 work=0",
            "contended at or under Go",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "mutex g=8 work=0",
            "contended at or under Go",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "mutex g=64 work=0",
            "contended at or under Go",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ),
        g(
            "uncontended",
            "uncontended within 1.2x of parking_lot",
            Ratio {
                peer: "parking_lot",
                max: 1.2,
            },
        ),
        g(
            "mutex-tail g=4",
            "no waiter waits more than a few ms (Go's bound; here 5 ms)",
            Below { max: 5000.0 },
        ),
    ];
    // Issue 17: the bars for the hand-off rows it names beyond those above.
    v.push(g(
        "select cap=100",
        "select over 4 channels at or under Go (issue 17)",
        Ratio {
            peer: "go",
            max: 1.0,
        },
    ));
    v.push(g(
        "chan-threads cap=100",
        "thread-to-thread at or under crossbeam-channel (issue 17)",
        Ratio {
            peer: "crossbeam",
            max: 1.0,
        },
    ));
    for case in ["echo conns=100", "echo conns=1000"] {
        v.push(on(
            case,
            "rps",
            "requests per second at or over Go's",
            RatioAtLeast {
                peer: "go",
                min: 1.0,
            },
        ));
        v.push(on(
            case,
            "p99_us",
            "p99 latency at or under Go's",
            Ratio {
                peer: "go",
                max: 1.0,
            },
        ));
    }
    // Issue 15: ahead of Go (raw `net`) and tokio at every HTTP point; p99 where there is
    // no pipelining (with it, wrk times a batch, not a request).
    for label in HTTP_LABELS {
        for peer in ["go", "tokio"] {
            v.push(on(
                label,
                "rps",
                "requests per second at or over the peer's",
                RatioAtLeast { peer, min: 1.0 },
            ));
            if label.contains("pipeline=1 ") || label.ends_with("pipeline=1") {
                v.push(on(
                    label,
                    "p99_us",
                    "p99 latency at or under the peer's",
                    Ratio { peer, max: 1.0 },
                ));
            }
        }
    }
    v.push(g(
        "idle conns=100000",
        "an idle connection costs at most what Go's does",
        Ratio {
            peer: "go",
            max: 1.0,
        },
    ));
    v
}

/// The labels of the `http` cases, for the goals.
const HTTP_LABELS: [&str; 6] = [
    "http conns=256 pipeline=1",
    "http conns=256 pipeline=16",
    "http conns=1024 pipeline=1",
    "http conns=1024 pipeline=16",
    "http conns=10000 pipeline=1",
    "http conns=10000 pipeline=16",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_goal_names_a_case_that_runs_its_peer() {
        let cases = all(2);
        for goal in goals() {
            let case = cases
                .iter()
                .find(|c| c.label() == goal.case)
                .unwrap_or_else(|| panic!("goal names no case: {}", goal.case));
            if let GoalKind::Ratio { peer, .. } | GoalKind::RatioAtLeast { peer, .. } = goal.kind {
                assert!(case.peers.contains(&peer), "{}: no {peer}", goal.case);
            }
            assert!(
                goal.metric == "value" || case.extras.iter().any(|(k, _)| *k == goal.metric),
                "{}: no metric {}",
                goal.case,
                goal.metric
            );
        }
    }

    #[test]
    fn labels_are_unique_and_goro_runs_everything() {
        let cases = all(2);
        for (i, c) in cases.iter().enumerate() {
            assert_eq!(c.peers[0], "goro", "{}", c.label());
            assert!(
                cases[..i].iter().all(|d| d.label() != c.label()),
                "{}",
                c.label()
            );
        }
    }

    #[test]
    fn every_http_case_has_its_goals() {
        let cases = all(2);
        let labels: Vec<String> = cases
            .iter()
            .filter(|c| c.workload == "http")
            .map(Case::label)
            .collect();
        assert_eq!(labels, HTTP_LABELS);
        assert!(cases.iter().all(|c| c.workload != "http" || c.procs == 2));
    }

    #[test]
    fn overrides_and_quick_scale_the_size() {
        let spawn = all(2).into_iter().find(|c| c.workload == "spawn").unwrap();
        assert_eq!(
            spawn.params_for("goro", false),
            [("n", 1_000_000), ("procs", 2)]
        );
        assert_eq!(
            spawn.params_for("threads", true),
            [("n", 1_000), ("procs", 2)]
        );
        let echo = all(2).into_iter().find(|c| c.workload == "echo").unwrap();
        assert_eq!(echo.label(), "echo conns=100");
        assert_eq!(
            echo.params_for("go", true),
            [("conns", 100), ("secs", 1), ("procs", 1)]
        );
    }
}
