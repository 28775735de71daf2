//! The registry of live goroutines (Go's `allgs`, runtime/proc.go `allgadd`), which the
//! goroutine dump, `goroutines`, the leak check and the deadlock detector walk.
//!
//! Sharded 64 ways by goroutine id, so spawning and exiting take one short uncontended
//! lock. Each shard is an intrusive doubly linked list through the G's `reg` links.
//! Invariants: a G is on exactly one shard's list from `insert` to `remove`; its `reg`
//! links are read or written only under that shard's lock; the list holds a strong count
//! for each G on it, so a listed G is alive.

use crate::g::G;
use std::sync::{Arc, Mutex};

const SHARDS: usize = 64;

/// One shard: an intrusive doubly linked list of live Gs (links in `G::reg`), each holding
/// one strong reference while registered. No allocation on spawn or exit.
struct Shard(Mutex<ShardList>);

struct ShardList {
    head: *const G,
}

// SAFETY: the raw pointers are strong references to Gs (which are Send + Sync), touched
// only under the shard's mutex.
unsafe impl Send for ShardList {}

/// Every live goroutine (Go: allgs).
pub(crate) struct Registry {
    shards: Box<[Shard]>,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            shards: (0..SHARDS)
                .map(|_| {
                    Shard(Mutex::new(ShardList {
                        head: std::ptr::null(),
                    }))
                })
                .collect(),
        }
    }

    fn shard(&self, id: u64) -> &Mutex<ShardList> {
        &self.shards[id as usize % SHARDS].0
    }

    /// Registers a new G (it is in no queue yet).
    pub(crate) fn add(&self, g: &Arc<G>) {
        let raw = Arc::into_raw(g.clone());
        let mut list = self.shard(g.id()).lock().unwrap();
        // SAFETY: the links of registered Gs are only touched under this shard's lock, and
        // `raw` and `list.head` are registered (alive) Gs.
        unsafe {
            *(*raw).reg.get() = (std::ptr::null(), list.head);
            if !list.head.is_null() {
                (*(*list.head).reg.get()).0 = raw;
            }
        }
        list.head = raw;
    }

    /// Unregisters `g` (it has returned) and drops the registry's reference.
    pub(crate) fn remove(&self, g: &G) {
        let raw: *const G = g;
        {
            let mut list = self.shard(g.id()).lock().unwrap();
            // SAFETY: as in `add`; `g` is registered, so its neighbours are too.
            unsafe {
                let (prev, next) = *(*raw).reg.get();
                if prev.is_null() {
                    list.head = next;
                } else {
                    (*(*prev).reg.get()).1 = next;
                }
                if !next.is_null() {
                    (*(*next).reg.get()).0 = prev;
                }
            }
        }
        // SAFETY: the reference `add` made with `Arc::into_raw`, now unlinked.
        drop(unsafe { Arc::from_raw(raw) });
    }

    pub(crate) fn snapshot(&self) -> Vec<Arc<G>> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let list = shard.0.lock().unwrap();
            let mut g = list.head;
            while !g.is_null() {
                // SAFETY: registered Gs are alive (the registry holds a reference) and
                // their links are stable under the lock we hold.
                unsafe {
                    Arc::increment_strong_count(g);
                    all.push(Arc::from_raw(g));
                    g = (*(*g).reg.get()).1;
                }
            }
        }
        all.sort_by_key(|g| g.id());
        all
    }
}
