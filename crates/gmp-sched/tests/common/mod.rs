//! Shared by the test files: a gate goroutines and threads park on, and child processes.
#![allow(dead_code)]

use gmp_sched::{park, WaitReason, Waiter};
use std::process::{Command, Output};
use std::sync::Mutex;

/// A one-shot gate: `wait` parks (goroutine or thread) until `open`.
#[derive(Default)]
pub struct Gate(Mutex<(bool, Vec<Waiter>)>);

impl Gate {
    /// Parks the caller until the gate opens.
    pub fn wait(&self) {
        let mut st = self.0.lock().unwrap();
        while !st.0 {
            st.1.push(Waiter::current());
            park(WaitReason::Other("gate"), move || drop(st));
            st = self.0.lock().unwrap();
        }
    }

    /// Opens the gate and wakes everyone parked on it.
    pub fn open(&self) {
        let waiters = {
            let mut st = self.0.lock().unwrap();
            st.0 = true;
            std::mem::take(&mut st.1)
        };
        for w in waiters {
            w.unpark();
        }
    }
}

/// Runs test `name` of this test binary again in a child process with `env` set, where
/// `child_mode()` returns `Some(mode)`.
pub fn run_child(name: &str, mode: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = child_command(name, mode);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The command `run_child` runs, for a test that must set more than the environment.
pub fn child_command(name: &str, mode: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("GORO_TEST_CHILD", mode)
        .env_remove("GOMAXPROCS");
    cmd
}

/// The mode this process was started in by `run_child`, if it is a child.
pub fn child_mode() -> Option<String> {
    std::env::var("GORO_TEST_CHILD").ok()
}
