//! `kaibo check`: the pre-stream checklist on the command line.

use anyhow::{Result, anyhow};
use clap::Args;
use kaibo_model::{
    CheckItem, CheckReport, CheckStatus, EncoderChoice, Language, OutputSpec, Scene,
    parse_resolution,
};
use kaibo_runtime::{CheckRequest, load_scene_file};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct CheckArgs {
    /// Push URL to test (a short test publish, also the uplink probe): rtmp://HOST/APP/KEY,
    /// or a WebRTC ingest whip+https://HOST/PATH (a short real session; no uplink probe).
    #[arg(long = "to", value_name = "DEST")]
    pub to: Option<String>,
    /// Bearer token for a WHIP destination (never printed or logged).
    #[arg(long, value_name = "TOKEN")]
    pub whip_token: Option<String>,
    /// Platform profile to judge against (default: wecom).
    #[arg(long, value_name = "ID", default_value = "wecom")]
    pub profile: String,
    /// Measure the downlink by downloading from this http:// or https:// URL for 3 s (a large file).
    #[arg(long, value_name = "URL")]
    pub download_url: Option<String>,
    /// A Kaibo hub to test the link against: the downlink (without --download-url), and the
    /// uplink too when --to is a WebRTC ingest or not given.
    #[arg(long, value_name = "URL")]
    pub hub: Option<String>,
    /// The hub's host token (or the environment's KAIBO_HUB_TOKEN).
    #[arg(long, value_name = "TOKEN")]
    pub hub_token: Option<String>,
    /// Scene collection whose sources to check (TOML, `version = 1`).
    #[arg(long, value_name = "FILE")]
    pub scenes: Option<PathBuf>,
    /// Scene of the collection (default: the first).
    #[arg(long, value_name = "NAME")]
    pub scene: Option<String>,
    /// The show script (UTF-8 text) to scan for prohibited and regulated terms.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Judge the lighting of this photo (PNG/JPEG) instead of the camera's picture.
    #[arg(long, value_name = "FILE")]
    pub lighting_image: Option<PathBuf>,
    /// Judge this WAV recording instead of listening to the microphone.
    #[arg(long, value_name = "FILE")]
    pub audio_file: Option<PathBuf>,
    /// Seconds to listen to the microphone while you speak.
    #[arg(long, value_name = "SECONDS", default_value = "3")]
    pub listen: f64,
    /// Where the recording will go (default: ~/Videos, or the current folder).
    #[arg(long, value_name = "DIR")]
    pub record_dir: Option<PathBuf>,
    /// How long the show is planned to run, in minutes (for the disk space).
    #[arg(long, value_name = "MINUTES", default_value = "120")]
    pub duration_min: u32,
    /// A folder of extra word lists (TOML); repeatable.
    #[arg(long = "wordlists", value_name = "DIR")]
    pub word_lists: Vec<PathBuf>,
    /// Output size to test the encoder at (default: the profile's).
    #[arg(long, value_name = "WxH")]
    pub resolution: Option<String>,
    /// Frames per second (default: the profile's).
    #[arg(long, value_name = "N")]
    pub fps: Option<u32>,
    /// H.264 encoder: auto, x264 or openh264.
    #[arg(long, value_name = "NAME", default_value = "auto")]
    pub encoder: EncoderChoice,
    /// Language of the hints: zh or en (default: from the locale).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

const EXIT_BAD_INPUT: u8 = 2;

fn language(arg: Option<&str>) -> Result<Language> {
    match arg {
        Some("zh") => Ok(Language::Zh),
        Some("en") => Ok(Language::En),
        Some(other) => Err(anyhow!("--lang {other}: use zh or en")),
        None => Ok(["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map_or(Language::En, |v| Language::from_locale(&v))),
    }
}

fn scene_from(args: &CheckArgs) -> Result<Option<Scene>> {
    let Some(path) = &args.scenes else {
        return Ok(None);
    };
    let collection = load_scene_file(path)?;
    let scene = match &args.scene {
        Some(name) => collection
            .scene(name)
            .cloned()
            .ok_or_else(|| anyhow!("{} has no scene named \"{name}\"", path.display()))?,
        None => collection.scenes[0].clone(),
    };
    Ok(Some(scene))
}

fn default_record_dir() -> PathBuf {
    std::env::var_os("XDG_VIDEOS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Videos")))
        .filter(|p| p.is_dir())
        .unwrap_or_else(|| PathBuf::from("."))
}

fn request_from(args: &CheckArgs) -> Result<CheckRequest> {
    let lang = language(args.lang.as_deref())?;
    let profile = crate::shared_args::platform_profile(&args.profile)?;
    let (mut destination, mut whip) = (None, None);
    if let Some(url) = &args.to {
        match OutputSpec::parse_destination(url, args.whip_token.as_deref())? {
            OutputSpec::Rtmp(dest) => destination = Some(dest),
            OutputSpec::Whip(endpoint) => whip = Some(endpoint),
            _ => {
                return Err(anyhow!(
                    "kaibo check tests push destinations; give the platform's rtmp:// or whip+https:// URL"
                ));
            }
        }
    }
    if args.whip_token.is_some() && whip.is_none() {
        return Err(anyhow!(
            "--whip-token is only for WebRTC destinations; give one with --to whip+https://HOST/PATH"
        ));
    }
    for (flag, path) in [
        ("--script", &args.script),
        ("--lighting-image", &args.lighting_image),
        ("--audio-file", &args.audio_file),
    ] {
        if let Some(p) = path.as_ref().filter(|p| !p.is_file()) {
            return Err(anyhow!("{flag} {}: no such file", p.display()));
        }
    }
    if !(0.5..=30.0).contains(&args.listen) {
        return Err(anyhow!("--listen takes 0.5 to 30 seconds"));
    }
    let mut video = profile.video();
    if let Some(text) = &args.resolution {
        (video.width, video.height) = parse_resolution(text).map_err(|e| anyhow!(e))?;
    }
    video.fps = args.fps.unwrap_or(video.fps);
    video.encoder = args.encoder;
    Ok(CheckRequest {
        lang,
        destination,
        whip,
        profile: profile.clone(),
        download_url: args.download_url.clone(),
        hub: crate::shared_args::hub_link(args.hub.as_deref(), args.hub_token.as_deref())?,
        scene: scene_from(args)?,
        video,
        audio_kbps: profile.audio_kbps,
        script: args.script.clone(),
        overlay: Default::default(),
        lighting_image: args.lighting_image.clone(),
        audio_file: args.audio_file.clone(),
        listen: Duration::from_secs_f64(args.listen),
        record_dir: args.record_dir.clone().unwrap_or_else(default_record_dir),
        planned_s: args.duration_min.saturating_mul(60),
        word_list_dirs: args.word_lists.clone(),
    })
}

/// `kaibo check`.
pub fn check(args: CheckArgs) -> ExitCode {
    let req = match request_from(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kaibo: {e:#}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let listens = req.audio_file.is_none()
        && req.scene.as_ref().is_some_and(|s| {
            s.sources
                .iter()
                .any(|x| matches!(x.input, kaibo_model::SourceKind::Mic { .. }))
        });
    if listens {
        eprintln!(
            "{}",
            match req.lang {
                Language::Zh => format!("请说话，正在收听麦克风 {:.0} 秒……", args.listen),
                Language::En => format!(
                    "Speak now: listening to the microphone for {:.0} s…",
                    args.listen
                ),
            }
        );
    }
    let report = kaibo_runtime::run_check(&req, |item| {
        log::info!("check {}: {} ({})", item.id, item.status.word(), item.value);
    });
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("kaibo: {e}"),
        }
    } else {
        print!("{}", table(&report));
    }
    if report.overall == CheckStatus::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The report for a terminal: one line per item, the hint under anything not passing.
fn table(report: &CheckReport) -> String {
    let mut out = String::new();
    let mark = |s: CheckStatus| match s {
        CheckStatus::Pass => "PASS",
        CheckStatus::Warn => "WARN",
        CheckStatus::Fail => "FAIL",
    };
    for CheckItem {
        id,
        status,
        value,
        hint,
        details,
    } in &report.items
    {
        out.push_str(&format!("{} {id:<17} {value}\n", mark(*status)));
        out.push_str(&format!("     {hint}\n"));
        for d in details {
            out.push_str(&format!("       · {d}\n"));
        }
    }
    out.push_str(&format!("overall: {}\n", report.overall.word()));
    out
}
