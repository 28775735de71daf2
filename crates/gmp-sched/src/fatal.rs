//! The runtime's last words: a report line on stderr, and `fatal` for states it cannot
//! recover from (Go: runtime/panic.go `throw`/`fatal`, print.go).
//!
//! Invariants: a report goes straight to the process's stderr (never through a test
//! harness's capture, which an M may have inherited from the thread that started it), and
//! `fatal` never unwinds: it aborts, so no scheduler state is left half-moved by a panic.

/// Writes a runtime report line to stderr. Not `eprintln!`: an M inherits the output
/// capture of the test thread that happened to start it, and a report must not vanish.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn report(msg: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

/// The message of a panic payload (`panic!`'s `&str` or `String`), or `Box<dyn Any>`.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>")
}

/// Reports `fatal error: {msg}` and aborts: for states the runtime cannot recover from. The
/// one fatal path of every goro crate (gosync's `throw`, gochan's `AbortOnUnwind` too), so
/// they all end the same way. Under loom it panics with the same text, so the model fails.
///
/// Public only for goro's own crates; not part of the API.
#[doc(hidden)]
#[cold]
pub fn fatal(msg: std::fmt::Arguments<'_>) -> ! {
    #[cfg(loom)]
    panic!("fatal error: {msg}");
    #[cfg(not(loom))]
    {
        report(format_args!("fatal error: {msg}"));
        std::process::abort()
    }
}
