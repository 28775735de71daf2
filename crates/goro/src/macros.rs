//! `go!`: Go's `go` statement. It takes a [`Spawner`](crate::Spawner), the promise of the
//! safety contract made with `unsafe` in the caller's own code, and builds the goroutine's
//! closure outside any unsafe block, so the body is checked as safe code.

/// Starts a goroutine (Go's `go` statement); returns its [`JoinHandle`](crate::JoinHandle).
///
/// The first argument is a [`Spawner`](crate::Spawner): the caller's promise, made with
/// `unsafe`, that the goroutine keeps no thread-bound state across a blocking call (the
/// contract in [`spawn`'s Safety section](crate::spawn#safety)). The rest is a closure, or
/// statements that become a `move` closure. `go!` itself is safe and adds no `unsafe`: the body
/// is safe code, and an unsafe operation in it needs its own `unsafe` block.
///
/// ```
/// use goro::{go, Spawner};
///
/// // SAFETY: no goroutine started with `sp` keeps thread-bound state across a blocking call.
/// let sp = unsafe { Spawner::new() };
/// let x = 20;
/// let a = go!(sp, move || x + 1);
/// let b = go!(sp, { x * 2 });
/// // The promise made for this call alone:
/// // SAFETY: this goroutine keeps no thread-bound state across a blocking call.
/// let c = go!(unsafe { Spawner::new() }, || 0);
/// assert_eq!(a.join().unwrap() + b.join().unwrap() + c.join().unwrap(), 61);
/// ```
///
/// Without the promise it does not compile, with or without an `unsafe` around it:
///
/// ```compile_fail
/// // SAFETY: none that counts: an `unsafe` block is no promise `go!` accepts.
/// let h = unsafe { goro::go! { 1 + 1 } };
/// ```
///
/// ```compile_fail,E0133
/// let h = goro::spawn(|| 1 + 1);
/// ```
///
/// The body stays safe code: dereferencing a raw pointer in it needs its own `unsafe`
/// (error E0133), even with the promise made inline:
///
/// ```compile_fail,E0133
/// let x = Box::leak(Box::new(7u32));
/// let addr = x as *const u32 as usize;
/// // SAFETY: the goroutine keeps no thread-bound state across a blocking call.
/// let h = goro::go!(unsafe { goro::Spawner::new() }, {
///     let p = addr as *const u32;
///     *p
/// });
/// ```
#[macro_export]
macro_rules! go {
    ($spawner:expr, move || $($body:tt)*) => {
        $crate::Spawner::spawn($spawner, move || $($body)*)
    };
    ($spawner:expr, || $($body:tt)*) => {
        $crate::Spawner::spawn($spawner, || $($body)*)
    };
    ($spawner:expr, $($body:tt)*) => {
        $crate::Spawner::spawn($spawner, move || { $($body)* })
    };
}
