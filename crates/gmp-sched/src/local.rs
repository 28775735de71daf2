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

use crate::g::{Locals, G};

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
    static THREAD_LOCALS: RefCell<Locals> = const { RefCell::new(Vec::new()) };
}

/// Calls `f` with the locals of the running goroutine `g` (of this thread, if `g` is null).
/// `f` must not run user code (an initialiser, a value's `Drop`): that code may use locals
/// too, and the borrow given to `f` must be the only one.
fn with_locals<R>(g: *const G, f: impl FnOnce(&mut Locals) -> R) -> R {
    if g.is_null() {
        THREAD_LOCALS.with(|l| f(&mut l.borrow_mut()))
    } else {
        // SAFETY: `g` is the running goroutine (it cannot end while it runs this) and only
        // it touches its own locals; `f` runs no user code, so no other borrow of them is
        // made before this one ends.
        f(unsafe { &mut *(*g).locals.get() })
    }
}

/// What a key's lookup found.
enum Found {
    Value(*const (dyn Any + Send)),
    Initialising,
    Missing,
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
    /// it on first use. The initialiser may use other goroutine-locals; one that uses its
    /// own key panics.
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
        // The same G before and after the initialiser, even if it blocks and moves threads.
        let g = crate::g::current_ptr();
        let found = with_locals(g, |l| match l.iter().find(|(k, _)| *k == key) {
            Some((_, Some(v))) => Found::Value(&**v as *const (dyn Any + Send)),
            Some((_, None)) => Found::Initialising,
            None => {
                l.push((key, None));
                Found::Missing
            }
        });
        let value: *const (dyn Any + Send) = match found {
            Found::Value(v) => v,
            Found::Initialising => {
                panic!("the initialiser of a goroutine_local! reads itself (LocalKey at {key:#x})")
            }
            Found::Missing => self.initialise(g, key),
        };
        // SAFETY: values are boxed and never removed before their goroutine or thread ends,
        // so the pointee stays put while `f` runs, even if `f` adds other keys (which may
        // move the Vec, not the boxes).
        let value = unsafe { &*value };
        f(value.downcast_ref::<T>().expect("one type per key"))
    }

    /// Runs the initialiser with no borrow of the locals held (it may use other keys), then
    /// fills the placeholder `with` pushed. A panicking initialiser leaves no placeholder.
    #[cold]
    fn initialise(&'static self, g: *const G, key: usize) -> *const (dyn Any + Send) {
        struct Unplace(*const G, usize);
        impl Drop for Unplace {
            fn drop(&mut self) {
                let key = self.1;
                with_locals(self.0, |l| l.retain(|(k, v)| *k != key || v.is_some()));
            }
        }
        let unplace = Unplace(g, key);
        let v: Box<dyn Any + Send> = Box::new((self.init)());
        std::mem::forget(unplace);
        let p = &*v as *const (dyn Any + Send);
        with_locals(g, |l| {
            let slot = l
                .iter_mut()
                .find(|(k, _)| *k == key)
                .expect("the placeholder stays until filled");
            slot.1 = Some(v);
        });
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
