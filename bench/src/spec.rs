//! The workloads, their parameters and their defaults, shared by every Rust peer (the Go
//! program in `bench/go` mirrors them). The harness always passes the parameters explicitly;
//! the defaults serve a binary run by hand.
//!
//! | workload       | parameters (default)                        | value (lower is better)        |
//! |----------------|---------------------------------------------|--------------------------------|
//! | `spawn`        | n (1,000,000)                               | ns per spawn+join; extra `ms`  |
//! | `yield`        | n yields per goroutine (1,000,000), 2 Gs    | ns per yield                   |
//! | `parked`       | n (100,000)                                 | RSS bytes per parked goroutine |
//! | `pingpong`     | n round trips (200,000), unbuffered         | ns per round trip              |
//! | `prodcons`     | n messages (1,000,000), cap, 4 prod, 4 cons | ns per message                 |
//! | `select`       | n selects (1,000,000) over 4 fed channels   | ns per select                  |
//! | `skynet`       | size leaves (1,000,000): 1,111,111 Gs       | ms                             |
//! | `fairness`     | n selects (1,000,000) over 4 ready cases    | max deviation from 25%, points |
//! | `chan-threads` | n messages (1,000,000), cap, 1 to 1 threads | ns per message                 |
//! | `mutex`        | n locks (1,000,000), g, work outside lock   | ns per lock/unlock             |
//! | `uncontended`  | n (10,000,000)                              | ns per lock+unlock             |
//! | `waitgroup`    | n cycles (1,000,000), spawn (0 or 1)        | ns per add/done/wait cycle     |
//! | `syscall`      | n (1,000,000), one P                        | ns per wrapped getppid         |
//! | `hog`          | secs (2), one P, one spinning goroutine     | p99 lateness of a 1 ms tick, µs |
//! | `fairness-hog` | ms (300), one P; Go's TestPingPongHog       | hog units / light units        |
//! | `mutex-tail`   | n locks (1,000,000), g (4)                  | longest wait for the lock, µs  |
//! | `echo`         | conns (100), secs (3); 64-byte round trips  | ns per request (1e9 / rps)     |
//! | `bridge-pingpong` | n round trips (200,000), unbuffered; goro: goroutine to tokio task, extras `g2g_ns`, `t2t_ns`; tokio: task to task (mpsc) | ns per round trip |
//!
//! `echo` is driven by `bench-echo-client`, which starts a peer's `echo-server` (see
//! [`crate::echo`]).

/// `spawn`: goroutines spawned, then all joined.
pub const SPAWN_N: usize = 1_000_000;
/// `yield`: yields per goroutine (two goroutines on one P).
pub const YIELD_N: usize = 1_000_000;
/// `parked`: goroutines parked at once.
pub const PARKED_N: usize = 100_000;
/// `pingpong`: round trips.
pub const PINGPONG_N: usize = 200_000;
/// `prodcons`: messages in total.
pub const PRODCONS_N: usize = 1_000_000;
/// `prodcons`: producers and consumers.
pub const PRODCONS_SIDES: usize = 4;
/// `select`: selects.
pub const SELECT_N: usize = 1_000_000;
/// `select` and `fairness`: channels (cases).
pub const SELECT_CASES: usize = 4;
/// `skynet`: leaves (a power of 10; 1,000,000 leaves make 1,111,111 goroutines).
pub const SKYNET_SIZE: usize = 1_000_000;
/// `fairness`: selects.
pub const FAIRNESS_N: usize = 1_000_000;
/// `chan-threads`: messages.
pub const CHAN_THREADS_N: usize = 1_000_000;
/// `mutex` and `mutex-tail`: lock/unlock pairs in total.
pub const MUTEX_N: usize = 1_000_000;
/// `mutex`: busy-work iterations outside the lock when `work=1` ([`crate::work`]).
pub const MUTEX_WORK: usize = 100;
/// `uncontended`: lock/unlock pairs.
pub const UNCONTENDED_N: usize = 10_000_000;
/// `syscall`: wrapped system calls.
pub const SYSCALL_N: usize = 1_000_000;
/// `hog`: seconds a goroutine spins while a 1 ms ticker measures its lateness.
pub const HOG_SECS: usize = 2;
/// `fairness-hog`: milliseconds before `done` is closed.
pub const FAIRNESS_HOG_MS: usize = 300;
/// `fairness-hog`: units of work ([`crate::work`] steps) per hand-off, hog pair and light pair.
pub const FAIRNESS_HOG_UNITS: [usize; 2] = [1_000_000, 1_000];
/// `waitgroup`: add/done/wait cycles.
pub const WAITGROUP_N: usize = 1_000_000;
/// `echo`: connections, each with one request in flight.
pub const ECHO_CONNS: usize = 100;
/// `echo`: seconds measured (after the warm-up).
pub const ECHO_SECS: usize = 3;

/// `burst`: goroutines parked at once, then all ended.
pub const BURST_N: usize = 1_000_000;
/// `burst`: seconds the RSS is followed after the burst.
pub const BURST_SECS: usize = 10;
