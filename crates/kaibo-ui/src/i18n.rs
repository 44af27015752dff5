//! Simplified Chinese and English. Every visible string goes through [`Tr::t`] with both
//! texts side by side, so no string can miss its translation.

use kaibo_model::Language;

/// The interface language in effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tr(pub Language);

impl Tr {
    /// The text in the current language.
    pub fn t(self, en: &'static str, zh: &'static str) -> &'static str {
        match self.0 {
            Language::Zh => zh,
            Language::En => en,
        }
    }

    pub fn lang(self) -> Language {
        self.0
    }
}

/// The language the system locale asks for (`LC_ALL`, then `LC_MESSAGES`, then `LANG`).
pub fn system_language() -> Language {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .map_or(Language::En, |v| Language::from_locale(&v))
}
