//! Shared helpers for the end-to-end tests: run the real `kaibo` binary and read what it said.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The built `kaibo` binary.
pub fn kaibo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kaibo"));
    c.env("RUST_BACKTRACE", "0").stdin(Stdio::null());
    c
}

/// What one run of `kaibo` produced.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Ran {
    /// The JSON summary printed by `--json`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Panics with everything kaibo printed unless it exited 0.
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "kaibo failed\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The last non-empty stderr line (the one-line failure message).
    pub fn last_line(&self) -> &str {
        self.stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
    }
}

/// Runs `kaibo` with `args` (and `DISPLAY` when given) to completion.
pub fn run(args: &[&str], display: Option<&str>, log: &Path) -> Ran {
    let mut c = kaibo();
    c.args(args).arg("--log-file").arg(log);
    if let Some(d) = display {
        c.env("DISPLAY", d);
    }
    let started = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("kaibo runs");
    let ran = Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed: started.elapsed(),
    };
    assert!(
        !ran.stderr.contains("panicked"),
        "kaibo panicked:\n{}",
        ran.stderr
    );
    ran
}
