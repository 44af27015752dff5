//! The pre-stream checklist: runs every measurement at once (the probe's test publish, the
//! scene's sources, the microphone, disk, other programs' traffic), then the encode test on a
//! quiet CPU, and judges each with `kaibo-check`.

mod inputs;
mod run;

pub use inputs::{load_word_lists, read_image, read_script, read_wav, user_word_list_dir};
pub use run::{CheckEvent, CheckRun};

use kaibo_check::{
    CheckItem, CheckStatus, CheckedText, DestinationOutcome, EncodeMeasure, Frame, SourceCheck,
};
use kaibo_model::checklist::ids;
use kaibo_model::devices::find_window;
use kaibo_model::{
    CheckReport, Destination, Language, OverlayState, PlatformProfile, Scene, SourceKind,
    VideoSettings, WhipEndpoint,
};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Seconds of camera warm-up before the frame that is judged (auto exposure settles).
const CAMERA_SETTLE: Duration = Duration::from_millis(1000);
/// How long other programs' traffic is sampled.
const TRAFFIC_WINDOW: Duration = Duration::from_secs(1);
/// Seconds of video the encode test asks for, and the most it may take.
const ENCODE_SECONDS: f64 = 2.0;
const ENCODE_TIMEOUT: Duration = Duration::from_millis(2500);

/// What to check. Items whose inputs are missing are left out (no `destination`: no network
/// or destination items; no camera and no still: no lighting; no mic and no recording: no
/// audio; no scene: no devices).
#[derive(Clone, Debug)]
pub struct CheckRequest {
    pub lang: Language,
    pub destination: Option<Destination>,
    /// A WHIP destination to test instead (a real session, ended at once): the destination
    /// item only; the uplink probe publishes over RTMP, so no network items.
    pub whip: Option<WhipEndpoint>,
    /// Requirements and bitrates to judge against.
    pub profile: PlatformProfile,
    /// An http:// file to time a download from, for the downlink.
    pub download_url: Option<String>,
    /// A Kaibo hub to test the link against: the downlink when there is no `download_url`,
    /// and the uplink too when the destination cannot be probed (WHIP, or none given).
    pub hub: Option<crate::net::HubLink>,
    pub scene: Option<Scene>,
    /// The stream's video settings (the encode test's size, rate and encoder).
    pub video: VideoSettings,
    pub audio_kbps: u32,
    /// The show script.
    pub script: Option<PathBuf>,
    /// What the overlay shows (host-written texts are checked).
    pub overlay: OverlayState,
    /// A still to judge instead of the camera's picture.
    pub lighting_image: Option<PathBuf>,
    /// A WAV recording to judge instead of the microphone.
    pub audio_file: Option<PathBuf>,
    /// How long to listen to the microphone while the host speaks.
    pub listen: Duration,
    /// Where the recording goes, and how long the show is planned to run.
    pub record_dir: PathBuf,
    pub planned_s: u32,
    /// Folders with extra word lists (after the built-in ones and the user's folder).
    pub word_list_dirs: Vec<PathBuf>,
}

/// A frame or sound measured from a source, or why the source did not open.
enum Opened {
    Frame(kaibo_media::GrabbedFrame),
    Sound(Vec<f32>),
    Fine,
}

/// Runs the checklist; `on_item` sees each item as it is judged (from several threads).
pub fn run_check(req: &CheckRequest, on_item: impl Fn(&CheckItem) + Sync) -> CheckReport {
    let items: Mutex<Vec<CheckItem>> = Mutex::new(Vec::new());
    let emit = |item: CheckItem| {
        on_item(&item);
        if let Ok(mut all) = items.lock() {
            all.push(item);
        }
    };
    let lang = req.lang;
    std::thread::scope(|s| {
        let download = req.download_url.as_deref();
        if let Some(dest) = &req.destination {
            let emit = &emit;
            spawn(s, "kaibo-check-net", move || {
                for item in network_items(dest, req.hub.as_ref(), &req.profile, download, lang) {
                    emit(item);
                }
            });
        } else if let Some(hub) = &req.hub {
            let emit = &emit;
            spawn(s, "kaibo-check-net", move || {
                for item in hub_network_items(hub, &req.profile, download, lang) {
                    emit(item);
                }
            });
        }
        if let Some(endpoint) = &req.whip {
            let emit = &emit;
            spawn(s, "kaibo-check-whip", move || {
                emit(whip_item(endpoint, lang))
            });
        }
        let emit_ref = &emit;
        spawn(s, "kaibo-check-hogs", move || {
            let stream_kbps = req.video.bitrate_kbps + req.audio_kbps;
            emit_ref(match inputs::sample_traffic(TRAFFIC_WINDOW) {
                Ok(list) => kaibo_check::evaluate_hogs(&list, stream_kbps, lang),
                Err(why) => {
                    CheckItem::new(ids::BANDWIDTH_HOGS, CheckStatus::Warn, "not measured", why)
                }
            });
        });
        emit(disk_item(req));
        emit(compliance_item(req));
        let opened = open_sources(s, req);
        emit_sources(req, opened, &emit);
    });
    // The encode test alone, so the other measurements do not slow it down.
    emit(headroom_item(req));
    let mut all = items.into_inner().unwrap_or_default();
    all.sort_by_key(|i| {
        ids::IN_ORDER
            .iter()
            .position(|id| *id == i.id)
            .unwrap_or(ids::IN_ORDER.len())
    });
    CheckReport::new(all)
}

fn spawn<'scope, 'env>(
    s: &'scope std::thread::Scope<'scope, 'env>,
    name: &str,
    f: impl FnOnce() + Send + 'scope,
) {
    // A thread that cannot start leaves its item out; the rest of the checklist goes on.
    if let Err(e) = std::thread::Builder::new()
        .name(name.into())
        .spawn_scoped(s, f)
    {
        log::warn!("could not start {name}: {e}");
    }
}

/// How long the WHIP test may take for ICE and DTLS once the server answered.
const WHIP_CONNECT: Duration = Duration::from_secs(5);

fn whip_item(endpoint: &WhipEndpoint, lang: Language) -> CheckItem {
    let target = endpoint.redacted();
    let outcome = match kaibo_media::check_whip(endpoint, WHIP_CONNECT) {
        Ok(()) => DestinationOutcome::Accepted { target },
        Err(e) => DestinationOutcome::Failed {
            target,
            kind: e.kind(),
            message: e.to_string(),
        },
    };
    kaibo_check::evaluate_destination(&outcome, lang)
}

/// The link measured against a hub alone: the destination is not one the probe can publish
/// to (WHIP), or none was given.
fn hub_network_items(
    hub: &crate::net::HubLink,
    profile: &PlatformProfile,
    download_url: Option<&str>,
    lang: Language,
) -> Vec<CheckItem> {
    match crate::net::run_probe(None, Some(hub), profile, download_url, |_, _| {}) {
        Ok(report) => kaibo_check::evaluate_probe(&report, lang),
        Err(e) => [ids::NETWORK_UPLINK, ids::NETWORK_DOWNLINK, ids::NETWORK_RTT]
            .into_iter()
            .map(|id| CheckItem::new(id, CheckStatus::Fail, "not measured", e.to_string()))
            .collect(),
    }
}

fn network_items(
    dest: &Destination,
    hub: Option<&crate::net::HubLink>,
    profile: &PlatformProfile,
    download_url: Option<&str>,
    lang: Language,
) -> Vec<CheckItem> {
    let target = dest.redacted();
    match crate::net::run_probe(Some(dest), None, profile, None, |_, _| {}) {
        Ok(mut report) => {
            let mut down_item = None;
            if let Some(measured) =
                crate::net::measure_down(download_url, hub, Duration::from_secs(3))
            {
                match measured {
                    Ok(kbps) => report.downlink_kbps = Some(kbps.round()),
                    Err(e) => {
                        down_item = Some(CheckItem::new(
                            ids::NETWORK_DOWNLINK,
                            CheckStatus::Fail,
                            "not measured",
                            e.to_string(),
                        ))
                    }
                }
            }
            let mut items = kaibo_check::evaluate_probe(&report, lang);
            if let Some(d) = down_item {
                items.retain(|i| i.id != ids::NETWORK_DOWNLINK);
                items.push(d);
            }
            items.push(kaibo_check::evaluate_destination(
                &DestinationOutcome::Accepted { target },
                lang,
            ));
            items
        }
        Err(e) => {
            let kind = match &e {
                crate::net::ProbeError::Uplink(m) => m.kind(),
                // The checklist probes the destination itself, never a hub.
                crate::net::ProbeError::Downlink(_)
                | crate::net::ProbeError::Hub(_)
                | crate::net::ProbeError::NoTarget => kaibo_model::FailureKind::Internal,
            };
            let message = e.to_string();
            let not_measured = |id: &str| {
                CheckItem::new(
                    id,
                    CheckStatus::Fail,
                    "not measured",
                    kaibo_check_text(lang),
                )
            };
            vec![
                kaibo_check::evaluate_destination(
                    &DestinationOutcome::Failed {
                        target,
                        kind,
                        message,
                    },
                    lang,
                ),
                not_measured(ids::NETWORK_UPLINK),
                not_measured(ids::NETWORK_DOWNLINK),
                not_measured(ids::NETWORK_RTT),
            ]
        }
    }
}

fn kaibo_check_text(lang: Language) -> String {
    match lang {
        Language::Zh => "测试推流失败，无法测量网络：先解决“destination”一项的问题。".into(),
        Language::En => {
            "The test publish failed, so the link could not be measured: fix the destination item first."
                .into()
        }
    }
}

fn disk_item(req: &CheckRequest) -> CheckItem {
    let folder = req.record_dir.display().to_string();
    match inputs::free_bytes(&req.record_dir) {
        Ok(free) => kaibo_check::evaluate_disk(
            free,
            &folder,
            req.video.bitrate_kbps + req.audio_kbps,
            req.planned_s,
            req.lang,
        ),
        Err(why) => CheckItem::new(ids::DISK, CheckStatus::Warn, "not measured", why),
    }
}

fn compliance_item(req: &CheckRequest) -> CheckItem {
    let mut dirs: Vec<PathBuf> = user_word_list_dir().into_iter().collect();
    dirs.extend(req.word_list_dirs.iter().cloned());
    let lists = match load_word_lists(&dirs) {
        Ok(l) => l,
        Err(why) => {
            return CheckItem::new(
                ids::COMPLIANCE,
                CheckStatus::Fail,
                "word lists unreadable",
                why,
            );
        }
    };
    let mut texts: Vec<CheckedText> = Vec::new();
    if let Some(path) = &req.script {
        match read_script(path) {
            Ok(t) => texts.push(t),
            Err(why) => {
                return CheckItem::new(
                    ids::COMPLIANCE,
                    CheckStatus::Fail,
                    "script unreadable",
                    why,
                );
            }
        }
    }
    if let Some(scene) = &req.scene {
        texts.extend(kaibo_check::scene_texts(scene));
    }
    texts.extend(kaibo_check::overlay_texts(&req.overlay));
    kaibo_check::check_compliance(&lists, &texts, req.lang)
}

fn headroom_item(req: &CheckRequest) -> CheckItem {
    match kaibo_media::encode_speed(&req.video, ENCODE_SECONDS, ENCODE_TIMEOUT) {
        Ok(speed) => kaibo_check::evaluate_headroom(
            &EncodeMeasure {
                encoder: speed.encoder,
                width: req.video.width,
                height: req.video.height,
                required_fps: req.video.fps,
                frames: speed.frames,
                elapsed_s: speed.elapsed_s,
            },
            req.lang,
        ),
        Err(e) => CheckItem::new(
            ids::HEADROOM,
            CheckStatus::Fail,
            "encode test failed",
            e.to_string(),
        ),
    }
}

/// Opens every source of the scene at once; a camera yields its settled frame and the first
/// microphone `req.listen` of sound, for the lighting and audio items.
fn open_sources<'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    req: &'scope CheckRequest,
) -> Vec<(
    usize,
    std::thread::ScopedJoinHandle<'scope, Result<Opened, String>>,
)> {
    let Some(scene) = &req.scene else {
        return Vec::new();
    };
    let mut first_mic = true;
    let mut handles = Vec::new();
    for (i, source) in scene.sources.iter().enumerate() {
        let listen = match source.input {
            SourceKind::Mic { .. } if first_mic && req.audio_file.is_none() => {
                first_mic = false;
                req.listen
            }
            _ => Duration::from_millis(300),
        };
        let spawned = std::thread::Builder::new()
            .name(format!("kaibo-check-src{i}"))
            .spawn_scoped(s, move || open_one(&source.input, listen));
        match spawned {
            Ok(h) => handles.push((i, h)),
            Err(e) => log::warn!("could not start the check of source {i}: {e}"),
        }
    }
    handles
}

fn open_one(input: &SourceKind, listen: Duration) -> Result<Opened, String> {
    let e = |e: kaibo_media::MediaError| e.to_string();
    match input {
        SourceKind::Camera { .. } => {
            kaibo_media::grab_frame(input, CAMERA_SETTLE, Duration::from_secs(8))
                .map(Opened::Frame)
                .map_err(e)
        }
        SourceKind::Mic { .. } => kaibo_media::record_sound(input, listen)
            .map(Opened::Sound)
            .map_err(e),
        SourceKind::Screen { .. } => {
            kaibo_media::grab_frame(input, Duration::ZERO, Duration::from_secs(5))
                .map(|_| Opened::Fine)
                .map_err(e)
        }
        SourceKind::Window {
            title,
            xid,
            display,
        } => {
            let xid = match (xid, title) {
                (Some(x), _) => *x,
                (None, Some(t)) => {
                    let windows = kaibo_devices::list_windows(display.as_deref())
                        .map_err(|e| e.to_string())?;
                    find_window(&windows, t)
                        .ok_or_else(|| {
                            format!("no open window has \"{t}\" in its title; open it first")
                        })?
                        .xid
                }
                (None, None) => return Err("the window source names no window".into()),
            };
            let resolved = SourceKind::Window {
                title: title.clone(),
                xid: Some(xid),
                display: display.clone(),
            };
            kaibo_media::grab_frame(&resolved, Duration::ZERO, Duration::from_secs(5))
                .map(|_| Opened::Fine)
                .map_err(e)
        }
        SourceKind::Image { path } | SourceKind::Media { path } => {
            kaibo_media::open_media(path, Duration::from_secs(5))
                .map(|_| Opened::Fine)
                .map_err(e)
        }
        SourceKind::Test | SourceKind::Text { .. } => Ok(Opened::Fine),
    }
}

/// The devices, lighting and audio items from the opened sources (or the given files).
fn emit_sources<'scope>(
    req: &CheckRequest,
    opened: Vec<(
        usize,
        std::thread::ScopedJoinHandle<'scope, Result<Opened, String>>,
    )>,
    emit: &(impl Fn(CheckItem) + Sync),
) {
    let lang = req.lang;
    let mut checks = Vec::new();
    let mut frame = None;
    let mut sound = None;
    for (i, handle) in opened {
        let Some(source) = req.scene.as_ref().and_then(|s| s.sources.get(i)) else {
            continue;
        };
        let result = handle
            .join()
            .unwrap_or_else(|_| Err("the check of this source crashed".into()));
        let problem = match result {
            Ok(Opened::Frame(f)) => {
                frame.get_or_insert(f);
                None
            }
            Ok(Opened::Sound(s)) => {
                if sound.is_none() && matches!(source.input, SourceKind::Mic { .. }) {
                    sound = Some(s);
                }
                None
            }
            Ok(Opened::Fine) => None,
            Err(why) => Some(why),
        };
        checks.push(SourceCheck {
            name: source.name.clone(),
            kind: source.input.kind_name().to_owned(),
            problem,
        });
    }
    if req.scene.is_some() {
        emit(kaibo_check::evaluate_devices(&checks, lang));
    }
    if let Some(path) = &req.lighting_image {
        emit(match read_image(path) {
            Ok((width, height, rgba)) => lighting(width, height, &rgba, lang),
            Err(why) => CheckItem::new(ids::LIGHTING, CheckStatus::Fail, "image unreadable", why),
        });
    } else if let Some(f) = frame {
        emit(lighting(f.width, f.height, &f.rgba, lang));
    }
    if let Some(path) = &req.audio_file {
        emit(match read_wav(path) {
            Ok((samples, rate)) => {
                kaibo_check::evaluate_audio(&kaibo_check::analyse_audio(&samples, rate), lang)
            }
            Err(why) => CheckItem::new(ids::AUDIO, CheckStatus::Fail, "recording unreadable", why),
        });
    } else if let Some(samples) = sound {
        let stats = kaibo_check::analyse_audio(&samples, kaibo_media::SOUND_RATE);
        emit(kaibo_check::evaluate_audio(&stats, lang));
    }
}

fn lighting(width: u32, height: u32, rgba: &[u8], lang: Language) -> CheckItem {
    let stats = kaibo_check::analyse_frame(Frame {
        width,
        height,
        rgba,
    });
    kaibo_check::evaluate_lighting(&stats, lang)
}
