//! `kaibo`: the desktop broadcaster's binary. Subcommands drive the same runtime the window
//! will: `live` streams headless, `devices` lists what can be captured.

mod cli;
mod logging;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match args.command {
        None => {
            print!("{}", cli::GUIDE);
            ExitCode::SUCCESS
        }
        Some(cli::Command::Live(live)) => cli::live(live),
        Some(cli::Command::Devices(d)) => cli::devices(d),
        Some(cli::Command::Profiles(p)) => cli::profiles(p),
        Some(cli::Command::Probe(p)) => cli::probe(p),
    }
}
