//! Read and write deadlines in Go's sense, plus std-style per-operation timeouts.
//! Ports the idea of Go's runtime/netpoll.go `poll_runtime_pollSetDeadline`.
//!
//! A deadline is an absolute instant stored as nanoseconds since a process-wide epoch
//! (`0` = none) so ops read it with one atomic load. Once it has passed every op in that
//! direction fails with `TimedOut` (Go's `os.ErrDeadlineExceeded`), until it is moved.
//! An op parked for readiness parks until its deadline (a goroutine through
//! `gmp_sched::sys::park_until`, whose timer unparks it; a thread through its own timed wait);
//! moving the deadline wakes the parked op, which re-reads it and parks again or fails.
//!
//! A timeout (`set_read_timeout`, as std's) bounds each op instead: it starts when the op
//! first has to wait, and the op fails when the earlier of deadline and timeout passes.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::poll_desc::Dir;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// `None` -> 0; an instant -> its nanoseconds after the epoch, at least 1.
fn encode(t: Option<Instant>) -> u64 {
    match t {
        None => 0,
        Some(t) => {
            let ns = t.saturating_duration_since(epoch()).as_nanos();
            u64::try_from(ns).unwrap_or(u64::MAX - 1).saturating_add(1)
        }
    }
}

fn decode(v: u64) -> Option<Instant> {
    (v != 0).then(|| epoch() + Duration::from_nanos(v - 1))
}

/// The deadlines and timeouts of one poll descriptor.
#[derive(Default)]
pub(crate) struct Deadlines {
    read: AtomicU64,
    write: AtomicU64,
    read_timeout: AtomicU64,
    write_timeout: AtomicU64,
}

impl Deadlines {
    fn deadline_cell(&self, dir: Dir) -> &AtomicU64 {
        match dir {
            Dir::Read => &self.read,
            Dir::Write => &self.write,
        }
    }

    fn timeout_cell(&self, dir: Dir) -> &AtomicU64 {
        match dir {
            Dir::Read => &self.read_timeout,
            Dir::Write => &self.write_timeout,
        }
    }

    pub(crate) fn set(&self, dir: Dir, t: Option<Instant>) {
        self.deadline_cell(dir).store(encode(t), Ordering::Release);
    }

    pub(crate) fn get(&self, dir: Dir) -> Option<Instant> {
        decode(self.deadline_cell(dir).load(Ordering::Acquire))
    }

    pub(crate) fn set_timeout(&self, dir: Dir, t: Option<Duration>) -> io::Result<()> {
        let ns = match t {
            None => 0,
            Some(d) if d.is_zero() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "cannot set a 0 duration timeout",
                ))
            }
            Some(d) => u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
        };
        self.timeout_cell(dir).store(ns, Ordering::Release);
        Ok(())
    }

    pub(crate) fn timeout(&self, dir: Dir) -> Option<Duration> {
        let ns = self.timeout_cell(dir).load(Ordering::Acquire);
        (ns != 0).then(|| Duration::from_nanos(ns))
    }

    /// Fails with `TimedOut` if the deadline of `dir` has passed (checked before each
    /// syscall, as Go's prepareRead/prepareWrite do). One load when no deadline is set.
    #[inline]
    pub(crate) fn check(&self, dir: Dir) -> io::Result<()> {
        let v = self.deadline_cell(dir).load(Ordering::Acquire);
        if v != 0 && decode(v).is_some_and(|d| gmp_sched::now() >= d) {
            return Err(timed_out());
        }
        Ok(())
    }

    /// The instant an op that started waiting at `*started` (set now if unset) must give up.
    pub(crate) fn op_deadline(&self, dir: Dir, started: &mut Option<Instant>) -> Option<Instant> {
        let deadline = self.get(dir);
        let timeout = self.timeout(dir).and_then(|t| {
            let s = *started.get_or_insert_with(gmp_sched::now);
            s.checked_add(t)
        });
        match (deadline, timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.read,
            &self.write,
            &self.read_timeout,
            &self.write_timeout,
        ] {
            c.store(0, Ordering::Release);
        }
    }
}

/// Go's `os.ErrDeadlineExceeded`, as an `io::Error` of kind `TimedOut`.
pub(crate) fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_round_trips() {
        assert_eq!(decode(encode(None)), None);
        let t = Instant::now() + Duration::from_secs(3);
        assert_eq!(decode(encode(Some(t))), Some(t));
        // Before the epoch: saturates to the epoch, still "set".
        assert!(
            encode(Some(
                epoch() - Duration::from_secs(1).min(epoch().elapsed())
            )) >= 1
        );
    }

    #[test]
    fn op_deadline_takes_the_earlier() {
        let d = Deadlines::default();
        let mut started = None;
        assert_eq!(d.op_deadline(Dir::Read, &mut started), None);
        d.set_timeout(Dir::Read, Some(Duration::from_secs(5)))
            .unwrap();
        let t = Instant::now() + Duration::from_secs(1);
        d.set(Dir::Read, Some(t));
        assert_eq!(d.op_deadline(Dir::Read, &mut started), Some(t));
        assert!(d.set_timeout(Dir::Read, Some(Duration::ZERO)).is_err());
        assert!(d.check(Dir::Write).is_ok());
        d.set(Dir::Write, Some(Instant::now()));
        assert_eq!(
            d.check(Dir::Write).unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
    }
}
