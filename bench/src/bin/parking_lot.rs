//! parking_lot's `Mutex` on OS threads: `mutex`, `uncontended`, `mutex-tail`.

use goro_bench::locks::{self, ParkingLot, Threads};
use goro_bench::{pin_to_cpus, unsupported, Args};

const PEER: &str = "parking_lot";

fn main() {
    let args = Args::from_env();
    pin_to_cpus(args.procs());
    match args.workload.as_str() {
        "mutex" => locks::mutex::<ParkingLot, Threads>(&args, PEER),
        "uncontended" => locks::uncontended::<ParkingLot>(&args, PEER),
        "mutex-tail" => locks::tail::<ParkingLot, Threads>(&args, PEER),
        _ => unsupported(&args, PEER),
    }
}
