//! What capture devices a machine has.

use serde::Serialize;

/// A camera.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CameraInfo {
    pub name: String,
    /// What to pass as `camera:DEVICE` (e.g. `/dev/video0`).
    pub device: String,
    pub description: String,
}

/// A microphone or other audio input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MicInfo {
    pub name: String,
    pub id: String,
    pub is_default: bool,
}

/// A screen (monitor) of an X display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScreenInfo {
    /// What to pass as `screen:DISPLAY`.
    pub display: String,
    pub name: String,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// An open window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WindowInfo {
    pub xid: u64,
    pub title: String,
    pub display: String,
    pub width: u32,
    pub height: u32,
}

/// Every device found, with what could not be listed and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeviceList {
    pub cameras: Vec<CameraInfo>,
    pub microphones: Vec<MicInfo>,
    pub screens: Vec<ScreenInfo>,
    pub windows: Vec<WindowInfo>,
    /// One line per kind of device that could not be listed.
    pub problems: Vec<String>,
}

/// The first window whose title contains `needle` (case-insensitive).
pub fn find_window<'a>(windows: &'a [WindowInfo], needle: &str) -> Option<&'a WindowInfo> {
    let needle = needle.to_lowercase();
    windows
        .iter()
        .find(|w| w.title.to_lowercase().contains(&needle))
}
