//! `kaibo --help` exits 0 and names every subcommand.
//!
//! Kept here, in the package that owns the binary, also for what it makes cargo do: it builds
//! `target/<profile>/kaibo` for a package's integration tests only, and the end-to-end tests
//! in `tests/` (another package) run that file. Without an integration test here,
//! `cargo test --workspace` would build no `kaibo` for them.

use std::process::Command;

#[test]
fn help_names_every_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_kaibo"))
        .arg("--help")
        .output()
        .expect("kaibo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "kaibo --help failed: {out:?}");
    for sub in ["live", "devices", "profiles", "probe", "hub", "check"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "kaibo --help does not list `{sub}`:\n{stdout}"
        );
    }
}
