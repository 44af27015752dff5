//! `kaibo`: the desktop broadcaster's binary. Subcommands drive the same runtime the window
//! will: `live` streams headless, `devices` lists what can be captured.

mod check_cmd;
mod cli;
mod hub_cmd;
mod logging;
mod memory;
mod progress;
mod shared_args;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    memory::tune();
    let args = cli::Cli::parse();
    match args.command {
        None => window(),
        Some(cli::Command::Live(live)) => cli::live(live),
        Some(cli::Command::Devices(d)) => cli::devices(d),
        Some(cli::Command::Profiles(p)) => cli::profiles(p),
        Some(cli::Command::Probe(p)) => cli::probe(p),
        Some(cli::Command::Hub(h)) => hub_cmd::hub(h),
        Some(cli::Command::Check(c)) => check_cmd::check(c),
    }
}

/// `kaibo` with no arguments: the desktop window.
fn window() -> ExitCode {
    if let Err(e) = logging::init(None, Vec::new()) {
        eprintln!("kaibo: warning: no log file ({e:#}); continuing");
    }
    match kaibo_ui::run_window(kaibo_runtime::ConfigStore::open_default()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kaibo: {e}");
            print!("{}", cli::GUIDE);
            ExitCode::from(1)
        }
    }
}
