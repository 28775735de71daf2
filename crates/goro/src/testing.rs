//! Test helpers: Go's goleak for goroutines.
//!
//! ```
//! use std::time::Duration;
//! goro::testing::check_leaks(Duration::from_secs(1), || {
//!     // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
//!     let h = goro::go!(unsafe { goro::Spawner::new() }, || 2 + 2);
//!     assert_eq!(h.join().unwrap(), 4);
//! });
//! ```

pub use gmp_sched::debug::check_leaks;
