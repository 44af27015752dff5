//! Test harness for kaibo's end-to-end tests and benchmarks.
//!
//! Starts real components (nginx-rtmp, Xvfb, GStreamer animations) bound to
//! 127.0.0.1 only and cleans them up on `Drop`; inspects media with
//! ffprobe/ffmpeg and a small FLV parser; reads process metrics from `/proc`.
//! Std only: every external tool is found with [`require_tool`], which panics
//! with an install hint instead of letting a test skip silently.

mod flv;
mod media_probe;
mod netns;
mod nginx;
mod process;
mod pulse;
mod tempdir;
mod turn;
mod xvfb;

pub use flv::{FlvTag, flv_has_video_frame, flv_tags, flv_video_timestamps_ms};
pub use media_probe::{
    AudioStream, Probe, VideoStream, decoded_duration_s, ffprobe, frame_md5s, frame_rgb,
    keyframe_times, tiny_frames, video_packet_times,
};
pub use netns::ShapedLink;
pub use nginx::Nginx;
pub use process::{
    cpu_seconds_by_thread, cpu_seconds_tree, descendants, peak_rss_kib, rss_by_mapping_kib,
    rss_kib_tree, terminate_child,
};
pub use pulse::Pulse;
pub use tempdir::TempDir;
pub use turn::{Turn, machine_ip};
pub use xvfb::{Animation, Window, Xvfb};

use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Finds `tool` on PATH or panics with a hint on how to install it.
pub fn require_tool(tool: &str, debian_package: &str) -> PathBuf {
    find_tool(tool).unwrap_or_else(|| {
        panic!(
            "{tool} is missing: run `cargo xtask test` (installs test components) or `apt-get install {debian_package}`"
        )
    })
}

fn find_tool(tool: &str) -> Option<PathBuf> {
    let is_exe = |p: &Path| {
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if tool.contains('/') {
        let p = PathBuf::from(tool);
        return is_exe(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| is_exe(p))
}

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("local address of a bound listener")
        .port()
}

/// Polls `f` every 20 ms until it returns true; panics after `timeout`.
pub fn wait_until(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if f() {
            return;
        }
        if start.elapsed() >= timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_and_panics_for_missing_tools() {
        assert!(require_tool("sh", "dash").is_absolute());
        let err = std::panic::catch_unwind(|| require_tool("kaibo-no-such-tool", "kaibo-pkg"))
            .expect_err("a missing tool must panic");
        let msg = err
            .downcast_ref::<String>()
            .expect("panic message is a String");
        assert_eq!(
            msg,
            "kaibo-no-such-tool is missing: run `cargo xtask test` (installs test components) or `apt-get install kaibo-pkg`"
        );
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("the port is free");
    }

    #[test]
    fn wait_until_returns_and_times_out() {
        let mut n = 0;
        wait_until(Duration::from_secs(1), "three polls", || {
            n += 1;
            n >= 3
        });
        let err =
            std::panic::catch_unwind(|| wait_until(Duration::from_millis(50), "never", || false))
                .expect_err("must time out");
        let msg = err
            .downcast_ref::<String>()
            .expect("panic message is a String");
        assert!(
            msg.starts_with("timed out after 50ms waiting for never"),
            "{msg}"
        );
    }
}
