//! A string that must never be shown: stream keys, API secrets, tokens.

use std::fmt;

/// What a secret looks like wherever it would otherwise be printed.
pub const MASK: &str = "****";

/// Shortest secret that [`Secret::scrub`] searches text for.
pub const MIN_SCRUB_LEN: usize = 6;

/// A secret value. `Debug`, `Display` and `Serialize` all print [`MASK`]; only
/// [`Secret::expose`] gives the value, for the one place that must send it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The real value; call it only where the secret leaves for its destination.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when there is no value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Replaces every occurrence of this secret in `text` with [`MASK`]. Values shorter than
    /// [`MIN_SCRUB_LEN`] are left alone: they would mangle ordinary words, and no platform
    /// issues keys that short (the secret itself is never printed; this is a second guard).
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < MIN_SCRUB_LEN {
            return text.to_owned();
        }
        text.replace(&self.0, MASK)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MASK)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// Scrubs every secret in `secrets` from `text`.
pub fn scrub_all<'a>(text: &str, secrets: impl IntoIterator<Item = &'a Secret>) -> String {
    secrets
        .into_iter()
        .fold(text.to_owned(), |acc, secret| secret.scrub(&acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("canary-123");
        assert_eq!(format!("{s}"), MASK);
        assert!(!format!("{s:?}").contains("canary"));
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{MASK}\""));
        assert_eq!(s.expose(), "canary-123");
    }

    #[test]
    fn scrub_replaces_every_occurrence() {
        let s = Secret::new("abc123");
        assert_eq!(s.scrub("x abc123 y abc123"), "x **** y ****");
        assert_eq!(Secret::new("two").scrub("network"), "network");
        assert_eq!(
            scrub_all("k=abc123 t=zz9zz9", [&s, &Secret::new("zz9zz9")]),
            "k=**** t=****"
        );
    }
}
