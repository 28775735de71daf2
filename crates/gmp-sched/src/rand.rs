//! Go's cheaprand: a fast, non-cryptographic generator per thread (wyrand), used for the
//! order of `select` cases and the victims of work stealing. Under loom the seed is fixed.

use std::cell::Cell;

/// One wyrand step on `state`.
pub(crate) fn wyrand(state: &Cell<u64>) -> u64 {
    let s = state.get().wrapping_add(0xa076_1d64_78bd_642f);
    state.set(s);
    let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
    (t >> 64) as u64 ^ t as u64
}

thread_local! {
    static STATE: Cell<u64> = const { Cell::new(0) };
}

#[cfg(not(loom))]
fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(&h as *const _ as usize);
    h.finish() | 1
}

#[cfg(loom)]
fn seed() -> u64 {
    0x2545_f491_4f6c_dd1d
}

/// A pseudo-random `u32` from the calling thread's generator (Go's `cheaprand`).
///
/// Fast and statistically even; not for cryptography.
///
/// ```
/// let a = gmp_sched::sys::cheaprand();
/// let b = gmp_sched::sys::cheaprand();
/// # let _ = (a, b);
/// ```
pub fn cheaprand() -> u32 {
    STATE.with(|s| {
        if s.get() == 0 {
            s.set(seed());
        }
        (wyrand(s) >> 32) as u32
    })
}

/// A pseudo-random number in `0..n` (Go's `cheaprandn`); `n` must be non-zero.
///
/// ```
/// for _ in 0..100 {
///     assert!(gmp_sched::sys::cheaprand_n(4) < 4);
/// }
/// ```
pub fn cheaprand_n(n: u32) -> u32 {
    // Lemire's multiply-shift: even enough for small n, no division.
    ((u64::from(cheaprand()) * u64::from(n)) >> 32) as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn cheaprand_n_is_even() {
        let mut counts = [0u32; 4];
        for _ in 0..400_000 {
            counts[super::cheaprand_n(4) as usize] += 1;
        }
        for c in counts {
            assert!((95_000..105_000).contains(&c), "{counts:?}");
        }
    }
}
