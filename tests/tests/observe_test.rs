//! Goroutine dumps show the right wait reason for each blocking primitive; the leak check
//! catches a goroutine blocked on a channel nobody sends to. (Go's runtime traceback
//! headers; goleak.)

use goro::{
    debug::{goroutines, GoroutineState},
    sys::WaitReason,
    Chan, Cond, Mutex, RwMutex, WaitGroup,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits (bounded) until goroutine `id` is parked for `reason`.
fn wait_for(id: u64, reason: WaitReason) {
    let t0 = Instant::now();
    loop {
        let state = goroutines()
            .into_iter()
            .find(|g| g.id == id)
            .map(|g| g.state);
        if state == Some(GoroutineState::Waiting(reason)) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "goroutine {id}: {state:?}, want {reason:?}"
        );
        std::thread::yield_now();
    }
}

#[test]
fn each_primitive_parks_with_its_reason() {
    let recv_ch = Chan::<u8>::new(0);
    let send_ch = Chan::<u8>::new(0);
    let sel_a = Chan::<u8>::new(0);
    let sel_b = Chan::<u8>::new(0);
    let mutex = Arc::new(Mutex::new(()));
    let rw = Arc::new(RwMutex::new(()));
    let cond = Arc::new((Mutex::new(false), Cond::new()));
    let wg = WaitGroup::new();
    wg.add(1);

    let held = mutex.lock();
    let rw_held = rw.write();
    let (r, s, a, b) = (
        recv_ch.clone(),
        send_ch.clone(),
        sel_a.clone(),
        sel_b.clone(),
    );
    let (m, rw2, c, w) = (mutex.clone(), rw.clone(), cond.clone(), wg.clone());
    // SAFETY: no goroutine here keeps thread-bound state across a blocking call.
    let sp = unsafe { goro::Spawner::new() };
    let hs = [
        (
            goro::go!(sp, move || {
                r.recv();
            }),
            WaitReason::ChanReceive,
        ),
        (
            goro::go!(sp, move || {
                let _ = s.send(1);
            }),
            WaitReason::ChanSend,
        ),
        (
            goro::go!(sp, move || {
                goro::select! {
                    recv(a) -> _ => {},
                    recv(b) -> _ => {},
                }
            }),
            WaitReason::Select,
        ),
        (goro::go!(sp, move || drop(m.lock())), WaitReason::Mutex),
        (
            goro::go!(sp, move || drop(rw2.read())),
            WaitReason::RwMutexRead,
        ),
        (
            goro::go!(sp, move || {
                let mut ready = c.0.lock();
                while !*ready {
                    ready = c.1.wait(ready);
                }
            }),
            WaitReason::Cond,
        ),
        (goro::go!(sp, move || w.wait()), WaitReason::WaitGroup),
        (
            goro::go!(sp, || goro::sleep(Duration::from_secs(1))),
            WaitReason::Sleep,
        ),
        (
            goro::go!(sp, || goro::syscall(|| std::thread::sleep(
                Duration::from_millis(300)
            ))),
            WaitReason::Syscall,
        ),
    ];
    for (h, reason) in &hs {
        if *reason == WaitReason::Syscall {
            let t0 = Instant::now();
            while goroutines()
                .iter()
                .find(|g| g.id == h.id())
                .map(|g| g.state)
                != Some(GoroutineState::Syscall)
            {
                assert!(t0.elapsed() < Duration::from_secs(30));
                std::thread::yield_now();
            }
        } else {
            wait_for(h.id(), *reason);
        }
    }
    let text = goro::debug::dump();
    for needle in [
        "[chan receive]",
        "[chan send]",
        "[select]",
        "[sync.Mutex.Lock]",
        "[sync.Cond.Wait]",
        "[sync.WaitGroup.Wait]",
        "[sleep]",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    // Let everyone go.
    recv_ch.send(0).unwrap();
    assert_eq!(send_ch.recv(), Some(1));
    sel_a.send(0).unwrap();
    drop(held);
    drop(rw_held);
    *cond.0.lock() = true;
    cond.1.broadcast();
    wg.done();
    for (h, _) in hs {
        h.join().unwrap();
    }
}

#[test]
fn leak_check_catches_a_goroutine_blocked_on_a_channel_and_passes_without_one() {
    let nobody_sends = Chan::<u8>::new(0);
    let ch = nobody_sends.clone();
    let caught = std::panic::catch_unwind(|| {
        goro::testing::check_leaks(Duration::from_millis(50), || {
            // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
            goro::go!(unsafe { goro::Spawner::new() }, move || {
                ch.recv();
            })
        })
    });
    let msg = caught.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.contains("[chan receive]"), "{msg}");
    assert!(msg.contains("tests/tests/observe_test.rs"), "{msg}");
    nobody_sends.close();

    goro::testing::check_leaks(Duration::from_secs(5), || {
        let ch = Chan::new(0);
        let tx = ch.clone();
        // SAFETY: as above.
        let h = goro::go!(unsafe { goro::Spawner::new() }, move || tx.send(7).unwrap());
        assert_eq!(ch.recv(), Some(7));
        h.join().unwrap();
    });
}
