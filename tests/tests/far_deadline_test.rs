//! Every API that takes a `Duration` or an `Instant` accepts any value: a deadline too far
//! for the clock (at or beyond 2^64 ns from the runtime's start, or beyond what `Instant`
//! can name) saturates to "never". Nothing panics, nothing fires early, and nothing re-arms
//! a timer in the past in a loop (issue 12: `sleep(Duration::MAX)` panicked; 2^64 ns and up
//! wrapped, so `after` fired at once and `sleep`, `recv_timeout`, `select!`'s `default(d)`
//! and `set_read_timeout` spun at 100% of a core).
//!
//! A goroutine that waits "forever" must stay parked: its dump entry shows it waiting
//! since it parked, which a goroutine re-parking in a loop never does.
#![cfg(not(loom))]

use goro::{after, debug::GoroutineState, select, sys::WaitReason, Chan, Context};
use goro_test_support::{go, wait_until, MODES};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Durations no clock reaches: 2^64 ns (585 years: wrapped to 64 bits, that is "now"),
/// 600 years, and the largest.
fn far_durations() -> [Duration; 3] {
    [
        Duration::from_nanos(u64::MAX) + Duration::from_nanos(1),
        Duration::from_secs(600 * 365 * 24 * 3600),
        Duration::MAX,
    ]
}

/// Instants as far off as `Instant` can name (each of `far_durations` that it can).
fn far_instants() -> Vec<Instant> {
    let now = Instant::now();
    far_durations()
        .iter()
        .filter_map(|d| now.checked_add(*d))
        .collect()
}

/// How long a waiter is watched not to fire or spin.
const WATCH: Duration = Duration::from_millis(200);

/// Waits until goroutine `id` is parked for `reason`, lets `WATCH` pass, and checks it is
/// still parked and has been since before (a timer re-armed in the past would wake it over
/// and over; sysmon's coarse clock is 10 ms at worst, so a third of `WATCH` is plenty).
fn stays_parked(id: u64, reason: WaitReason) {
    let state = |id| goro::debug::goroutines().into_iter().find(|g| g.id == id);
    wait_until(|| state(id).is_some_and(|g| g.state == GoroutineState::Waiting(reason)));
    std::thread::sleep(WATCH);
    let g = state(id).expect("the goroutine ended");
    assert_eq!(g.state, GoroutineState::Waiting(reason), "{g}");
    let waited = g.waiting_for.unwrap();
    assert!(waited >= WATCH / 3, "{g}: re-parked {waited:?} ago");
}

#[test]
fn sleep_far_never_returns_and_never_spins() {
    for d in far_durations() {
        // SAFETY: the goroutine holds nothing across the blocking call.
        let h = unsafe { goro::spawn(move || goro::sleep(d)) };
        stays_parked(h.id(), WaitReason::Sleep);
    }
}

#[test]
fn park_until_far_never_returns_and_never_spins() {
    for when in far_instants() {
        // SAFETY: as above.
        let h =
            unsafe { goro::spawn(move || goro::sys::park_until(WaitReason::Sleep, when, || {})) };
        stays_parked(h.id(), WaitReason::Sleep);
    }
}

#[test]
fn after_and_tick_far_never_fire() {
    for mode in MODES {
        go(mode, 0, || {
            for d in far_durations() {
                let ticker = goro::tick(d);
                let fired = select! {
                    recv(after(d)) -> _ => "after",
                    recv(ticker.c()) -> _ => "tick",
                    recv(after(WATCH)) -> _ => "",
                };
                assert_eq!(fired, "", "{d:?}");
                ticker.reset(d);
                ticker.stop();
            }
        })
        .join();
    }
}

#[test]
fn timers_far_never_fire() {
    let fired = Chan::new(16);
    let mut timers = Vec::new();
    for when in far_instants() {
        let f = fired.clone();
        timers.push(goro::sys::Timer::new(when, None, move || {
            let _ = f.try_send(());
        }));
        let f = fired.clone();
        let t = goro::sys::Timer::new(
            Instant::now() + Duration::from_secs(3600),
            None,
            move || {
                let _ = f.try_send(());
            },
        );
        assert!(t.reset(when, Some(Duration::MAX)));
        timers.push(t);
    }
    assert!(fired.recv_timeout(WATCH).is_err());
    for t in timers {
        assert!(t.stop());
    }
}

#[test]
fn contexts_far_never_expire() {
    let bg = Context::background();
    for d in far_durations() {
        let (ctx, cancel) = Context::with_timeout(&bg, d);
        assert!(ctx.done().recv_timeout(WATCH).is_err(), "{d:?}");
        assert!(ctx.err().is_none());
        cancel.cancel();
        assert!(ctx.err().is_some());
    }
    for when in far_instants() {
        let (ctx, _cancel) = Context::with_deadline(&bg, when);
        assert!(ctx.done().recv_timeout(WATCH).is_err());
    }
}

/// Channel waits with far timeouts and deadlines park quietly and still take the value.
#[test]
fn channel_timeouts_far_park_and_deliver() {
    for d in far_durations() {
        let ch = Chan::new(0);
        let rx = ch.clone();
        // SAFETY: the goroutine holds a channel only.
        let h = unsafe { goro::spawn(move || rx.recv_timeout(d)) };
        stays_parked(h.id(), WaitReason::ChanReceive);
        ch.send(1).unwrap();
        assert_eq!(h.join().unwrap(), Ok(1));

        let ch = Chan::new(0);
        let tx = ch.clone();
        // SAFETY: as above.
        let h = unsafe { goro::spawn(move || tx.send_timeout(2, d).is_ok()) };
        stays_parked(h.id(), WaitReason::ChanSend);
        assert_eq!(ch.recv(), Some(2));
        assert!(h.join().unwrap());

        let ch = Chan::new(0);
        let rx = ch.clone();
        // SAFETY: as above.
        let h = unsafe {
            goro::spawn(move || {
                select! {
                    recv(rx) -> v => v,
                    default(d) => None,
                }
            })
        };
        stays_parked(h.id(), WaitReason::Select);
        ch.send(3).unwrap();
        assert_eq!(h.join().unwrap(), Some(3));

        let ch = Chan::new(0);
        let rx = ch.clone();
        // SAFETY: as above.
        let h = unsafe {
            goro::spawn(move || {
                let mut sel = goro::Select::new();
                sel.recv(&rx);
                sel.select_timeout(d).map(|op| op.recv(&rx))
            })
        };
        stays_parked(h.id(), WaitReason::Select);
        ch.send(4).unwrap();
        assert_eq!(h.join().unwrap().ok().flatten(), Some(4));
    }
    for when in far_instants() {
        let ch = Chan::new(0);
        let rx = ch.clone();
        // SAFETY: as above.
        let h = unsafe { goro::spawn(move || rx.recv_deadline(when)) };
        stays_parked(h.id(), WaitReason::ChanReceive);
        ch.send(5).unwrap();
        assert_eq!(h.join().unwrap(), Ok(5));
    }
}

/// The same from plain threads, which park with std's timeouts.
#[test]
fn channel_timeouts_far_from_threads() {
    for d in far_durations() {
        let ch = Chan::new(0);
        let rx = ch.clone();
        let t = std::thread::spawn(move || rx.recv_timeout(d));
        ch.send(1).unwrap();
        assert_eq!(t.join().unwrap(), Ok(1));
    }
}

/// Socket timeouts and deadlines: a read parks quietly until data comes.
#[test]
fn socket_timeouts_far_park_and_deliver() {
    let ln = goro::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    type Setting = Box<dyn Fn(&goro::net::TcpStream) + Send>;
    let mut settings: Vec<Setting> = Vec::new();
    for d in far_durations() {
        settings.push(Box::new(move |s| s.set_read_timeout(Some(d)).unwrap()));
    }
    for when in far_instants() {
        settings.push(Box::new(move |s| s.set_read_deadline(Some(when))));
    }
    for set in settings {
        let mut c = goro::net::TcpStream::connect_timeout(&addr, Duration::MAX).unwrap();
        let (s, _) = ln.accept().unwrap();
        set(&s);
        // SAFETY: the goroutine holds its socket only.
        let h = unsafe {
            goro::spawn(move || {
                let mut s = s;
                let mut b = [0u8; 1];
                s.read_exact(&mut b).map(|()| b[0])
            })
        };
        stays_parked(h.id(), WaitReason::IoWait);
        c.write_all(&[7]).unwrap();
        assert_eq!(h.join().unwrap().unwrap(), 7);
    }
}

#[test]
fn leak_check_with_far_grace() {
    assert_eq!(goro::testing::check_leaks(Duration::MAX, || 1), 1);
}
