//! Benchmarks of the desktop app's engine paths that run as `benches/` targets of their crates
//! (they need the runtime's API): `switch` (scene cut latency), `check` (the checklist's costs) and `ui` (the window's cost).

/// `cargo xtask bench switch|check|ui`.
pub fn main(what: &str) -> Result<(), String> {
    crate::install::ensure(&["build", "run", "test"])?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    match what {
        "switch" => crate::step(
            &cargo,
            &["bench", "-p", "kaibo-runtime", "--bench", "switch"],
        ),
        "check" => crate::step(
            &cargo,
            &["bench", "-p", "kaibo-runtime", "--bench", "check"],
        ),
        "ui" => {
            crate::step(&cargo, &["build", "--release", "-p", "kaibo-app"])?;
            crate::step(&cargo, &["bench", "-p", "kaibo-ui", "--bench", "ui"])
        }
        other => Err(format!("unknown app benchmark {other}")),
    }
}
