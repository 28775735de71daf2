//! A goroutine that overflows its stack gets a clear message and an abort, never a bare
//! SIGSEGV.
//!
//! Each M records the guard page of the goroutine it runs in a thread-local; a SIGSEGV or
//! SIGBUS handler, on an alternate signal stack of the M's own (the faulting stack is
//! unusable), compares the fault address with it. A fault on the guard prints which
//! goroutine overflowed and its stack size, then aborts. Any other fault goes to the
//! handler that was installed before ours (Rust's own, for the main thread's overflow) by
//! restoring it and returning, so the faulting instruction runs again under it.
//!
//! The handler only reads a `const` thread-local `Cell` and calls `write` and `abort`,
//! which are async-signal-safe.

use std::cell::Cell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::Once;

thread_local! {
    /// (guard low, guard high, goroutine id, stack size) of the goroutine this M runs.
    static CURRENT: Cell<(usize, usize, u64, usize)> = const { Cell::new((0, 0, 0, 0)) };
    /// This thread's alternate signal stack, if we mapped one.
    static ALTSTACK: Cell<usize> = const { Cell::new(0) };
}

const ALT: usize = 64 * 1024;

const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];
static INSTALL: Once = Once::new();
static mut PREVIOUS: [MaybeUninit<libc::sigaction>; 2] = [MaybeUninit::uninit(); 2];

/// Records the goroutine the calling M is about to run.
pub(crate) fn enter(guard: (usize, usize), id: u64, size: usize) {
    CURRENT.with(|c| c.set((guard.0, guard.1, id, size)));
}

/// Records that the calling M runs no goroutine.
pub(crate) fn leave() {
    CURRENT.with(|c| c.set((0, 0, 0, 0)));
}

/// Installs the handler once per process, and an alternate signal stack for the calling
/// thread (each M calls this when it starts).
pub(crate) fn install_on_this_thread() {
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: a zeroed sigaction is a valid starting value; we fill the handler,
            // flags and an empty mask. PREVIOUS is written only here, inside call_once,
            // before the handler that reads it can run.
            unsafe {
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = handler as *const () as usize;
                act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut act.sa_mask);
                let prev = ptr::addr_of_mut!(PREVIOUS[i]).cast::<libc::sigaction>();
                libc::sigaction(sig, &act, prev);
            }
        }
    });
    // SAFETY: a fresh anonymous mapping for this thread's alternate signal stack; it is
    // unmapped only by `uninstall_on_this_thread`, after it stops being the altstack.
    unsafe {
        let p = libc::mmap(
            ptr::null_mut(),
            ALT,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p != libc::MAP_FAILED {
            let ss = libc::stack_t {
                ss_sp: p,
                ss_flags: 0,
                ss_size: ALT,
            };
            libc::sigaltstack(&ss, ptr::null_mut());
            ALTSTACK.with(|a| a.set(p as usize));
        }
    }
}

/// Removes and unmaps the calling thread's alternate signal stack (an M about to exit).
pub(crate) fn uninstall_on_this_thread() {
    let p = ALTSTACK.with(|a| a.replace(0));
    if p == 0 {
        return;
    }
    // SAFETY: SS_DISABLE stops the kernel using the stack; `p` is the mapping we made for
    // it, unused by anything else.
    unsafe {
        let ss = libc::stack_t {
            ss_sp: ptr::null_mut(),
            ss_flags: libc::SS_DISABLE,
            ss_size: 0,
        };
        libc::sigaltstack(&ss, ptr::null_mut());
        libc::munmap(p as *mut _, ALT);
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let (lo, hi, id, size) = CURRENT.with(|c| c.get());
    if lo <= addr && addr < hi {
        let mut buf = [0u8; 256];
        let mut n = 0;
        for part in [
            &b"fatal error: stack overflow in goroutine "[..],
            fmt_u64(id, &mut [0; 20]),
            b" (stack size ",
            fmt_u64(size as u64, &mut [0; 20]),
            b" bytes; give goroutines more with gmp_sched::Builder::stack_size or GORO_STACK_SIZE)\n",
        ] {
            let k = part.len().min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&part[..k]);
            n += k;
        }
        // SAFETY: write and abort are async-signal-safe; buf[..n] is initialized.
        unsafe {
            libc::write(2, buf.as_ptr().cast(), n);
            libc::abort();
        }
    }
    // Not a goroutine overflow: put back whoever handled this signal before us and return;
    // the faulting instruction runs again and reaches them.
    let i = if sig == libc::SIGSEGV { 0 } else { 1 };
    // SAFETY: PREVIOUS[i] was filled by sigaction in `install_on_this_thread` before this
    // handler was installed.
    unsafe {
        let prev = ptr::addr_of!(PREVIOUS[i]).cast::<libc::sigaction>();
        libc::sigaction(sig, prev, ptr::null_mut());
    }
}

/// Formats `v` in decimal into `buf` without allocating.
fn fmt_u64(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    #[test]
    fn fmt_u64_formats() {
        assert_eq!(super::fmt_u64(0, &mut [0; 20]), b"0");
        assert_eq!(super::fmt_u64(262144, &mut [0; 20]), b"262144");
        assert_eq!(
            super::fmt_u64(u64::MAX, &mut [0; 20]),
            b"18446744073709551615"
        );
    }
}
