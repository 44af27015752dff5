//! The one translation helper: every text a host reads is written in English and Simplified
//! Chinese side by side, English first, and [`Tr::t`] picks the one in effect, so no text can
//! miss its translation.

use crate::Language;

/// The interface language in effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tr(pub Language);

impl Tr {
    /// The text in the current language.
    pub fn t<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self.0 {
            Language::Zh => zh,
            Language::En => en,
        }
    }

    pub fn lang(self) -> Language {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_first_chinese_second() {
        assert_eq!(Tr(Language::En).t("Go Live", "开始直播"), "Go Live");
        assert_eq!(Tr(Language::Zh).t("Go Live", "开始直播"), "开始直播");
    }
}
