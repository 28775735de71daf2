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
//! Address space: a slab the kernel refuses (`ENOMEM`: an `RLIMIT_AS`, or the commit limit
//! under strict overcommit) is asked for again at half the size, down to one stack, so a
//! limit caps the goroutine count near what it really allows instead of at the first slab
//! that does not fit. Under strict overcommit (`vm.overcommit_memory=2`) the kernel ignores
//! `MAP_NORESERVE` and charges every reserved byte to the commit limit, used or not: there
//! slabs stop growing at 256 stacks, so at most one such slab is reserved beyond what the
//! goroutines use (see docs/architecture.md, "Memory").
//!
//! Returning memory (the scavenger, Go's mgcscavenge.go for stacks): the shared free list
//! keeps its recently used stacks *hot* (their pages are still backed) and those the
//! scavenger released *clean*. Sysmon calls [`StackPool::scavenge`] about once a second;
//! the hot stacks that stayed unused through the whole period (the list's low-water mark)
//! are the ones beyond the working set: their pages go back to the kernel with
//! `MADV_DONTNEED` (not `MADV_FREE`, whose pages stay in RSS until memory runs short), in a
//! few calls over address-ordered runs, and the stacks move to the clean list. Guards
//! survive it: `MADV_GUARD_INSTALL` markers are kept by `MADV_DONTNEED`, and an `mprotect`
//! guard is a protection, not a page. `get` takes hot stacks first.
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

/// The most stacks a slab holds (4.3 GB of address space with the default 256 KiB stacks).
const SLAB_MAX: usize = 16384;
/// The most stacks a slab holds under strict overcommit, where every reserved byte counts.
const SLAB_MAX_STRICT: usize = 256;
/// Hot free stacks the scavenger leaves backed whatever the low-water mark says.
const SCAVENGE_KEEP: usize = 64;

/// True when the kernel charges every private writable mapping to the commit limit
/// (`vm.overcommit_memory=2`), `MAP_NORESERVE` or not.
fn strict_overcommit() -> bool {
    std::fs::read_to_string("/proc/sys/vm/overcommit_memory").is_ok_and(|v| v.trim() == "2")
}

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
    /// The most stacks a new slab gets (`SLAB_MAX`, or `SLAB_MAX_STRICT`).
    max: usize,
}

/// The shared free list (see the top of this file).
struct Free {
    /// Stacks whose pages may still be backed; the most recently freed at the end.
    hot: Vec<Stack>,
    /// Stacks the scavenger released (no page backed), as runs of adjacent slots: (base of
    /// the first, count). After a burst these are a few runs, not a million entries.
    clean: Vec<(usize, usize)>,
    /// The fewest `hot` held since the last scavenge: that many sat unused all along.
    low: usize,
}

impl Free {
    fn pop(&mut self, size: usize, page: usize) -> Option<Stack> {
        let s = self.hot.pop().or_else(|| {
            let (base, n) = self.clean.last_mut()?;
            *n -= 1;
            let stack = Stack {
                base: *base + *n * (page + size),
                size,
                page,
            };
            if *n == 0 {
                self.clean.pop();
            }
            Some(stack)
        });
        self.low = self.low.min(self.hot.len());
        s
    }
}

/// Gives back a Vec's spare room when it is mostly empty (a burst's list, drained).
fn shrink<T>(v: &mut Vec<T>) {
    if v.capacity() > 4 * v.len().max(CACHE_MAX) {
        v.shrink_to(2 * v.len());
    }
}

/// Every stack of the runtime: the shared free list and the slabs they come from.
pub(crate) struct StackPool {
    size: usize,
    page: usize,
    free: Mutex<Free>,
    slabs: Mutex<Slabs>,
    guard_mode: AtomicU8,
}

/// What one [`StackPool::scavenge`] pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scavenged {
    /// Stacks whose pages were given back.
    pub(crate) stacks: usize,
    /// `madvise` calls it took (address-contiguous stacks share one).
    pub(crate) calls: usize,
}

impl StackPool {
    /// A pool of stacks of `size` bytes, rounded up to whole pages.
    pub(crate) fn new(size: usize) -> StackPool {
        let page = page_size();
        StackPool {
            size: size.div_ceil(page) * page,
            page,
            free: Mutex::new(Free {
                hot: Vec::new(),
                clean: Vec::new(),
                low: 0,
            }),
            slabs: Mutex::new(Slabs {
                next: 0,
                left: 0,
                count: 0,
                max: if strict_overcommit() {
                    SLAB_MAX_STRICT
                } else {
                    SLAB_MAX
                },
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
            c.extend(std::iter::from_fn(|| free.pop(self.size, self.page)).take(CACHE_MAX / 2));
            drop(free);
            if let Some(s) = c.pop() {
                return Ok(s);
            }
        } else if let Some(s) = self.free.lock().unwrap().pop(self.size, self.page) {
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
                    self.free.lock().unwrap().hot.extend(c.drain(at..));
                }
            }
            None => self.free.lock().unwrap().hot.push(s),
        }
    }

    /// Gives back the pages of the free stacks that went unused since the last call, beyond
    /// `SCAVENGE_KEEP` (sysmon, about once a second; see the top of this file).
    pub(crate) fn scavenge(&self) -> Scavenged {
        let mut cold = {
            let mut free = self.free.lock().unwrap();
            let n = free.low.saturating_sub(SCAVENGE_KEEP);
            // The bottom of `hot` is the longest unused.
            let cold: Vec<Stack> = free.hot.drain(..n).collect();
            free.low = free.hot.len();
            cold
        };
        if cold.is_empty() {
            return Scavenged::default();
        }
        cold.sort_unstable_by_key(|s| s.base);
        // Address-ordered runs of whole slots, one madvise each.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for s in &cold {
            match runs.last_mut() {
                Some((_, hi)) if *hi == s.base => *hi = s.top(),
                _ => runs.push((s.base, s.top())),
            }
        }
        for &(lo, hi) in &runs {
            // SAFETY: `[lo, hi)` covers whole slots of stacks that are on no goroutine (we
            // took them off the free list): nobody reads or writes them until they are
            // handed out again, and then they read as zero, as fresh slab pages do. Guards
            // stay (see the top of this file).
            unsafe { libc::madvise(lo as *mut _, hi - lo, libc::MADV_DONTNEED) };
        }
        let slot = self.page + self.size;
        let mut free = self.free.lock().unwrap();
        free.clean
            .extend(runs.iter().map(|&(lo, hi)| (lo, (hi - lo) / slot)));
        shrink(&mut free.hot);
        Scavenged {
            stacks: cold.len(),
            calls: runs.len(),
        }
    }

    /// Free stacks in the shared list: (hot, clean).
    #[cfg(test)]
    fn free_counts(&self) -> (usize, usize) {
        let free = self.free.lock().unwrap();
        (free.hot.len(), free.clean.iter().map(|r| r.1).sum())
    }

    fn carve(&self) -> io::Result<Stack> {
        let slot = self.page + self.size;
        let mut slabs = self.slabs.lock().unwrap();
        if slabs.left == 0 {
            let mut n = (64usize << slabs.count.min(8)).min(slabs.max);
            // Half the size after each refusal: an address-space or commit limit then caps
            // the goroutines near what it allows, not at the first slab that does not fit.
            let p = loop {
                match map_slab(n * slot) {
                    Ok(p) => break p,
                    Err(e) if n > 1 && e.raw_os_error() == Some(libc::ENOMEM) => n /= 2,
                    Err(e) => return Err(e),
                }
            };
            slabs.next = p;
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

/// Reserves `len` bytes of stack slab (see the top of this file).
fn map_slab(len: usize) -> io::Result<usize> {
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
    Ok(p as usize)
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

    #[test]
    fn scavenge_releases_the_stacks_unused_for_a_whole_period() {
        let pool = StackPool::new(16 * 1024);
        let extra = 10;
        let stacks: Vec<Stack> = (0..SCAVENGE_KEEP + extra)
            .map(|_| pool.get(None).unwrap())
            .collect();
        let marks: Vec<usize> = stacks.iter().map(|s| s.top() - 8).collect();
        for &m in &marks {
            // SAFETY: `m` is in a stack we hold, mapped and writable.
            unsafe { (m as *mut u64).write(0xFEED) };
        }
        for s in stacks {
            pool.put(s, None);
        }
        // The gets emptied the list during this period: nothing sat unused all along.
        assert_eq!(pool.scavenge().stacks, 0);
        // A whole period untouched: all but SCAVENGE_KEEP go, the longest unused first.
        let r = pool.scavenge();
        assert_eq!(r.stacks, extra);
        assert!((1..=extra).contains(&r.calls), "{r:?}");
        assert_eq!(pool.free_counts(), (SCAVENGE_KEEP, extra));
        for (i, &m) in marks.iter().enumerate() {
            // SAFETY: `m` is in a slab the pool keeps mapped; no one uses these stacks.
            let v = unsafe { (m as *const u64).read_volatile() };
            assert_eq!(v, if i < extra { 0 } else { 0xFEED }, "stack {i}");
        }
        // Used again in the next period: its low-water mark keeps them.
        let again: Vec<Stack> = (0..5).map(|_| pool.get(None).unwrap()).collect();
        for s in again {
            pool.put(s, None);
        }
        assert_eq!(pool.scavenge().stacks, 0);
        // Hot ones are handed out before clean ones.
        let s = pool.get(None).unwrap();
        // SAFETY: as above; we hold `s`.
        assert_eq!(unsafe { ((s.top() - 8) as *const u64).read() }, 0xFEED);
    }
}
