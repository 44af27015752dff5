//! A WebRTC-HTTP ingest (WHIP, RFC 9725) endpoint: `whip+https://host[:port]/path` (or
//! `whip+http://` for local servers) and its bearer token.

use crate::destination::DestinationError;
use crate::secret::{MASK, Secret};
use std::fmt;

/// A WHIP endpoint. The token and the URL's query (where some servers put a key) are
/// [`Secret`]s; `Display` shows the URL without them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct WhipEndpoint {
    /// `https` (true) or plain `http` (false) for the signalling requests.
    pub secure: bool,
    pub host: String,
    pub port: Option<u16>,
    /// The path, starting with `/`.
    pub path: String,
    /// The query after `?`, if any (without the `?`).
    pub query: Option<Secret>,
    /// Sent as `Authorization: Bearer …`.
    pub token: Option<Secret>,
}

impl WhipEndpoint {
    /// Parses `whip+http://HOST[:PORT]/PATH[?QUERY]` or `whip+https://…`.
    pub fn parse(url: &str, token: Option<&str>) -> Result<Self, DestinationError> {
        let url = url.trim();
        let lower = url.get(..13).unwrap_or(url).to_ascii_lowercase();
        let (secure, rest) = if lower.starts_with("whip+https://") {
            (true, &url[13..])
        } else if lower.starts_with("whip+http://") {
            (false, &url[12..])
        } else {
            let shown: String = url.chars().take_while(|c| *c != '/').take(12).collect();
            return Err(DestinationError::Scheme(shown));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(DestinationError::UserInfo);
        }
        let (host, port) = crate::destination::split_host_port(authority)?;
        if host.is_empty() {
            return Err(DestinationError::NoHost);
        }
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        if path.trim_matches('/').is_empty() {
            return Err(DestinationError::WhipPath);
        }
        Ok(Self {
            secure,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
            query: query.filter(|q| !q.is_empty()).map(Secret::new),
            token: token.filter(|t| !t.is_empty()).map(Secret::new),
        })
    }

    /// The port to connect to.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(if self.secure { 443 } else { 80 })
    }

    /// The `http(s)://` URL the offer is posted to, query included: only for the request.
    pub fn request_url(&self) -> String {
        let query = self
            .query
            .as_ref()
            .map(|q| format!("?{}", q.expose()))
            .unwrap_or_default();
        format!("{}{}{query}", self.origin(), self.path)
    }

    /// `http(s)://host[:port]`.
    pub fn origin(&self) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("{scheme}://{host}{port}")
    }

    /// The URL with the query masked, token never shown: safe for logs, errors and JSON.
    pub fn redacted(&self) -> String {
        let query = if self.query.is_some() {
            format!("?{MASK}")
        } else {
            String::new()
        };
        format!("whip+{}{}{query}", self.origin(), self.path)
    }

    /// True for a server on this machine's loopback (`127.0.0.0/8`, `::1`, `localhost`):
    /// WebRTC must then use loopback candidates, which ICE agents skip by default.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The secrets this endpoint holds.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.query.iter().chain(self.token.iter())
    }
}

impl fmt::Display for WhipEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_whip_urls_and_hides_token_and_query() {
        let w = WhipEndpoint::parse(
            "whip+https://ingest.example.com/whip/endpoint?key=s3cr3t",
            Some("tok-123456"),
        )
        .unwrap();
        assert!(w.secure);
        assert_eq!(w.effective_port(), 443);
        assert_eq!(w.path, "/whip/endpoint");
        assert_eq!(
            w.request_url(),
            "https://ingest.example.com/whip/endpoint?key=s3cr3t"
        );
        assert_eq!(
            w.redacted(),
            "whip+https://ingest.example.com/whip/endpoint?****"
        );
        let debug = format!("{w:?}");
        assert!(!debug.contains("s3cr3t") && !debug.contains("tok-123456"));
        assert_eq!(w.secrets().count(), 2);

        let local = WhipEndpoint::parse("WHIP+HTTP://127.0.0.1:8080/whip", None).unwrap();
        assert!(!local.secure && local.is_loopback() && local.token.is_none());
        assert_eq!(local.request_url(), "http://127.0.0.1:8080/whip");
        assert_eq!(local.to_string(), "whip+http://127.0.0.1:8080/whip");
    }

    #[test]
    fn refuses_bad_whip_urls() {
        assert_eq!(
            WhipEndpoint::parse("whip+http://h:1", None),
            Err(DestinationError::WhipPath)
        );
        assert_eq!(
            WhipEndpoint::parse("whip+http:///x", None),
            Err(DestinationError::NoHost)
        );
        assert_eq!(
            WhipEndpoint::parse("whip+http://u:p@h/x", None),
            Err(DestinationError::UserInfo)
        );
        assert!(matches!(
            WhipEndpoint::parse("whip://h/x", None),
            Err(DestinationError::Scheme(_))
        ));
    }
}
