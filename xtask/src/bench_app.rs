//! Benchmarks of the desktop app's engine paths that run as `benches/` targets of their crates
//! (they need the runtime's API): `switch` (scene cut latency), `overlay` (interaction panels:
//! latency and cost), `check` (the checklist's costs), `ui` (the window's cost) and `hub` (the
//! interaction hub under 2,000 viewers; `args` pass through).

/// `cargo xtask bench switch|overlay|check|ui|hub`.
pub fn main(what: &str, args: &[String]) -> Result<(), String> {
    crate::install::ensure(&["build", "run", "test"])?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    match what {
        "switch" | "overlay" | "check" => {
            crate::step(&cargo, &["bench", "-p", "kaibo-runtime", "--bench", what])
        }
        "ui" => {
            crate::step(&cargo, &["build", "--release", "-p", "kaibo-app"])?;
            crate::step(&cargo, &["bench", "-p", "kaibo-ui", "--bench", "ui"])
        }
        "hub" => {
            let mut full = vec!["bench", "-p", "kaibo-hub", "--bench", "hub", "--"];
            full.extend(args.iter().map(String::as_str));
            crate::step(&cargo, &full)
        }
        other => Err(format!("unknown app benchmark {other}")),
    }
}
