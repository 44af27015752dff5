//! Where a stream goes: an RTMP(S) push URL split into its public part and its secret key.

use crate::secret::{MASK, Secret};
use std::fmt;

/// The ingest protocol of a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Rtmp,
    Rtmps,
}

impl Protocol {
    /// The URL scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            Protocol::Rtmp => "rtmp",
            Protocol::Rtmps => "rtmps",
        }
    }

    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Rtmp => 1935,
            Protocol::Rtmps => 443,
        }
    }
}

/// A push destination. The stream key (the last path segment, query included, the way
/// platforms hand it out) is a [`Secret`]; `Display` shows the URL with the key masked.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Destination {
    pub protocol: Protocol,
    pub host: String,
    pub port: Option<u16>,
    /// The application path between host and key, e.g. `live` (may contain `/`).
    pub app: String,
    pub key: Secret,
}

/// Why a destination URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DestinationError {
    #[error(
        "the destination must start with rtmp://, rtmps://, whip+https:// or whip+http:// (got \"{0}\"); copy the push URL from the platform"
    )]
    Scheme(String),
    #[error("the destination has no host; expected rtmp://HOST[:PORT]/APP/STREAM-KEY")]
    NoHost,
    #[error("the destination port \"{0}\" is not a number between 1 and 65535")]
    Port(String),
    #[error("the destination has no application path; expected rtmp://HOST[:PORT]/APP/STREAM-KEY")]
    NoApp,
    #[error(
        "the destination has no stream key; paste the full push URL including the key as its last part"
    )]
    NoKey,
    #[error("user names and passwords in the URL are not supported; remove the part before '@'")]
    UserInfo,
    #[error(
        "the WHIP endpoint has no path; expected whip+https://HOST[:PORT]/PATH (give the token with --whip-token)"
    )]
    WhipPath,
}

impl Destination {
    /// Parses a push URL such as `rtmp://push.example.com/live/KEY?txSecret=…`.
    pub fn parse(url: &str) -> Result<Self, DestinationError> {
        let url = url.trim();
        let (protocol, rest) = if let Some(r) = strip_prefix_ci(url, "rtmp://") {
            (Protocol::Rtmp, r)
        } else if let Some(r) = strip_prefix_ci(url, "rtmps://") {
            (Protocol::Rtmps, r)
        } else {
            // Show only the scheme-ish start so a pasted key is not echoed back.
            let shown: String = url.chars().take_while(|c| *c != '/').take(12).collect();
            return Err(DestinationError::Scheme(shown));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.contains('@') {
            return Err(DestinationError::UserInfo);
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err(DestinationError::NoHost);
        }
        let path = path.trim_end_matches('/');
        let (app, key) = match path.rsplit_once('/') {
            Some((app, key)) => (app, key),
            None if path.is_empty() => return Err(DestinationError::NoApp),
            None => return Err(DestinationError::NoKey),
        };
        if app.is_empty() {
            return Err(DestinationError::NoApp);
        }
        if key.is_empty() || key.starts_with('?') {
            return Err(DestinationError::NoKey);
        }
        Ok(Self {
            protocol,
            host: host.to_owned(),
            port,
            app: app.to_owned(),
            key: Secret::new(key),
        })
    }

    /// The port to connect to.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(self.protocol.default_port())
    }

    /// The URL with the key masked: safe for logs, errors, JSON and screens.
    pub fn redacted(&self) -> String {
        format!("{}/{MASK}", self.public_base())
    }

    /// `scheme://host[:port]/app`, without the key.
    pub fn public_base(&self) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{}://{}{}/{}",
            self.protocol.scheme(),
            self.host,
            port,
            self.app
        )
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

pub(crate) fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), DestinationError> {
    // IPv6 literal: [::1]:1935
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(DestinationError::NoHost)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(DestinationError::Port(after.to_owned())),
        };
        return Ok((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, p)) => Ok((host, Some(parse_port(p)?))),
        None => Ok((authority, None)),
    }
}

fn parse_port(p: &str) -> Result<u16, DestinationError> {
    match p.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(DestinationError::Port(p.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_platform_push_url_and_hides_key() {
        let d = Destination::parse("rtmp://push.example.com/live/abc-KEY?txSecret=s3cr3t&txTime=1")
            .unwrap();
        assert_eq!(d.host, "push.example.com");
        assert_eq!(d.app, "live");
        assert_eq!(d.key.expose(), "abc-KEY?txSecret=s3cr3t&txTime=1");
        assert_eq!(d.redacted(), "rtmp://push.example.com/live/****");
        assert!(!format!("{d:?}").contains("s3cr3t"));
        assert_eq!(d.effective_port(), 1935);
    }

    #[test]
    fn parses_port_nested_app_and_rtmps() {
        let d = Destination::parse("rtmps://127.0.0.1:4443/a/b/key").unwrap();
        assert_eq!(d.protocol, Protocol::Rtmps);
        assert_eq!(d.port, Some(4443));
        assert_eq!(d.app, "a/b");
        assert_eq!(d.redacted(), "rtmps://127.0.0.1:4443/a/b/****");
    }

    #[test]
    fn rejects_bad_urls_with_reasons() {
        assert!(matches!(
            Destination::parse("http://x/live/k"),
            Err(DestinationError::Scheme(_))
        ));
        assert_eq!(
            Destination::parse("rtmp:///live/k"),
            Err(DestinationError::NoHost)
        );
        assert_eq!(
            Destination::parse("rtmp://h:99999/live/k"),
            Err(DestinationError::Port("99999".into()))
        );
        assert_eq!(
            Destination::parse("rtmp://h/live"),
            Err(DestinationError::NoKey)
        );
        assert_eq!(
            Destination::parse("rtmp://h/live/"),
            Err(DestinationError::NoKey)
        );
        assert_eq!(Destination::parse("rtmp://h"), Err(DestinationError::NoApp));
        assert_eq!(
            Destination::parse("rtmp://u:p@h/live/k"),
            Err(DestinationError::UserInfo)
        );
    }

    #[test]
    fn scheme_error_does_not_echo_the_key() {
        let err = Destination::parse("ftp:/x/live/secretkey")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secretkey"), "{err}");
    }
}
