//! Viewer text is plain data: before shaping, neutralise what could hijack the layout.
//!
//! - bidi embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069) and marks are
//!   dropped, so U+202E cannot reverse the rest of a card; the text keeps its natural bidi order;
//! - control characters, line and paragraph separators become a plain space (a card lays text
//!   out as one paragraph and wraps it itself);
//! - combining diacritics are capped per grapheme cluster ("zalgo" stacks of thousands of marks
//!   become at most [`MAX_MARKS`]), and a cluster keeps at most [`MAX_CLUSTER_CHARS`] scalars;
//! - the whole text is capped at [`MAX_CHARS`] scalars (the card ellipsises long ones anyway).
//!
//! Markup is never interpreted anywhere: `<script>` is seven characters to draw.

use unicode_segmentation::UnicodeSegmentation;

/// Combining diacritical marks kept on one base character.
pub const MAX_MARKS: usize = 2;
/// Scalars kept in one grapheme cluster (an emoji family sequence has 7).
pub const MAX_CLUSTER_CHARS: usize = 8;
/// Scalars kept of one text; far more than a card can show.
pub const MAX_CHARS: usize = 1_000;

/// Returns `text` safe to shape: see the module documentation.
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CHARS * 4));
    let mut kept = 0;
    for cluster in text.graphemes(true) {
        let mut marks = 0;
        let mut in_cluster = 0;
        for c in cluster.chars() {
            if kept >= MAX_CHARS {
                return out;
            }
            if is_bidi_control(c) || is_invisible_format(c) {
                continue;
            }
            if is_combining_mark(c) {
                if in_cluster == 0 || marks >= MAX_MARKS {
                    continue;
                }
                marks += 1;
            }
            if in_cluster >= MAX_CLUSTER_CHARS {
                continue;
            }
            let c = if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            };
            out.push(c);
            in_cluster += 1;
            kept += 1;
        }
    }
    out
}

/// Bidi embeddings, overrides, isolates and directional marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Format characters with no place in a caption: BOM, interlinear annotation, object replacement.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{FEFF}' | '\u{FFF9}'..='\u{FFFC}')
}

/// The combining diacritical blocks that zalgo text stacks.
fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{0483}'..='\u{0489}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_are_dropped_and_text_kept_in_order() {
        let text = "abc\u{202E}def\u{2066}ghi\u{2069}\u{200F}";
        assert_eq!(plain_text(text), "abcdefghi");
    }

    #[test]
    fn zalgo_stacks_are_capped_per_base_character() {
        let zalgo: String = std::iter::once('a')
            .chain(std::iter::repeat_n('\u{0301}', 5_000))
            .chain("b\u{0308}".chars())
            .collect();
        assert_eq!(plain_text(&zalgo), "a\u{0301}\u{0301}b\u{0308}");
    }

    #[test]
    fn marks_without_a_base_are_dropped() {
        let text: String = std::iter::repeat_n('\u{0301}', 100).collect();
        assert_eq!(plain_text(&text), "");
    }

    #[test]
    fn controls_become_spaces_and_markup_stays_text() {
        assert_eq!(plain_text("a\nb\tc\u{2028}d"), "a b c d");
        assert_eq!(
            plain_text("<script>alert(1)</script>"),
            "<script>alert(1)</script>"
        );
    }

    #[test]
    fn emoji_sequences_and_cjk_survive() {
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        let text = format!("怎么报名？How to join {family} Việt");
        assert_eq!(plain_text(&text), text);
    }

    #[test]
    fn long_texts_are_capped() {
        let text = "报".repeat(5_000);
        assert_eq!(plain_text(&text).chars().count(), MAX_CHARS);
    }
}
