//! `#[goro::main]` and `#[goro::test]`: the attributes that make a program's `main`, or a
//! test, a goroutine. Use them through the `goro` library (the `goroutines` package), which
//! re-exports them; this crate is its proc-macro half.
//!
//! Both take the safety contract's promise as the argument `unsafe`, since a goroutine may
//! move between OS threads at every blocking call and no type check can see that (goro's
//! `docs/safety.md`). The `unsafe` token is the caller's own: the expansion puts it on the
//! block around the `Spawner::new()` call it writes (that block's SAFETY is the caller's
//! promise), so `#![forbid(unsafe_code)]` and `grep unsafe` see it, and the function's
//! body stays safe code.
//!
//! ```
//! // SAFETY: main and every goroutine started with `sp` keep no thread-bound state across a
//! // blocking call.
//! #[goro::main(unsafe, gomaxprocs = 2)]
//! fn main(sp: goro::Spawner) {
//!     let h = goro::go!(sp, || 6 * 7);
//!     assert_eq!(h.join().unwrap(), 42);
//!     assert_eq!(goro::gomaxprocs(), 2);
//! }
//! ```

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Lit, Token};

/// Runs `main` as the program's main goroutine under `goro::run`: Go's `func main`.
///
/// Go's deadlock detection is on (`fatal error: all goroutines are asleep - deadlock!`, a
/// goroutine dump, exit status 2), goroutines started from `main` go to its P's `runnext`
/// as in Go, and `main` may block on channels, locks and sockets like any goroutine.
///
/// Arguments, comma-separated:
///
/// | argument | meaning |
/// |---|---|
/// | `unsafe` | required: the promise of the safety contract (see below) |
/// | `gomaxprocs = N` | the number of Ps, 1 to 2^31 - 1 (else `GOMAXPROCS` or the CPU count) |
/// | `stack_size = N` | bytes per goroutine stack, or a string with a `K`/`M` suffix (`"1M"`); at least `goro::MIN_STACK_SIZE` (else `GORO_STACK_SIZE` or 256 KiB) |
///
/// The expansion names the library as `::goro` (the `goroutines` package builds a library
/// of that name), so a crate must not rename that dependency.
///
/// `main` takes no parameter, or one `goro::Spawner`: the promise, for starting goroutines.
/// It may return anything a Rust `main` may (`()`, `Result<(), E>` with `E: Debug`, an
/// `ExitCode`): an `Err` is printed as Rust's `main` prints it and the exit status is 1.
///
/// # Safety
///
/// `unsafe` in the attribute is the promise of `goro::Spawner::new`: `main`, and every
/// goroutine started with the `Spawner` it is handed, keeps no thread-bound state (a
/// `thread_local!` borrow, a `std::sync::MutexGuard`, a thread-affine handle) across a
/// blocking call. Answer it in a `// SAFETY:` comment above the attribute.
///
/// ```
/// use goro::net::TcpListener;
/// use std::io::{Read, Write};
///
/// // SAFETY: main and the goroutines it starts hold only sockets and buffers across
/// // blocking calls.
/// #[goro::main(unsafe, gomaxprocs = 2, stack_size = "512K")]
/// fn main(sp: goro::Spawner) -> std::io::Result<()> {
///     let ln = TcpListener::bind("127.0.0.1:0")?;
///     let addr = ln.local_addr()?;
///     let client = goro::go!(sp, move || -> std::io::Result<Vec<u8>> {
///         let mut c = goro::net::TcpStream::connect(addr)?;
///         c.write_all(b"ping")?;
///         let mut back = vec![0; 4];
///         c.read_exact(&mut back)?;
///         Ok(back)
///     });
///     // The main goroutine accepts, as a Go server does.
///     let (mut conn, _) = ln.accept()?;
///     let mut buf = [0; 4];
///     conn.read_exact(&mut buf)?;
///     conn.write_all(&buf)?;
///     assert_eq!(client.join().unwrap()?, b"ping");
///     Ok(())
/// }
/// ```
///
/// A `main` that starts no goroutine needs no parameter; it still blocks as a goroutine:
///
/// ```
/// // SAFETY: main keeps no thread-bound state across a blocking call.
/// #[goro::main(unsafe)]
/// fn main() {
///     assert!(goro::debug::goroutine_id().is_some());
///     goro::sleep(std::time::Duration::from_millis(1)); // parks main, not its thread
/// }
/// ```
///
/// Without the promise, or with an argument it does not know, it does not compile:
///
/// ```compile_fail
/// #[goro::main]
/// fn main() {}
/// ```
///
/// ```compile_fail
/// // SAFETY: main keeps no thread-bound state across a blocking call.
/// #[goro::main(unsafe, gomaxprocs = 0)]
/// fn main() {}
/// ```
///
/// ```compile_fail,E0080
/// // SAFETY: main keeps no thread-bound state across a blocking call.
/// #[goro::main(unsafe, stack_size = 4096)]
/// fn main() {}
/// ```
///
/// The promise covers the thread-bound-state contract only: the body stays safe code, and
/// an unsafe operation in it needs its own `unsafe` block (error E0133):
///
/// ```compile_fail,E0133
/// // SAFETY: main keeps no thread-bound state across a blocking call.
/// #[goro::main(unsafe)]
/// fn main() {
///     let x = 7u32;
///     let p = &x as *const u32;
///     assert_eq!(*p, 7); // error: dereference of a raw pointer
/// }
/// ```
///
/// The promise is the crate's own `unsafe`, which `#![forbid(unsafe_code)]` rejects:
///
/// ```compile_fail
/// #![forbid(unsafe_code)]
/// // SAFETY: main keeps no thread-bound state across a blocking call.
/// #[goro::main(unsafe)]
/// fn main() {}
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_or_error(Kind::Main, args.into(), item.into()).into()
}

/// Runs a test as a goroutine, then checks that every goroutine it started has ended, as
/// Go's goleak does (`goro::testing::check_leaks` with a grace of 5 s for goroutines still
/// finishing: a passing test pays nothing for it).
///
/// The test fails if its body panics (the panic resumes on the test's thread, so
/// `#[should_panic(expected = "..")]` works), returns an `Err`, or leaves a goroutine
/// behind; the failure names each leaked goroutine, its wait reason and spawn site.
///
/// Like `#[goro::main]` it takes `unsafe`, the safety contract's promise, and the function
/// takes no parameter or one `goro::Spawner`. It sets no GOMAXPROCS or stack size: the
/// tests of a binary share one runtime, so those are the environment's (`GOMAXPROCS`,
/// `GORO_STACK_SIZE`). Unlike `#[goro::main]` it leaves deadlock detection off, since a
/// test binary runs other tests on plain threads at the same time.
///
/// # Safety
///
/// As for `#[goro::main]`: the test and the goroutines started with its `Spawner` keep no
/// thread-bound state across a blocking call.
///
/// Settings of the whole runtime do not compile here:
///
/// ```compile_fail
/// # fn main() {}
/// // SAFETY: the test keeps no thread-bound state across a blocking call.
/// #[goro::test(unsafe, gomaxprocs = 2)]
/// fn t() {}
/// ```
///
/// ```
/// # fn main() {} // the test below runs under `cargo test`, not here
/// use goro::prelude::*;
///
/// // SAFETY: the test and its goroutines hold only channels across blocking calls.
/// #[goro::test(unsafe)]
/// fn ping_pong(sp: Spawner) {
///     let (ping, pong) = (Chan::new(0), Chan::new(0));
///     let (p2, q2) = (ping.clone(), pong.clone());
///     let h = go!(sp, move || {
///         while let Some(n) = p2.recv() {
///             q2.send(n + 1).unwrap();
///         }
///     });
///     ping.send(1).unwrap();
///     assert_eq!(pong.recv(), Some(2));
///     ping.close(); // else the goroutine leaks, and the test fails
///     h.join().unwrap();
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_or_error(Kind::Test, args.into(), item.into()).into()
}

/// The expansion, or the error with an empty function of the same name in its place, so
/// the error is the only one (no "`main` function not found" after it).
fn expand_or_error(kind: Kind, args: TokenStream2, item: TokenStream2) -> TokenStream2 {
    let stub = syn::parse2::<ItemFn>(item.clone()).ok().map(|f| {
        let (vis, name) = (f.vis, f.sig.ident);
        quote!(#[allow(dead_code)] #vis fn #name() {})
    });
    expand(kind, args, item).unwrap_or_else(|e| {
        let e = e.into_compile_error();
        quote!(#e #stub)
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[goro::main]",
            Kind::Test => "#[goro::test]",
        }
    }
}

/// One attribute argument: `unsafe` or `key = literal`.
enum Arg {
    Unsafe(Token![unsafe]),
    KeyValue { key: Ident, value: Lit },
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![unsafe]) {
            return Ok(Arg::Unsafe(input.parse()?));
        }
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value: Lit = input.parse()?;
        Ok(Arg::KeyValue { key, value })
    }
}

/// The arguments, checked.
struct Args {
    promise: Token![unsafe],
    gomaxprocs: Option<u64>,
    /// Bytes, and the literal's span for the check against `MIN_STACK_SIZE`.
    stack_size: Option<(u64, Span)>,
}

/// Go parses GOMAXPROCS as a 32-bit integer; gmp-sched's `Builder` takes the same range.
const MAX_GOMAXPROCS: u64 = i32::MAX as u64;

fn parse_args(kind: Kind, args: TokenStream2) -> syn::Result<Args> {
    let attr = kind.attr();
    let parsed = Punctuated::<Arg, Token![,]>::parse_terminated.parse2(args)?;
    let mut promise = None;
    let mut gomaxprocs = None;
    let mut stack_size = None;
    for arg in parsed {
        let (key, value) = match arg {
            Arg::Unsafe(u) if promise.is_none() => {
                promise = Some(u);
                continue;
            }
            Arg::Unsafe(u) => return Err(syn::Error::new(u.span, "`unsafe` given twice")),
            Arg::KeyValue { key, value } => (key, value),
        };
        let name = key.to_string();
        match (kind, name.as_str()) {
            (Kind::Main, "gomaxprocs") if gomaxprocs.is_none() => {
                gomaxprocs = Some(parse_gomaxprocs(&value)?)
            }
            (Kind::Main, "stack_size") if stack_size.is_none() => {
                stack_size = Some((parse_stack_size(&value)?, value.span()))
            }
            (Kind::Main, "gomaxprocs" | "stack_size") => {
                return Err(syn::Error::new(key.span(), format!("`{name}` given twice")))
            }
            (Kind::Test, "gomaxprocs" | "stack_size") => {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "{attr} cannot set `{name}`: the tests of a binary share one runtime, \
                         so it is process-wide; set the GOMAXPROCS or GORO_STACK_SIZE \
                         environment variable instead"
                    ),
                ))
            }
            _ => {
                let takes = match kind {
                    Kind::Main => {
                        "`unsafe`, `gomaxprocs = N` and `stack_size = N` (bytes, or a string \
                         such as \"512K\" or \"1M\")"
                    }
                    Kind::Test => "only `unsafe`",
                };
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{name}`: {attr} takes {takes}"),
                ));
            }
        }
    }
    let promise = promise.ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            format!(
                "{attr} needs the safety contract's promise: write `{}(unsafe)]`, with a \
                 `// SAFETY:` comment above it saying that the function and the goroutines \
                 it starts keep no thread-bound state (a thread_local! borrow, a \
                 std::sync::MutexGuard) across a blocking call, where a goroutine may move \
                 to another OS thread",
                attr.trim_end_matches(']')
            ),
        )
    })?;
    Ok(Args {
        promise,
        gomaxprocs,
        stack_size,
    })
}

fn parse_gomaxprocs(value: &Lit) -> syn::Result<u64> {
    let bad = || {
        syn::Error::new(
            value.span(),
            format!(
                "gomaxprocs takes an integer from 1 to {MAX_GOMAXPROCS}, such as `gomaxprocs = 4`"
            ),
        )
    };
    match value {
        Lit::Int(n) => match n.base10_parse::<u64>() {
            Ok(n) if (1..=MAX_GOMAXPROCS).contains(&n) => Ok(n),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// Bytes from an integer literal, or from a string of digits with an optional `K` or `M`
/// suffix, as the `GORO_STACK_SIZE` variable is written.
fn parse_stack_size(value: &Lit) -> syn::Result<u64> {
    let bad = || {
        syn::Error::new(
            value.span(),
            "stack_size takes bytes, or a string with a K or M suffix, such as \
             `stack_size = 1048576` or `stack_size = \"1M\"`",
        )
    };
    match value {
        Lit::Int(n) => n.base10_parse::<u64>().map_err(|_| bad()),
        Lit::Str(s) => {
            let s = s.value();
            let t = s.trim();
            let (digits, unit) = match t.as_bytes().last() {
                Some(b'k' | b'K') => (&t[..t.len() - 1], 1024),
                Some(b'm' | b'M') => (&t[..t.len() - 1], 1024 * 1024),
                _ => (t, 1),
            };
            digits
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(unit))
                .ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

/// Rejects what cannot become a goroutine's entry: `async`, generics, a receiver, more than
/// one parameter, `unsafe fn`, and a second test attribute.
fn check_fn(kind: Kind, f: &ItemFn) -> syn::Result<()> {
    let attr = kind.attr();
    let sig = &f.sig;
    if let Some(a) = &sig.asyncness {
        return Err(syn::Error::new(
            a.span,
            format!(
                "{attr} takes a plain `fn`: a goroutine blocks instead of awaiting; remove `async`"
            ),
        ));
    }
    if let Some(u) = &sig.unsafety {
        return Err(syn::Error::new(
            u.span,
            format!("{attr} takes a safe `fn`: the promise is the `unsafe` in the attribute"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            format!("{attr} takes a function without generic parameters"),
        ));
    }
    if let Some(v) = &sig.variadic {
        return Err(syn::Error::new(
            v.span(),
            format!("{attr} takes no variadic function"),
        ));
    }
    for (i, input) in sig.inputs.iter().enumerate() {
        if matches!(input, FnArg::Receiver(_)) || i > 0 {
            return Err(syn::Error::new(
                input.span(),
                format!(
                    "{attr} takes a function with no parameter or one, the `goro::Spawner` \
                     its promise made: `fn {}(sp: goro::Spawner)`",
                    sig.ident
                ),
            ));
        }
    }
    if kind == Kind::Test {
        if let Some(t) = f.attrs.iter().find(|a| a.path().is_ident("test")) {
            return Err(syn::Error::new(
                t.span(),
                "#[goro::test] already makes this a test: remove `#[test]`",
            ));
        }
    }
    Ok(())
}

fn expand(kind: Kind, args: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let args = parse_args(kind, args)?;
    let f: ItemFn = syn::parse2(item)
        .map_err(|e| syn::Error::new(e.span(), format!("{} goes on a function", kind.attr())))?;
    check_fn(kind, &f)?;

    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = f;
    let name = sig.ident.clone();
    // The user's function, unchanged but for its name, nested in the generated one.
    let inner = Ident::new(
        match kind {
            Kind::Main => "__goro_main",
            Kind::Test => "__goro_test",
        },
        Span::call_site(),
    );
    let mut inner_sig = sig;
    inner_sig.ident = inner.clone();
    let sp = Ident::new("__goro_sp", Span::mixed_site());
    let call_args = if inner_sig.inputs.is_empty() {
        quote!()
    } else {
        quote!(#sp)
    };
    // The block that makes the promise carries the span of the caller's `unsafe` token, so
    // it counts as the caller's own code: `#![forbid(unsafe_code)]` rejects it. Clippy's
    // `undocumented_unsafe_blocks` looks for a `// SAFETY:` comment only inside the
    // enclosing function, which the one above the attribute is not: that lint is allowed
    // here, and the comment is the documented convention.
    let promise = args.promise;
    let make_promise = quote_spanned!(promise.span=>
        #[allow(clippy::undocumented_unsafe_blocks)]
        let #sp = #promise { ::goro::Spawner::new() };
    );
    // The goroutine's result becomes an `ExitCode` inside it, as Rust's `main` reports one
    // (an `Err` printed with `Debug`), so the function may return a `!Send` error.
    let body = quote!(move || ::std::process::Termination::report(#inner(#call_args)));

    Ok(match kind {
        Kind::Main => {
            let gomaxprocs = match args.gomaxprocs {
                Some(n) => {
                    let n = n as usize;
                    quote!(::core::option::Option::Some(#n))
                }
                None => quote!(::core::option::Option::None),
            };
            let (stack_size, stack_check) = match args.stack_size {
                Some((n, span)) => {
                    let n = n as usize;
                    let msg = format!(
                        "#[goro::main]: stack_size = {n} bytes is below goro::MIN_STACK_SIZE"
                    );
                    (
                        quote!(::core::option::Option::Some(#n)),
                        quote_spanned! {span=>
                            const _: () = ::core::assert!(#n >= ::goro::MIN_STACK_SIZE, #msg);
                        },
                    )
                }
                None => (quote!(::core::option::Option::None), quote!()),
            };
            quote! {
                #(#attrs)*
                #vis fn #name() -> ::std::process::ExitCode {
                    #inner_sig #block
                    #stack_check
                    #make_promise
                    ::goro::internal::main(#sp, #gomaxprocs, #stack_size, #body)
                }
            }
        }
        Kind::Test => quote! {
            #[::core::prelude::v1::test]
            #(#attrs)*
            #vis fn #name() {
                #inner_sig #block
                #make_promise
                ::goro::internal::test(#sp, #body)
            }
        },
    })
}

#[cfg(test)]
mod tests {
    // Not a glob: `super::test` (the attribute) would make `#[test]` ambiguous.
    use super::{expand, parse_stack_size, Kind};
    use proc_macro2::TokenStream as TokenStream2;
    use quote::quote;
    use syn::Lit;

    fn err(kind: Kind, args: TokenStream2, item: TokenStream2) -> String {
        match expand(kind, args, item) {
            Ok(t) => panic!("expected an error, got {t}"),
            Err(e) => e.to_string(),
        }
    }

    fn main_fn() -> TokenStream2 {
        quote!(
            fn main() {}
        )
    }

    #[test]
    fn missing_promise_says_how_to_write_it() {
        for kind in [Kind::Main, Kind::Test] {
            let e = err(kind, quote!(), main_fn());
            assert!(e.contains("needs the safety contract's promise"), "{e}");
            assert!(e.contains("(unsafe)]`"), "{e}");
        }
        let e = err(Kind::Main, quote!(gomaxprocs = 2), main_fn());
        assert!(e.contains("write `#[goro::main(unsafe)]`"), "{e}");
    }

    #[test]
    fn bad_gomaxprocs() {
        for v in [quote!(0), quote!(2147483648), quote!("4"), quote!(1.5)] {
            let e = err(Kind::Main, quote!(unsafe, gomaxprocs = #v), main_fn());
            assert!(
                e.contains("gomaxprocs takes an integer from 1 to 2147483647"),
                "{e}"
            );
        }
    }

    #[test]
    fn stack_size_forms() {
        for (v, bytes) in [
            (quote!(65536), 65536),
            (quote!("512K"), 512 * 1024),
            (quote!("2m"), 2 << 20),
            (quote!("100000"), 100_000),
        ] {
            let lit: Lit = syn::parse2(v).unwrap();
            assert_eq!(parse_stack_size(&lit).unwrap(), bytes);
        }
        for v in [
            quote!("1G"),
            quote!("K"),
            quote!(-1),
            quote!(true),
            quote!("99999999999999M"),
        ] {
            let e = err(Kind::Main, quote!(unsafe, stack_size = #v), main_fn());
            assert!(e.contains("stack_size takes bytes"), "{e}");
        }
    }

    #[test]
    fn small_stack_is_checked_against_the_runtime_minimum() {
        let t = expand(Kind::Main, quote!(unsafe, stack_size = 4096), main_fn()).unwrap();
        let s = t.to_string();
        assert!(s.contains("MIN_STACK_SIZE"), "{s}");
        assert!(s.contains("stack_size = 4096 bytes is below"), "{s}");
    }

    #[test]
    fn unknown_and_repeated_arguments() {
        let e = err(Kind::Main, quote!(unsafe, workers = 4), main_fn());
        assert!(e.contains("unknown argument `workers`"), "{e}");
        assert!(e.contains("`gomaxprocs = N`"), "{e}");
        let e = err(
            Kind::Main,
            quote!(unsafe, gomaxprocs = 1, gomaxprocs = 2),
            main_fn(),
        );
        assert!(e.contains("`gomaxprocs` given twice"), "{e}");
        let e = err(Kind::Main, quote!(unsafe, unsafe), main_fn());
        assert!(e.contains("`unsafe` given twice"), "{e}");
        let e = err(Kind::Test, quote!(unsafe, gomaxprocs = 2), main_fn());
        assert!(e.contains("cannot set `gomaxprocs`"), "{e}");
        let e = err(Kind::Test, quote!(unsafe, leak = 2), main_fn());
        assert!(e.contains("takes only `unsafe`"), "{e}");
        let e = err(Kind::Main, quote!(unsafe gomaxprocs), main_fn());
        assert!(e.contains("expected `,`"), "{e}");
    }

    #[test]
    fn bad_functions() {
        let cases = [
            (
                quote!(
                    async fn main() {}
                ),
                "remove `async`",
            ),
            (
                quote!(
                    unsafe fn main() {}
                ),
                "takes a safe `fn`",
            ),
            (
                quote!(
                    fn main<T>() {}
                ),
                "without generic parameters",
            ),
            (
                quote!(
                    fn main(a: u8, b: u8) {}
                ),
                "no parameter or one",
            ),
            (
                quote!(
                    struct S;
                ),
                "goes on a function",
            ),
        ];
        for (item, want) in cases {
            let e = err(Kind::Main, quote!(unsafe), item);
            assert!(e.contains(want), "{e}");
        }
        let e = err(
            Kind::Test,
            quote!(unsafe),
            quote!(
                #[test]
                fn t() {}
            ),
        );
        assert!(e.contains("remove `#[test]`"), "{e}");
    }

    #[test]
    fn expansion_keeps_the_callers_unsafe_and_the_body() {
        let t = expand(
            Kind::Test,
            quote!(unsafe),
            quote!(
                #[should_panic]
                fn t(sp: goro::Spawner) {
                    body(sp)
                }
            ),
        )
        .unwrap()
        .to_string();
        for want in [
            ":: core :: prelude :: v1 :: test",
            "should_panic",
            "fn __goro_test (sp : goro :: Spawner) { body (sp) }",
            // SAFETY: text, not code: the promise's block the expansion must contain.
            "unsafe { :: goro :: Spawner :: new () }",
            ":: goro :: internal :: test",
            "__goro_test (__goro_sp)",
        ] {
            assert!(t.contains(want), "{want} not in {t}");
        }
        let t = expand(Kind::Main, quote!(unsafe, gomaxprocs = 3), main_fn())
            .unwrap()
            .to_string();
        assert!(t.contains("Some (3usize)"), "{t}");
        assert!(t.contains("__goro_main ()"), "{t}");
    }
}

/// The README's examples, run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
