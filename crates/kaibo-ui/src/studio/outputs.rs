//! Where the program goes: the destination from the settings and the saved key, the
//! recording's file, and the session plan for them (through the runtime's `PlanBuilder`).

use super::Studio;
use kaibo_model::{Destination, OutputSpec, SessionPlan};
use kaibo_runtime::PlanBuilder;
use std::path::PathBuf;

impl Studio {
    /// The RTMP destination from the settings and the saved key.
    pub(super) fn destination(&self) -> Result<Destination, String> {
        let tr = self.tr();
        let url = self.settings.server_url.trim().trim_end_matches('/');
        if url.is_empty() {
            return Err(tr
                .t(
                    "No destination yet: enter the push server URL and stream key in Settings",
                    "尚未设置推流地址：请在“设置”中填写推流服务器地址和推流码",
                )
                .into());
        }
        let key = self
            .stream_key
            .as_ref()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                tr.t(
                    "No stream key yet: paste the stream key in Settings",
                    "尚未设置推流码：请在“设置”中粘贴推流码",
                )
                .to_string()
            })?;
        Destination::parse(&format!("{url}/{}", key.expose())).map_err(|e| e.to_string())
    }

    /// Where recordings go: the settings' folder, else ~/Videos, else home.
    pub(super) fn recording_folder(&self) -> PathBuf {
        self.settings.recording_folder.clone().unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
            let videos = home.join("Videos");
            if videos.is_dir() { videos } else { home }
        })
    }

    pub(super) fn recording_file(&self) -> PathBuf {
        self.recording_folder()
            .join(format!("kaibo-{}.mkv", timestamp()))
    }

    /// The plan for the current scenes with the wanted outputs.
    pub(super) fn plan(&mut self) -> Result<SessionPlan, String> {
        let mut outputs = Vec::new();
        self.live.live_target = None;
        if self.live.wanted.live {
            let d = self.destination()?;
            self.live.live_target = Some(d.redacted());
            outputs.push(OutputSpec::Rtmp(d));
        }
        if self.live.wanted.record {
            let path = self.recording_file();
            self.live.recording_path = Some(path.clone());
            outputs.push(OutputSpec::Record(path));
        }
        PlanBuilder::new(self.collection.canvas, self.collection.scenes.clone())
            .active(self.active)
            .video(self.settings.video)
            .outputs(outputs)
            .preview(self.live.preview_format.unwrap_or_default())
            .build()
    }
}

/// `YYYYMMDD-HHMMSS` in UTC, for file names.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
