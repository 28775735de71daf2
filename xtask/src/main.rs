//! Project tasks: `cargo xtask <task>` (aliased in `.cargo/config.toml`).
//!
//! Run bare to list the tasks. Cargo is called through `$CARGO`, so the toolchain that
//! runs the xtask is the one that builds and tests.

mod bench;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

const TASKS: &str = "\
cargo xtask <task>

tasks:
  loom [FILTER] [--ci]   model-check loom-tests/ (--ci: the bounded subset CI runs)
  bench [WORKLOAD..]     run goro's workloads beside the peers', write docs/benchmarks.md
  publish                `cargo publish --dry-run --workspace`: every published crate packs
                         and builds from its package alone (needs the crates.io index)
  ci                     exactly what CI runs: the test command, `publish`, `loom --ci`
";

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let ok = match args.first().map(String::as_str) {
        Some("loom") => loom(rest),
        Some("bench") => bench::run(rest),
        Some("ci") => ci(),
        Some("publish") => publish(),
        Some(other) => {
            eprintln!("unknown task `{other}`\n\n{TASKS}");
            false
        }
        None => {
            print!("{TASKS}");
            true
        }
    };
    exit(if ok { 0 } else { 1 });
}

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// `cargo` as the running toolchain names it.
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs `cmd`, echoing it first; true when it exits 0.
pub(crate) fn run_status(cmd: &mut Command) -> bool {
    eprintln!("$ {cmd:?}");
    match cmd.status() {
        Ok(s) => s.success(),
        Err(e) => {
            eprintln!("cannot run {cmd:?}: {e}");
            false
        }
    }
}

/// `cargo xtask loom [FILTER] [--ci]`: loom-tests under `--cfg loom`, in release, in a
/// target directory of its own so the normal build cache survives.
fn loom(args: &[String]) -> bool {
    let ci = args.iter().any(|a| a == "--ci");
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let mut cmd = cargo();
    cmd.args(["test", "--release", "-p", "loom-tests", "--"])
        .args(filter)
        .env("RUSTFLAGS", "--cfg loom -C debug-assertions")
        .env("CARGO_TARGET_DIR", root().join("target/loom"))
        // The preemption bound keeps the state space finite; CI's is smaller.
        .env("LOOM_MAX_PREEMPTIONS", if ci { "2" } else { "3" })
        .env("LOOM_LOG", "")
        .env("RUST_BACKTRACE", "1");
    if ci {
        cmd.arg("--test-threads=2");
    }
    run_status(&mut cmd)
}

/// `cargo xtask ci`: the README's test command, the publish check, the bounded loom run.
fn ci() -> bool {
    run_status(cargo().args(["test", "--workspace", "--release"]))
        && publish()
        && loom(&["--ci".to_string()])
}

/// `cargo xtask publish`: packs every crate that is not `publish = false` and builds each
/// from its package alone, against the others' packages, as `cargo publish` would, without
/// uploading. It catches a missing README or metadata, a path dependency without a version,
/// a file the package leaves out. `--allow-dirty`, so it also checks work not yet committed.
/// It reads the crates.io index, as the first build of a fresh clone does anyway; after a
/// release, bump the workspace version before it passes again (a published version exists).
fn publish() -> bool {
    run_status(cargo().args(["publish", "--dry-run", "--workspace", "--allow-dirty"]))
}
