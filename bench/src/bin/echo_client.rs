//! The load client of the network workloads, the same for every peer: it starts the peer's
//! server, drives it and prints the `RESULT` line: `echo` (see `goro_bench::echo`), `http`
//! (through Debian's `wrk`, `goro_bench::http`) and `idle` (`goro_bench::idle`).

use goro_bench::{echo, http, idle, unsupported, Args};

fn main() {
    let args = Args::from_env();
    goro_bench::exit_on_panic();
    match args.workload.as_str() {
        "echo" => echo::client(&args),
        "http" => http::client(&args),
        "idle" => idle::client(&args),
        _ => unsupported(&args, "echo-client"),
    }
}
