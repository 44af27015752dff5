//! Overlay panels: what the host has put on the stream from the interaction hub, as plain data.
//!
//! The hub (or the app) produces an [`OverlayState`]; the overlay renderer turns it into an
//! RGBA layer that the engine composes over the program. Text in here is already safe to show:
//! personal data masked, viewer text kept as plain text (it is never markup anywhere).
//! The renderer re-renders only when the state — or a countdown's displayed second — changes.

use serde::{Deserialize, Serialize};

/// Where a panel sits on the canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    TopLeft,
    TopRight,
    BottomLeft,
    #[default]
    BottomRight,
    /// A full-width band along the bottom (lower third, offer banner).
    BottomBand,
    Center,
}

/// One option of a poll and its votes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOption {
    pub label: String,
    pub votes: u32,
}

/// What a panel shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PanelContent {
    /// The pinned question: its text, the (masked) asker and its likes.
    Question {
        text: String,
        asker: String,
        likes: u32,
    },
    /// A poll's title and bars; `open` is false once voting closed.
    Poll {
        title: String,
        options: Vec<PollOption>,
        open: bool,
    },
    /// A 1–5 star rating: the average and how many rated.
    Rating {
        title: String,
        average: f32,
        count: u32,
    },
    /// A countdown to `ends_at_ms` (Unix time, milliseconds), e.g. a lottery or red envelope.
    Countdown { label: String, ends_at_ms: u64 },
    /// A limited-time offer banner, optionally counting down.
    Offer {
        title: String,
        detail: String,
        ends_at_ms: Option<u64>,
    },
    /// The winners of a draw (names masked).
    Winners { title: String, names: Vec<String> },
    /// The join QR code for `url`, with a caption.
    JoinQr { url: String, caption: String },
    /// A lower third: a name and a line under it.
    LowerThird { title: String, subtitle: String },
}

/// One panel on the stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    /// Stable id (the hub's), so a changed panel is recognised as the same one and fades are
    /// per panel.
    pub id: String,
    pub anchor: Anchor,
    pub content: PanelContent,
}

/// Everything on the overlay layer, bottom to top. Empty: nothing is drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct OverlayState {
    pub panels: Vec<Panel>,
}

impl OverlayState {
    /// The earliest countdown end still ahead of `now_ms`: the renderer must redraw each second
    /// until then.
    pub fn next_deadline_ms(&self, now_ms: u64) -> Option<u64> {
        self.panels
            .iter()
            .filter_map(|p| match &p.content {
                PanelContent::Countdown { ends_at_ms, .. } => Some(*ends_at_ms),
                PanelContent::Offer { ends_at_ms, .. } => *ends_at_ms,
                _ => None,
            })
            .filter(|end| *end > now_ms)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_as_tagged_json() {
        let state = OverlayState {
            panels: vec![Panel {
                id: "q-7".into(),
                anchor: Anchor::BottomRight,
                content: PanelContent::Question {
                    text: "<script>alert(1)</script> 怎么报名？".into(),
                    asker: "张*".into(),
                    likes: 12,
                },
            }],
        };
        let json = serde_json::to_string(&state).expect("json");
        assert!(json.contains(r#""kind":"question""#), "{json}");
        let back: OverlayState = serde_json::from_str(&json).expect("back");
        assert_eq!(back, state);
    }

    #[test]
    fn next_deadline_ignores_past_countdowns() {
        let countdown = |id: &str, end| Panel {
            id: id.into(),
            anchor: Anchor::Center,
            content: PanelContent::Countdown {
                label: "红包".into(),
                ends_at_ms: end,
            },
        };
        let state = OverlayState {
            panels: vec![countdown("a", 1_000), countdown("b", 5_000)],
        };
        assert_eq!(state.next_deadline_ms(2_000), Some(5_000));
        assert_eq!(state.next_deadline_ms(6_000), None);
    }
}
