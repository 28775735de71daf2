//! loom model of gosync's RwMutex (Go's readerCount/readerWait scheme).
//!
//! Checked: a writer excludes readers and other writers (loom's cell tracking), a writer waiting
//! for readers is woken by the last one, readers held back by a writer are released by its
//! unlock, and the lock ends free.
#![cfg(loom)]

use gosync::RwMutex;
use loom::sync::Arc;
use loom::thread;

/// One writer against two readers (one of them the main thread).
#[test]
fn rwmutex_writer_and_readers() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let rw = Arc::new(RwMutex::new(0usize));
        let rw2 = Arc::clone(&rw);
        let writer = thread::spawn(move || *rw2.write() += 1);
        let rw3 = Arc::clone(&rw);
        let reader = thread::spawn(move || {
            let v = *rw3.read();
            assert!(v <= 1);
        });
        let v = *rw.read();
        assert!(v <= 1);
        writer.join().unwrap();
        reader.join().unwrap();
        assert_eq!(*rw.try_write().expect("lock left held"), 1);
    });
}

/// Two writers: they take turns through the inner mutex.
#[test]
fn rwmutex_two_writers() {
    gosync::internal::set_clock_step(0);
    loom::model(|| {
        let rw = Arc::new(RwMutex::new(0usize));
        let rw2 = Arc::clone(&rw);
        let t = thread::spawn(move || *rw2.write() += 1);
        *rw.write() += 1;
        t.join().unwrap();
        assert_eq!(*rw.read(), 2);
    });
}
