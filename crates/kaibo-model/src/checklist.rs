//! The pre-stream checklist's results: one [`CheckItem`] per thing checked, and the report.
//!
//! The checklist (`kaibo check`, the app's checklist panel) fills these; this module only holds
//! them. Every item says what was measured (`value`) and, when it is not a pass, what to do
//! (`hint`) in the interface language.

use serde::{Deserialize, Serialize};

/// How an item came out. Ordered from best to worst, so the worse of two is their `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    /// The word used in JSON and in the terminal.
    pub fn word(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }
}

/// The ids of the checklist's items, as printed in `--json`.
pub mod ids {
    pub const NETWORK_UPLINK: &str = "network.uplink";
    pub const NETWORK_DOWNLINK: &str = "network.downlink";
    pub const NETWORK_RTT: &str = "network.rtt";
    pub const LIGHTING: &str = "lighting";
    pub const AUDIO: &str = "audio";
    pub const DEVICES: &str = "devices";
    pub const HEADROOM: &str = "headroom";
    pub const DISK: &str = "disk";
    pub const DESTINATION: &str = "destination";
    pub const BANDWIDTH_HOGS: &str = "bandwidth_hogs";
    pub const COMPLIANCE: &str = "compliance";

    /// Every item, in the order a report lists them.
    pub const IN_ORDER: &[&str] = &[
        DESTINATION,
        NETWORK_UPLINK,
        NETWORK_DOWNLINK,
        NETWORK_RTT,
        BANDWIDTH_HOGS,
        DEVICES,
        LIGHTING,
        AUDIO,
        HEADROOM,
        DISK,
        COMPLIANCE,
    ];
}

/// One checked thing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckItem {
    /// One of [`ids`].
    pub id: String,
    pub status: CheckStatus,
    /// What was measured, short (e.g. "2350 kbps (needs 2000)").
    pub value: String,
    /// What to do about it, in the interface language; for a pass, a short confirmation.
    pub hint: String,
    /// Further lines (one per compliance hit, per missing device…); empty for most items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl CheckItem {
    /// An item without details.
    pub fn new(
        id: &str,
        status: CheckStatus,
        value: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            id: id.to_owned(),
            status,
            value: value.into(),
            hint: hint.into(),
            details: Vec::new(),
        }
    }

    /// The same item with `details`.
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

/// The whole checklist: the worst item decides `overall`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub overall: CheckStatus,
    pub items: Vec<CheckItem>,
}

impl CheckReport {
    /// A report of `items`, in the order given; an empty list passes.
    pub fn new(items: Vec<CheckItem>) -> Self {
        let overall = items
            .iter()
            .map(|i| i.status)
            .max()
            .unwrap_or(CheckStatus::Pass);
        Self { overall, items }
    }

    /// The item with `id`, if it was checked.
    pub fn item(&self, id: &str) -> Option<&CheckItem> {
        self.items.iter().find(|i| i.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_item_decides_and_json_has_the_agreed_shape() {
        let report = CheckReport::new(vec![
            CheckItem::new(ids::DISK, CheckStatus::Pass, "120 GB free", "ok"),
            CheckItem::new(ids::AUDIO, CheckStatus::Warn, "-38 dBFS", "speak up"),
        ]);
        assert_eq!(report.overall, CheckStatus::Warn);
        let json = serde_json::to_value(&report).expect("serialises");
        assert_eq!(json["overall"], "warn");
        assert_eq!(json["items"][1]["id"], "audio");
        assert_eq!(json["items"][1]["status"], "warn");
        assert!(json["items"][0].get("details").is_none());
        assert_eq!(CheckReport::new(Vec::new()).overall, CheckStatus::Pass);
        assert!(report.item("audio").is_some() && report.item("lighting").is_none());
    }
}
