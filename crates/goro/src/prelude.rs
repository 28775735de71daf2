//! The names most programs use: `use goro::prelude::*;`.
//!
//! ```
//! use goro::prelude::*;
//! let ch = Chan::new(1);
//! // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
//! let sp = unsafe { Spawner::new() };
//! let tx = ch.clone();
//! let h = go!(sp, move || tx.send(5).unwrap());
//! assert_eq!(ch.recv(), Some(5));
//! h.join().unwrap();
//! ```

pub use crate::{go, Spawner};
pub use gmp_sched::{sleep, spawn, yield_now, JoinHandle};
pub use gochan::{after, select, tick, Chan, Context, Receiver, Sender};
pub use gosync::{Mutex, Once, RwMutex, WaitGroup};
