//! `cargo xtask bench`: filled by the benchmark harness.

/// Runs the benchmarks named in `args` (all when empty).
pub(crate) fn run(_args: &[String]) -> bool {
    eprintln!("bench harness not written yet");
    false
}
