//! Developer tasks: `cargo xtask run | test | bench engine`.
//!
//! Plain Rust with no heavy dependencies, so it builds first on a fresh machine and can
//! install the system packages everything else needs.

mod bench;
mod bench_app;
mod bench_latency;
mod bench_net;
mod install;

use std::process::{Command, ExitCode};

const USAGE: &str = "\
usage: cargo xtask <task>
  run [-- ARGS]       install system packages, build release, start kaibo with ARGS
  test                install test components, run fmt, clippy and the whole test suite
  bench engine|fanout|abr|probe|latency [--rounds N] [--seconds S]
                      engine: kaibo vs gst-launch vs ffmpeg; fanout: 1 vs 3 destinations;
                      abr: shaped link 6→1.5→6 Mbit/s; probe: verdicts on shaped links;
                      latency: capture-to-decoded (QR clock), RTMP and WHIP vs a bare baseline
  bench switch|overlay|check|ui
                      switch: scene cut latency; overlay: panels latency and cost; check: the
                      checklist's wall time and analysis costs; ui: the window's CPU and memory
                      vs headless
  bench hub [--seconds S] [--viewers N] [--rate R]
                      the interaction hub: 2,000 SSE viewers, 200 actions/s; lost actions,
                      p99 against a trivial axum handler, RSS
  install [build|run|test]...
                      only install the system packages of those groups
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("latency") => bench_latency::main(&args[2..]),
            Some(what @ ("switch" | "overlay" | "check" | "ui" | "hub")) => {
                bench_app::main(what, &args[2..])
            }
            _ => bench::main(&args[1..]),
        },
        Some("install") => {
            let groups: Vec<&str> = args[1..].iter().map(String::as_str).collect();
            install::ensure(if groups.is_empty() {
                &["build", "run", "test"]
            } else {
                &groups
            })
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a command in the workspace root, failing with its name when it fails.
pub fn step(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("could not run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn run(args: &[String]) -> Result<(), String> {
    install::ensure(&["build", "run"])?;
    step(&cargo(), &["build", "--release", "-p", "kaibo-app"])?;
    let bin = workspace_root().join("target/release/kaibo");
    let rest: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .skip_while(|a| *a == "--")
        .collect();
    eprintln!("xtask: starting {}", bin.display());
    let status = Command::new(&bin)
        .args(&rest)
        .status()
        .map_err(|e| format!("could not start kaibo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kaibo exited with {status}"))
    }
}

fn test() -> Result<(), String> {
    install::ensure(&["build", "run", "test"])?;
    install::npm_ci(&workspace_root())?;
    let cargo = cargo();
    step(&cargo, &["fmt", "--all", "--", "--check"])?;
    step(
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // Two test threads: end-to-end tests each encode video in real time on a 2-core machine.
    run_tests(
        &cargo,
        &[
            "test",
            "--workspace",
            "--no-fail-fast",
            "--",
            "--test-threads=2",
        ],
    )
}

/// Runs the test suite, echoing its output, and closes with one line counting every test of
/// every test binary (cargo prints a result line per binary, the last of which is often a
/// doc-test binary with nothing in it).
fn run_tests(program: &str, args: &[&str]) -> Result<(), String> {
    use std::io::{BufRead, BufReader};
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run {program}: {e}"))?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                let count = |word: &str| {
                    rest.split(';')
                        .find_map(|part| {
                            part.trim()
                                .trim_start_matches("ok. ")
                                .trim_start_matches("FAILED. ")
                                .strip_suffix(word)
                        })
                        .and_then(|n| n.trim().parse::<u64>().ok())
                        .unwrap_or(0)
                };
                passed += count(" passed");
                failed += count(" failed");
                ignored += count(" ignored");
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {program}: {e}"))?;
    println!("tests: {passed} passed, {failed} failed, {ignored} skipped");
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}
