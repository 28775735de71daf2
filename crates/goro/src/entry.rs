//! What `#[goro::main]` and `#[goro::test]` expand to call (the attributes live in the
//! `goroutines-macros` crate). Not public API: reached as `goro::internal`.
//!
//! Both run the user's function as a goroutine under the `Spawner` the caller's
//! `#[goro::main(unsafe)]` made, and turn its return value into an `ExitCode` inside the
//! goroutine (`Termination::report`), so a `main` may return a `!Send` error as Rust's may.

use crate::Spawner;
use std::panic::resume_unwind;
use std::process::ExitCode;
use std::time::Duration;

/// How long `#[goro::test]` lets goroutines the test started finish before calling them
/// leaked. A passing test waits only until they are gone; only a leaking test waits it all.
pub const TEST_LEAK_GRACE: Duration = Duration::from_secs(5);

/// `#[goro::main]`: configures the runtime (the attribute's settings win over the
/// environment), then runs `f` as the main goroutine with Go's deadlock detection.
///
/// # Panics
///
/// If the runtime cannot be configured: a bad `GOMAXPROCS` or `GORO_STACK_SIZE` in the
/// environment, or a runtime already started (by a static initialiser).
pub fn main<F>(sp: Spawner, gomaxprocs: Option<usize>, stack_size: Option<usize>, f: F) -> ExitCode
where
    F: FnOnce() -> ExitCode + Send + 'static,
{
    let mut b = crate::Builder::new();
    if let Some(n) = gomaxprocs {
        b = b.gomaxprocs(n);
    }
    if let Some(n) = stack_size {
        b = b.stack_size(n);
    }
    match b.init() {
        Ok(()) => {}
        // Started already, and nothing asked of it: run on it as it is.
        Err(crate::BuildError::AlreadyStarted) if gomaxprocs.is_none() && stack_size.is_none() => {}
        Err(e) => panic!("#[goro::main]: cannot configure the goro runtime: {e}"),
    }
    sp.run(f)
}

/// `#[goro::test]`: runs `f` as a goroutine, resumes its panic on the test's thread, and
/// fails the test if it returned an error or left a goroutine behind.
pub fn test<F>(sp: Spawner, f: F)
where
    F: FnOnce() -> ExitCode + Send + 'static,
{
    let code = crate::testing::check_leaks(TEST_LEAK_GRACE, || {
        sp.spawn(f).join().unwrap_or_else(|p| resume_unwind(p))
    });
    assert!(
        code == ExitCode::SUCCESS,
        "the test returned an error (printed above as `Error: ..`)"
    );
}
