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

/// The address space this process has mapped, in bytes (`/proc/self/statm`'s first field).
fn mapped_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().next().unwrap().parse().unwrap();
    // SAFETY: sysconf only reads a configuration value.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

/// When the OS refuses a thread for a new M, the scheduler has already taken an idle P (and
/// maybe counted a spinning M) for it: unwinding would leak both. It must be a fatal error,
/// not a panic on some scheduler thread and not a hang. The child caps its address space
/// just above what it has mapped, so the next M's 256 KiB thread stack cannot be mapped, then
/// asks for more Ms by keeping every P busy.
#[test]
fn a_refused_m_thread_is_a_fatal_error() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const PROCS: usize = 8;
    if child_mode().as_deref() == Some("no-thread") {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        // Start the runtime (the first M, sysmon, the stack slab) before the cap.
        // SAFETY: the closure keeps no thread-bound state across a blocking call.
        unsafe { spawn(|| ()) }.join().unwrap();
        // Grow the heap once more, so its top holds the 16 MiB of slack the parent asked for.
        drop(std::hint::black_box(vec![0u8; 64 * 1024]));
        let cap = mapped_bytes() + 128 * 1024;
        let lim = libc::rlimit {
            rlim_cur: cap,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: `lim` is a valid rlimit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) }, 0);
        for _ in 0..PROCS {
            // SAFETY: the closure keeps no thread-bound state across a blocking call.
            let _ = unsafe {
                spawn::<_, ()>(|| {
                    STARTED.fetch_add(1, Ordering::SeqCst);
                    loop {
                        std::hint::spin_loop();
                    }
                })
            };
        }
        // Every goroutine running at once needs PROCS Ms: reaching this means the cap let
        // every thread through, and the test fails on the exit status below.
        while STARTED.load(Ordering::SeqCst) < PROCS {
            std::thread::yield_now();
        }
        std::process::exit(0);
    }
    // One malloc arena with 16 MiB of slack kept at its top: under the cap, a thread's
    // first allocation must come from memory already mapped, not from a new arena (a 64 MiB
    // reservation) or a fresh `brk` (which failed about one run in ten without these).
    let out = run_child(
        "a_refused_m_thread_is_a_fatal_error",
        "no-thread",
        &[
            ("GOMAXPROCS", &PROCS.to_string()),
            (
                "GLIBC_TUNABLES",
                "glibc.malloc.arena_max=1:glibc.malloc.top_pad=16777216",
            ),
        ],
    );
    let err = stderr(&out);
    assert!(!out.status.success(), "every M thread was created: {err}");
    assert!(
        err.contains("fatal error: cannot create an OS thread for an M"),
        "{err}"
    );
}
