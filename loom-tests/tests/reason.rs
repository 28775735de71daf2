//! loom model of a goroutine's wait reason as the dump reads it (gmp-sched's `AtomicReason`,
//! `park_state.rs`): the G stores `WaitReason::Other(text)` (a pointer and a length) under a
//! sequence lock while a dump reads it from another thread. A reader must get some text
//! that was stored, whole: never one text's pointer with another's length. Known to catch:
//! the reader's second sequence load dropped (it returns whatever pointer and length it
//! read) fails `a_reader_never_sees_a_torn_reason`; the writer's odd (in-progress) sequence
//! store dropped fails it too.
#![cfg(loom)]

use gmp_sched::internal::AtomicReason;
use gmp_sched::sys::WaitReason;
use loom::sync::Arc;
use loom::thread;

/// Both texts lie inside one string, so a torn pointer/length pair still reads inside it
/// (the model fails on the assertion, not on a wild read).
const ALL: &str = "ab_def__";

fn texts() -> [&'static str; 3] {
    ["", &ALL[0..2], &ALL[3..6]]
}

/// The whole texts a reader may see: the first one, or one of those stored.
fn is_whole(r: WaitReason) -> bool {
    match r {
        WaitReason::Other(t) => texts()
            .iter()
            .any(|w| w.as_ptr() == t.as_ptr() && w.len() == t.len()),
        _ => false,
    }
}

#[test]
fn a_reader_never_sees_a_torn_reason() {
    loom::model(|| {
        let reason = Arc::new(AtomicReason::new());
        let [_, a, b] = texts();
        let writer = {
            let reason = reason.clone();
            thread::spawn(move || {
                reason.store(WaitReason::Other(a));
                reason.store(WaitReason::Other(b));
            })
        };
        assert!(is_whole(reason.load()));
        assert!(is_whole(reason.load()));
        writer.join().unwrap();
        assert_eq!(reason.load(), WaitReason::Other(b));
    });
}

#[test]
fn a_named_reason_after_text_reads_back_named() {
    loom::model(|| {
        let reason = Arc::new(AtomicReason::new());
        let [_, a, _] = texts();
        let writer = {
            let reason = reason.clone();
            thread::spawn(move || {
                reason.store(WaitReason::Other(a));
                reason.store(WaitReason::ChanReceive);
            })
        };
        let seen = reason.load();
        assert!(seen == WaitReason::ChanReceive || is_whole(seen));
        writer.join().unwrap();
        assert_eq!(reason.load(), WaitReason::ChanReceive);
    });
}
