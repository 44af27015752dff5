//! Lists capture devices: cameras (nokhwa), microphones (cpal), X screens and windows (x11rb).
//!
//! Listing never fails as a whole: what cannot be listed is reported in
//! [`DeviceList::problems`] with what to do.

mod x11;

pub use kaibo_model::devices::{CameraInfo, DeviceList, MicInfo, ScreenInfo, WindowInfo};
pub use x11::{list_screens, list_windows};

/// Lists every device kind. `display` is the X display (default: `DISPLAY`).
pub fn list_all(display: Option<&str>) -> DeviceList {
    let mut list = DeviceList::default();
    match list_cameras() {
        Ok(c) => list.cameras = c,
        Err(e) => list.problems.push(e),
    }
    match list_microphones() {
        Ok(m) => list.microphones = m,
        Err(e) => list.problems.push(e),
    }
    match list_screens(display) {
        Ok(s) => list.screens = s,
        Err(e) => list.problems.push(e.to_string()),
    }
    match list_windows(display) {
        Ok(w) => list.windows = w,
        Err(e) => list.problems.push(e.to_string()),
    }
    list
}

/// Cameras known to the OS camera API.
pub fn list_cameras() -> Result<Vec<CameraInfo>, String> {
    let found = nokhwa::query(nokhwa::utils::ApiBackend::Auto)
        .map_err(|e| format!("cameras could not be listed ({e}); check that video devices are readable (Linux: the video group)"))?;
    Ok(found
        .into_iter()
        .map(|c| {
            let device = match c.index() {
                nokhwa::utils::CameraIndex::Index(i) => format!("/dev/video{i}"),
                nokhwa::utils::CameraIndex::String(s) => s.clone(),
            };
            CameraInfo {
                name: c.human_name(),
                device,
                description: c.description().to_owned(),
            }
        })
        .collect())
}

/// Audio inputs of the default host.
pub fn list_microphones() -> Result<Vec<MicInfo>, String> {
    use cpal::traits::{DeviceTrait, HostTrait};
    let host = cpal::default_host();
    let default_id = host
        .default_input_device()
        .and_then(|d| d.id().ok())
        .map(|id| id.to_string());
    let devices = host
        .input_devices()
        .map_err(|e| format!("microphones could not be listed ({e}); check that a sound server or sound card is available"))?;
    Ok(devices
        .filter_map(|d| {
            let id = d.id().ok()?.to_string();
            let name = d
                .description()
                .map(|desc| desc.name().to_owned())
                .unwrap_or_else(|_| id.clone());
            Some(MicInfo {
                is_default: default_id.as_deref() == Some(id.as_str()),
                name,
                id,
            })
        })
        .collect())
}
