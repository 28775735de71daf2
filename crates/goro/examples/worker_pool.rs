//! A worker pool: Go by Example's "Worker Pools", ported to goro.
//!
//! ```go
//! jobs, results := make(chan int, 100), make(chan int, 100)
//! var wg sync.WaitGroup
//! for w := 1; w <= 4; w++ {
//!     wg.Go(func() { worker(w, jobs, results) })
//! }
//! go func() { wg.Wait(); close(results) }()
//! for j := 1; j <= 100; j++ { jobs <- j }
//! close(jobs)
//! for r := range results { ... }
//! ```
//!
//! Workers take jobs from one buffered channel until it is closed and drained; a WaitGroup
//! tells a closer goroutine when to close the results channel, which ends the collecting
//! loop. Each job "works" by sleeping, which parks only its goroutine.
//!
//! Run: `cargo run --release -p goroutines --example worker_pool`

use goro::prelude::*;
use goro::{Receiver, Sender};
use std::time::{Duration, Instant};

const WORKERS: usize = 4;
const JOBS: u64 = 100;
const WORK: Duration = Duration::from_millis(2);

/// One finished job.
struct Done {
    worker: usize,
    job: u64,
    result: u64,
}

/// Go: `func worker(id int, jobs <-chan int, results chan<- int)`.
fn worker(id: usize, jobs: Receiver<u64>, results: Sender<Done>) {
    for job in &jobs {
        sleep(WORK);
        let done = Done {
            worker: id,
            job,
            result: job * 2,
        };
        results
            .send(done)
            .expect("results is closed only after every worker is done");
    }
}

fn main() {
    // SAFETY: main and the goroutines it starts keep no thread-bound state across blocking
    // calls. `run` makes main a goroutine, with Go's deadlock detection.
    unsafe { goro::run(pool) }
}

fn pool() {
    let jobs = Chan::new(JOBS as usize);
    let results = Chan::new(JOBS as usize);
    let wg = WaitGroup::new();
    for id in 1..=WORKERS {
        let (jobs, results) = (jobs.receiver(), results.sender());
        // SAFETY: a worker keeps no thread-bound state across blocking calls.
        let sp = unsafe { Spawner::new() };
        sp.spawn_in(&wg, move || worker(id, jobs, results));
    }
    let closer = {
        let results = results.clone();
        // SAFETY: the closer keeps no thread-bound state across blocking calls.
        go!(unsafe { Spawner::new() }, {
            wg.wait();
            results.close();
        })
    };

    let t0 = Instant::now();
    for j in 1..=JOBS {
        jobs.send(j).unwrap();
    }
    jobs.close();

    let mut per_worker = [0u64; WORKERS];
    let mut done_once = vec![false; JOBS as usize + 1];
    let mut sum = 0;
    for d in &results {
        assert!(!done_once[d.job as usize], "job {} done twice", d.job);
        done_once[d.job as usize] = true;
        per_worker[d.worker - 1] += 1;
        sum += d.result;
    }
    closer.join().unwrap();
    let elapsed = t0.elapsed();

    println!(
        "{JOBS} jobs on {WORKERS} workers in {elapsed:.1?} ({WORK:?} each, {:?} one after another)",
        WORK * JOBS as u32
    );
    println!("jobs per worker: {per_worker:?}");
    println!("sum of results: {sum}");
    assert!(done_once[1..].iter().all(|&d| d), "every job done");
    assert_eq!(per_worker.iter().sum::<u64>(), JOBS);
    assert_eq!(sum, JOBS * (JOBS + 1)); // 2 * (1 + 2 + ... + JOBS)
    println!("ok");
}
