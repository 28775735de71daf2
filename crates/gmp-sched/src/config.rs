//! Runtime configuration: the [`Builder`], the `GOMAXPROCS` and `GORO_STACK_SIZE`
//! environment variables, the CPU count Go 1.25 would pick, and the open-file limit Go
//! raises at start-up.

use std::fmt;
use std::num::NonZeroUsize;

/// The Ps a runtime has room for unless it starts with more: `set_gomaxprocs` clamps to the
/// larger of this and the GOMAXPROCS it started with. GOMAXPROCS itself may be any
/// positive 32-bit number, as in Go; each P costs about 1 KiB whether it runs or not.
pub const MAX_PROCS: usize = 256;

/// The largest GOMAXPROCS accepted (Go parses it as a 32-bit integer).
const MAX_GOMAXPROCS: usize = i32::MAX as usize;

/// Default goroutine stack size: 256 KiB of address space, of which only the pages a
/// goroutine touches become memory.
///
/// Stacks are fixed-size (they cannot grow: a Rust frame may hold references into its
/// caller, so moving a stack is unsound). 256 KiB fits what ordinary Rust code does, even in
/// debug builds: `format!` with nested `Debug` output, a panic with `RUST_BACKTRACE=1`
/// symbolizing its trace, serde and regex calls. The memory cost stays one or two pages for a
/// goroutine that parks early, since untouched pages are never backed. Set
/// [`Builder::stack_size`] or `GORO_STACK_SIZE` (bytes, or with a `K`/`M` suffix) for more.
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The smallest stack a goroutine may be given.
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Why the runtime could not be configured.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The global runtime is already running, so a [`Builder`] can no longer configure it.
    AlreadyStarted,
    /// An environment variable holds a value the runtime cannot use.
    BadEnv {
        /// The variable's name.
        var: &'static str,
        /// Its value.
        value: String,
        /// What was expected instead.
        expected: &'static str,
    },
    /// A [`Builder`] setting is out of range.
    BadConfig(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::AlreadyStarted => f.write_str("the goro runtime is already running"),
            BuildError::BadEnv {
                var,
                value,
                expected,
            } => write!(f, "{var}={value:?}: expected {expected}"),
            BuildError::BadConfig(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for BuildError {}

/// Configures the global runtime before its first use.
///
/// Without a builder the runtime starts on first use with `GOMAXPROCS` from the environment
/// (or the CPUs this process may use) and `GORO_STACK_SIZE` (or [`DEFAULT_STACK_SIZE`]).
/// Settings given here win over the environment.
///
/// When it starts, the runtime raises the soft open-file limit (`RLIMIT_NOFILE`) to the hard
/// limit, as Go does since 1.19, so a server is not stopped at the usual soft limit of 1024
/// connections (gopoll does the same when its poller starts, for programs of plain threads).
/// Unlike Go's os/exec, which gives child processes the original soft limit back, a child
/// started with `std::process::Command` inherits the raised limit; lower it in the child
/// (`pre_exec` with `setrlimit`) if a program there relies on the old one.
///
/// ```
/// gmp_sched::Builder::new()
///     .gomaxprocs(2)
///     .stack_size(128 * 1024)
///     .thread_name("worker")
///     .init()
///     .expect("first configuration of this process");
/// assert_eq!(gmp_sched::gomaxprocs(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    gomaxprocs: Option<usize>,
    stack_size: Option<usize>,
    thread_name: Option<String>,
}

/// What the runtime starts with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) gomaxprocs: usize,
    pub(crate) stack_size: usize,
    pub(crate) thread_name: String,
}

impl Builder {
    /// A builder with nothing set.
    ///
    /// ```
    /// let b = gmp_sched::Builder::new();
    /// # drop(b);
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The number of Ps: goroutines running in parallel (Go's GOMAXPROCS), 1 to 2^31 - 1.
    /// More than [`MAX_PROCS`] makes room for that many (about 1 KiB each).
    ///
    /// ```
    /// let b = gmp_sched::Builder::new().gomaxprocs(4);
    /// # drop(b);
    /// ```
    pub fn gomaxprocs(mut self, n: usize) -> Builder {
        self.gomaxprocs = Some(n);
        self
    }

    /// Bytes of stack per goroutine, at least [`MIN_STACK_SIZE`]; rounded up to whole pages.
    ///
    /// ```
    /// let b = gmp_sched::Builder::new().stack_size(1 << 20);
    /// # drop(b);
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// The prefix of the runtime's OS thread names (`goro-m` by default; Ms are numbered).
    ///
    /// ```
    /// let b = gmp_sched::Builder::new().thread_name("sched");
    /// # drop(b);
    /// ```
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = Some(name.into());
        self
    }

    pub(crate) fn config(self) -> Result<Config, BuildError> {
        let gomaxprocs = match self.gomaxprocs {
            Some(n) if (1..=MAX_GOMAXPROCS).contains(&n) => n,
            Some(n) => {
                return Err(BuildError::BadConfig(format!(
                    "gomaxprocs {n} out of range 1..={MAX_GOMAXPROCS}"
                )))
            }
            None => gomaxprocs_from_env(std::env::var("GOMAXPROCS").ok())?,
        };
        let stack_size = match self.stack_size {
            Some(n) if n >= MIN_STACK_SIZE => n,
            Some(n) => {
                return Err(BuildError::BadConfig(format!(
                    "stack_size {n} below the minimum of {MIN_STACK_SIZE} bytes"
                )))
            }
            None => stack_size_from_env(std::env::var("GORO_STACK_SIZE").ok())?,
        };
        Ok(Config {
            gomaxprocs,
            stack_size,
            thread_name: self.thread_name.unwrap_or_else(|| "goro-m".into()),
        })
    }
}

/// GOMAXPROCS from the environment's value, else the CPUs this process may use: its
/// affinity mask and cgroup CPU quota, which `available_parallelism` reads on Linux.
pub(crate) fn gomaxprocs_from_env(value: Option<String>) -> Result<usize, BuildError> {
    let Some(value) = value else {
        return Ok(std::thread::available_parallelism()
            .map(NonZeroUsize::get)
            .unwrap_or(1)
            .min(MAX_PROCS));
    };
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_GOMAXPROCS).contains(&n) => Ok(n),
        _ => Err(BuildError::BadEnv {
            var: "GOMAXPROCS",
            value,
            expected: "an integer from 1 to 2147483647",
        }),
    }
}

/// GORO_STACK_SIZE from the environment's value: bytes, or a number with a K or M suffix.
pub(crate) fn stack_size_from_env(value: Option<String>) -> Result<usize, BuildError> {
    let Some(value) = value else {
        return Ok(DEFAULT_STACK_SIZE);
    };
    let t = value.trim();
    let (digits, unit) = match t.as_bytes().last() {
        Some(b'k' | b'K') => (&t[..t.len() - 1], 1024),
        Some(b'm' | b'M') => (&t[..t.len() - 1], 1024 * 1024),
        _ => (t, 1),
    };
    match digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
    {
        Some(n) if n >= MIN_STACK_SIZE => Ok(n),
        _ => Err(BuildError::BadEnv {
            var: "GORO_STACK_SIZE",
            value,
            expected: "a size of at least 16K (bytes, or with a K or M suffix)",
        }),
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit, once per process (Go: os/rlimit.go,
/// since Go 1.19). A server holding many connections then does not run into the soft limit
/// (often 1024) while the hard one allows far more. Errors are ignored, as in Go: the limit
/// simply stays where it was. Called by `Sched::new` and by gopoll's poller initialisation,
/// so a program of plain threads using sockets gets it too.
///
/// Unlike Go's os/exec, which restores the original soft limit in the child, processes
/// started with `std::process::Command` inherit the raised limit.
pub(crate) fn raise_nofile_limit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `lim` is a valid rlimit for getrlimit to write into.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return;
        }
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            // SAFETY: `lim` is a valid rlimit; raising the soft limit up to the hard one
            // needs no privilege. A failure changes nothing and is ignored.
            unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gomaxprocs_env() {
        assert_eq!(gomaxprocs_from_env(Some("3".into())), Ok(3));
        assert_eq!(gomaxprocs_from_env(Some(" 1 ".into())), Ok(1));
        assert_eq!(gomaxprocs_from_env(Some("257".into())), Ok(257));
        assert_eq!(
            gomaxprocs_from_env(Some("2147483647".into())),
            Ok(i32::MAX as usize)
        );
        for bad in ["abc", "0", "-1", "", "2147483648", "1.5"] {
            let e = gomaxprocs_from_env(Some(bad.into())).unwrap_err();
            assert!(e.to_string().starts_with("GOMAXPROCS="), "{e}");
        }
        assert!(gomaxprocs_from_env(None).unwrap() >= 1);
    }

    #[test]
    fn stack_size_env() {
        assert_eq!(stack_size_from_env(Some("64K".into())), Ok(64 * 1024));
        assert_eq!(stack_size_from_env(Some("2m".into())), Ok(2 << 20));
        assert_eq!(stack_size_from_env(Some("65536".into())), Ok(65536));
        assert_eq!(stack_size_from_env(None), Ok(DEFAULT_STACK_SIZE));
        for bad in ["1K", "x", "99999999999999999999M"] {
            assert!(stack_size_from_env(Some(bad.into())).is_err(), "{bad}");
        }
    }
}
