//! Bad input and fatal faults, each in a child process: a clear message and a non-zero
//! exit, never a hang or a bare SIGSEGV.
#![cfg(not(loom))]

use gmp_sched::spawn;
use goro_test_support::{child_mode, run_child};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn stack_overflow_names_the_goroutine_and_its_stack_size() {
    if child_mode().as_deref() == Some("overflow") {
        #[allow(unconditional_recursion)]
        fn deep(n: u64) -> u64 {
            let buf = [n; 64];
            std::hint::black_box(&buf);
            deep(n + 1) + buf[3]
        }
        // SAFETY: the closure keeps no thread-bound state across a blocking call.
        let h = unsafe { spawn(|| deep(0)) };
        let _ = h.join();
        unreachable!("the overflow aborts the process");
    }
    let out = run_child(
        "stack_overflow_names_the_goroutine_and_its_stack_size",
        "overflow",
        &[("GORO_STACK_SIZE", "64K")],
    );
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("fatal error: stack overflow in goroutine 1 (stack size 65536 bytes"),
        "{err}"
    );
}

#[test]
fn bad_gomaxprocs_is_a_clear_error() {
    if child_mode().as_deref() == Some("gomaxprocs") {
        // SAFETY: the closure keeps no thread-bound state across a blocking call.
        let _ = unsafe { spawn(|| ()) }.join();
        return;
    }
    for bad in ["abc", "0", "-3", "2147483648"] {
        let out = run_child(
            "bad_gomaxprocs_is_a_clear_error",
            "gomaxprocs",
            &[("GOMAXPROCS", bad)],
        );
        let err = stderr(&out);
        assert!(!out.status.success(), "GOMAXPROCS={bad} was accepted");
        assert!(
            err.contains(&format!(
                "GOMAXPROCS={bad:?}: expected an integer from 1 to 2147483647"
            )),
            "{err}"
        );
    }
}

#[test]
fn gomaxprocs_env_is_honoured() {
    if let Some(n) = child_mode().and_then(|m| m.strip_prefix("procs=").map(str::to_owned)) {
        assert_eq!(gmp_sched::gomaxprocs().to_string(), n);
        // SAFETY: the closures keep no thread-bound state across a blocking call.
        let hs: Vec<_> = (0..1000).map(|i| unsafe { spawn(move || i) }).collect();
        let sum: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 499_500);
        return;
    }
    for n in ["1", "3"] {
        let out = run_child(
            "gomaxprocs_env_is_honoured",
            &format!("procs={n}"),
            &[("GOMAXPROCS", n)],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

#[test]
fn an_unjoined_panic_is_reported_with_id_and_spawn_site() {
    if child_mode().as_deref() == Some("unjoined") {
        // SAFETY: the closure keeps no thread-bound state across a blocking call.
        let h = unsafe { spawn::<_, ()>(|| panic!("nobody listens")) };
        while !h.is_finished() {
            std::thread::yield_now();
        }
        drop(h);
        return;
    }
    let out = run_child(
        "an_unjoined_panic_is_reported_with_id_and_spawn_site",
        "unjoined",
        &[],
    );
    let err = stderr(&out);
    assert!(
        err.contains("goroutine 1 (spawned at crates/gmp-sched/tests/fatal.rs:")
            && err.contains("panicked and was never joined: nobody listens"),
        "{err}"
    );
}

#[test]
fn builder_rejects_bad_settings_and_a_second_init() {
    assert!(gmp_sched::Builder::new().stack_size(1024).init().is_err());
    assert!(gmp_sched::Builder::new().gomaxprocs(0).init().is_err());
    assert!(gmp_sched::Builder::new()
        .gomaxprocs(1 << 31)
        .init()
        .is_err());
    if child_mode().is_none() {
        // SAFETY: the closure keeps no thread-bound state across a blocking call.
        unsafe { spawn(|| ()) }.join().unwrap();
        assert_eq!(
            gmp_sched::Builder::new().init(),
            Err(gmp_sched::BuildError::AlreadyStarted)
        );
    }
}
