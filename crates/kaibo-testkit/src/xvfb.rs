//! A virtual X server with helper windows and a screen-filling animation.

use crate::{TempDir, require_tool, terminate_child, wait_until};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// An Xvfb server (unix socket only, no TCP), killed on drop.
#[derive(Debug)]
pub struct Xvfb {
    child: Option<Child>,
    display: u32,
    width: u32,
    height: u32,
    dir: TempDir,
}

/// An `xmessage` window on an [`Xvfb`], closed on drop.
#[derive(Debug)]
pub struct Window {
    child: Child,
    /// The X window id.
    pub xid: u64,
}

/// A GStreamer test pattern animating the whole [`Xvfb`] screen, stopped on drop.
#[derive(Debug)]
pub struct Animation {
    child: Child,
    dir: TempDir,
}

impl Xvfb {
    /// Starts Xvfb with a `width`x`height`x24 screen on the first free display number.
    pub fn start(width: u32, height: u32) -> Xvfb {
        let xvfb = require_tool("Xvfb", "xvfb");
        require_tool("xdpyinfo", "x11-utils");
        let dir = TempDir::new();
        let log = File::create(dir.path().join("xvfb.log")).expect("create xvfb.log");
        // -displayfd 1: Xvfb picks a free display and writes its number to stdout once it accepts clients.
        let mut child = Command::new(xvfb)
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
            ])
            .args(["-nolisten", "tcp", "-noreset"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn Xvfb");
        let stdout = child.stdout.take().expect("Xvfb stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining so Xvfb never writes into a closed pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut server = Xvfb {
            child: Some(child),
            display: 0,
            width,
            height,
            dir,
        };
        let line = rx.recv_timeout(TIMEOUT).unwrap_or_default();
        server.display = match line.trim().parse() {
            Ok(n) => n,
            Err(_) => {
                server.stop();
                panic!(
                    "Xvfb did not report a display number (got {line:?}):\n{}",
                    server.log_text()
                );
            }
        };
        let display = server.display();
        wait_until(TIMEOUT, &format!("xdpyinfo -display {display}"), || {
            Command::new("xdpyinfo")
                .args(["-display", &display])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        server
    }

    /// The display name, e.g. `:1`.
    pub fn display(&self) -> String {
        format!(":{}", self.display)
    }

    /// Screen width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Screen height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Xvfb's stderr output so far.
    pub fn log_text(&self) -> String {
        std::fs::read(self.dir.path().join("xvfb.log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DISPLAY", self.display()).stdin(Stdio::null());
        cmd
    }

    fn output(&self, program: &str, args: &[&str]) -> Output {
        self.command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
    }

    /// Visible window ids whose name matches the regex `name`.
    fn search(&self, name: &str) -> Vec<u64> {
        let out = self.output("xdotool", &["search", "--onlyvisible", "--name", name]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// Opens an `xmessage` window titled `title` at `geometry` (e.g. `400x300+10+10`) and waits until it is mapped.
    pub fn spawn_window(&self, title: &str, geometry: &str) -> Window {
        require_tool("xmessage", "x11-utils");
        require_tool("xdotool", "xdotool");
        let body = format!("kaibo test window\n{title}\nline three\nline four\nline five");
        let mut child = self
            .command("xmessage")
            .args([
                "-display",
                &self.display(),
                "-title",
                title,
                "-geometry",
                geometry,
                &body,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn xmessage");
        let pattern = format!("^{}$", regex_escape(title));
        let mut xid = None;
        wait_until(
            TIMEOUT,
            &format!("window {title:?} on {}", self.display()),
            || {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("xmessage for {title:?} exited early with {status}");
                }
                xid = self.search(&pattern).first().copied();
                xid.is_some()
            },
        );
        Window {
            child,
            xid: xid.expect("wait_until returned, so the window was found"),
        }
    }

    /// Starts a moving SMPTE test pattern that fills the screen, and checks the screen changes.
    pub fn spawn_animation(&self) -> Animation {
        let gst = require_tool(
            "gst-launch-1.0",
            "gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-x",
        );
        require_tool("xdotool", "xdotool");
        require_tool("import", "imagemagick");
        let caps = format!(
            "video/x-raw,width={},height={},framerate=30/1",
            self.width, self.height
        );
        let display = format!("display={}", self.display());
        let dir = TempDir::new();
        let log = File::create(dir.path().join("gst.log")).expect("create gst.log");
        let child = self
            .command(&gst.to_string_lossy())
            .args([
                "-q",
                "videotestsrc",
                "is-live=true",
                "pattern=smpte",
                "horizontal-speed=4",
                "!",
            ])
            .args([
                caps.as_str(),
                "!",
                "videoconvert",
                "!",
                "ximagesink",
                display.as_str(),
                "sync=true",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn gst-launch-1.0");
        let mut animation = Animation { child, dir };
        let mut windows = Vec::new();
        wait_until(TIMEOUT, "the animation window", || {
            if let Ok(Some(status)) = animation.child.try_wait() {
                let err = std::fs::read_to_string(animation.dir.path().join("gst.log"))
                    .unwrap_or_default();
                panic!("gst-launch-1.0 animation exited with {status}: {err}");
            }
            windows = self.search("^gst-launch");
            !windows.is_empty()
        });
        // ximagesink opens a window of the video's size at 0,0 without a window manager; make sure.
        let (w, h) = (self.width.to_string(), self.height.to_string());
        for id in windows.iter().map(u64::to_string) {
            self.output(
                "xdotool",
                &["windowmove", &id, "0", "0", "windowsize", &id, &w, &h],
            );
        }
        wait_until(TIMEOUT, "the animation to change the screen", || {
            let a = self.screenshot_rgb();
            std::thread::sleep(Duration::from_millis(200));
            a != self.screenshot_rgb()
        });
        animation
    }

    /// Saves a screenshot of the root window to `path` (format from the extension).
    pub fn screenshot(&self, path: &Path) {
        require_tool("import", "imagemagick");
        let out = self.output(
            "import",
            &[
                "-display",
                &self.display(),
                "-window",
                "root",
                &path.to_string_lossy(),
            ],
        );
        assert!(
            out.status.success(),
            "import screenshot failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The root window as raw 8-bit RGB bytes (no metadata, so equal screens give equal bytes).
    pub fn screenshot_rgb(&self) -> Vec<u8> {
        require_tool("import", "imagemagick");
        let out = self.output(
            "import",
            &[
                "-display",
                &self.display(),
                "-window",
                "root",
                "-depth",
                "8",
                "rgb:-",
            ],
        );
        assert!(
            out.status.success(),
            "import screenshot failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate_child(&mut child, Duration::from_secs(3));
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Window {
    /// The X window id.
    pub fn xid(&self) -> u64 {
        self.xid
    }

    /// The xmessage process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Animation {
    /// The gst-launch-1.0 process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Animation {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Escapes regex metacharacters for xdotool's `--name` pattern.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
