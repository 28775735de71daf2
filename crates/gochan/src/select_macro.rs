//! The `select!` macro: Go's `select` statement. It parses the arms, builds one stack case per
//! arm and hands them to the same algorithm as [`Select`](crate::Select) (`select.rs`), then
//! runs the body of the arm that fired, outside every borrow of the channels, so a body may
//! `break`, `continue`, `return`, `?` or reassign the channel variables.
//!
//! Parsing is a token muncher: each arm becomes `(name kind (args) (pattern) (body))`, where
//! `name` is an identifier minted by the munching step that saw the arm; macro hygiene keeps
//! the names of different steps apart, so every arm gets its own local variable.

/// Waits on several channel operations and runs the arm of the one that happens (Go:
/// `select`).
///
/// ```text
/// select! {
///     recv(ch1) -> v => body,          // v: Option<T>, None once ch1 is closed and drained
///     send(ch2, value) -> r => body,   // r: Result<(), SendError<T>>, Err if ch2 is closed
///     recv(ch3) => body,               // the result may be left out
///     default => body,                 // run if no case is ready now
///     default(timeout) => body,        // or: run if none became ready within `timeout`
/// }
/// ```
///
/// Each `recv`/`send` channel may be a [`Chan`](crate::Chan), [`Sender`](crate::Sender),
/// [`Receiver`](crate::Receiver), [`Ticker`](crate::Ticker) or a reference to one; channel
/// and value expressions are evaluated once, in order, before anything else. Ready cases are
/// polled in a fresh random order, so each has the same chance; nil channels never fire; the
/// same channel may appear in several arms. With no ready case and no `default` the select
/// waits; with no cases at all (`select! {}`) it waits forever. Bodies are expressions (a
/// block needs no trailing comma) and the `select!` has their value.
///
/// ```
/// use gochan::{select, Chan};
///
/// let a = Chan::new(1);
/// let b = Chan::<&str>::new(1);
/// a.send(1).unwrap();
///
/// let got = select! {
///     recv(a) -> v => v.unwrap(),
///     send(b, "hi") -> r => { r.unwrap(); 0 }
/// };
/// // Both arms were ready: either ran.
/// assert!(got == 1 || b.try_recv() == Ok("hi"));
///
/// let c = Chan::<i32>::new(0);
/// let fired = select! {
///     recv(c) -> _ => true,
///     default => false,
/// };
/// assert!(!fired);
/// ```
///
/// A loop over a receive with a timeout, as one writes in Go:
///
/// ```
/// use gochan::{select, Chan};
/// use std::time::Duration;
///
/// let jobs = Chan::new(3);
/// for j in 0..3 {
///     jobs.send(j).unwrap();
/// }
/// let mut sum = 0;
/// loop {
///     select! {
///         recv(jobs) -> j => sum += j.unwrap(),
///         default(Duration::from_millis(10)) => break,
///     }
/// }
/// assert_eq!(sum, 3);
/// ```
#[macro_export]
macro_rules! select {
    ($($arms:tt)*) => {
        $crate::__select_parse!(@arms [] @default [] $($arms)*)
    };
}

/// Token muncher for [`select!`]; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // All arms parsed.
    (@arms [$($arms:tt)*] @default [$($default:tt)*]) => {
        $crate::__select_expand!([$($arms)*] [$($default)*])
    };

    // Arm heads: normalised to `(__case kind (args) (pattern))`.
    (@arms $arms:tt @default $default:tt recv($ch:expr) -> $p:pat => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms $default (__case recv ($ch) ($p)) $($rest)*)
    };
    (@arms $arms:tt @default $default:tt recv($ch:expr) => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms $default (__case recv ($ch) (_)) $($rest)*)
    };
    (@arms $arms:tt @default $default:tt send($ch:expr, $v:expr) -> $p:pat => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms $default (__case send ($ch, $v) ($p)) $($rest)*)
    };
    (@arms $arms:tt @default $default:tt send($ch:expr, $v:expr) => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms $default (__case send ($ch, $v) (_)) $($rest)*)
    };
    (@arms $arms:tt @default [] default => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms [] (default ()) $($rest)*)
    };
    (@arms $arms:tt @default [] default($t:expr) => $($rest:tt)*) => {
        $crate::__select_parse!(@body $arms [] (default ($t)) $($rest)*)
    };
    (@arms $arms:tt @default [$($d:tt)+] default $($rest:tt)*) => {
        ::core::compile_error!("select!: more than one `default` arm")
    };
    (@arms $arms:tt @default $default:tt $($rest:tt)+) => {
        ::core::compile_error!(
            "select!: expected `recv(ch) -> v => body`, `send(ch, value) -> r => body` or `default => body`"
        )
    };

    // Arm bodies: a block (comma optional) or an expression (comma unless last).
    (@body $arms:tt $default:tt $head:tt $body:block , $($rest:tt)*) => {
        $crate::__select_parse!(@push $arms $default $head ($body) $($rest)*)
    };
    (@body $arms:tt $default:tt $head:tt $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@push $arms $default $head ($body) $($rest)*)
    };
    (@body $arms:tt $default:tt $head:tt $body:expr , $($rest:tt)*) => {
        $crate::__select_parse!(@push $arms $default $head ($body) $($rest)*)
    };
    (@body $arms:tt $default:tt $head:tt $body:expr) => {
        $crate::__select_parse!(@push $arms $default $head ($body))
    };

    // Store the parsed arm.
    (@push $arms:tt [] (default $t:tt) $body:tt $($rest:tt)*) => {
        $crate::__select_parse!(@arms $arms @default [$t $body] $($rest)*)
    };
    (@push [$($arms:tt)*] $default:tt ($name:ident $kind:ident $args:tt $p:tt) $body:tt $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($arms)* ($name $kind $args $p $body)] @default $default $($rest)*)
    };
}

/// Expansion of a parsed [`select!`]; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_expand {
    // No cases: only the default (or waiting forever).
    ([] [$($default:tt)*]) => {{
        $crate::internal::select(&[], $crate::__select_mode!($($default)*));
        $crate::__select_default!($($default)*)
    }};
    ([$(($name:ident $kind:ident $args:tt ($p:pat) ($body:expr)))*] [$($default:tt)*]) => {{
        // Evaluate every channel and value once, in order; the scrutinee's temporaries
        // (`recv(after(d))`) live until the results are taken out.
        let ($($name,)*) = match ($($crate::__select_arg!($kind $args),)*) {
            ($($name,)*) => {
                $(let $name = $crate::__select_case!($kind $name);)*
                $crate::internal::select(
                    &[$($name.case_ref()),*],
                    $crate::__select_mode!($($default)*),
                );
                ($($name.into_result(),)*)
            }
        };
        $(
            if let ::core::option::Option::Some(__result) = $name {
                let $p = __result;
                $body
            } else
        )*
        {
            $crate::__select_default!($($default)*)
        }
    }};
}

/// Evaluates an arm's channel (and value); not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_arg {
    (recv ($ch:expr)) => {
        &$ch
    };
    (send ($ch:expr, $v:expr)) => {
        (&$ch, $v)
    };
}

/// Builds an arm's case from its evaluated argument; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_case {
    (recv $arg:ident) => {
        $crate::internal::RecvCase::new($crate::RecvChan::recv_chan($arg))
    };
    (send $arg:ident) => {
        $crate::internal::SendCase::new($crate::SendChan::send_chan($arg.0), $arg.1)
    };
}

/// The select mode for the `default` arm, if any; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_mode {
    () => {
        $crate::internal::Mode::Block
    };
    (() $body:tt) => {
        $crate::internal::Mode::NonBlock
    };
    (($t:expr) $body:tt) => {
        $crate::internal::Mode::timeout($t)
    };
}

/// The `default` arm's body, or nothing to run; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_default {
    () => {
        ::core::unreachable!("a blocking select fired no case")
    };
    ($t:tt ($body:expr)) => {
        $body
    };
}
