//! Go's sync.RWMutex: many readers or one writer, and a waiting writer holds back new readers.
//! Ports Go's sync/rwmutex.go; writers serialise on a `RawMutex`, and both sides park on a
//! semaphore of their own (`sema.rs`).
//!
//! | field         | meaning                                                               |
//! |---------------|-----------------------------------------------------------------------|
//! | `reader_count`| readers holding or waiting; minus `MAX_READERS` while a writer is in  |
//! | `reader_wait` | readers that held it when the writer arrived and have not left yet    |
//! | `w`           | held by the writer (and by a writer waiting for readers to leave)     |
//!
//! Read lock: `reader_count += 1`; a negative result means a writer is in or waiting, so the
//! reader parks on `reader_sem`. Read unlock: `reader_count -= 1`; a negative result means a
//! writer waits, so the reader also counts itself out of `reader_wait`, and the last one out
//! releases `writer_sem`.
//!
//! Write lock: take `w` (one writer at a time), then `reader_count -= MAX_READERS` announces the
//! writer (new readers now park) and yields `r`, the readers still inside; `reader_wait += r`, and
//! if readers remain, park on `writer_sem` until the last one leaves. Write unlock:
//! `reader_count += MAX_READERS` lets new readers in and yields how many parked meanwhile; release
//! `reader_sem` that many times, then unlock `w`.
//!
//! Invariants:
//! - `reader_count < 0` exactly while a writer holds or waits for the lock.
//! - At most `MAX_READERS - 1` readers at once (Go's limit, 2^30).
//! - `reader_wait` can dip below zero (readers leaving before the writer adds `r`); whoever
//!   brings it to zero, writer or last reader, decides who waits no longer.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use gmp_sched::sys::WaitReason;

use crate::loom::{AtomicI32, Ordering, UnsafeCell};
use crate::mutex::{guard_impls, lock_impls, RawMutex};
use crate::sema::Sema;

/// The most readers at once (Go: rwmutexMaxReaders).
const MAX_READERS: i32 = 1 << 30;

/// A reader-writer lock protecting a `T`, with Go's sync.RWMutex behaviour: any number of readers
/// or one writer, parking goroutines and threads alike.
///
/// Writer preference: once a writer calls [`write`](RwMutex::write), new readers wait until it
/// has had its turn, so a steady stream of readers cannot starve writers. The flip side, as in
/// Go: a reader must not take the read lock again while it holds it (a writer arriving in between
/// deadlocks both).
///
/// Go's `RLock`/`RUnlock` become `let g = rw.read();`/`drop(g)`, `Lock`/`Unlock` become
/// `let g = rw.write();`/`drop(g)`. No poisoning.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::RwMutex;
///
/// let config = Arc::new(RwMutex::new(String::from("v1")));
/// let reader = {
///     let config = Arc::clone(&config);
///     std::thread::spawn(move || config.read().len())
/// };
/// config.write().push_str(".1");
/// assert!(reader.join().unwrap() >= 2);
/// assert_eq!(*config.read(), "v1.1");
/// ```
pub struct RwMutex<T: ?Sized> {
    /// Held by the writer; makes writers take turns.
    w: RawMutex,
    /// The writer parks here until the readers it waits for have left.
    writer_sem: Sema,
    /// Readers park here while a writer is in or waiting.
    reader_sem: Sema,
    /// Readers in or waiting, minus `MAX_READERS` while a writer is in or waiting.
    reader_count: AtomicI32,
    /// Readers the waiting writer still waits for.
    reader_wait: AtomicI32,
    data: UnsafeCell<T>,
}

// SAFETY: the lock owns its `T`; sending it sends the `T`.
unsafe impl<T: ?Sized + Send> Send for RwMutex<T> {}
// SAFETY: sharing the lock lets a writer on any thread get `&mut T` (needs `T: Send`) and readers
// on several threads get `&T` at once (needs `T: Sync`), as for std's RwLock.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwMutex<T> {}

/// A new, unlocked `RwMutex` holding `$value`: the one literal for both `new`s (`const` on
/// std; loom's types have no `const` constructors).
macro_rules! unlocked {
    ($value:expr) => {
        RwMutex {
            w: RawMutex::new(),
            writer_sem: Sema::new(0),
            reader_sem: Sema::new(0),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
            data: UnsafeCell::new($value),
        }
    };
}

impl<T> RwMutex<T> {
    /// A new unlocked lock holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::RwMutex;
    ///
    /// static TABLE: RwMutex<Vec<u32>> = RwMutex::new(Vec::new());
    /// TABLE.write().push(7);
    /// assert_eq!(TABLE.read()[0], 7);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        unlocked!(value)
    }

    /// A new unlocked lock holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        unlocked!(value)
    }

    /// Consumes the lock, returning the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RwMutex::new(3);
    /// assert_eq!(rw.into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwMutex<T> {
    /// Locks for reading, parking while a writer holds the lock or waits for it (Go: `RLock`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RwMutex::new(5);
    /// let a = rw.read();
    /// let b = rw.read(); // readers share
    /// assert_eq!(*a + *b, 10);
    /// ```
    #[inline]
    pub fn read(&self) -> RwMutexReadGuard<'_, T> {
        if self.reader_count.fetch_add(1, Ordering::Acquire) + 1 < 0 {
            // A writer is in or waiting: it releases us when it unlocks.
            self.reader_sem.acquire(false, WaitReason::RwMutexRead);
        }
        RwMutexReadGuard {
            rw: self,
            _data: PhantomData,
        }
    }

    /// Locks for reading if no writer holds or waits for the lock (Go: `TryRLock`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RwMutex::new(5);
    /// let w = rw.write();
    /// assert!(rw.try_read().is_none());
    /// drop(w);
    /// assert_eq!(*rw.try_read().unwrap(), 5);
    /// ```
    pub fn try_read(&self) -> Option<RwMutexReadGuard<'_, T>> {
        let mut c = self.reader_count.load(Ordering::Relaxed);
        loop {
            if c < 0 {
                return None;
            }
            match self.reader_count.compare_exchange_weak(
                c,
                c + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(RwMutexReadGuard {
                        rw: self,
                        _data: PhantomData,
                    })
                }
                Err(now) => c = now,
            }
        }
    }

    /// Go: `RUnlock`.
    #[inline]
    fn read_unlock(&self) {
        let r = self.reader_count.fetch_sub(1, Ordering::Release) - 1;
        if r < 0 {
            self.read_unlock_slow(r);
        }
    }

    /// Go: `rUnlockSlow`.
    #[cold]
    fn read_unlock_slow(&self, r: i32) {
        if r + 1 == 0 || r + 1 == -MAX_READERS {
            crate::throw("sync: RUnlock of unlocked RWMutex");
        }
        // A writer waits: the last reader it waits for lets it in.
        if self.reader_wait.fetch_sub(1, Ordering::AcqRel) - 1 == 0 {
            self.writer_sem.release(false);
        }
    }

    /// Locks for writing, parking until the other writers and all readers are gone (Go: `Lock`).
    /// From the moment this is called, new readers wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RwMutex::new(vec![1]);
    /// rw.write().push(2);
    /// assert_eq!(*rw.read(), [1, 2]);
    /// ```
    pub fn write(&self) -> RwMutexWriteGuard<'_, T> {
        // Writers take turns.
        self.w.lock();
        // Announce ourselves: new readers park from now on.
        let r = self.reader_count.fetch_sub(MAX_READERS, Ordering::AcqRel);
        // Wait for the readers that were already in.
        if r != 0 && self.reader_wait.fetch_add(r, Ordering::AcqRel) + r != 0 {
            self.writer_sem.acquire(false, WaitReason::RwMutexWrite);
        }
        RwMutexWriteGuard {
            rw: self,
            _data: PhantomData,
        }
    }

    /// Locks for writing if nobody holds the lock right now (Go: `TryLock`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RwMutex::new(0);
    /// let r = rw.read();
    /// assert!(rw.try_write().is_none());
    /// drop(r);
    /// *rw.try_write().unwrap() += 1;
    /// assert_eq!(*rw.read(), 1);
    /// ```
    pub fn try_write(&self) -> Option<RwMutexWriteGuard<'_, T>> {
        if !self.w.try_lock() {
            return None;
        }
        if self
            .reader_count
            .compare_exchange(0, -MAX_READERS, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.w.unlock();
            return None;
        }
        Some(RwMutexWriteGuard {
            rw: self,
            _data: PhantomData,
        })
    }

    /// Go: `Unlock`.
    fn write_unlock(&self) {
        // Let new readers in; `r` of them parked meanwhile.
        let r = self.reader_count.fetch_add(MAX_READERS, Ordering::Release) + MAX_READERS;
        if r >= MAX_READERS {
            crate::throw("sync: Unlock of unlocked RWMutex");
        }
        for _ in 0..r {
            self.reader_sem.release(false);
        }
        // Let the next writer try.
        self.w.unlock();
    }

    /// A mutable reference to the value: `&mut self` proves nobody holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rw = gosync::RwMutex::new(1);
    /// *rw.get_mut() += 1;
    /// assert_eq!(*rw.read(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

lock_impls!(RwMutex, try_read);

/// Holds an [`RwMutex`] locked for reading; unlocks when dropped.
///
/// # Examples
///
/// ```
/// let rw = gosync::RwMutex::new([1, 2, 3]);
/// let guard = rw.read();
/// assert_eq!(guard.len(), 3);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwMutexReadGuard<'a, T: ?Sized> {
    rw: &'a RwMutex<T>,
    /// Send and Sync iff `T: Sync` (besides the lock's bounds): it hands out `&T`.
    _data: PhantomData<&'a T>,
}

guard_impls!(RwMutexReadGuard, |g| g.rw.data, g.rw.read_unlock());

/// Holds an [`RwMutex`] locked for writing; unlocks when dropped.
///
/// # Examples
///
/// ```
/// let rw = gosync::RwMutex::new(0);
/// let mut guard = rw.write();
/// *guard = 9;
/// drop(guard);
/// assert_eq!(*rw.read(), 9);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwMutexWriteGuard<'a, T: ?Sized> {
    rw: &'a RwMutex<T>,
    /// Send iff `T: Send`, Sync iff `T: Sync` (besides the lock's bounds).
    _data: PhantomData<&'a mut T>,
}

guard_impls!(
    RwMutexWriteGuard,
    exclusive,
    |g| g.rw.data,
    g.rw.write_unlock()
);
