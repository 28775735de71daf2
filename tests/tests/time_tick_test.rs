//! Go's src/time/tick_test.go, ported as behaviours onto gochan's `Ticker` (Go's `NewTicker`
//! and `Tick`: `tick` here) and `after`. Our ticker has Go 1.23's semantics: its channel holds
//! at most one tick (a later one is dropped while it is unread), and after `stop` or `reset`
//! returns no stale tick is received. TestChan's Timer half runs on Go's channel timer,
//! `goro::Timer` (`chan_timer`); its Ticker half is `chan_ticker`.
//!
//! No timing decides a result: a tick is never early, so the k-th tick received carries a time
//! at least k periods after the ticker started, and a stopped ticker never delivers; that a
//! tick arrives is waited for, with a 30 s hang guard. Each test runs from goroutines, threads
//! and mixed (`each_mode`) where that applies. TestTimerGC counts live allocations with a
//! counting global allocator, in a child process where nothing else runs.

use gochan::{select, Chan, Receiver, Sender, Ticker, TryRecvError};
use goro_test_support::{each_mode, go, in_child, wait_until};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a wait may last before it counts as a hang.
const HANG: Duration = Duration::from_secs(30);
const HOUR: Duration = Duration::from_secs(3600);
const MS: Duration = Duration::from_millis(1);

/// Receives from `rx`; 30 s without a value is a hang.
fn recv<T>(rx: &Receiver<T>, what: &str) -> T {
    rx.recv_timeout(HANG)
        .unwrap_or_else(|e| panic!("{what}: {e:?} after {HANG:?}"))
}

/// Counts live heap allocations, for `timer_gc`.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on unchanged to `System`, which upholds GlobalAlloc's contract;
// the counter is a side effect that allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(1, SeqCst);
        // SAFETY: the caller's obligations for `alloc` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(1, SeqCst);
        // SAFETY: `ptr` came from `System.alloc` with this layout (through `alloc` above).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's obligations for `realloc` are passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// TestTicker: five ticks of 20 ms, a reset to 40 ms, five more: no tick is early, so it all
/// takes at least 300 ms (Go checks it within 30% of that); once stopped, no tick arrives.
#[test]
fn ticker() {
    const COUNT: u32 = 10;
    const DELTA: Duration = Duration::from_millis(20);
    each_mode(|_| {
        let t0 = Instant::now();
        let ticker = goro::tick(DELTA);
        for k in 1..=COUNT / 2 {
            let t = recv(ticker.c(), "tick");
            assert!(t >= t0 + DELTA * k, "tick {k} early");
        }
        let r = Instant::now();
        ticker.reset(DELTA * 2);
        for k in 1..=COUNT - COUNT / 2 {
            let t = recv(ticker.c(), "tick after reset");
            assert!(t >= r + DELTA * 2 * k, "tick {k} after reset early");
        }
        ticker.stop();
        let dt = t0.elapsed();
        let target = 3 * DELTA * (COUNT / 2);
        assert!(
            dt >= target,
            "{} {DELTA:?} ticks then {} {:?} ticks took {dt:?}, expected {target:?}",
            COUNT / 2,
            COUNT / 2,
            DELTA * 2
        );
        goro::sleep(2 * DELTA);
        assert!(ticker.c().try_recv().is_err(), "ticker did not shut down");
    });
}

/// TestTeardown: three times, a ticker delivers a tick and is stopped (or dropped); nothing
/// deadlocks.
#[test]
fn teardown() {
    each_mode(|_| {
        for i in 0..3 {
            let ticker = goro::tick(20 * MS);
            recv(ticker.c(), "tick");
            if i % 2 == 0 {
                ticker.stop();
            }
        }
    });
}

/// TestNewTickerLtZeroDuration: a ticker with a zero period panics (Rust's Duration cannot
/// be negative), made by `tick` or `Ticker::new`.
#[test]
fn new_ticker_lt_zero_duration() {
    assert!(std::panic::catch_unwind(|| goro::tick(Duration::ZERO)).is_err());
    assert!(std::panic::catch_unwind(|| Ticker::new(Duration::ZERO)).is_err());
}

/// TestTickerResetLtZeroDuration: resetting a ticker to a zero period panics, and leaves the
/// ticker to be stopped.
#[test]
fn ticker_reset_lt_zero_duration() {
    let tk = goro::tick(Duration::from_secs(1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tk.reset(Duration::ZERO)));
    assert!(r.is_err(), "Ticker::reset(0) should have panicked");
    tk.stop();
    assert!(tk.c().try_recv().is_err());
}

/// TestLongAdjustTimers: with a timer heap built up by 2,000 sleeping goroutines (Go: 5,000)
/// and 2,000 short sleeps, work ping-pongs through a queuing goroutine, 300 rounds of 20 (Go:
/// 50,000), each receive guarded by a fresh `after(5s)` as in Go; the work arrives in order.
#[test]
fn long_adjust_timers() {
    const COUNT: usize = 2000;
    const ROUNDS: usize = 300;
    const TRY: usize = 20;
    each_mode(|mode| {
        let sleepers: Vec<_> = (0..COUNT)
            .map(|_| {
                // SAFETY: the goroutine keeps nothing thread-bound.
                unsafe { goro::spawn(|| goro::sleep(Duration::from_micros(10))) }
            })
            .collect();
        for _ in 0..COUNT {
            goro::sleep(Duration::from_micros(1));
        }
        let in_q = Chan::<usize>::new(0);
        let out_q = Chan::<usize>::new(0);
        let (inq, outq) = (in_q.clone(), out_q.clone());
        let queue = go(mode, 1, move || {
            let mut q = VecDeque::new();
            loop {
                let send_to = match q.is_empty() {
                    true => Sender::nil(),
                    false => outq.sender(),
                };
                let send = q.front().copied().unwrap_or(0);
                select! {
                    send(send_to, send) -> _ => {
                        q.pop_front();
                    }
                    recv(inq) -> f => match f {
                        Some(f) => q.push_back(f),
                        None => break,
                    },
                }
            }
            outq.close();
        });
        for i in 0..ROUNDS {
            for j in 0..TRY {
                in_q.send(j).unwrap();
            }
            for j in 0..TRY {
                select! {
                    recv(out_q) -> v => assert_eq!(v, Some(j), "output channel, iteration {i}"),
                    recv(goro::after(5 * 1000 * MS)) -> _ => panic!("failed to read work, iteration {i}"),
                }
            }
        }
        in_q.close();
        queue.join();
        for s in sleepers {
            s.join().unwrap();
        }
    });
}

/// TestTimerGC, in a child process: 10,000 tickers made and stopped, or dropped (which stops
/// them), and 10,000 callback timers made and stopped, leave fewer than 10,000 allocations
/// behind: stopped timers are freed. From a thread and from a goroutine. (Go's After, Tick
/// and NewTimer left running are freed by Go's GC once unreachable; ours stay armed until they
/// fire, by design: an `after` or dropped `Timer` is not stopped.)
#[test]
fn timer_gc() {
    in_child("timer_gc", &[], || {
        fn check(what: &str, f: &dyn Fn()) {
            const N: isize = 10_000;
            let before = LIVE.load(SeqCst);
            for _ in 0..N {
                f();
            }
            let inuse = LIVE.load(SeqCst) - before;
            assert!(inuse < N, "{what} did not get freed: {inuse} allocations");
        }
        fn all() {
            check("Tick", &|| drop(goro::tick(HOUR)));
            check("NewTickerStop", &|| Ticker::new(HOUR).stop());
            check("NewTimerStop (AfterFunc)", &|| {
                goro::sys::Timer::new(Instant::now() + HOUR, None, || {}).stop();
            });
        }
        all();
        // SAFETY: the goroutine keeps nothing thread-bound.
        unsafe { goro::spawn(all) }.join().unwrap();
    });
}

/// Go's tickerTimer: a Ticker whose stop and reset say whether it was running.
struct TickerTimer {
    t: Ticker,
    stopped: AtomicBool,
}

/// What Go's testTimerChan drives: its `timer` interface, over `*Timer` and `tickerTimer`.
trait TimerChan: Send + Sync + 'static {
    const IS_TICKER: bool;
    fn stop(&self) -> bool;
    fn reset(&self, d: Duration) -> bool;
    fn c(&self) -> &Receiver<Instant>;
}

impl TimerChan for TickerTimer {
    const IS_TICKER: bool = true;

    fn stop(&self) -> bool {
        let pending = !self.stopped.swap(true, SeqCst);
        self.t.stop();
        pending
    }

    fn reset(&self, d: Duration) -> bool {
        let pending = !self.stopped.swap(false, SeqCst);
        self.t.reset(d);
        pending
    }

    fn c(&self) -> &Receiver<Instant> {
        self.t.c()
    }
}

impl TimerChan for goro::Timer {
    const IS_TICKER: bool = false;

    fn stop(&self) -> bool {
        goro::Timer::stop(self)
    }

    fn reset(&self, d: Duration) -> bool {
        goro::Timer::reset(self, d)
    }

    fn c(&self) -> &Receiver<Instant> {
        goro::Timer::c(self)
    }
}

const SCHED: Duration = Duration::from_millis(10);
/// Polls of SCHED each before a tick or a done counts as missing: the hang guard.
const TRIES: usize = 3000;
const FAR: Duration = Duration::from_secs(10_000);
const NS: Duration = Duration::from_nanos(1);

fn no_tick(tim: &impl TimerChan) {
    assert!(tim.c().try_recv().is_err(), "extra tick");
}

fn assert_tick(tim: &impl TimerChan) {
    for _ in 0..TRIES {
        if tim.c().try_recv().is_ok() {
            return;
        }
        goro::sleep(SCHED);
    }
    panic!("missing tick");
}

/// Not done: no value in `done`, and not closed.
fn not_done(done: &Chan<bool>) {
    assert!(
        matches!(done.try_recv(), Err(TryRecvError::Empty)),
        "early done"
    );
}

/// Waits for a value in `done`, or for it to be closed (taking the value).
fn wait_done(done: &Chan<bool>) {
    for _ in 0..TRIES {
        goro::sleep(SCHED);
        if !matches!(done.try_recv(), Err(TryRecvError::Empty)) {
            return;
        }
    }
    panic!("never got done");
}

/// TestChan, its Ticker half.
#[test]
fn chan_ticker() {
    test_timer_chan(|| TickerTimer {
        t: goro::tick(FAR),
        stopped: AtomicBool::new(false),
    });
}

/// TestChan, its Timer half, on `goro::Timer` (Go 1.23 semantics).
#[test]
fn chan_timer() {
    test_timer_chan(|| goro::Timer::new(FAR));
}

/// Go's testTimerChan: stop and reset of a timer or ticker that is and is not in the timer
/// heap, with parties blocked on its channel directly or in a select; a stopped one delivers
/// nothing, and stop and reset keep any old value from being received. (Go's check that
/// len(C) and cap(C) are 0 does not apply: our channel has capacity 1.)
fn test_timer_chan<T: TimerChan>(make: fn() -> T) {
    each_mode(move |mode| {
        let tim = Arc::new(make());

        // Simple stop; modify of a stopped ticker; modify of one in the heap.
        tim.stop();
        no_tick(&*tim);
        tim.reset(FAR);
        no_tick(&*tim);
        tim.reset(NS);
        goro::sleep(SCHED);
        assert_tick(&*tim);

        // A second tick must have happened by now; reset does not let it through.
        goro::sleep(SCHED);
        tim.reset(FAR);
        no_tick(&*tim);

        // Stop and reset while a party is blocked on the channel.
        tim.reset(FAR);
        let done = Chan::<bool>::new(0);
        not_done(&done);
        let (t, d) = (tim.clone(), done.clone());
        let waiter = go(mode, 1, move || {
            recv(t.c(), "tick for the blocked party");
            d.close();
        });
        goro::sleep(SCHED);
        not_done(&done);
        tim.reset(2 * FAR);
        goro::sleep(SCHED);
        not_done(&done);
        tim.reset(NS);
        wait_done(&done);
        waiter.join();
        // A ticker of 1 ns has ticked again since; a timer fired once.
        if T::IS_TICKER {
            assert_tick(&*tim);
        } else {
            no_tick(&*tim);
        }
        tim.stop();
        no_tick(&*tim);

        // Again, with two parties waiting in a select.
        tim.reset(FAR);
        let done = Chan::<bool>::new(2);
        let stop = Chan::<bool>::new(0);
        let parties: Vec<_> = (0..2)
            .map(|i| {
                let (t, done, stop, finished) =
                    (tim.clone(), done.clone(), stop.clone(), Chan::new(0));
                let f = finished.clone();
                let p = go(mode, i + 2, move || {
                    select! {
                        recv(t.c()) -> _ => done.send(true).unwrap(),
                        recv(stop) -> _ => {}
                    }
                    f.close();
                });
                (p, finished)
            })
            .collect();
        goro::sleep(SCHED);
        not_done(&done);
        tim.reset(SCHED / 2);
        goro::sleep(SCHED);
        wait_done(&done);
        tim.stop();
        stop.close();
        for (p, finished) in parties {
            wait_done(&finished);
            p.join();
        }
        // The second party may have got a tick too; none arrives after stop.
        let _ = done.try_recv();
        no_tick(&*tim);
        not_done(&done);

        // A stopped ticker delivers nothing to parties waiting in a select.
        let stop = Chan::<bool>::new(0);
        let done = Chan::<bool>::new(2);
        let parties: Vec<_> = (0..2)
            .map(|i| {
                let (t, done, stop) = (tim.clone(), done.clone(), stop.clone());
                go(mode, i + 4, move || {
                    select! {
                        recv(t.c()) -> _ => panic!("unexpected data"),
                        recv(stop) -> _ => {}
                    }
                    done.send(true).unwrap();
                })
            })
            .collect();
        goro::sleep(SCHED);
        stop.close();
        wait_done(&done);
        wait_done(&done);
        for p in parties {
            p.join();
        }

        // Stop and reset keep old values from being received (Go proposal 37196).
        tim.reset(NS);
        goro::sleep(SCHED);
        assert!(
            tim.stop(),
            "stop of a running ticker, or of a fired and unread timer, reported it stopped"
        );
        no_tick(&*tim);
        tim.reset(HOUR);
        no_tick(&*tim);
        assert!(
            tim.reset(NS),
            "reset of an armed timer or ticker reported it stopped"
        );
        assert_tick(&*tim);
        goro::sleep(SCHED);
        if T::IS_TICKER {
            assert_tick(&*tim);
            goro::sleep(SCHED);
        } else {
            no_tick(&*tim);
        }
        assert_eq!(
            tim.reset(HOUR),
            T::IS_TICKER,
            "reset of a fired and received timer, or of a running ticker"
        );
        no_tick(&*tim);
        tim.stop();
    });
}

/// TestAfterTimes: the time `after(10ms)` delivers is when it fired, not when it is read:
/// read 50 ms after it is there, it is no later than when it was seen there.
#[test]
fn after_times() {
    each_mode(|_| {
        let start = Instant::now();
        let c = goro::after(10 * MS);
        wait_until(|| !c.is_empty());
        let seen = Instant::now();
        goro::sleep(50 * MS);
        let t = recv(&c, "after");
        assert!(t >= start + 10 * MS, "after(10ms) fired early");
        assert!(t <= seen, "after(10ms) time is read time, not fire time");
    });
}

/// TestTickTimes: the same for a 10 ms ticker: the tick read 50 ms after it is there (later
/// ones dropped meanwhile) carries the time it was sent.
#[test]
fn tick_times() {
    each_mode(|_| {
        let start = Instant::now();
        let ticker = goro::tick(10 * MS);
        wait_until(|| !ticker.c().is_empty());
        let seen = Instant::now();
        goro::sleep(50 * MS);
        let t = recv(ticker.c(), "tick");
        assert!(t >= start + 10 * MS, "tick(10ms) ticked early");
        assert!(t <= seen, "tick(10ms) time is read time, not tick time");
        ticker.stop();
    });
}
