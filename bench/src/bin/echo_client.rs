//! The load client of the `echo` workload, the same for every peer: it starts the peer's
//! `echo-server`, drives it and prints the `RESULT` line (see `goro_bench::echo`).

use goro_bench::{echo, unsupported, Args};

fn main() {
    let args = Args::from_env();
    goro_bench::exit_on_panic();
    match args.workload.as_str() {
        "echo" => echo::client(&args),
        _ => unsupported(&args, "echo-client"),
    }
}
