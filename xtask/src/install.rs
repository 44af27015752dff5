//! System packages, installed with apt-get (through sudo when not root); installed ones are left alone.

use std::process::{Command, Stdio};

/// What building needs.
const BUILD: &[&str] = &[
    "pkg-config",
    "gcc",
    "libc6-dev",
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    // WHIP: gstreamer-webrtc-1.0 (webrtcbin's API); TLS for signalling over https.
    "libgstreamer-plugins-bad1.0-dev",
    "libssl-dev",
    "libasound2-dev",
    "libclang-dev",
    // The keyring crate talks to the Secret Service over D-Bus.
    "libdbus-1-dev",
];

/// What running Kaibo needs.
const RUN: &[&str] = &[
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-libav",
    // webrtcbin's ICE transport (nicesrc/nicesink) for WHIP.
    "gstreamer1.0-nice",
    "gstreamer1.0-x",
    "gstreamer1.0-alsa",
    "gstreamer1.0-pulseaudio",
    "libasound2",
    "ca-certificates",
    "fonts-noto-cjk",
    // The window: fontconfig finds the CJK font; Mesa gives OpenGL without a GPU (llvmpipe).
    "fontconfig",
    "libgl1-mesa-dri",
    "libegl-mesa0",
];

/// What the tests and benchmarks need.
const TEST: &[&str] = &[
    "nginx",
    "libnginx-mod-rtmp",
    "ffmpeg",
    "gstreamer1.0-tools",
    "xvfb",
    "xauth",
    "x11-utils",
    "xdotool",
    "imagemagick",
    "pulseaudio",
    "pulseaudio-utils",
    "libasound2-plugins",
    // egui_kittest renders snapshots through wgpu on lavapipe (Vulkan on the CPU).
    "mesa-vulkan-drivers",
    // The hub's viewer page end to end: Playwright (npm) drives the system's Chromium.
    // (npm comes with NodeSource's nodejs; Debian's needs the npm package: see `npm_ci`.)
    "chromium",
    "nodejs",
    // The checklist: speech and its variants (espeak-ng, sox), real photographs for lighting
    // (scikit-image's test photos), `ss` for other programs' traffic, curl as such a program.
    "espeak-ng",
    "sox",
    "python3-skimage",
    "iproute2",
    "curl",
    // WebRTC: a TURN server for relay candidates (trickled or in the offer).
    "coturn",
    // A self-signed certificate for nginx's HTTPS downloads (the downlink over https://).
    "openssl",
];

/// Folders with a package-lock.json whose npm packages the tests need (`npm ci` there).
pub const NPM_TEST_DIRS: &[&str] = &["crates/kaibo-hub/tests/browser"];

/// Installs the tests' npm packages (exactly the locked versions); never downloads a browser.
pub fn npm_ci(root: &std::path::Path) -> Result<(), String> {
    let has_npm = Command::new("npm")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_npm {
        install_missing(vec!["npm"])?;
    }
    for dir in NPM_TEST_DIRS {
        let path = root.join(dir);
        eprintln!("xtask: $ npm ci (in {dir})");
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&path)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .status()
            .map_err(|e| format!("could not run npm (install nodejs and npm): {e}"))?;
        if !status.success() {
            return Err(format!("`npm ci` in {dir} failed ({status})"));
        }
    }
    Ok(())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn apt(args: &[&str]) -> Result<(), String> {
    let (program, mut full) = if is_root() {
        ("apt-get", Vec::new())
    } else {
        ("sudo", vec!["apt-get"])
    };
    full.extend_from_slice(&["-o", "DPkg::Lock::Timeout=600"]);
    full.extend_from_slice(args);
    let status = Command::new(program)
        .args(&full)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("could not run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", full.join(" ")))
    }
}

/// Installs the missing packages of the named groups (`build`, `run`, `test`).
pub fn ensure(groups: &[&str]) -> Result<(), String> {
    let mut wanted: Vec<&str> = Vec::new();
    for g in groups {
        wanted.extend_from_slice(match *g {
            "build" => BUILD,
            "run" => RUN,
            "test" => TEST,
            other => {
                return Err(format!(
                    "unknown package group {other}; use build, run or test"
                ));
            }
        });
    }
    install_missing(wanted)
}

/// Installs those of `wanted` that are not installed yet.
fn install_missing(wanted: Vec<&str>) -> Result<(), String> {
    let missing: Vec<&str> = wanted.into_iter().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !std::path::Path::new("/usr/bin/apt-get").exists() {
        return Err(format!(
            "these packages are missing and this is not a Debian/Ubuntu system: {}; install their equivalents",
            missing.join(" ")
        ));
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q"];
    install.extend_from_slice(&missing);
    if apt(&install).is_ok() {
        return Ok(());
    }
    // apt here deletes downloaded .debs after each run; a race with another apt run fails
    // with "failed to read archive": repair, then try once more.
    eprintln!("xtask: install failed; repairing and retrying once");
    let _ = apt(&["--fix-broken", "install", "-y", "-q"]);
    apt(&install)
}
