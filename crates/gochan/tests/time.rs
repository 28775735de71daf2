//! `after`, `tick`/`Ticker`, `never`. Only lower bounds of time are checked: a loaded CI
//! machine may be late, never early.
#![cfg(not(loom))]

use gochan::{after, never, select, tick, Ticker};
use goro_test_support::{go, MODES};
use std::time::{Duration, Instant};

#[test]
fn after_fires_once_not_early() {
    for mode in MODES {
        let h = go(mode, 0, || {
            let start = Instant::now();
            let rx = after(Duration::from_millis(3));
            let at = rx.recv().unwrap();
            assert!(at >= start + Duration::from_millis(3));
            assert!(start.elapsed() >= Duration::from_millis(3));
            // Once only.
            assert!(rx.recv_timeout(Duration::from_millis(5)).is_err());
        });
        h.join();
    }
}

#[test]
fn after_zero_is_ready_at_once() {
    assert!(after(Duration::ZERO).try_recv().is_ok());
    // A deadline beyond Instant's range never fires (and does not panic).
    assert!(after(Duration::MAX).try_recv().is_err());
}

#[test]
fn after_as_select_timeout() {
    let c = gochan::Chan::<i32>::new(0);
    let start = Instant::now();
    let timed_out = select! {
        recv(c) -> _ => false,
        recv(after(Duration::from_millis(2))) -> _ => true,
    };
    assert!(timed_out && start.elapsed() >= Duration::from_millis(2));
}

#[test]
fn ticker_ticks_drop_when_unread_and_stop() {
    let t = tick(Duration::from_millis(1));
    let a = t.c().recv().unwrap();
    let b = t.c().recv().unwrap();
    assert!(b > a);
    // Unread ticks do not pile up: capacity 1.
    std::thread::sleep(Duration::from_millis(10));
    assert!(t.c().len() <= 1);
    t.stop();
    assert!(t.c().try_recv().is_err());
    // After stop no tick arrives (checked for a while, not exhaustively).
    assert!(t.c().recv_timeout(Duration::from_millis(10)).is_err());
    t.reset(Duration::from_millis(1));
    assert!(t.c().recv().is_some());
}

#[test]
fn ticker_in_select_and_drop_stops() {
    let t = Ticker::new(Duration::from_millis(1));
    let mut n = 0;
    while n < 3 {
        select! { recv(t) -> v => { assert!(v.is_some()); n += 1 } }
    }
    drop(t);
}

#[test]
#[should_panic(expected = "non-positive interval")]
fn zero_period_ticker_panics() {
    let _ = Ticker::new(Duration::ZERO);
}

#[test]
fn never_never_fires() {
    let r = select! {
        recv(never::<u8>()) -> _ => 1,
        default(Duration::from_millis(1)) => 2,
    };
    assert_eq!(r, 2);
}
