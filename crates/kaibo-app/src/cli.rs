//! The command line: argument definitions and the `live` and `devices` commands.

use crate::shared_args::{hub_link, platform_profile};
use crate::{logging, progress};
use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand};
use kaibo_model::{
    EncoderChoice, Event, OutputSpec, Scene, SessionPlan, parse_resolution, parse_source_spec,
};
use kaibo_runtime::{LiveHandle, PlanBuilder, load_scene_file, platform_profiles};
use std::path::PathBuf;
use std::process::ExitCode;

/// What `kaibo` with no arguments prints until the desktop window exists.
pub const GUIDE: &str = "\
Kaibo 开播 — a broadcaster for private-domain live streams.

  kaibo live --source test --to rtmp://HOST/APP/KEY --duration 60
      Or --to whip+https://HOST/PATH --whip-token TOKEN for a WebRTC (WHIP) ingest.
      Go live headless. Sources: test, screen[:DISPLAY], window:TITLE, window:0xXID,
      camera[:DEVICE], mic[:DEVICE], image:PATH, media:PATH, text:STRING.
      Or --scenes FILE [--scene NAME] for a scene collection (TOML, version = 1).
      Add --record FILE.mkv for a crash-safe local recording, --json for a summary,
      --hub-listen 0.0.0.0:8080 for viewers' questions, polls and draws on stream.
  kaibo devices [--json]
      List cameras, microphones, screens and windows.
  kaibo probe --to rtmp://HOST/APP/KEY [--profile wecom]
  kaibo probe --hub https://HUB --hub-token TOKEN   (the link to a Kaibo hub, both ways)
      Prove the uplink against the platform's requirement (a 3 s test publish).
  kaibo check [--to rtmp://HOST/APP/KEY] [--scenes FILE] [--script FILE] [--json]
      The pre-stream checklist: link, destination, devices, lighting, sound, headroom,
      disk, bandwidth hogs and the script's compliance (advertising law, regulated goods).
  kaibo profiles
      Platforms Kaibo knows: push URL form, recommended settings, link needs.
  kaibo hub --listen ADDR --db PATH --public-url URL
      The interaction hub on its own (questions, polls, draws), behind a TLS proxy.

  开播：kaibo live 无窗口直播；kaibo devices 列出设备；kaibo probe 测试上行带宽；
  kaibo profiles 列出平台（企业微信、钉钉、视频号、抖音、腾讯会议……）。
  Run `kaibo help live` for every option.
";

#[derive(Parser)]
#[command(
    name = "kaibo",
    version,
    about = "Kaibo 开播: a desktop broadcaster for live-stream hosts"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Go live without a window: compose, encode once, push to every destination.
    Live(LiveArgs),
    /// List cameras, microphones, screens and windows.
    Devices(DevicesArgs),
    /// List the platform profiles (ingest URL form, recommended settings, link requirements).
    Profiles(ProfilesArgs),
    /// Prove the uplink to a destination against the platform's requirement (a 3 s test
    /// publish of a test pattern to that destination).
    Probe(ProbeArgs),
    /// Run the interaction hub on its own (viewers' questions, polls, draws) for an
    /// internet-facing audience behind a TLS reverse proxy.
    Hub(crate::hub_cmd::HubArgs),
    /// The pre-stream checklist: link, destination, devices, lighting, sound, encoder
    /// headroom, disk, other programs' traffic and the script's compliance.
    Check(crate::check_cmd::CheckArgs),
}

#[derive(Args)]
pub struct ProbeArgs {
    /// Push URL to probe, rtmp://HOST[:PORT]/APP/KEY.
    #[arg(long = "to", value_name = "DEST")]
    pub to: Option<String>,
    /// A Kaibo hub to test the link against (http:// or https://): the uplink by an upload
    /// when --to is not given, the downlink by a download when --download-url is not given.
    #[arg(long, value_name = "URL")]
    pub hub: Option<String>,
    /// The hub's host token, as `kaibo hub` printed it (or the environment's
    /// KAIBO_HUB_TOKEN, which other users cannot read in the process list).
    #[arg(long, value_name = "TOKEN")]
    pub hub_token: Option<String>,
    /// Platform profile whose requirement to judge against (default: wecom).
    #[arg(long, value_name = "ID", default_value = "wecom")]
    pub profile: String,
    /// Measure the downlink by downloading from this http:// or https:// URL for 2.5 s (a large file).
    #[arg(long, value_name = "URL")]
    pub download_url: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ProfilesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LiveArgs {
    /// Scene collection file (TOML, `version = 1`).
    #[arg(long, value_name = "FILE")]
    pub scenes: Option<PathBuf>,
    /// Run the interaction hub beside the stream on this address (e.g. 0.0.0.0:8080 on a
    /// LAN): viewers' questions, polls and draws; what the host puts on stream appears in it.
    #[arg(long, value_name = "ADDR")]
    pub hub_listen: Option<std::net::SocketAddr>,
    /// The hub's SQLite database (default: $XDG_STATE_HOME/kaibo/hub.sqlite).
    #[arg(long, value_name = "PATH", requires = "hub_listen")]
    pub hub_db: Option<PathBuf>,
    /// The address viewers open (the join QR), e.g. https://live.example.com/.
    #[arg(long, value_name = "URL", requires = "hub_listen")]
    pub public_url: Option<String>,
    /// Scene to show from the collection (default: the first).
    #[arg(long, value_name = "NAME")]
    pub scene: Option<String>,
    /// A source: test, screen[:DISPLAY], window:TITLE, window:0xXID, camera[:DEVICE],
    /// mic[:DEVICE], image:PATH, media:PATH, text:STRING. Repeatable.
    #[arg(long = "source", value_name = "SPEC")]
    pub sources: Vec<String>,
    /// Push URL, rtmp://HOST[:PORT]/APP/KEY or rtmps://…, or a WebRTC ingest
    /// whip+https://HOST[:PORT]/PATH (whip+http:// for local servers); repeatable.
    #[arg(long = "to", value_name = "DEST")]
    pub to: Vec<String>,
    /// Bearer token for the WHIP destinations (never printed or logged).
    #[arg(long, value_name = "TOKEN")]
    pub whip_token: Option<String>,
    /// Write a crash-safe local recording (Matroska) here.
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Take resolution, fps, bitrates and keyframe interval from a platform profile
    /// (`kaibo profiles` lists them); explicit options still win.
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
    /// Output size (default 1280x720, or the profile's).
    #[arg(long, value_name = "WxH")]
    pub resolution: Option<String>,
    /// Frames per second (default 30, or the profile's).
    #[arg(long, value_name = "N")]
    pub fps: Option<u32>,
    /// Video bitrate, constant (default 2500, or the profile's).
    #[arg(long, value_name = "N")]
    pub bitrate_kbps: Option<u32>,
    /// H.264 encoder: auto, x264 or openh264.
    #[arg(long, value_name = "NAME", default_value = "auto")]
    pub encoder: EncoderChoice,
    /// Keep the video bitrate fixed instead of fitting it to what the destinations deliver.
    #[arg(long)]
    pub fixed_bitrate: bool,
    /// Print a JSON summary on stdout at the end.
    #[arg(long)]
    pub json: bool,
    /// Log file (default: $XDG_STATE_HOME/kaibo/kaibo.log).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct DevicesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// X display to list screens and windows of (default: $DISPLAY).
    #[arg(long, value_name = "DISPLAY")]
    pub display: Option<String>,
}

/// Exit code for input the user must fix (bad URL, scene file, option).
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a session that did not run as asked.
const EXIT_FAILED: u8 = 1;

fn plan_from(args: &LiveArgs) -> Result<SessionPlan> {
    let (canvas, mut scene) = match &args.scenes {
        Some(path) => {
            let collection = load_scene_file(path)?;
            let scene = match &args.scene {
                Some(name) => collection.scene(name).cloned().ok_or_else(|| {
                    let names: Vec<_> = collection
                        .scenes
                        .iter()
                        .map(|s| format!("\"{}\"", s.name))
                        .collect();
                    anyhow!(
                        "{} has no scene named \"{name}\"; it has {}",
                        path.display(),
                        names.join(", ")
                    )
                })?,
                None => collection.scenes[0].clone(),
            };
            (collection.canvas, scene)
        }
        None => (Default::default(), Scene::from_inputs("Quick", Vec::new())),
    };
    let extra = args
        .sources
        .iter()
        .map(|s| parse_source_spec(s))
        .collect::<Result<Vec<_>, _>>()?;
    let quick = Scene::from_inputs(&scene.name, extra);
    scene.sources.extend(quick.sources);
    if scene.sources.is_empty() {
        return Err(anyhow!(
            "nothing to show: give --source SPEC (e.g. --source screen) or --scenes FILE"
        ));
    }
    let profile = args.profile.as_deref().map(platform_profile).transpose()?;
    let mut video = profile.as_ref().map(|p| p.video()).unwrap_or_default();
    if let Some(text) = &args.resolution {
        (video.width, video.height) = parse_resolution(text).map_err(|e| anyhow!(e))?;
    }
    video.fps = args.fps.unwrap_or(video.fps);
    video.bitrate_kbps = args.bitrate_kbps.unwrap_or(video.bitrate_kbps);
    video.encoder = args.encoder;
    let mut outputs = args
        .to
        .iter()
        .map(|d| OutputSpec::parse_destination(d, args.whip_token.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    if args.whip_token.is_some() && !outputs.iter().any(|o| matches!(o, OutputSpec::Whip(_))) {
        return Err(anyhow!(
            "--whip-token is only for WebRTC destinations; give one with --to whip+https://HOST/PATH"
        ));
    }
    if let Some(path) = &args.record {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(anyhow!(
                "cannot record to {}: the folder {} does not exist",
                path.display(),
                dir.display()
            ));
        }
        outputs.push(OutputSpec::Record(path.clone()));
    }
    PlanBuilder::new(canvas, vec![scene])
        .video(video)
        .audio_for(profile.as_ref())
        .outputs(outputs)
        .duration_s(args.duration)
        .adaptive(!args.fixed_bitrate)
        .build()
        .map_err(|e| anyhow!(e))
}

/// `kaibo live`.
pub fn live(args: LiveArgs) -> ExitCode {
    let plan = match plan_from(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kaibo: {e:#}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let mut secrets: Vec<kaibo_model::Secret> = plan.secrets().into_iter().cloned().collect();
    // The hub's host token is made before logging starts, so the log scrubs it.
    let hub = match args
        .hub_listen
        .map(|listen| hub_config(listen, &args))
        .transpose()
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("kaibo: {e:#}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    secrets.extend(hub.iter().filter_map(|c| c.host_token.clone()));
    if let Err(e) = logging::init(args.log_file.as_deref(), secrets) {
        eprintln!("kaibo: warning: no log file ({e:#}); continuing");
    }
    match run_live(plan, hub, args.json) {
        Ok(code) => code,
        Err(e) => {
            log::error!("{e:#}");
            eprintln!("kaibo: {e:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// The hub beside a live session: a fresh host token, the database in the state folder.
fn hub_config(listen: std::net::SocketAddr, args: &LiveArgs) -> Result<kaibo_hub::HubConfig> {
    let db = match &args.hub_db {
        Some(p) => p.clone(),
        None => {
            kaibo_runtime::default_hub_db().map_err(|e| anyhow!("{e}; or give --hub-db PATH"))?
        }
    };
    let mut config = kaibo_hub::HubConfig::new(listen, db)?;
    config.public_url = args.public_url.clone();
    config.host_token = Some(kaibo_model::Secret::new(kaibo_hub::draw::random_token(32)?));
    Ok(config)
}

fn run_live(plan: SessionPlan, hub: Option<kaibo_hub::HubConfig>, json: bool) -> Result<ExitCode> {
    let targets: Vec<String> = plan.outputs.iter().map(OutputSpec::target).collect();
    log::info!(
        "going live: scene \"{}\", {}x{}@{} {} kbps, to {}",
        plan.scene().name,
        plan.video.width,
        plan.video.height,
        plan.video.fps,
        plan.video.bitrate_kbps,
        targets.join(", ")
    );
    let handle = LiveHandle::spawn(plan).context("could not start the session thread")?;
    let _interaction = match hub {
        Some(config) => {
            let token = config.host_token.clone();
            let interaction = kaibo_runtime::Interaction::start(config, handle.sender())
                .context("the interaction hub did not start")?;
            let hub = interaction.hub();
            eprintln!("kaibo: interaction hub on {}", hub.local_addr());
            eprintln!("kaibo: viewers join at {}", hub.join_url());
            if let Some(token) = token {
                eprintln!(
                    "kaibo: host token (shown only now; keep it private): {}",
                    token.expose()
                );
            }
            Some(interaction)
        }
        None => None,
    };
    let commander = handle.commander();
    ctrlc::set_handler(move || {
        let _ = commander.try_send(kaibo_model::Command::Stop);
    })
    .context("could not install the Ctrl-C handler")?;
    while let Some(event) = handle.next_event() {
        match event {
            Event::State(state) => log::info!("state: {}", state.word()),
            Event::Stats(s) => {
                let line = progress::line(&s);
                log::info!("{line}");
                eprintln!("{line}");
            }
            Event::Notice(text) => {
                log::warn!("{text}");
                eprintln!("kaibo: {text}");
            }
            Event::OutputFailed { failure, .. } => {
                log::error!("{}", failure.message);
                eprintln!("kaibo: {}; the other outputs go on", failure.message);
            }
            Event::Reconnecting {
                target,
                attempt,
                in_s,
                reason,
            } => {
                let line = format!(
                    "reconnecting to {target} in {in_s:.1} s (attempt {attempt}): {reason}"
                );
                log::warn!("{line}");
                eprintln!("{line}");
            }
            Event::Ended { summary, failure } => {
                if json {
                    println!("{}", serde_json::to_string_pretty(&summary)?);
                }
                log::info!(
                    "ended after {:.1} s: {} frames, {} dropped, {:.0} kbps",
                    summary.duration_s,
                    summary.frames_encoded,
                    summary.frames_dropped,
                    summary.avg_video_kbps
                );
                return Ok(match failure {
                    None => ExitCode::SUCCESS,
                    Some(f) => {
                        log::error!("{}", f.message);
                        eprintln!("kaibo: {}", f.message);
                        ExitCode::from(EXIT_FAILED)
                    }
                });
            }
        }
    }
    Err(anyhow!("the session ended without a summary"))
}

/// `kaibo devices`.
pub fn devices(args: DevicesArgs) -> ExitCode {
    let list = kaibo_runtime::list_devices(args.display.as_deref());
    if args.json {
        match serde_json::to_string_pretty(&list) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("kaibo: {e}");
                return ExitCode::from(EXIT_FAILED);
            }
        }
        return ExitCode::SUCCESS;
    }
    print!("{}", progress::device_table(&list));
    ExitCode::SUCCESS
}

/// `kaibo profiles`.
pub fn profiles(args: ProfilesArgs) -> ExitCode {
    let profiles = match platform_profiles() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kaibo: the built-in platform profiles are broken: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&profiles.platforms) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("kaibo: {e}");
                return ExitCode::from(EXIT_FAILED);
            }
        }
    } else {
        print!("{}", progress::profile_table(profiles));
    }
    ExitCode::SUCCESS
}

/// `kaibo probe`.
pub fn probe(args: ProbeArgs) -> ExitCode {
    let prepared =
        probe_targets(&args).and_then(|targets| Ok((targets, platform_profile(&args.profile)?)));
    let ((dest, hub), profile) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kaibo: {e:#}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let report = kaibo_runtime::run_probe(
        dest.as_ref(),
        hub.as_ref(),
        &profile,
        args.download_url.as_deref(),
        |fraction, kbps| {
            eprint!("\r{}", progress::probe_bar(fraction, kbps));
        },
    );
    eprintln!();
    match report {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("kaibo: {e}"),
                }
            } else {
                print!("{}", progress::probe_report(&report, &profile.name));
            }
            if report.verdict == kaibo_model::probe_report::Verdict::Fail {
                ExitCode::from(EXIT_FAILED)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("kaibo: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// The RTMP destination and the hub a probe goes to: at least one.
fn probe_targets(
    args: &ProbeArgs,
) -> anyhow::Result<(
    Option<kaibo_model::Destination>,
    Option<kaibo_runtime::HubLink>,
)> {
    let dest = match args
        .to
        .as_deref()
        .map(|to| OutputSpec::parse_destination(to, None))
    {
        None => None,
        Some(Ok(OutputSpec::Rtmp(dest))) => Some(dest),
        Some(Ok(_)) => {
            return Err(anyhow!(
                "kaibo probe measures RTMP uplinks; give the platform's rtmp:// push URL, or test the link against a Kaibo hub with --hub"
            ));
        }
        Some(Err(e)) => return Err(e.into()),
    };
    let hub = hub_link(args.hub.as_deref(), args.hub_token.as_deref())?;
    if dest.is_none() && hub.is_none() {
        return Err(anyhow!(
            "give the platform's push URL (--to rtmp://HOST/APP/KEY) or a Kaibo hub (--hub https://HOST --hub-token TOKEN)"
        ));
    }
    Ok((dest, hub))
}
