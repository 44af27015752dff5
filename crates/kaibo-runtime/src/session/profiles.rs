//! The destination profiles shipped with Kaibo (`assets/platforms.toml`, built in).

use kaibo_model::{DataFileError, PlatformProfiles};
use std::sync::OnceLock;

const PLATFORMS_TOML: &str = include_str!("../../../../assets/platforms.toml");

/// Every built-in platform profile, parsed and checked once.
pub fn platform_profiles() -> Result<&'static PlatformProfiles, &'static DataFileError> {
    static PROFILES: OnceLock<Result<PlatformProfiles, DataFileError>> = OnceLock::new();
    PROFILES
        .get_or_init(|| PlatformProfiles::from_toml_str(PLATFORMS_TOML, "assets/platforms.toml"))
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaibo_media::Engine;
    use kaibo_model::{OutputSpec, Scene, SessionPlan, SourceKind};

    #[test]
    fn the_shipped_profiles_pass_the_schema_check() {
        let profiles = platform_profiles().unwrap_or_else(|e| panic!("{e}"));
        for id in [
            "wecom",
            "dingtalk",
            "channels",
            "douyin",
            "tencent-meeting",
            "bilibili",
            "youtube",
            "twitch",
            "custom-rtmp",
            "custom-whip",
        ] {
            assert!(profiles.get(id).is_some(), "profile {id} is missing");
        }
        let wecom = profiles.get("wecom").unwrap();
        assert_eq!((wecom.uplink_kbps, wecom.downlink_kbps), (2000, 4000));
        for id in ["dingtalk", "tencent-meeting"] {
            let p = profiles.get(id).unwrap();
            assert_eq!((p.uplink_kbps, p.downlink_kbps), (1000, 2000), "{id}");
        }
    }

    #[test]
    fn every_profile_builds_a_real_pipeline() {
        let dir = std::env::temp_dir().join(format!("kaibo-profiles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for p in &platform_profiles().unwrap().platforms {
            let plan = SessionPlan {
                canvas: Default::default(),
                scenes: vec![Scene::from_inputs("Check", vec![SourceKind::Test])],
                active: 0,
                video: p.video(),
                audio_bitrate_kbps: p.audio_kbps,
                outputs: vec![OutputSpec::Record(dir.join(format!("{}.mkv", p.id)))],
                duration_s: None,
                adaptive: true,
                preview: None,
            };
            if let Err(e) = Engine::new(&plan) {
                panic!("profile {}: {e}", p.id);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
