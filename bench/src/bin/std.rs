//! std on OS threads: `std::sync::Mutex` (`mutex`, `uncontended`, `mutex-tail`) and
//! `sync_channel` (`pingpong`, `chan-threads`).

use goro_bench::locks::{self, StdMutex, Threads};
use goro_bench::threaded::{self, Std};
use goro_bench::{pin_to_cpus, unsupported, Args};

const PEER: &str = "std";

fn main() {
    let args = Args::from_env();
    pin_to_cpus(args.procs());
    match args.workload.as_str() {
        "mutex" => locks::mutex::<StdMutex, Threads>(&args, PEER),
        "uncontended" => locks::uncontended::<StdMutex>(&args, PEER),
        "mutex-tail" => locks::tail::<StdMutex, Threads>(&args, PEER),
        "pingpong" => threaded::pingpong::<Std>(&args, PEER),
        "chan-threads" => threaded::chan_threads::<Std>(&args, PEER),
        _ => unsupported(&args, PEER),
    }
}
