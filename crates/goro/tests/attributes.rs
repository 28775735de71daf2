//! `#[goro::test]`: the test runs as a goroutine, its panic and its `Err` fail it, and a
//! goroutine it leaves behind fails it. (`#[goro::main]` is tested by `main_server.rs`, a
//! test binary whose `main` is one.)

use goro::prelude::*;
use std::time::Duration;

// SAFETY: the tests and their goroutines hold only channels across blocking calls.
#[goro::test(unsafe)]
fn body_runs_as_a_goroutine() {
    assert!(goro::debug::goroutine_id().is_some());
    goro::sleep(Duration::from_millis(1)); // parks the goroutine, not the test's thread
}

// SAFETY: as above.
#[goro::test(unsafe)]
fn the_spawner_parameter_starts_goroutines(sp: Spawner) {
    let (ping, pong) = (Chan::new(0), Chan::new(0));
    let (p2, q2) = (ping.clone(), pong.clone());
    let h = go!(sp, move || {
        while let Some(n) = p2.recv() {
            q2.send(n + 1).unwrap();
        }
    });
    for i in 0..100 {
        ping.send(i).unwrap();
        assert_eq!(pong.recv(), Some(i + 1));
    }
    ping.close();
    h.join().unwrap();
}

// SAFETY: as above.
#[goro::test(unsafe)]
fn a_result_test_passes_on_ok() -> Result<(), std::num::ParseIntError> {
    assert_eq!("42".parse::<u32>()?, 42);
    Ok(())
}

// SAFETY: as above.
#[goro::test(unsafe)]
#[should_panic(expected = "the test returned an error")]
fn a_result_test_fails_on_err() -> Result<(), Box<dyn std::error::Error>> {
    // `Box<dyn Error>` is not `Send`: the goroutine turns it into an exit code itself.
    "forty-two".parse::<u32>()?;
    Ok(())
}

// SAFETY: as above.
#[goro::test(unsafe)]
#[should_panic(expected = "boom in a goroutine test")]
fn a_panic_fails_the_test_with_its_payload() {
    goro::yield_now();
    panic!("boom in a goroutine test");
}

// SAFETY: as above.
#[goro::test(unsafe)]
#[should_panic(expected = "1 goroutine(s) leaked")]
fn a_leaked_goroutine_fails_the_test(sp: Spawner) {
    // Parked forever on a channel whose last other handle is forgotten: a leak. The check
    // waits its grace (5 s) for it before failing the test.
    let ch = Chan::<()>::new(0);
    let rx = ch.clone();
    std::mem::forget(ch);
    go!(sp, move || rx.recv());
}

// SAFETY: as above.
#[goro::test(unsafe)]
fn scopes_work_in_a_goroutine_test(sp: Spawner) {
    let mut v = [0u32; 8];
    goro::scope(sp, |s| {
        for (i, x) in v.iter_mut().enumerate() {
            s.go(move || *x = i as u32 + 1);
        }
    });
    assert_eq!(v.iter().sum::<u32>(), 36);
}
