//! `kaibo hub`: the interaction hub on its own, for an internet-facing audience behind a TLS
//! reverse proxy (or a LAN without the desktop app).

use crate::logging;
use anyhow::{Context, Result, bail};
use clap::Args;
use kaibo_hub::{Hub, HubConfig, moderation};
use kaibo_model::Secret;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct HubArgs {
    /// Address to listen on: 127.0.0.1:8080 behind a reverse proxy, 0.0.0.0:8080 on a LAN.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The SQLite database; created when missing, an open session in it is resumed.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// The address viewers open (what the join QR shows), e.g. https://live.example.com/.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Folder of word lists; those whose id starts with "moderation" hold viewer questions
    /// (default: the built-in list).
    #[arg(long, value_name = "DIR")]
    pub wordlists: Option<PathBuf>,
    /// Title of a new session.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Hold every question for approval, not only flagged ones.
    #[arg(long)]
    pub premoderate: bool,
    /// Log file (default: $XDG_STATE_HOME/kaibo/kaibo.log).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

pub fn hub(args: HubArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kaibo hub: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: HubArgs) -> Result<()> {
    // Made before logging starts, so the log scrubs it wherever it would appear.
    let token = Secret::new(kaibo_hub::draw::random_token(32)?);
    if let Err(e) = logging::init(args.log_file.as_deref(), vec![token.clone()]) {
        eprintln!("kaibo: warning: no log file ({e:#}); continuing");
    }
    let mut config = HubConfig::new(args.listen, &args.db)?;
    config.public_url = args.public_url;
    config.host_token = Some(token.clone());
    config.limits.premoderate = args.premoderate;
    if let Some(title) = args.title {
        config.session_title = title;
    }
    if let Some(dir) = &args.wordlists {
        config.word_lists = moderation::load_dir(dir)?;
        if config.word_lists.is_empty() {
            bail!(
                "no moderation lists in {} (a list's id must start with \"moderation\")",
                dir.display()
            );
        }
    }
    let running = Hub::start_background(config).context("the hub did not start")?;
    let hub = running.hub();
    // Written without println!, which panics when whoever started the hub stopped reading
    // (`kaibo hub | head -3`, a script that took the token and closed the pipe): the hub
    // must keep serving.
    let say = |line: String| {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    };
    say(format!("Kaibo hub listening on {}", hub.local_addr()));
    say(format!("Viewers join at: {}", hub.join_url()));
    say(format!(
        "Host token (shown only now; keep it private): {}",
        token.expose()
    ));
    say("Press Ctrl-C to stop.".into());
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    ctrlc::set_handler(move || {
        let _ = tx.try_send(());
    })
    .context("could not install the Ctrl-C handler")?;
    let _ = rx.recv();
    let _ = std::io::Write::write_all(&mut std::io::stderr(), b"kaibo hub: stopping\n");
    running.stop();
    Ok(())
}
