//! Viewer text as plain, bounded data: control, bidi and zero-width characters removed, runs of
//! combining marks (zalgo) cut to two, whitespace collapsed, length checked in characters.
//! The text is never markup anywhere; this only keeps it readable and bounded.

use crate::error::ApiError;

/// Most combining marks kept after one base character.
const MAX_MARKS: usize = 2;

fn is_invisible_control(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{0008}' | '\u{000B}'..='\u{001F}' | '\u{007F}'..='\u{009F}'
        // Bidi embeddings, overrides and isolates (U+202E and friends), marks.
        | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        // Zero-width and word-joiner characters, BOM, interlinear annotation, tags.
        | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05BD}'
        | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// Cleans `raw` and checks it is between 1 and `max_chars` characters; `field` names it in the
/// error.
pub fn clean(raw: &str, max_chars: usize, field: &str) -> Result<String, ApiError> {
    // Refuse absurd input before walking it (the body limit bounds it too).
    if raw.len() > max_chars * 16 + 64 {
        return Err(too_long(field, max_chars));
    }
    let mut out = String::with_capacity(raw.len().min(max_chars * 4));
    let mut marks = 0usize;
    let mut last_space = true;
    for c in raw.chars() {
        if is_invisible_control(c) {
            continue;
        }
        if is_combining(c) {
            marks += 1;
            if marks <= MAX_MARKS && !last_space {
                out.push(c);
            }
            continue;
        }
        marks = 0;
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.push(c);
    }
    let text = out.trim_end().to_owned();
    if text.is_empty() {
        return Err(ApiError::bad_request(
            "empty-text",
            format!("{field} is empty; write something"),
        ));
    }
    if text.chars().count() > max_chars {
        return Err(too_long(field, max_chars));
    }
    Ok(text)
}

fn too_long(field: &str, max_chars: usize) -> ApiError {
    ApiError::bad_request(
        "text-too-long",
        format!("{field} is longer than {max_chars} characters; shorten it"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_zero_width_characters_are_removed() {
        let text = clean("abc\u{202E}txt.exe\u{200B} ok", 300, "question").expect("clean");
        assert_eq!(text, "abctxt.exe ok");
    }

    #[test]
    fn zalgo_keeps_at_most_two_marks_per_letter() {
        let zalgo: String = std::iter::once('Z')
            .chain(std::iter::repeat_n('\u{0301}', 500))
            .collect();
        assert_eq!(clean(&zalgo, 300, "q").expect("clean").chars().count(), 3);
    }

    #[test]
    fn whitespace_collapses_and_blank_or_long_text_is_refused() {
        assert_eq!(clean("  a \n\n b\t", 300, "q").expect("clean"), "a b");
        assert_eq!(
            clean(" \u{200B} ", 300, "q").expect_err("blank").code,
            "empty-text"
        );
        let long = "问".repeat(301);
        assert_eq!(
            clean(&long, 300, "q").expect_err("long").code,
            "text-too-long"
        );
        assert!(clean(&"问".repeat(300), 300, "q").is_ok());
    }
}
