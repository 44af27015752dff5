//! Quick source specs for the command line: `test`, `screen:0`, `window:Title`, …

use crate::scene::SourceKind;

/// A `--source` value that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error(
        "unknown source \"{0}\"; use test, screen[:DISPLAY], window:TITLE, window:0xXID, camera[:DEVICE], mic[:DEVICE], image:PATH, media:PATH or text:STRING"
    )]
    Unknown(String),
    #[error("source \"{0}\" needs a value after the colon, e.g. {0}:{1}")]
    MissingValue(&'static str, &'static str),
    #[error(
        "\"{0}\" is not a window id; write it as 0x followed by hex digits, e.g. window:0x2a00007"
    )]
    BadXid(String),
}

/// Parses one `--source` spec.
pub fn parse_source_spec(spec: &str) -> Result<SourceKind, SpecError> {
    let (kind, value) = match spec.split_once(':') {
        Some((k, v)) => (k, Some(v)),
        None => (spec, None),
    };
    let optional = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(str::to_owned);
    let required = |name: &'static str, example: &'static str| {
        optional(value).ok_or(SpecError::MissingValue(name, example))
    };
    Ok(match kind.to_ascii_lowercase().as_str() {
        "test" => SourceKind::Test,
        // `screen:1` is display `:1`, `screen::1` too.
        "screen" => SourceKind::Screen {
            display: optional(value).map(|d| {
                if d.starts_with(':') {
                    d
                } else {
                    format!(":{d}")
                }
            }),
        },
        "window" => {
            let v = required("window", "Impress")?;
            match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                Some(hex) => SourceKind::Window {
                    title: None,
                    xid: Some(
                        u64::from_str_radix(hex, 16).map_err(|_| SpecError::BadXid(v.clone()))?,
                    ),
                    display: None,
                },
                None => SourceKind::Window {
                    title: Some(v),
                    xid: None,
                    display: None,
                },
            }
        }
        "camera" => SourceKind::Camera {
            device: optional(value),
        },
        "mic" => SourceKind::Mic {
            device: optional(value),
        },
        "image" => SourceKind::Image {
            path: required("image", "slide.png")?,
        },
        "media" => SourceKind::Media {
            path: required("media", "intro.mp4")?,
        },
        "text" => SourceKind::Text {
            text: required("text", "Welcome")?,
            font: None,
            color: None,
        },
        _ => return Err(SpecError::Unknown(spec.chars().take(40).collect())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        assert_eq!(parse_source_spec("test"), Ok(SourceKind::Test));
        assert_eq!(
            parse_source_spec("screen"),
            Ok(SourceKind::Screen { display: None })
        );
        assert_eq!(
            parse_source_spec("screen:99"),
            Ok(SourceKind::Screen {
                display: Some(":99".into())
            })
        );
        assert_eq!(
            parse_source_spec("screen::99"),
            Ok(SourceKind::Screen {
                display: Some(":99".into())
            })
        );
        assert_eq!(
            parse_source_spec("window:0x2a00007"),
            Ok(SourceKind::Window {
                title: None,
                xid: Some(0x2a00007),
                display: None
            })
        );
        assert_eq!(
            parse_source_spec("window:PowerPoint - deck.pptx"),
            Ok(SourceKind::Window {
                title: Some("PowerPoint - deck.pptx".into()),
                xid: None,
                display: None
            })
        );
        assert_eq!(
            parse_source_spec("mic"),
            Ok(SourceKind::Mic { device: None })
        );
        assert_eq!(
            parse_source_spec("camera:/dev/video2"),
            Ok(SourceKind::Camera {
                device: Some("/dev/video2".into())
            })
        );
        assert_eq!(
            parse_source_spec("text:a:b"),
            Ok(SourceKind::Text {
                text: "a:b".into(),
                font: None,
                color: None
            })
        );
        assert_eq!(
            parse_source_spec("media:/x/clip.mp4"),
            Ok(SourceKind::Media {
                path: "/x/clip.mp4".into()
            })
        );
    }

    #[test]
    fn explains_bad_specs() {
        assert!(matches!(
            parse_source_spec("webcam"),
            Err(SpecError::Unknown(_))
        ));
        assert_eq!(
            parse_source_spec("image"),
            Err(SpecError::MissingValue("image", "slide.png"))
        );
        assert_eq!(
            parse_source_spec("window:"),
            Err(SpecError::MissingValue("window", "Impress"))
        );
        assert!(matches!(
            parse_source_spec("window:0xZZ"),
            Err(SpecError::BadXid(_))
        ));
    }
}
