//! The names most programs use: `use goro::prelude::*;`.
//!
//! ```
//! use goro::prelude::*;
//! // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
//! let h = unsafe { go!(|| yield_now()) };
//! h.join().unwrap();
//! ```

pub use crate::go;
pub use gmp_sched::{sleep, spawn, yield_now, JoinHandle};
