//! Test helpers: Go's goleak for goroutines, and a clock tests can drive.
//!
//! ```
//! use std::time::Duration;
//! goro::testing::check_leaks(Duration::from_secs(1), || {
//!     // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
//!     let h = goro::go!(unsafe { goro::Spawner::new() }, || 2 + 2);
//!     assert_eq!(h.join().unwrap(), 4);
//! });
//! ```
//!
//! # A clock tests can drive
//!
//! [`pause`] stops the runtime's clock, which [`sleep`](crate::sleep), [`after`](crate::after),
//! [`tick`](crate::tick), [`Timer`](crate::Timer), [`Context`](crate::Context) deadlines and
//! channel and socket timeouts all read, so timeout logic is tested without sleeping
//! (tokio's `time::pause`, Go's testing/synctest). With auto-advance (on after `pause`),
//! whenever every goroutine is blocked and a timer is pending the clock jumps to that timer;
//! with it off, [`advance`] moves it and fires what falls due on the way. Compute deadlines
//! from [`now`](crate::now), not `Instant::now()`. The clock belongs to the whole process:
//! pause it only in a test that has its process to itself.
//!
//! ```
//! use goro::prelude::*;
//! use std::time::Duration;
//!
//! goro::testing::pause();
//! let t0 = goro::now();
//! // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
//! let sp = unsafe { Spawner::new() };
//! let h = go!(sp, {
//!     let c = goro::Chan::<()>::new(0);
//!     c.recv_timeout(Duration::from_secs(30)) // times out at once: nobody else runs
//! });
//! assert!(h.join().unwrap().is_err());
//! assert_eq!(goro::now() - t0, Duration::from_secs(30));
//! goro::testing::resume();
//! ```

pub use gmp_sched::debug::check_leaks;
pub use gmp_sched::testing::{advance, advance_to, is_paused, pause, resume, set_auto_advance};
