//! Goroutine-local storage: values per goroutine and per thread, and initialisers that read
//! other goroutine-locals (issue 13: once a second live `&mut` to the goroutine's locals,
//! and an "already borrowed" panic on a thread).
#![cfg(not(loom))]

use gmp_sched::{goroutine_local, spawn};
use std::cell::Cell;

goroutine_local! {
    static BASE: Cell<u32> = Cell::new(40);
    static DERIVED: Cell<u32> = Cell::new(BASE.with(|b| b.get()) + 2);
    static DEEPER: Vec<u32> = (0..64).map(|i| DERIVED.with(|d| d.get()) + i).collect();
    static SELFISH: u32 = SELFISH.with(|s| *s) + 1;
}

fn nested() -> (u32, u32, usize) {
    // DEEPER first: its initialiser creates DERIVED, whose initialiser creates BASE, each
    // pushing onto the locals while the outer initialisers run.
    let last = DEEPER.with(|v| *v.last().unwrap());
    (last, DERIVED.with(|d| d.get()), DEEPER.with(|v| v.len()))
}

#[test]
fn an_initialiser_may_read_other_locals_on_a_thread() {
    std::thread::spawn(|| assert_eq!(nested(), (105, 42, 64)))
        .join()
        .unwrap();
}

#[test]
fn an_initialiser_may_read_other_locals_in_a_goroutine() {
    // SAFETY: the closure keeps no thread-bound state across a blocking call.
    let h = unsafe { spawn(nested) };
    assert_eq!(h.join().unwrap(), (105, 42, 64));
}

fn panic_text(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn an_initialiser_that_reads_itself_panics_clearly() {
    let on_thread = std::thread::spawn(|| SELFISH.with(|s| *s)).join();
    let msg = panic_text(on_thread.unwrap_err());
    assert!(msg.contains("reads itself"), "{msg}");
    // SAFETY: as above.
    let in_goroutine = unsafe { spawn(|| SELFISH.with(|s| *s)) }.join();
    let msg = panic_text(in_goroutine.unwrap_err());
    assert!(msg.contains("reads itself"), "{msg}");
}
