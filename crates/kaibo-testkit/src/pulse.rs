//! A PulseAudio sound server with a null sink, for microphone tests without a sound card:
//! what is played to the sink `kaibo_test` is captured from `kaibo_test.monitor`.

use crate::{TempDir, require_tool, wait_until};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A user-mode PulseAudio daemon in its own runtime directory, stopped on drop.
pub struct Pulse {
    child: Child,
    dir: TempDir,
}

impl Pulse {
    /// The name of the null sink; its monitor source is `SINK.monitor`.
    pub const SINK: &'static str = "kaibo_test";

    /// Starts the daemon and waits until its socket answers.
    pub fn start() -> Pulse {
        let pulseaudio = require_tool("pulseaudio", "pulseaudio");
        require_tool("pactl", "pulseaudio-utils");
        let dir = TempDir::new();
        let child = Command::new(pulseaudio)
            .args([
                "--daemonize=no",
                "--exit-idle-time=-1",
                "-n",
                "--log-target=stderr",
            ])
            .arg("--load=module-native-protocol-unix")
            .arg(format!("--load=module-null-sink sink_name={}", Self::SINK))
            .arg("--load=module-always-sink")
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pulseaudio starts");
        let pulse = Pulse { child, dir };
        wait_until(Duration::from_secs(10), "PulseAudio to answer", || {
            pulse
                .command("pactl")
                .args(["list", "short", "sources"])
                .output()
                .is_ok_and(|o| {
                    o.status.success()
                        && String::from_utf8_lossy(&o.stdout).contains("kaibo_test.monitor")
                })
        });
        pulse
    }

    /// The server address for `PULSE_SERVER`.
    pub fn server(&self) -> String {
        format!("unix:{}", self.dir.path().join("pulse/native").display())
    }

    /// A command that talks to this server.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("PULSE_SERVER", self.server())
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env("HOME", self.dir.path());
        c
    }

    /// Plays a sine tone to the sink for `seconds`, in the background.
    pub fn play_tone(&self, freq_hz: u32, seconds: u32) -> Child {
        require_tool("gst-launch-1.0", "gstreamer1.0-tools");
        let buffers = (seconds * 48_000 / 1024).to_string();
        self.command("gst-launch-1.0")
            .args([
                "-q",
                "audiotestsrc",
                &format!("freq={freq_hz}"),
                "volume=0.5",
                "is-live=true",
            ])
            .args([
                &format!("num-buffers={buffers}"),
                "samplesperbuffer=1024",
                "!",
            ])
            .args([
                "audio/x-raw,rate=48000,channels=2",
                "!",
                "pulsesink",
                &format!("device={}", Self::SINK),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gst-launch-1.0 plays the tone")
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
