//! WHIP signalling (RFC 9725) over HTTP with reqwest's blocking client.
//!
//! POST the offer (`application/sdp`, `Authorization: Bearer`) → `201 Created` with the answer
//! and `Location`; 307/308 re-POST the offer to the new address; 503 is retried after its
//! `Retry-After` (bounded); `Link: <…>; rel="ice-server"` headers name STUN/TURN servers;
//! DELETE on the session's `Location` ends it. Trickle ICE: when the endpoint says it takes
//! `application/trickle-ice-sdpfrag` PATCHes (`Accept-Patch` on OPTIONS), the offer goes out
//! at once and the candidates follow in PATCHes (`trickle.rs`); otherwise the offer waits for
//! gathering and carries them all.

use kaibo_model::{FailureKind, Secret};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, ETAG, HeaderMap, HeaderName, IF_MATCH, LINK, LOCATION, RETRY_AFTER,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;
/// 503 answers retried before giving up, and the longest `Retry-After` honoured.
const MAX_BUSY_RETRIES: usize = 3;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// A STUN or TURN server from a `Link` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IceServer {
    /// `stun:host[:port]`, `turn:host[:port][?transport=…]` or `turns:…`.
    pub url: String,
    pub username: Option<String>,
    pub credential: Option<Secret>,
}

/// What a successful POST gave back.
#[derive(Debug)]
pub(crate) struct Published {
    pub answer: String,
    /// The session's resource, absolute.
    pub location: String,
    pub ice_servers: Vec<IceServer>,
    /// The session's entity tag, sent back in `If-Match` with each PATCH.
    pub etag: Option<String>,
    /// The session said it takes trickle ICE PATCHes.
    pub trickle: bool,
}

/// What the endpoint tells before the offer.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    pub ice_servers: Vec<IceServer>,
    /// `Accept-Patch` names `application/trickle-ice-sdpfrag`.
    pub trickle: bool,
}

/// RFC 5789's header (not among the `http` crate's constants).
const ACCEPT_PATCH: HeaderName = HeaderName::from_static("accept-patch");

/// The media type of trickle ICE fragments (RFC 8840).
pub(crate) const SDPFRAG: &str = "application/trickle-ice-sdpfrag";

/// Why a trickle PATCH was not taken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PatchError {
    /// 405, 501 or 422: the session does not do trickle ICE after all.
    Unsupported(u16),
    /// Anything else (412, 5xx, no answer).
    Failed(String),
}

/// Why signalling failed. Never holds the token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SignalError {
    /// 401 or 403.
    Token(u16),
    /// 404.
    NotFound,
    /// 415, 422 (or 400/406): the server cannot take this offer.
    OfferRefused(u16),
    /// Still 503 after the retries.
    Busy,
    /// Any other status.
    Status(u16),
    TooManyRedirects,
    /// No connection, name not found, timeout.
    Unreachable(String),
    /// 201 without an SDP answer or a Location.
    BadAnswer(String),
    Stopped,
}

impl SignalError {
    /// The host-facing sentence, naming `target` (already redacted).
    pub fn describe(&self, target: &str) -> (FailureKind, String) {
        match self {
            SignalError::Token(code) => (
                FailureKind::KeyRejected,
                format!(
                    "the WHIP server {target} rejected the token (HTTP {code}). Check --whip-token: copy a fresh token from the platform"
                ),
            ),
            SignalError::NotFound => (
                FailureKind::EndpointRejected,
                format!(
                    "the WHIP endpoint {target} does not exist (HTTP 404). Check the URL's path: copy the WHIP URL from the platform"
                ),
            ),
            SignalError::OfferRefused(code) => (
                FailureKind::EndpointRejected,
                format!(
                    "the WHIP server {target} refused Kaibo's offer (HTTP {code}): it does not take H.264 + Opus as offered. Check that the server accepts H.264 (packetization-mode 1) and Opus"
                ),
            ),
            SignalError::Busy => (
                FailureKind::Timeout,
                format!(
                    "the WHIP server {target} stayed busy (HTTP 503, {MAX_BUSY_RETRIES} retries). Try again later"
                ),
            ),
            SignalError::Status(code) => (
                FailureKind::EndpointRejected,
                format!(
                    "the WHIP server {target} answered HTTP {code}. Check the URL and the token"
                ),
            ),
            SignalError::TooManyRedirects => (
                FailureKind::EndpointRejected,
                format!(
                    "the WHIP server {target} redirected more than {MAX_REDIRECTS} times. Check the URL"
                ),
            ),
            SignalError::Unreachable(why) => (
                FailureKind::ConnectionRefused,
                format!(
                    "could not reach the WHIP server {target} ({why}). Check the URL, that the server runs, and your network and firewall"
                ),
            ),
            SignalError::BadAnswer(why) => (
                FailureKind::EndpointRejected,
                format!(
                    "the WHIP server {target} accepted the offer but its answer is unusable ({why}). Check that the URL is a WHIP endpoint"
                ),
            ),
            SignalError::Stopped => (
                FailureKind::Internal,
                format!("publishing to {target} was stopped while connecting"),
            ),
        }
    }
}

/// A client that follows no redirect by itself (the offer must be re-POSTed) and never
/// waits long.
pub(crate) fn client() -> Result<Client, SignalError> {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SignalError::Unreachable(e.without_url().to_string()))
}

fn authorised(request: RequestBuilder, token: Option<&Secret>) -> RequestBuilder {
    match token {
        Some(t) => request.header(AUTHORIZATION, format!("Bearer {}", t.expose())),
        None => request,
    }
}

fn unreachable(e: reqwest::Error) -> SignalError {
    let why = if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        let text = format!("{:?}", e.without_url()).to_ascii_lowercase();
        if text.contains("refused") {
            "connection refused".to_owned()
        } else if text.contains("dns") || text.contains("resolve") || text.contains("lookup") {
            "the host name does not resolve".to_owned()
        } else {
            "could not connect".to_owned()
        }
    } else {
        e.without_url().to_string()
    };
    SignalError::Unreachable(why)
}

/// Asks the endpoint for its ICE servers and trickle support before the offer (`OPTIONS`,
/// best effort: servers that do not answer it give none and no trickle).
pub(crate) fn discover(client: &Client, url: &str, token: Option<&Secret>) -> Discovery {
    authorised(client.request(reqwest::Method::OPTIONS, url), token)
        .timeout(Duration::from_secs(3))
        .send()
        .ok()
        .filter(|r| r.status().is_success())
        .map(|r| Discovery {
            ice_servers: link_ice_servers(&r),
            trickle: accepts_trickle(r.headers()),
        })
        .unwrap_or_default()
}

fn accepts_trickle(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_PATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(SDPFRAG))
}

/// Sends one trickle ICE fragment to the session (`If-Match` with its entity tag, or `*`).
pub(crate) fn patch(
    client: &Client,
    location: &str,
    token: Option<&Secret>,
    etag: Option<&str>,
    fragment: &str,
) -> Result<(), PatchError> {
    let response = authorised(client.patch(location), token)
        .header(CONTENT_TYPE, SDPFRAG)
        .header(IF_MATCH, etag.unwrap_or("*"))
        .timeout(Duration::from_secs(3))
        .body(fragment.to_owned())
        .send()
        .map_err(|e| PatchError::Failed(e.without_url().to_string()))?;
    match response.status().as_u16() {
        200..=299 => Ok(()),
        code @ (405 | 422 | 501) => Err(PatchError::Unsupported(code)),
        code => Err(PatchError::Failed(format!("HTTP {code}"))),
    }
}

/// POSTs the offer, following 307/308 and honouring 503 `Retry-After`.
pub(crate) fn publish(
    client: &Client,
    url: &str,
    token: Option<&Secret>,
    offer: &str,
    stop: &AtomicBool,
) -> Result<Published, SignalError> {
    let mut url = reqwest::Url::parse(url).map_err(|e| SignalError::BadAnswer(e.to_string()))?;
    let (mut redirects, mut busy) = (0, 0);
    loop {
        if stop.load(Ordering::SeqCst) {
            return Err(SignalError::Stopped);
        }
        let response = authorised(client.post(url.clone()), token)
            .header(CONTENT_TYPE, "application/sdp")
            .body(offer.to_owned())
            .send()
            .map_err(unreachable)?;
        let status = response.status();
        match status {
            StatusCode::CREATED => return answer(&url, response),
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(SignalError::TooManyRedirects);
                }
                url = resolve(&url, &response)
                    .ok_or_else(|| SignalError::BadAnswer("a redirect without Location".into()))?;
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                if busy > MAX_BUSY_RETRIES {
                    return Err(SignalError::Busy);
                }
                let wait = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map_or(Duration::from_secs(1), Duration::from_secs)
                    .min(MAX_RETRY_AFTER);
                std::thread::sleep(wait);
            }
            _ => return Err(refused(status.as_u16())),
        }
    }
}

/// The error for a status other than 201, 307, 308 and 503.
pub(crate) fn refused(status: u16) -> SignalError {
    match status {
        401 | 403 => SignalError::Token(status),
        404 => SignalError::NotFound,
        400 | 406 | 415 | 422 => SignalError::OfferRefused(status),
        other => SignalError::Status(other),
    }
}

fn resolve(base: &reqwest::Url, response: &Response) -> Option<reqwest::Url> {
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    base.join(location.trim()).ok()
}

fn answer(url: &reqwest::Url, response: Response) -> Result<Published, SignalError> {
    let location = resolve(url, &response)
        .ok_or_else(|| SignalError::BadAnswer("201 without a Location header".into()))?;
    let ice_servers = link_ice_servers(&response);
    let etag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let trickle = accepts_trickle(response.headers());
    let sdp = response
        .text()
        .map_err(|e| SignalError::BadAnswer(e.without_url().to_string()))?;
    if !sdp.trim_start().starts_with("v=0") {
        return Err(SignalError::BadAnswer(
            "the body is not an SDP answer".into(),
        ));
    }
    Ok(Published {
        answer: sdp,
        location: location.to_string(),
        ice_servers,
        etag,
        trickle,
    })
}

/// Ends the session: DELETE on its resource (best effort, bounded). True when the server
/// confirmed it.
pub(crate) fn delete(client: &Client, location: &str, token: Option<&Secret>) -> bool {
    authorised(client.delete(location), token)
        .timeout(Duration::from_secs(2))
        .send()
        .is_ok_and(|r| r.status().is_success())
}

fn link_ice_servers(response: &Response) -> Vec<IceServer> {
    response
        .headers()
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_link_header)
        .collect()
}

/// Parses one `Link` header value into its `rel="ice-server"` entries.
pub(crate) fn parse_link_header(value: &str) -> Vec<IceServer> {
    split_outside(value, ',')
        .into_iter()
        .filter_map(|link| {
            let link = link.trim();
            let rest = link.strip_prefix('<')?;
            let (url, params) = rest.split_once('>')?;
            let mut server = IceServer {
                url: url.trim().to_owned(),
                username: None,
                credential: None,
            };
            let mut is_ice = false;
            for param in split_outside(params, ';') {
                let Some((name, value)) = param.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"').to_owned();
                match name.trim().to_ascii_lowercase().as_str() {
                    "rel" => is_ice = value.split_whitespace().any(|r| r == "ice-server"),
                    "username" => server.username = Some(value),
                    "credential" => server.credential = Some(Secret::new(value)),
                    _ => {}
                }
            }
            let scheme = server.url.split(':').next().unwrap_or("");
            (is_ice && ["stun", "stuns", "turn", "turns"].contains(&scheme)).then_some(server)
        })
        .collect()
}

/// Splits at `sep` outside `<…>` and quotes.
fn split_outside(text: &str, sep: char) -> Vec<&str> {
    let (mut parts, mut start) = (Vec::new(), 0);
    let (mut angle, mut quote) = (false, false);
    for (i, c) in text.char_indices() {
        match c {
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            '"' => quote = !quote,
            c if c == sep && !angle && !quote => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_give_stun_and_turn_with_credentials() {
        let servers = parse_link_header(
            r#"<stun:stun.example.net>; rel="ice-server", <turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="u;1"; credential="p,ss"; credential-type="password", <https://x/doc>; rel="help""#,
        );
        assert_eq!(servers.len(), 2, "{servers:?}");
        assert_eq!(servers[0].url, "stun:stun.example.net");
        assert_eq!(servers[0].username, None);
        assert_eq!(servers[1].url, "turn:turn.example.net:3478?transport=udp");
        assert_eq!(servers[1].username.as_deref(), Some("u;1"));
        assert_eq!(
            servers[1].credential.as_ref().map(Secret::expose),
            Some("p,ss")
        );
    }

    #[test]
    fn accept_patch_names_trickle_among_other_types() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_trickle(&headers));
        headers.insert(
            ACCEPT_PATCH,
            "application/json, Application/Trickle-ICE-SDPFrag"
                .parse()
                .unwrap(),
        );
        assert!(accepts_trickle(&headers));
    }

    #[test]
    fn statuses_become_host_sentences_without_the_token() {
        assert_eq!(refused(401), SignalError::Token(401));
        assert_eq!(refused(404), SignalError::NotFound);
        assert_eq!(refused(422), SignalError::OfferRefused(422));
        let (kind, text) = refused(403).describe("whip+http://h/whip");
        assert_eq!(kind, FailureKind::KeyRejected);
        assert!(text.contains("rejected the token"), "{text}");
        let (kind, text) = refused(404).describe("whip+http://h/whip");
        assert_eq!(kind, FailureKind::EndpointRejected);
        assert!(text.contains("does not exist"), "{text}");
    }
}
