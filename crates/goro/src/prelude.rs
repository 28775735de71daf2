//! The names most programs use: `use goro::prelude::*;`.
//!
//! ```
//! use goro::prelude::*;
//! let ch = Chan::new(1);
//! // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
//! let h = unsafe { go!(move || ch.send(5).unwrap()) };
//! h.join().unwrap();
//! ```

pub use crate::go;
pub use gmp_sched::{sleep, spawn, yield_now, JoinHandle};
pub use gochan::{after, select, tick, Chan, Context, Receiver, Sender};
pub use gosync::{Mutex, Once, RwMutex, WaitGroup};
