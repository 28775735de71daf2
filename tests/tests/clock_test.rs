//! The clock tests can drive (`goro::testing::pause`/`advance`/`resume`, issue 18): sleep,
//! `after`, `tick`, timers, `Context` deadlines, channel and socket timeouts all read it.
//! tokio's `time::pause` tests and Go's testing/synctest are the anchors.
//!
//! The clock is the process's, so each test runs in a child process of its own
//! (`in_child`). With auto-advance off, a test moves the clock itself and asserts exactly
//! what fired at each step; with it on, the body runs as a goroutine, and an hour of sleep or
//! a 30 s socket deadline passes at once. Times are asserted exactly: on a paused clock a
//! timer due at `t` fires with the clock reading `t`. No real time decides a result; the
//! child's 120 s hang guard is the only real clock.

use goro::testing::{advance, pause, resume, set_auto_advance};
use goro::{after, select, Chan, Context, ContextError, RecvTimeoutError};
use goro_test_support::{each_mode, go, goroutine, in_child, tcp_pair, wait_until};
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

/// Runs `body` in a child process with the clock paused and auto-advance off.
fn manual(name: &str, body: impl FnOnce()) {
    in_child(name, &[], || {
        pause();
        set_auto_advance(false);
        body();
        resume();
    });
}

/// Runs `body` as a goroutine in a child process with the clock paused (auto-advance on).
fn auto(name: &str, body: impl FnOnce() + Send + 'static) {
    in_child(name, &[], || {
        pause();
        goroutine(body).join().unwrap();
        resume();
    });
}

/// `after` channels deliver exactly when the clock reaches their deadline, in order, with
/// the clock's reading as the value; nothing fires before.
#[test]
fn advance_fires_after_in_order() {
    manual("advance_fires_after_in_order", || {
        let t0 = goro::now();
        let late = after(2 * SEC);
        let early = after(SEC);
        advance(SEC - Duration::from_nanos(1));
        assert!(
            early.try_recv().is_err() && late.try_recv().is_err(),
            "fired early"
        );
        advance(Duration::from_nanos(1));
        assert_eq!(early.try_recv(), Ok(t0 + SEC));
        assert!(
            late.try_recv().is_err(),
            "the later timer fired with the earlier"
        );
        advance(HOUR);
        assert_eq!(late.try_recv(), Ok(t0 + 2 * SEC));
        assert_eq!(goro::now(), t0 + SEC + HOUR);
    });
}

/// A ticker ticks at each period as the clock steps across them; a slow reader drops ticks
/// (capacity 1) instead of queueing them.
#[test]
fn advance_ticks_a_ticker() {
    manual("advance_ticks_a_ticker", || {
        let t0 = goro::now();
        let t = goro::tick(SEC);
        for k in 1..=3 {
            advance(SEC);
            assert_eq!(t.c().try_recv(), Ok(t0 + k * SEC));
        }
        advance(10 * SEC);
        assert_eq!(
            t.c().try_recv(),
            Ok(t0 + 4 * SEC),
            "the first unread tick stays"
        );
        assert!(t.c().try_recv().is_err(), "ticks queued up");
        t.stop();
        advance(10 * SEC);
        assert!(t.c().try_recv().is_err(), "a stopped ticker ticked");
    });
}

/// Sleepers and deadline waiters in goroutines and threads wake when the clock passes their
/// deadlines, whichever of them blocks before or after the advance.
#[test]
fn advance_wakes_sleepers_and_timeouts() {
    manual("advance_wakes_sleepers_and_timeouts", || {
        each_mode(|mode| {
            let t0 = goro::now();
            let deadline = t0 + 5 * SEC;
            let c = Chan::<i32>::new(0);
            let (c1, c2) = (c.clone(), c.clone());
            let recv = go(mode, 1, move || c1.recv_deadline(deadline));
            let sleeper = go(mode, 2, move || {
                goro::sleep(deadline.saturating_duration_since(goro::now()));
                goro::now()
            });
            let (ctx, _cancel) = Context::with_deadline(&Context::background(), deadline);
            let ctx2 = ctx.clone();
            let waits_ctx = go(mode, 3, move || {
                ctx2.done().recv();
                ctx2.err()
            });
            // The advance may come before or after the parties block: they compare with
            // the deadline either way.
            goro::testing::advance_to(deadline);
            assert_eq!(recv.join(), Err(RecvTimeoutError::Timeout));
            assert!(sleeper.join() >= deadline);
            assert_eq!(waits_ctx.join(), Some(ContextError::DeadlineExceeded));
            drop(c2);
        });
    });
}

/// Timers and `park_until` from the sys layer: a runtime timer fires on the thread that
/// advances, and stop reports it fired.
#[test]
fn advance_fires_runtime_timers() {
    manual("advance_fires_runtime_timers", || {
        let fired = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let f = fired.clone();
        let t = goro::sys::Timer::new(goro::now() + 3 * SEC, None, move || {
            f.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        advance(2 * SEC);
        assert_eq!(fired.load(std::sync::atomic::Ordering::SeqCst), 0);
        advance(SEC);
        assert_eq!(fired.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(!t.stop(), "a fired timer was still armed");
    });
}

/// Auto-advance: an hour of sleep in a goroutine passes at once, and the clock reads an
/// hour later exactly.
#[test]
fn auto_advance_sleep() {
    auto("auto_advance_sleep", || {
        let t0 = goro::now();
        goro::sleep(HOUR);
        assert_eq!(goro::now(), t0 + HOUR);
        let h = goroutine(|| {
            goro::sleep(2 * HOUR);
            goro::now()
        });
        goro::sleep(HOUR);
        assert_eq!(goro::now(), t0 + 2 * HOUR);
        assert_eq!(h.join().unwrap(), t0 + 3 * HOUR);
    });
}

/// Auto-advance with `select!` and timeouts: the earlier `after` wins, a `recv_timeout`
/// times out, a `Context` deadline passes, each exactly at its time.
#[test]
fn auto_advance_timeouts() {
    auto("auto_advance_timeouts", || {
        let t0 = goro::now();
        let c = Chan::<i32>::new(0);
        let won = select! {
            recv(after(2 * HOUR)) -> _ => 2,
            recv(after(HOUR)) -> _ => 1,
            recv(c) -> _ => 0,
        };
        assert_eq!(won, 1);
        assert_eq!(goro::now(), t0 + HOUR);
        assert_eq!(c.recv_timeout(SEC), Err(RecvTimeoutError::Timeout));
        assert_eq!(goro::now(), t0 + HOUR + SEC);
        let (ctx, _cancel) = Context::with_timeout(&Context::background(), 30 * SEC);
        assert_eq!(ctx.done().recv(), None);
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
        assert_eq!(goro::now(), t0 + HOUR + 31 * SEC);
    });
}

/// Auto-advance with a socket: a read with a 30 s deadline on a silent connection times
/// out at once, with the clock at the deadline; a read whose data is there returns it.
#[test]
fn auto_advance_socket_deadline() {
    auto("auto_advance_socket_deadline", || {
        let (mut a, b) = tcp_pair();
        let t0 = goro::now();
        a.set_read_deadline(Some(t0 + 30 * SEC));
        let mut buf = [0u8; 4];
        let err = a.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(goro::now(), t0 + 30 * SEC);
        std::io::Write::write_all(&mut &b, b"ping").unwrap();
        a.set_read_deadline(Some(goro::now() + HOUR));
        a.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
    });
}

/// Resume: time runs again from where it stood, not from real time.
#[test]
fn resume_continues_from_paused_time() {
    in_child("resume_continues_from_paused_time", &[], || {
        pause();
        set_auto_advance(false);
        let t0 = goro::now();
        advance(HOUR);
        resume();
        let t1 = goro::now();
        assert!(t1 >= t0 + HOUR);
        assert!(t1 > Instant::now(), "resume jumped back to real time");
        goro::sleep(Duration::from_millis(1));
        assert!(goro::now() > t1);
    });
}

/// Bad input is a clear panic: pausing twice, advancing or resuming a running clock.
#[test]
fn misuse_panics_clearly() {
    in_child("misuse_panics_clearly", &[], || {
        let msg = |r: std::thread::Result<()>| {
            let e = r.unwrap_err();
            e.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_default()
        };
        let m = msg(std::panic::catch_unwind(|| advance(SEC)));
        assert!(m.contains("advance needs a paused clock"), "{m}");
        let m = msg(std::panic::catch_unwind(resume));
        assert!(m.contains("not paused"), "{m}");
        pause();
        let m = msg(std::panic::catch_unwind(pause));
        assert!(m.contains("already paused"), "{m}");
        resume();
    });
}

/// A goroutine sleeping `Duration::MAX` (Go's maxWhen: pending forever) neither makes
/// auto-advance jump the clock to the end of its range nor spin: the other timers fire in
/// order, and once only the forever sleeper is left the clock stays where the last timer put
/// it while every P goes idle.
#[test]
fn auto_advance_ignores_a_sleep_forever() {
    in_child("auto_advance_ignores_a_sleep_forever", &[], || {
        pause();
        let _forever = goroutine(|| goro::sleep(Duration::MAX));
        let t0 = goro::now();
        let body = goroutine(move || {
            goro::sleep(HOUR);
            assert_eq!(goro::now(), t0 + HOUR);
            let c = after(SEC);
            assert_eq!(c.recv(), Some(t0 + HOUR + SEC));
        });
        body.join().unwrap();
        wait_until(|| goro::debug::metrics().idle_procs == goro::gomaxprocs());
        assert_eq!(goro::now(), t0 + HOUR + SEC, "the clock jumped");
        resume();
    });
}

/// `advance` returns only once every timer due by then has finished firing, also one that
/// another thread took off its heap: an M's schedule loop (or sysmon) runs due timers too,
/// and it may pop one while `advance` runs. Here timer `a`'s callback, on the advancing
/// thread, adds an already-due timer `b`, which wakes an M that fires it; `a` returns only
/// once `b`'s callback has started there, and `b`'s callback finishes 200 ms later. Before
/// the fix `advance` returned while `b` was still firing, so what `b` sends was missing.
/// No timing decides the result: if no M took `b`, `advance` fires it itself.
#[test]
fn advance_waits_for_timers_firing_elsewhere() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Mutex;
    manual("advance_waits_for_timers_firing_elsewhere", || {
        static STARTED: AtomicBool = AtomicBool::new(false);
        static DONE: AtomicBool = AtomicBool::new(false);
        static B: Mutex<Option<goro::sys::Timer>> = Mutex::new(None);
        let t0 = goro::now();
        let on_advancer = std::thread::current().id();
        let _a = goro::sys::Timer::new(t0 + SEC, None, move || {
            let b = goro::sys::Timer::new(t0, None, move || {
                STARTED.store(true, SeqCst);
                if std::thread::current().id() != on_advancer {
                    std::thread::sleep(Duration::from_millis(200));
                }
                DONE.store(true, SeqCst);
            });
            *B.lock().unwrap() = Some(b);
            let guard = Instant::now() + Duration::from_secs(10);
            while !STARTED.load(SeqCst) && Instant::now() < guard {
                std::thread::yield_now();
            }
        });
        advance(2 * SEC);
        assert!(
            DONE.load(SeqCst),
            "advance returned while a due timer was firing"
        );
        assert_eq!(goro::now(), t0 + 2 * SEC);
    });
}
