//! The dynamic select: [`Select`], for cases known only at run time (Go: `reflect.Select`,
//! reflect/value.go, which calls the same runtime `selectgo`). Ports only the front end:
//! cases are boxed [`RecvCase`]/[`SendCase`]s, run by `select.rs`'s [`run`], the algorithm
//! `select!` runs too; nothing about polling, locking or parking lives here.
//!
//! Invariants: a `Select` runs once (every run consumes it); the cases stay in their boxes
//! until the [`SelectedOperation`] is dropped, so the fired case's result cell is still there
//! when `recv`/`send` read it, and those check the case's direction and channel before the
//! one cast that reads it.

use crate::err::{SelectTimeoutError, SendError, TrySelectError};
use crate::hchan::Hchan;
use crate::select::{run, AsCase, CaseOps, Dir, Mode, RecvCase, RecvChan, SendCase, SendChan};
use std::cell::Cell;
use std::fmt;
use std::time::{Duration, Instant};

impl AsCase for Box<dyn CaseOps + '_> {
    fn case(&self) -> &dyn CaseOps {
        &**self
    }
}

/// A select whose cases are known only at run time (Go: `reflect.Select`).
///
/// Add receive and send operations, then run it once with [`select`](Select::select),
/// [`try_select`](Select::try_select) or [`select_timeout`](Select::select_timeout); the
/// [`SelectedOperation`] says which case fired and hands out its result. It follows the
/// same algorithm as [`select!`](crate::select!): random poll order, nil channels never fire.
///
/// ```
/// use gochan::{Chan, Select};
///
/// let chans: Vec<Chan<usize>> = (0..4).map(|_| Chan::new(1)).collect();
/// chans[2].send(42).unwrap();
///
/// let mut sel = Select::new();
/// for ch in &chans {
///     sel.recv(ch);
/// }
/// let op = sel.select();
/// assert_eq!(op.index(), 2);
/// assert_eq!(op.recv(&chans[2]), Some(42));
/// ```
pub struct Select<'a> {
    cases: Vec<Box<dyn CaseOps + 'a>>,
}

impl<'a> Select<'a> {
    /// An empty select.
    ///
    /// ```
    /// let sel = gochan::Select::new();
    /// assert!(sel.is_empty());
    /// ```
    pub fn new() -> Select<'a> {
        Select { cases: Vec::new() }
    }

    /// Adds a receive from `ch`; returns the case's index.
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// let mut sel = gochan::Select::new();
    /// assert_eq!(sel.recv(&ch), 0);
    /// assert_eq!(sel.recv(&ch), 1);
    /// ```
    pub fn recv<C: RecvChan + ?Sized>(&mut self, ch: &'a C) -> usize
    where
        C::Item: 'a,
    {
        self.cases.push(Box::new(RecvCase::new(ch.recv_chan())));
        self.cases.len() - 1
    }

    /// Adds a send of `v` on `ch`; returns the case's index. If another case fires, `v` is
    /// dropped with the select.
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// let mut sel = gochan::Select::new();
    /// let i = sel.send(&ch, 7);
    /// let op = sel.select();
    /// assert_eq!(op.index(), i);
    /// assert_eq!(op.send(&ch), Ok(()));
    /// assert_eq!(ch.recv(), Some(7));
    /// ```
    pub fn send<C: SendChan + ?Sized>(&mut self, ch: &'a C, v: C::Item) -> usize
    where
        C::Item: 'a,
    {
        self.cases.push(Box::new(SendCase::new(ch.send_chan(), v)));
        self.cases.len() - 1
    }

    /// The number of cases.
    ///
    /// ```
    /// assert_eq!(gochan::Select::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Whether there are no cases (selecting then blocks forever).
    ///
    /// ```
    /// assert!(gochan::Select::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Waits until one case fires and returns it. With no non-nil case this blocks forever.
    ///
    /// ```
    /// let a = gochan::Chan::<i32>::new(0);
    /// let b = gochan::Chan::<i32>::new(0);
    /// b.close();
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&a);
    /// let ib = sel.recv(&b);
    /// let op = sel.select();
    /// assert_eq!(op.index(), ib);
    /// assert_eq!(op.recv(&b), None);
    /// ```
    pub fn select(self) -> SelectedOperation<'a> {
        let index = run(&self.cases, Mode::Block).expect("a blocking select fires a case");
        SelectedOperation {
            index,
            cases: self.cases,
        }
    }

    /// Fires a case that is ready now, if any (Go: `select` with `default`).
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&ch);
    /// assert!(sel.try_select().is_err());
    /// ```
    pub fn try_select(self) -> Result<SelectedOperation<'a>, TrySelectError> {
        match run(&self.cases, Mode::NonBlock) {
            Some(index) => Ok(SelectedOperation {
                index,
                cases: self.cases,
            }),
            None => Err(TrySelectError),
        }
    }

    /// Waits at most `timeout` for a case to fire.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ch = gochan::Chan::<i32>::new(0);
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&ch);
    /// assert!(sel.select_timeout(Duration::from_millis(1)).is_err());
    /// ```
    pub fn select_timeout(
        self,
        timeout: Duration,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.select_mode(Mode::timeout(timeout))
    }

    /// Waits until `deadline` at most for a case to fire.
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// ch.send(1).unwrap();
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&ch);
    /// let op = sel.select_deadline(std::time::Instant::now()).unwrap();
    /// assert_eq!(op.recv(&ch), Some(1));
    /// ```
    pub fn select_deadline(
        self,
        deadline: Instant,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.select_mode(Mode::Deadline(deadline))
    }

    fn select_mode(self, mode: Mode) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        match run(&self.cases, mode) {
            Some(index) => Ok(SelectedOperation {
                index,
                cases: self.cases,
            }),
            None => Err(SelectTimeoutError),
        }
    }
}

impl Default for Select<'_> {
    fn default() -> Self {
        Select::new()
    }
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("cases", &self.cases.len())
            .finish()
    }
}

/// The case a [`Select`] fired, holding its result.
///
/// ```
/// let ch = gochan::Chan::new(1);
/// ch.send("x").unwrap();
/// let mut sel = gochan::Select::new();
/// sel.recv(&ch);
/// let op = sel.select();
/// assert_eq!(op.index(), 0);
/// assert_eq!(op.recv(&ch), Some("x"));
/// ```
pub struct SelectedOperation<'a> {
    index: usize,
    cases: Vec<Box<dyn CaseOps + 'a>>,
}

impl SelectedOperation<'_> {
    /// The index of the case that fired (as returned by [`Select::recv`]/[`Select::send`]).
    ///
    /// ```
    /// let ch = gochan::Chan::<i32>::new(0);
    /// ch.close();
    /// let mut sel = gochan::Select::new();
    /// let i = sel.recv(&ch);
    /// assert_eq!(sel.select().index(), i);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The received value of the fired receive case (`None`: the channel is closed).
    ///
    /// # Panics
    /// If the fired case is not a receive from `ch`.
    ///
    /// ```
    /// let ch = gochan::Chan::new(1);
    /// ch.send(5u8).unwrap();
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&ch);
    /// assert_eq!(sel.select().recv(&ch), Some(5));
    /// ```
    pub fn recv<C: RecvChan + ?Sized>(self, ch: &C) -> Option<C::Item> {
        let case = &self.cases[self.index];
        let id = ch.recv_chan().hchan().map(Hchan::id);
        assert!(
            case.dir() == Dir::Recv && id.is_some() && case.id() == id,
            "SelectedOperation::recv: the fired case is not a receive from this channel"
        );
        let cell = case.result_ptr() as *const Cell<Option<Option<C::Item>>>;
        // SAFETY: the fired case is a `RecvCase<U>` on the channel at address `id`, and `ch`
        // is a live `Chan<C::Item>` whose `Hchan` sits at that same address: one live
        // allocation, one type, so U == C::Item and the pointer is to that case's result
        // cell, which `self` keeps alive for this borrow.
        let cell = unsafe { &*cell };
        cell.take().expect("the fired case has a result")
    }

    /// The outcome of the fired send case: `Err` hands the value back if the channel was
    /// closed.
    ///
    /// # Panics
    /// If the fired case is not a send on `ch`.
    ///
    /// ```
    /// let ch = gochan::Chan::new(0);
    /// ch.close();
    /// let mut sel = gochan::Select::new();
    /// sel.send(&ch, 1);
    /// assert_eq!(sel.select().send(&ch), Err(gochan::SendError(1)));
    /// ```
    pub fn send<C: SendChan + ?Sized>(self, ch: &C) -> Result<(), SendError<C::Item>> {
        let case = &self.cases[self.index];
        let id = ch.send_chan().hchan().map(Hchan::id);
        assert!(
            case.dir() == Dir::Send && id.is_some() && case.id() == id,
            "SelectedOperation::send: the fired case is not a send on this channel"
        );
        let cell = case.result_ptr() as *const Cell<Option<Result<(), SendError<C::Item>>>>;
        // SAFETY: as in `recv`: same live channel, hence the same element type, and the
        // pointer is to the fired `SendCase`'s result cell, alive for this borrow.
        let cell = unsafe { &*cell };
        cell.take().expect("the fired case has a result")
    }
}

impl fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectedOperation")
            .field("index", &self.index)
            .finish()
    }
}
