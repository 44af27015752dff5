//! Typed engine errors: what happened, where (element path), and what the host can do.

pub use kaibo_model::FailureKind;

/// An engine failure. `Display` is one sentence for the host: what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error(
        "GStreamer could not start: {0}. Install GStreamer 1.22 or newer (run `cargo xtask run`)"
    )]
    Init(String),
    #[error(
        "the GStreamer element \"{factory}\" is missing; install the package {package} (or run `cargo xtask run`)"
    )]
    MissingElement {
        factory: String,
        package: &'static str,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("could not build the pipeline: {0}")]
    Build(String),
    #[error("{message}")]
    Stream {
        kind: FailureKind,
        /// The element that reported it, e.g. `/GstPipeline:kaibo/GstRtmp2Sink:out0-rtmp`.
        element: String,
        /// One sentence for the host, secrets removed.
        message: String,
        /// GStreamer's own text, secrets removed, for logs.
        detail: String,
    },
    #[error("the pipeline did not start: {0}")]
    State(String),
}

impl MediaError {
    /// The failure kind, when the error came from the running pipeline.
    pub fn kind(&self) -> FailureKind {
        match self {
            MediaError::Stream { kind, .. } => *kind,
            MediaError::MissingElement { .. } | MediaError::Init(_) => {
                FailureKind::MissingComponent
            }
            MediaError::Invalid(_) => FailureKind::Invalid,
            MediaError::Build(_) | MediaError::State(_) => FailureKind::Internal,
        }
    }
}

impl From<gst::glib::BoolError> for MediaError {
    fn from(e: gst::glib::BoolError) -> Self {
        MediaError::Build(e.to_string())
    }
}

/// What an output is, for wording its errors.
#[derive(Clone, Debug)]
pub(crate) struct OutputLabel {
    pub target: String,
    pub host_port: String,
    pub is_rtmp: bool,
}

/// Turns a bus error into a host-facing error.
pub(crate) fn classify(
    element: &str,
    gst_message: &str,
    output: Option<&OutputLabel>,
    output_was_live: bool,
) -> (FailureKind, String) {
    let m = gst_message.to_ascii_lowercase();
    if let Some(out) = output {
        if out.is_rtmp {
            let (kind, text) = if m.contains("refused") {
                (
                    FailureKind::ConnectionRefused,
                    format!(
                        "could not connect to {}: the connection was refused. Check the server address and port in the push URL, and that the server is running",
                        out.host_port
                    ),
                )
            } else if m.contains("resolv")
                || m.contains("unknown host")
                || m.contains("name or service")
            {
                (
                    FailureKind::HostNotFound,
                    format!(
                        "could not find the server {}: the host name does not resolve. Check the push URL and your network/DNS",
                        out.host_port
                    ),
                )
            } else if m.contains("'publish' cmd failed")
                || m.contains("publish") && m.contains("fail")
                || (!output_was_live && (m.contains("closed") || m.contains("reset")))
            {
                (
                    FailureKind::KeyRejected,
                    format!(
                        "the server {} rejected the stream key (it closed the connection when asked to publish). Copy a fresh push URL/key from the platform; keys expire and can be used by one encoder at a time",
                        out.target
                    ),
                )
            } else if m.contains("timed out") || m.contains("timeout") {
                (
                    FailureKind::Timeout,
                    format!(
                        "the server {} did not answer in time. Check the push URL, firewall and network",
                        out.host_port
                    ),
                )
            } else if output_was_live {
                (
                    FailureKind::ConnectionLost,
                    format!(
                        "the connection to {} was lost while live ({gst_message}). Check the network, then go live again",
                        out.target
                    ),
                )
            } else {
                (
                    FailureKind::Internal,
                    format!("streaming to {} failed: {gst_message}", out.target),
                )
            };
            return (kind, text);
        }
        return (
            FailureKind::RecordingFailed,
            format!(
                "the recording {} could not be written ({gst_message}). Check free disk space and that the folder is writable",
                out.target
            ),
        );
    }
    let e = element.to_ascii_lowercase();
    if e.contains("ximagesrc") || m.contains("display") && m.contains("open") {
        return (
            FailureKind::DeviceMissing,
            format!(
                "screen capture failed ({gst_message}). Check that the display exists (DISPLAY, or screen:NUMBER) and the window is still open"
            ),
        );
    }
    if e.contains("v4l2src") {
        return (
            FailureKind::DeviceMissing,
            format!(
                "the camera could not be opened ({gst_message}). Check it is connected and not used by another program; `kaibo devices` lists cameras"
            ),
        );
    }
    if e.contains("pulsesrc") || e.contains("alsasrc") {
        return (
            FailureKind::DeviceMissing,
            format!(
                "the microphone could not be opened ({gst_message}). Check it is connected; `kaibo devices` lists microphones"
            ),
        );
    }
    if e.contains("filesrc")
        || e.contains("gdkpixbufoverlay")
        || e.contains("decodebin")
        || e.contains("typefind")
        || m.contains("not found")
        || m.contains("no such file")
    {
        return (
            FailureKind::FileInvalid,
            format!(
                "a media file could not be read ({gst_message}). Check the path and that the file is an image or video GStreamer can decode"
            ),
        );
    }
    (
        FailureKind::Internal,
        format!("the media pipeline stopped: {gst_message} (in {element})"),
    )
}

/// Debian package that provides a GStreamer element.
pub(crate) fn package_of(factory: &str) -> &'static str {
    match factory {
        "x264enc" => "gstreamer1.0-plugins-ugly",
        "avenc_aac" | "avdec_h264" => "gstreamer1.0-libav",
        "ximagesrc" => "gstreamer1.0-x (and gstreamer1.0-plugins-good)",
        "rtmp2sink" | "openh264enc" | "compositor" | "videoparsersbad" | "h264parse"
        | "imagefreeze" | "webrtcbin" | "qroverlay" | "voaacenc" => "gstreamer1.0-plugins-bad",
        "nicesrc" | "nicesink" => "gstreamer1.0-nice",
        "flvmux" | "matroskamux" | "v4l2src" | "pulsesrc" | "gdkpixbufoverlay" | "rtph264pay"
        | "rtpopuspay" => "gstreamer1.0-plugins-good",
        "alsasrc" => "gstreamer1.0-alsa",
        _ => "gstreamer1.0-plugins-base",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtmp() -> OutputLabel {
        OutputLabel {
            target: "rtmp://127.0.0.1:1935/live/****".into(),
            host_port: "127.0.0.1:1935".into(),
            is_rtmp: true,
        }
    }

    #[test]
    fn rtmp_errors_become_host_words() {
        let c = |m: &str, live| {
            classify(
                "/GstPipeline:kaibo/GstRtmp2Sink:out0-rtmp",
                m,
                Some(&rtmp()),
                live,
            )
            .0
        };
        assert_eq!(
            c(
                "Connection refused: Could not connect to 127.0.0.1: Connection refused",
                false
            ),
            FailureKind::ConnectionRefused
        );
        assert_eq!(
            c(
                "Failed to connect: 'publish' cmd failed: connection closed remotely",
                false
            ),
            FailureKind::KeyRejected
        );
        assert_eq!(
            c("Connection error: connection closed remotely", false),
            FailureKind::KeyRejected
        );
        assert_eq!(
            c("Connection error: connection closed remotely", true),
            FailureKind::ConnectionLost
        );
        assert_eq!(
            c(
                "Failed to connect: Error resolving \"nohost.invalid\"",
                false
            ),
            FailureKind::HostNotFound
        );
        assert_eq!(
            c("Failed to connect: Socket I/O timed out", false),
            FailureKind::Timeout
        );
    }

    #[test]
    fn source_errors_name_the_device() {
        let (k, text) = classify(
            "/GstPipeline:kaibo/GstXImageSrc:src0-screen",
            "Could not open X display for reading",
            None,
            false,
        );
        assert_eq!(k, FailureKind::DeviceMissing);
        assert!(text.contains("display"));
    }
}
