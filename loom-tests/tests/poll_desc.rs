//! loom model of gopoll's poll descriptor slot (`crates/gopoll/src/poll_desc.rs`): Go's
//! pollDesc `rg`/`wg` protocol plus the fdMutex that lets one op per direction wait.
//!
//! The fd is modelled by an atomic "bytes readable" count that the op's "syscall" tries to
//! take from, and the edge-triggered poller by a thread that adds bytes and then calls
//! `Slot::notify` once (one edge, however many bytes). Checked:
//! - an event that lands between the op's WouldBlock and its park is never lost (loom would
//!   report the parked op as a deadlock);
//! - `close` wakes the parked op, which fails with `Stop::Closed`;
//! - a wake-up (a moved deadline) makes the parked op re-check its condition;
//! - two ops waiting on one edge both finish: the op lock makes the second retry its
//!   syscall after the first, so bytes left by one are never stranded;
//! - a read that drained the fd (`set_drained`) lets the next one park before its syscall
//!   without missing an edge; and a short read that did not drain (data before the peer's
//!   FIN, whose event says `SPECIAL`) never sets `DRAINED`, so the EOF is read.
#![cfg(loom)]

use gopoll::internal::{Slot, Stop, SPECIAL};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// The "fd": how many units can be read now.
struct Fd {
    slot: Slot,
    readable: AtomicUsize,
}

impl Fd {
    fn new() -> Arc<Fd> {
        Arc::new(Fd {
            slot: Slot::new(),
            readable: AtomicUsize::new(0),
        })
    }

    /// The non-blocking syscall: take one unit, or WouldBlock (false).
    fn try_read(&self) -> bool {
        let mut n = self.readable.load(Ordering::SeqCst);
        while n > 0 {
            match self
                .readable
                .compare_exchange(n, n - 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return true,
                Err(m) => n = m,
            }
        }
        false
    }

    /// `PollFd::read_with`'s loop: op lock, syscall, wait on WouldBlock.
    fn read(&self, stop_flag: Option<&AtomicBool>) -> Result<(), Stop> {
        self.slot.lock_op()?;
        let r = loop {
            if stop_flag.is_some_and(|f| f.load(Ordering::SeqCst)) {
                break Err(Stop::TimedOut);
            }
            if self.try_read() {
                break Ok(());
            }
            if let Err(e) = self.slot.wait(None) {
                break Err(e);
            }
        };
        self.slot.unlock_op();
        r
    }

    /// `PollFd::read_draining`'s loop for a read that takes every unit queued (a short TCP
    /// read): `Ok(n)` units, `Ok(0)` at EOF. The previous read's drain makes it park first.
    fn read_draining(&self, eof: &AtomicBool) -> Result<usize, Stop> {
        self.slot.lock_op()?;
        let mut skip = self.slot.take_drained();
        let r = loop {
            if !skip {
                // As the kernel's read: data queued before the FIN comes out first (EOF is
                // read first here, and the data it follows is then visible).
                let at_eof = eof.load(Ordering::SeqCst);
                let n = self.readable.swap(0, Ordering::SeqCst);
                if n > 0 {
                    // Short: it took all there was. Before the peer's FIN it leaves the EOF.
                    self.slot.set_drained();
                    break Ok(n);
                }
                if at_eof {
                    break Ok(0);
                }
            }
            skip = false;
            if let Err(e) = self.slot.wait(None) {
                break Err(e);
            }
        };
        self.slot.unlock_op();
        r
    }

    /// The kernel makes `n` units readable, then the poller delivers one edge.
    fn arrive(&self, n: usize) {
        self.readable.fetch_add(n, Ordering::SeqCst);
        self.slot.notify(0);
    }
}

#[test]
fn event_between_wouldblock_and_park_is_never_lost() {
    loom::model(|| {
        let fd = Fd::new();
        let p = fd.clone();
        let poller = thread::spawn(move || p.arrive(1));
        assert_eq!(fd.read(None), Ok(()));
        poller.join().unwrap();
    });
}

#[test]
fn close_wakes_the_parked_op() {
    loom::model(|| {
        let fd = Fd::new();
        let c = fd.clone();
        let closer = thread::spawn(move || c.slot.close());
        assert_eq!(fd.read(None), Err(Stop::Closed));
        closer.join().unwrap();
        assert!(fd.slot.is_closed());
    });
}

#[test]
fn wake_up_makes_the_parked_op_recheck() {
    // Go's SetReadDeadline while a Read is parked: the mover changes what the op checks
    // (here a flag standing for "the deadline has passed") and interrupts the slot.
    loom::model(|| {
        let fd = Fd::new();
        let passed = Arc::new(AtomicBool::new(false));
        let (f, m) = (fd.clone(), passed.clone());
        let mover = thread::spawn(move || {
            m.store(true, Ordering::SeqCst);
            f.slot.interrupt();
        });
        assert_eq!(fd.read(Some(&passed)), Err(Stop::TimedOut));
        mover.join().unwrap();
    });
}

#[test]
fn two_ops_one_edge_both_finish() {
    loom::model(|| {
        let fd = Fd::new();
        let f2 = fd.clone();
        let second = thread::spawn(move || f2.read(None));
        let p = fd.clone();
        let poller = thread::spawn(move || p.arrive(2));
        assert_eq!(fd.read(None), Ok(()));
        assert_eq!(second.join().unwrap(), Ok(()));
        poller.join().unwrap();
        assert_eq!(fd.readable.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn close_wakes_an_op_waiting_for_the_op_lock() {
    loom::model(|| {
        let fd = Fd::new();
        let f2 = fd.clone();
        let second = thread::spawn(move || f2.read(None));
        let c = fd.clone();
        let closer = thread::spawn(move || c.slot.close());
        assert_eq!(fd.read(None), Err(Stop::Closed));
        assert_eq!(second.join().unwrap(), Err(Stop::Closed));
        closer.join().unwrap();
    });
}

#[test]
fn a_drained_read_parks_first_and_misses_no_edge() {
    // Two edges, one unit each; the reader parks before its syscall after each drain.
    loom::model(|| {
        let fd = Fd::new();
        let eof = AtomicBool::new(false);
        let p = fd.clone();
        let poller = thread::spawn(move || {
            p.arrive(1);
            p.arrive(1);
        });
        let mut got = 0;
        while got < 2 {
            got += fd.read_draining(&eof).unwrap();
        }
        poller.join().unwrap();
        assert_eq!(got, 2);
    });
}

#[test]
fn a_short_read_before_fin_does_not_drain() {
    // The peer writes one unit and closes: the unit, then EOF, then one edge that says so
    // (EPOLLIN | EPOLLRDHUP: `SPECIAL`). The reader may have parked before any of it, so it
    // consumes that edge before its short read; it must still read the EOF. Caught when
    // `set_drained` ignores SPECIAL (the reader parks for an edge that never comes).
    loom::model(|| {
        let fd = Fd::new();
        let eof = Arc::new(AtomicBool::new(false));
        let (p, e) = (fd.clone(), eof.clone());
        let peer = thread::spawn(move || {
            p.readable.fetch_add(1, Ordering::SeqCst);
            e.store(true, Ordering::SeqCst);
            p.slot.notify(SPECIAL);
        });
        let mut got = 0;
        loop {
            match fd.read_draining(&eof).unwrap() {
                0 => break,
                n => got += n,
            }
        }
        peer.join().unwrap();
        assert_eq!(got, 1);
    });
}
