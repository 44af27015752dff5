//! Word lists: data files (`assets/wordlists/*.toml`) that the compliance check scans scripts
//! and scene texts with, and that the hub's moderation holds viewer text for. A company extends
//! Kaibo by adding a file; nothing here is code-specific to one list.
//!
//! ```toml
//! version = 1
//! id = "ad-absolute"
//! name = "Absolute terms (Advertising Law art. 9)"
//! name_zh = "绝对化用语（《广告法》第九条）"
//! rule = "Advertisements must not use 最, 第一, 国家级 or similar absolute terms."
//! rule_zh = "广告不得使用“国家级”“最高级”“最佳”等用语。"
//! severity = "fail"          # or "warn"
//! terms = ["最", "第一", "国家级", "顶级", "绝对"]
//! allow = ["最近", "最后"]   # longer words that contain a term but are fine
//! purpose = ["compliance"]   # optional: who uses the list; omitted means both
//! ```
//!
//! Matching is case-insensitive for Latin text and works on characters, so CJK terms match
//! inside running text (Chinese has no spaces). A hit inside an allowed word is not a hit.

use crate::toml_check::{DataFileError, Path, Seg, parse_checked};
use serde::{Deserialize, Serialize};

/// The only word-list version this build reads.
pub const WORDLIST_VERSION: u32 = 1;

/// How serious a hit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Fail,
}

/// Who a list is for: the pre-stream compliance check, the hub's moderation, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Compliance,
    Moderation,
}

fn every_purpose() -> Vec<Purpose> {
    vec![Purpose::Compliance, Purpose::Moderation]
}

/// One list, as read from its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordList {
    pub version: u32,
    pub id: String,
    pub name: String,
    pub name_zh: String,
    pub rule: String,
    pub rule_zh: String,
    pub severity: Severity,
    pub terms: Vec<String>,
    #[serde(default)]
    pub allow: Vec<String>,
    /// Who uses the list; a file without `purpose` is for both.
    #[serde(default = "every_purpose")]
    pub purpose: Vec<Purpose>,
}

/// A term found in a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The list's id.
    pub list: String,
    pub term: String,
    /// 1-based line and column (in characters) of the hit.
    pub line: usize,
    pub column: usize,
    /// Character offset of the hit in the text.
    pub offset: usize,
    pub severity: Severity,
}

impl WordList {
    /// Parses and checks one list; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self, DataFileError> {
        parse_checked(text, file, WordList::problems)
    }

    fn problems(&self) -> Vec<(Path, String)> {
        use Seg::{Index, Key};
        let mut out = Vec::new();
        if self.version != WORDLIST_VERSION {
            out.push((
                vec![Key("version")],
                format!(
                    "version {} is not supported; expected {WORDLIST_VERSION}",
                    self.version
                ),
            ));
        }
        let id_ok = !self.id.is_empty()
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            out.push((
                vec![Key("id")],
                format!(
                    "\"{}\" is not an id; use lowercase letters, digits and '-'",
                    self.id
                ),
            ));
        }
        for (key, text) in [
            ("name", &self.name),
            ("name_zh", &self.name_zh),
            ("rule", &self.rule),
            ("rule_zh", &self.rule_zh),
        ] {
            if text.trim().is_empty() {
                out.push((vec![Key(key)], "must not be empty".into()));
            }
        }
        if self.purpose.is_empty() {
            out.push((
                vec![Key("purpose")],
                "name at least one of \"compliance\", \"moderation\" (or leave purpose out for both)"
                    .into(),
            ));
        }
        if self.terms.is_empty() {
            out.push((vec![Key("terms")], "a list needs at least one term".into()));
        }
        for (key, words) in [("terms", &self.terms), ("allow", &self.allow)] {
            for (i, w) in words.iter().enumerate() {
                if w.trim().is_empty() {
                    out.push((vec![Key(key), Index(i)], "must not be empty".into()));
                }
            }
        }
        out
    }

    /// True when the list is meant for `purpose`.
    pub fn is_for(&self, purpose: Purpose) -> bool {
        self.purpose.contains(&purpose)
    }

    /// Every hit of this list's terms in `text`, in text order. Overlapping terms report the
    /// longest one at a position.
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        let chars: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
        // Lowercasing can change the length of a few characters; map back by re-walking.
        let folded_to_orig = fold_map(text);
        let terms: Vec<Vec<char>> = self.terms.iter().map(|t| fold(t)).collect();
        let allow: Vec<Vec<char>> = self.allow.iter().map(|t| fold(t)).collect();
        let mut allowed = vec![false; chars.len()];
        for a in &allow {
            for start in find_all(&chars, a) {
                allowed[start..start + a.len()]
                    .iter_mut()
                    .for_each(|x| *x = true);
            }
        }
        let mut hits = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let best = terms
                .iter()
                .enumerate()
                .filter(|(_, t)| !t.is_empty() && chars[i..].starts_with(t))
                .max_by_key(|(_, t)| t.len());
            match best {
                Some((k, t)) if !allowed[i..i + t.len()].iter().all(|x| *x) => {
                    let offset = folded_to_orig[i];
                    let (line, column) = line_col(text, offset);
                    hits.push(Hit {
                        list: self.id.clone(),
                        term: self.terms[k].clone(),
                        line,
                        column,
                        offset,
                        severity: self.severity,
                    });
                    i += t.len();
                }
                _ => i += 1,
            }
        }
        hits
    }
}

/// Scans `text` with every list; hits in text order.
pub fn scan_all(lists: &[WordList], text: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = lists.iter().flat_map(|l| l.scan(text)).collect();
    hits.sort_by_key(|h| (h.offset, h.list.clone()));
    hits
}

fn fold(s: &str) -> Vec<char> {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// For each folded character, the character offset in the original text it came from.
fn fold_map(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, c) in text.chars().enumerate() {
        out.extend(std::iter::repeat_n(i, c.to_lowercase().count()));
    }
    out
}

fn find_all(hay: &[char], needle: &[char]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| hay[i..].starts_with(needle))
        .collect()
}

fn line_col(text: &str, char_offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for c in text.chars().take(char_offset) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"
version = 1
id = "ad-absolute"
name = "Absolute terms"
name_zh = "绝对化用语"
rule = "No absolute terms in advertising."
rule_zh = "广告不得使用绝对化用语。"
severity = "fail"
terms = ["最", "最佳", "第一", "Best"]
allow = ["最近", "最后"]
"#;

    #[test]
    fn finds_cjk_terms_inside_running_text_with_positions() {
        let list = WordList::from_toml_str(LIST, "ad.toml").expect("valid");
        let hits = list.scan("这是全网最佳的产品\n销量第一，最近很火");
        let found: Vec<(&str, usize, usize)> = hits
            .iter()
            .map(|h| (h.term.as_str(), h.line, h.column))
            .collect();
        assert_eq!(found, vec![("最佳", 1, 5), ("第一", 2, 3)]);
    }

    #[test]
    fn latin_terms_match_any_case_and_clean_text_has_no_hits() {
        let list = WordList::from_toml_str(LIST, "ad.toml").expect("valid");
        assert_eq!(list.scan("the BEST deal").len(), 1);
        assert!(list.scan("欢迎大家来到直播间，今天介绍新品。").is_empty());
    }

    #[test]
    fn purpose_defaults_to_both_and_can_be_narrowed() {
        let both = WordList::from_toml_str(LIST, "ad.toml").expect("valid");
        assert!(both.is_for(Purpose::Compliance) && both.is_for(Purpose::Moderation));
        let narrow = format!("{LIST}purpose = [\"compliance\"]\n");
        let list = WordList::from_toml_str(&narrow, "ad.toml").expect("valid");
        assert!(list.is_for(Purpose::Compliance) && !list.is_for(Purpose::Moderation));
        let none = format!("{LIST}purpose = []\n");
        let err = WordList::from_toml_str(&none, "ad.toml").expect_err("empty purpose");
        assert!(err.to_string().contains("purpose"), "{err}");
        let wrong = format!("{LIST}purpose = [\"ads\"]\n");
        assert!(WordList::from_toml_str(&wrong, "ad.toml").is_err());
    }

    #[test]
    fn a_bad_list_is_refused_with_the_field() {
        let bad = LIST.replace("severity = \"fail\"", "severity = \"fail\"\nterms2 = 1");
        let err = WordList::from_toml_str(&bad, "ad.toml").expect_err("unknown field");
        assert!(err.to_string().contains("ad.toml:"), "{err}");
        let empty = LIST.replace(r#"terms = ["最", "最佳", "第一", "Best"]"#, "terms = []");
        let err = WordList::from_toml_str(&empty, "ad.toml").expect_err("no terms");
        assert!(err.to_string().contains("terms"), "{err}");
    }
}
