//! `go!`: Go's `go` statement, keeping the `unsafe` of spawning visible to its caller.

/// Starts a goroutine (Go's `go` statement); returns its [`JoinHandle`](crate::JoinHandle).
///
/// `go!` expands to a call of the `unsafe` [`spawn`](crate::spawn), so it compiles only
/// inside an `unsafe` block: the caller still answers for the contract in
/// [`spawn`'s Safety section](crate::spawn#safety) (no thread-bound state across blocking
/// calls). It takes a closure, or a block of statements that becomes a `move` closure:
///
/// ```
/// use goro::go;
///
/// let x = 20;
/// // SAFETY: neither goroutine keeps thread-bound state across a blocking call.
/// let a = unsafe { go!(move || x + 1) };
/// let b = unsafe { go! { x * 2 } };
/// assert_eq!(a.join().unwrap() + b.join().unwrap(), 61);
/// ```
///
/// Without `unsafe` it does not compile:
///
/// ```compile_fail,E0133
/// let h = goro::go! { 1 + 1 };
/// ```
#[macro_export]
macro_rules! go {
    (move || $($body:tt)*) => {
        $crate::spawn(move || $($body)*)
    };
    (|| $($body:tt)*) => {
        $crate::spawn(|| $($body)*)
    };
    ($($body:tt)*) => {
        $crate::spawn(move || { $($body)* })
    };
}
