//! Goroutine stacks: fixed-size, carved from large slab mappings, each with a guard page
//! below it, and reused through a pool.
//!
//! A guard page made with `mprotect` splits its mapping in two, so each guarded stack would
//! cost two of the process's `vm.max_map_count` (65530 by default) entries and cap a
//! program near 32,000 goroutines. On Linux >= 6.13, `madvise(MADV_GUARD_INSTALL)` marks a
//! guard in the page tables instead: the slab stays one mapping whatever its number of
//! guards, so a million goroutines fit in about 70 mappings. Where the kernel refuses it
//! (`EINVAL`), guards fall back to `mprotect`.
//!
//! Slab `k` holds `min(64 << k, 16384)` stacks. Slabs are mapped `MAP_NORESERVE`: only the
//! pages a goroutine touches become memory, so a parked goroutine costs about a page.
//! Stacks are never unmapped; a finished goroutine's stack goes back to the pool (a per-P
//! cache first, then the shared free list) and the next goroutine reuses it.
//!
//! Layout of one slot, low to high addresses: `[guard page][stack ... top)`; stacks grow
//! down towards their guard, so an overflow faults on it (see `overflow.rs`).

use std::io;
use std::ptr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

/// `MADV_GUARD_INSTALL` from linux/mman.h (Linux 6.13).
const MADV_GUARD_INSTALL: libc::c_int = 102;

const GUARD_UNKNOWN: u8 = 0;
const GUARD_MADVISE: u8 = 1;
const GUARD_MPROTECT: u8 = 2;

/// The most stacks a per-P cache keeps before it spills half to the shared pool.
pub(crate) const CACHE_MAX: usize = 64;

pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as usize
    } else {
        4096
    }
}

/// One goroutine stack: `size` usable bytes above a guard page at `base`.
///
/// Dropping a `Stack` instead of giving it back to the pool leaks it: it stays mapped and
/// is never reused. That is what happens to the stack of a goroutine parked forever whose G
/// is dropped: its frames may hold pinned values, whose memory must not be reused without
/// their destructors running.
#[derive(Debug)]
pub(crate) struct Stack {
    base: usize,
    size: usize,
    page: usize,
}

// SAFETY: a Stack is an address range owned by whoever holds the value; it has no
// thread affinity.
unsafe impl Send for Stack {}

impl Stack {
    /// The highest address (exclusive): where the stack starts growing down from.
    pub(crate) fn top(&self) -> usize {
        self.base + self.page + self.size
    }

    /// The lowest usable address.
    pub(crate) fn bottom(&self) -> usize {
        self.base + self.page
    }

    /// The guard page's address range `[lo, hi)`.
    pub(crate) fn guard(&self) -> (usize, usize) {
        (self.base, self.base + self.page)
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }
}

struct Slabs {
    /// Next uncarved slot of the current slab, and how many slots it has left.
    next: usize,
    left: usize,
    count: usize,
}

/// Every stack of the runtime: the shared free list and the slabs they come from.
pub(crate) struct StackPool {
    size: usize,
    page: usize,
    free: Mutex<Vec<Stack>>,
    slabs: Mutex<Slabs>,
    guard_mode: AtomicU8,
}

impl StackPool {
    /// A pool of stacks of `size` bytes, rounded up to whole pages.
    pub(crate) fn new(size: usize) -> StackPool {
        let page = page_size();
        StackPool {
            size: size.div_ceil(page) * page,
            page,
            free: Mutex::new(Vec::new()),
            slabs: Mutex::new(Slabs {
                next: 0,
                left: 0,
                count: 0,
            }),
            guard_mode: AtomicU8::new(GUARD_UNKNOWN),
        }
    }

    pub(crate) fn stack_size(&self) -> usize {
        self.size
    }

    /// A stack from `cache` (the caller's P's), else the shared pool, else a new slab slot.
    pub(crate) fn get(&self, cache: Option<&mut Vec<Stack>>) -> io::Result<Stack> {
        if let Some(c) = cache {
            if let Some(s) = c.pop() {
                return Ok(s);
            }
            let mut free = self.free.lock().unwrap();
            let take = free.len().min(CACHE_MAX / 2);
            let at = free.len() - take;
            c.extend(free.drain(at..));
            drop(free);
            if let Some(s) = c.pop() {
                return Ok(s);
            }
        } else if let Some(s) = self.free.lock().unwrap().pop() {
            return Ok(s);
        }
        self.carve()
    }

    /// Returns a stack for reuse: to `cache` while it has room, else half of it spills over.
    pub(crate) fn put(&self, s: Stack, cache: Option<&mut Vec<Stack>>) {
        match cache {
            Some(c) => {
                c.push(s);
                if c.len() > CACHE_MAX {
                    let at = c.len() / 2;
                    self.free.lock().unwrap().extend(c.drain(at..));
                }
            }
            None => self.free.lock().unwrap().push(s),
        }
    }

    fn carve(&self) -> io::Result<Stack> {
        let slot = self.page + self.size;
        let mut slabs = self.slabs.lock().unwrap();
        if slabs.left == 0 {
            let n = (64usize << slabs.count.min(8)).min(16384);
            let len = n * slot;
            // SAFETY: a fresh anonymous private mapping; no existing memory is affected.
            let p = unsafe {
                libc::mmap(
                    ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            slabs.next = p as usize;
            slabs.left = n;
            slabs.count += 1;
        }
        let base = slabs.next;
        slabs.next += slot;
        slabs.left -= 1;
        drop(slabs);
        self.install_guard(base)?;
        Ok(Stack {
            base,
            size: self.size,
            page: self.page,
        })
    }

    /// Makes the page at `base` a guard: `MADV_GUARD_INSTALL` where the kernel has it,
    /// `mprotect(PROT_NONE)` otherwise.
    fn install_guard(&self, base: usize) -> io::Result<()> {
        if self.guard_mode.load(Ordering::Relaxed) != GUARD_MPROTECT {
            // SAFETY: `base` is a page of a slab this pool mapped and handed to nobody yet.
            let r = unsafe { libc::madvise(base as *mut _, self.page, MADV_GUARD_INSTALL) };
            if r == 0 {
                self.guard_mode.store(GUARD_MADVISE, Ordering::Relaxed);
                return Ok(());
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINVAL) {
                return Err(e);
            }
            self.guard_mode.store(GUARD_MPROTECT, Ordering::Relaxed);
        }
        // SAFETY: as above; the page is the slot's guard and holds no data.
        if unsafe { libc::mprotect(base as *mut _, self.page, libc::PROT_NONE) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// True when guards are installed with `MADV_GUARD_INSTALL` (false before the first
    /// stack, or on the `mprotect` fallback).
    pub(crate) fn guards_in_page_tables(&self) -> bool {
        self.guard_mode.load(Ordering::Relaxed) == GUARD_MADVISE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_do_not_overlap_and_are_reused() {
        let pool = StackPool::new(20_000);
        assert_eq!(pool.stack_size() % page_size(), 0);
        let a = pool.get(None).unwrap();
        let b = pool.get(None).unwrap();
        assert!(a.top() <= b.guard().0 || b.top() <= a.guard().0);
        assert_eq!(a.top() - a.bottom(), pool.stack_size());
        let a_base = a.bottom();
        pool.put(a, None);
        let c = pool.get(None).unwrap();
        assert_eq!(c.bottom(), a_base);
        // The stack is writable from bottom to top.
        // SAFETY: [bottom, top) is this stack's usable, mapped, writable range.
        unsafe {
            ptr::write_bytes(c.bottom() as *mut u8, 0xAB, c.size());
        }
    }

    #[test]
    fn per_p_cache_spills_half() {
        let pool = StackPool::new(16 * 1024);
        let mut cache = Vec::new();
        for _ in 0..=CACHE_MAX {
            let s = pool.get(None).unwrap();
            pool.put(s, Some(&mut cache));
        }
        assert!(cache.len() <= CACHE_MAX);
    }
}
