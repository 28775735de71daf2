//! A goroutine's birth and death on the scheduler's side (Go: proc.go `newproc1`'s
//! placement, `gfput`/`gfget`, `goexit0`'s bookkeeping): a spawned G gets a stack and goes
//! where a readied one would; a dead G, with its stack, waits on its P's free list (half
//! of a full list spills to a global one) for the next spawn.
//!
//! Invariants: a G on a free list is dead and referenced by the list alone; a P's list is
//! touched only by the M holding the P (`with_p`, or scheduler code holding it). A G on the
//! global list has no stack: its stack went to the stack pool as it spilled (Go frees the
//! stacks of the global list's Gs at each GC, markrootFreeGStacks), so that the scavenger
//! can give back its pages.
//!
//! Memory after a burst (the scavenger, `scavenge`, called by sysmon about once a second):
//! the Gs that stayed on the global list through a whole period, beyond `GFREE_KEEP`, are
//! freed, and so are the pages of the pool's unused stacks (`stack.rs`). Go keeps every G
//! it ever made (allgs never shrinks); a G is about 300 bytes, so a million-goroutine burst
//! would otherwise keep 300 MB for good.

use crate::g::{self, G};
use crate::p::P;
use crate::sched::{get, ready, with_p};
use crate::stack::Stack;
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
/// Dead Gs the scavenger leaves on the global list whatever its low-water mark says.
const GFREE_KEEP: usize = 64;

/// The global list of dead Gs (stackless), with its low-water mark since the last scavenge.
pub(crate) struct GlobalFree {
    list: Vec<Arc<G>>,
    low: usize,
}

impl GlobalFree {
    pub(crate) fn new() -> GlobalFree {
        GlobalFree {
            list: Vec::new(),
            low: 0,
        }
    }

    /// Adds dead Gs, moving their stacks to the pool (with `p`'s cache, if we hold a P).
    fn put(&mut self, gs: impl Iterator<Item = Arc<G>>, mut cache: Option<&mut Vec<Stack>>) {
        let stacks = &get().stacks;
        for g in gs {
            // SAFETY: a dead G on a free list is referenced by the list alone: ours.
            if let Some(stack) = unsafe { g.take_stack() } {
                stacks.put(stack, cache.as_deref_mut());
            }
            self.list.push(g);
        }
    }

    fn pop(&mut self) -> Option<Arc<G>> {
        let g = self.list.pop();
        self.low = self.low.min(self.list.len());
        g
    }
}

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
                // SAFETY: as above, for its stack cache.
                let cache = unsafe { p.stacks() };
                s.gfree.lock().unwrap().put(list.drain(at..), Some(cache));
            }
        }
        None => s.gfree.lock().unwrap().put(std::iter::once(g), None),
    }
}

/// Gives back what a burst of goroutines left behind: dead Gs and free stacks that went
/// unused since the last call (sysmon, about once a second; see the top of this file).
/// Returns the number of stacks whose pages went back.
pub(crate) fn scavenge() -> usize {
    let s = get();
    let idle: Vec<Arc<G>> = {
        let mut free = s.gfree.lock().unwrap();
        let n = free.low.saturating_sub(GFREE_KEEP);
        let idle = free.list.drain(..n).collect();
        free.low = free.list.len();
        if free.list.capacity() > 4 * free.list.len().max(GFREE_KEEP) {
            let len = free.list.len();
            free.list.shrink_to(2 * len);
        }
        idle
    };
    let freed_gs = !idle.is_empty();
    // Dropped outside the lock: each is referenced by the list alone, so this frees it.
    drop(idle);
    let stacks = s.stacks.scavenge().stacks;
    if freed_gs || stacks > 0 {
        trim_heap();
    }
    stacks
}

/// Asks malloc to give the pages it holds free back to the kernel (glibc keeps freed small
/// blocks in its arenas, and only trims the top of the heap by itself).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only returns unused pages.
    unsafe {
        libc::malloc_trim(0);
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
            list.extend(std::iter::from_fn(|| global.pop()).take(GFREE_MAX / 2));
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
