//! A goroutine's birth and death on the scheduler's side (Go: proc.go `newproc1`'s
//! placement, `gfput`/`gfget`, `goexit0`'s bookkeeping): a spawned G gets a stack and goes
//! where a readied one would; a dead G, with its stack, waits on its P's free list (half
//! of a full list spills to a global one) for the next spawn.
//!
//! Invariants: a G on a free list is dead and referenced by the list alone; a P's list is
//! touched only by the M holding the P (`with_p`, or scheduler code holding it).

use crate::g::{self, G};
use crate::p::P;
use crate::sched::{get, ready, with_p};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Puts a spawned G where it will run: like `ready`.
pub(crate) fn spawn_g(g: Arc<G>) -> std::io::Result<()> {
    let s = get();
    // SAFETY: the new G is ours alone: it is in no queue yet.
    let stack = match unsafe { g.has_stack() } {
        true => None,
        // SAFETY: `with_p` gives us the P, and with it its stack cache, exclusively.
        false => Some(with_p(|p| s.stacks.get(p.map(|p| unsafe { p.stacks() })))?),
    };
    // SAFETY: as above.
    unsafe { g.prepare(stack) };
    s.ngoroutine.fetch_add(1, Ordering::Relaxed);
    s.allgs.add(&g);
    ready(g);
    Ok(())
}

/// Dead Gs kept per P for reuse before half spill to the global list.
const GFREE_MAX: usize = 64;

/// Keeps a dead G, referenced by nobody else, for the next spawn (Go: gfput).
pub(crate) fn gfree_put(p: Option<&P>, g: Arc<G>) {
    let s = get();
    match p {
        Some(p) => {
            // SAFETY: we hold `p`, so its free list is ours.
            let list = unsafe { p.gfree() };
            list.push(g);
            if list.len() > GFREE_MAX {
                let at = list.len() / 2;
                s.gfree.lock().unwrap().extend(list.drain(at..));
            }
        }
        None => s.gfree.lock().unwrap().push(g),
    }
}

/// A dead G to reuse, if one is free (Go: gfget); else a new one.
pub(crate) fn gfree_get() -> Arc<G> {
    let s = get();
    let local = with_p(|p| {
        let p = p?;
        // SAFETY: `with_p` gives us the P, and with it its free list, exclusively.
        let list = unsafe { p.gfree() };
        if list.is_empty() {
            let mut global = s.gfree.lock().unwrap();
            let at = global.len().saturating_sub(GFREE_MAX / 2);
            list.extend(global.drain(at..));
        }
        list.pop()
    });
    local
        .or_else(|| s.gfree.lock().unwrap().pop())
        .unwrap_or_else(|| Arc::new(G::new()))
}

/// The goroutine `id` has returned (or panicked): it leaves the count and the registry
/// before its joiner wakes, so a joined goroutine is never seen alive.
pub(crate) fn goroutine_done() {
    let s = get();
    s.ngoroutine.fetch_sub(1, Ordering::Relaxed);
    let g = g::current_ptr();
    // SAFETY: called by the running goroutine, which its M's running slot keeps alive.
    s.allgs.remove(unsafe { &*g });
}
