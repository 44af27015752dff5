//! Masking of personal data wherever a text is shown to someone other than its owner: Chinese
//! mobile numbers (`13812345678` → `138****5678`), 18-digit resident ID numbers, e-mail
//! addresses and nicknames (`张三丰` → `张**`). Pure functions; the raw value stays only in
//! storage.

/// How a masked character is written.
const STAR: char = '*';

/// Masks a nickname: keeps the first character and replaces the rest with `*` (at least one,
/// at most six, so a one-character name is not shown whole and a long one stays short).
pub fn mask_nickname(name: &str) -> String {
    let name = name.trim();
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let stars = chars.count().clamp(1, 6);
    std::iter::once(first)
        .chain(std::iter::repeat_n(STAR, stars))
        .collect()
}

/// Masks a Chinese mobile number given on its own (11 digits starting 13–19, optionally with a
/// `+86`/`86` prefix, spaces or dashes): `138****5678`. Anything else comes back unchanged.
pub fn mask_phone(number: &str) -> String {
    let masked = mask_text(number);
    if masked == number {
        number.to_owned()
    } else {
        masked
    }
}

/// Masks an 18-character resident ID number (17 digits and a digit or `X`): the first three and
/// the last four stay, the birth date and sequence are hidden.
pub fn mask_id_number(id: &str) -> String {
    mask_text(id)
}

/// Masks an e-mail address: the first character of the local part stays (`z***@example.com`).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ => email.to_owned(),
    }
}

/// Masks every mobile number, ID number and e-mail address inside free text (a viewer's
/// question, a host's banner), leaving the rest as it is.
pub fn mask_text(text: &str) -> String {
    mask_emails(&mask_digit_runs(text))
}

/// One run of digits in a text, possibly with single spaces or dashes between digits.
struct Run {
    /// Character range in the text.
    start: usize,
    end: usize,
    /// The digits (and a trailing X of an ID number) without separators.
    digits: String,
}

fn digit_runs(chars: &[char]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        let mut end = i;
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                digits.push(c);
                i += 1;
                end = i;
            } else if (c == ' ' || c == '-') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                i += 1;
            } else if (c == 'X' || c == 'x') && digits.len() == 17 {
                digits.push('X');
                i += 1;
                end = i;
                break;
            } else {
                break;
            }
        }
        // A '+' right before the run belongs to it (+86…).
        let start = if start > 0 && chars[start - 1] == '+' {
            start - 1
        } else {
            start
        };
        runs.push(Run { start, end, digits });
        i = end.max(i);
    }
    runs
}

fn is_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// The masked form of a run, when it is a mobile or ID number.
fn mask_run(digits: &str) -> Option<String> {
    let national = digits
        .strip_prefix("86")
        .filter(|rest| is_mobile(rest))
        .unwrap_or(digits);
    if is_mobile(national) {
        return Some(format!("{}****{}", &national[..3], &national[7..]));
    }
    let is_id = digits.len() == 18 && digits[..17].bytes().all(|b| b.is_ascii_digit());
    if is_id {
        return Some(format!(
            "{}{}{}",
            &digits[..3],
            "*".repeat(11),
            &digits[14..]
        ));
    }
    None
}

fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for run in digit_runs(&chars) {
        if let Some(masked) = mask_run(&run.digits) {
            out.extend(&chars[at..run.start]);
            out.push_str(&masked);
            at = run.end;
        }
    }
    out.extend(&chars[at..]);
    out
}

fn is_email_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '%')
}

fn mask_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            i += 1;
            continue;
        }
        let mut start = i;
        while start > at && is_email_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < chars.len() && is_email_char(chars[end]) {
            end += 1;
        }
        let domain: String = chars[i + 1..end].iter().collect();
        let domain = domain.trim_end_matches('.');
        let looks_like = start < i && domain.contains('.') && !domain.starts_with('.');
        if looks_like {
            out.extend(&chars[at..start]);
            out.push(chars[start]);
            out.push_str("***@");
            out.push_str(domain);
            at = i + 1 + domain.chars().count();
            i = at;
        } else {
            i += 1;
        }
    }
    out.extend(&chars[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_keep_the_first_three_and_last_four() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+86 138-1234-5678"), "138****5678");
        assert_eq!(mask_phone("8613812345678"), "138****5678");
        // Not a mobile number: too short, or a landline prefix.
        assert_eq!(mask_phone("1381234567"), "1381234567");
        assert_eq!(mask_phone("12812345678"), "12812345678");
    }

    #[test]
    fn id_numbers_hide_birth_date_and_sequence() {
        assert_eq!(mask_id_number("11010519491231002X"), "110***********002X");
        assert_eq!(mask_id_number("110105194912310021"), "110***********0021");
        assert_eq!(mask_id_number("11010519491231002x"), "110***********002X");
    }

    #[test]
    fn emails_keep_the_first_letter_and_the_domain() {
        assert_eq!(mask_email("zhang.san@example.com"), "z***@example.com");
        assert_eq!(mask_email("not-an-email"), "not-an-email");
    }

    #[test]
    fn nicknames_keep_only_the_first_character() {
        assert_eq!(mask_nickname("张三丰"), "张**");
        assert_eq!(mask_nickname("张"), "张*");
        assert_eq!(mask_nickname("  alice "), "a****");
        assert_eq!(mask_nickname("a-very-long-nickname"), "a******");
        assert_eq!(mask_nickname(""), "");
    }

    #[test]
    fn free_text_masks_every_kind_and_keeps_the_rest() {
        let text = "加我微信13812345678，身份证11010519491231002X，邮件 li@corp.cn 谢谢";
        assert_eq!(
            mask_text(text),
            "加我微信138****5678，身份证110***********002X，邮件 l***@corp.cn 谢谢"
        );
        let plain = "价格 199 元，库存 20000 件，2024-05-01 发货";
        assert_eq!(mask_text(plain), plain);
    }

    #[test]
    fn longer_digit_runs_are_not_mistaken_for_phones() {
        // A 12-digit order number is not a phone number and stays as it is.
        assert_eq!(mask_text("订单 138123456789"), "订单 138123456789");
    }
}
