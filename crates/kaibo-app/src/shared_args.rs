//! Command-line values several commands take (`live`, `probe`, `check`): a platform profile
//! by id, and a Kaibo hub to test the link against.

use anyhow::anyhow;
use kaibo_runtime::platform_profiles;

/// The built-in platform profile `id`, or what the known ones are.
pub fn platform_profile(id: &str) -> anyhow::Result<kaibo_model::PlatformProfile> {
    let profiles = platform_profiles()
        .map_err(|e| anyhow!("the built-in platform profiles are broken: {e}"))?;
    profiles.get(id).cloned().ok_or_else(|| {
        anyhow!(
            "unknown profile \"{id}\"; known: {}",
            profiles.ids().join(", ")
        )
    })
}

/// The hub of `--hub URL` with its host token from `--hub-token` or KAIBO_HUB_TOKEN.
pub fn hub_link(
    url: Option<&str>,
    token: Option<&str>,
) -> anyhow::Result<Option<kaibo_runtime::HubLink>> {
    let from_env = std::env::var("KAIBO_HUB_TOKEN").ok();
    let chosen = token
        .or(from_env.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match (url, chosen) {
        (Some(url), Some(token)) => Ok(Some(kaibo_runtime::HubLink::new(
            url,
            kaibo_model::Secret::new(token),
        )?)),
        (Some(_), None) => Err(anyhow!(
            "--hub needs the hub's host token: --hub-token TOKEN or KAIBO_HUB_TOKEN (`kaibo hub` prints it when it starts)"
        )),
        (None, _) if token.is_some() => Err(anyhow!("--hub-token goes with --hub URL")),
        (None, _) => Ok(None),
    }
}
