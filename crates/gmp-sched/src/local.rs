//! Goroutine-local storage: the safe replacement for `thread_local!` in goroutines.
//!
//! A goroutine can move between OS threads whenever it blocks, so a thread-local is the
//! wrong home for per-goroutine state. A [`LocalKey`] declared with [`goroutine_local!`]
//! gives each goroutine its own value, created on first use and dropped when the goroutine
//! ends; outside goroutines each OS thread has its own, as with `thread_local!`. The values
//! travel with their goroutine between threads, hence `T: Send`.

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;

/// A key for goroutine-local values; declare one with [`goroutine_local!`](crate::goroutine_local).
///
/// ```
/// use std::cell::Cell;
/// gmp_sched::goroutine_local! {
///     static COUNTER: Cell<u32> = Cell::new(0);
/// }
/// COUNTER.with(|c| c.set(c.get() + 1));
/// // SAFETY: the closure keeps no thread-bound state across a blocking call.
/// let h = unsafe { gmp_sched::spawn(|| COUNTER.with(|c| c.get())) };
/// assert_eq!(h.join().unwrap(), 0); // a new goroutine starts with its own value
/// ```
pub struct LocalKey<T: Send + 'static> {
    init: fn() -> T,
    _t: PhantomData<fn() -> T>,
}

thread_local! {
    static THREAD_LOCALS: RefCell<Vec<(usize, Box<dyn Any + Send>)>> = const { RefCell::new(Vec::new()) };
}

impl<T: Send + 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn new(init: fn() -> T) -> LocalKey<T> {
        LocalKey {
            init,
            _t: PhantomData,
        }
    }

    /// Calls `f` with this goroutine's value (this thread's, outside goroutines), creating
    /// it on first use.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// gmp_sched::goroutine_local! {
    ///     static NAME: RefCell<String> = RefCell::new(String::new());
    /// }
    /// NAME.with(|n| n.borrow_mut().push_str("main"));
    /// assert_eq!(NAME.with(|n| n.borrow().clone()), "main");
    /// ```
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        let key = self as *const Self as usize;
        let g = crate::g::current_ptr();
        let value: *const T = if g.is_null() {
            THREAD_LOCALS.with(|l| self.slot(&mut l.borrow_mut(), key))
        } else {
            // SAFETY: `g` is the running goroutine (it cannot end while it runs this), and
            // only it touches its own locals; the borrow ends before `f` runs.
            self.slot(unsafe { &mut *(*g).locals.get() }, key)
        };
        // SAFETY: values are boxed and never removed before their goroutine or thread ends,
        // so the pointer stays valid while `f` runs, even if `f` adds other keys.
        f(unsafe { &*value })
    }

    fn slot(&'static self, locals: &mut Vec<(usize, Box<dyn Any + Send>)>, key: usize) -> *const T {
        if let Some((_, v)) = locals.iter().find(|(k, _)| *k == key) {
            return v.downcast_ref::<T>().expect("one type per key") as *const T;
        }
        let v: Box<dyn Any + Send> = Box::new((self.init)());
        let p = v.downcast_ref::<T>().expect("just made") as *const T;
        locals.push((key, v));
        p
    }
}

impl<T: Send + 'static> std::fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalKey { .. }")
    }
}

/// Declares goroutine-local statics, as `thread_local!` declares thread-locals.
///
/// ```
/// use std::cell::Cell;
/// gmp_sched::goroutine_local! {
///     /// Requests this goroutine has served.
///     pub static SERVED: Cell<u64> = Cell::new(0);
/// }
/// SERVED.with(|s| s.set(s.get() + 1));
/// ```
#[macro_export]
macro_rules! goroutine_local {
    ($($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty = $init:expr;)+) => {
        $(
            $(#[$attr])*
            $vis static $name: $crate::LocalKey<$t> = $crate::LocalKey::new({
                fn __init() -> $t { $init }
                __init
            });
        )+
    };
}
