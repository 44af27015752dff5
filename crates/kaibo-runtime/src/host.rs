//! The host's side of an interaction hub over its HTTP API (`docs/hub-api.md`, routes under
//! `/api/v1/host` with the host token): moderate and pin questions, run the satisfaction
//! rating and red envelopes, show offers, lower thirds and the join QR, read the report.
//!
//! Blocking calls with short timeouts: call them from a thread of their own, never from a
//! window's drawing thread.

use kaibo_hub::store::{DrawKind, PollState, QuestionStatus};
use kaibo_model::{OverlayState, Secret};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long connecting to the hub may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a whole request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A failed host call.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The hub refused: its `message` says what to do.
    #[error("{message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("cannot reach the interaction hub ({what}): {reason}")]
    Unreachable { what: String, reason: String },
    #[error("the interaction hub answered {what} with something unexpected: {reason}")]
    BadAnswer { what: String, reason: String },
}

impl HostError {
    /// The hub's error code (`not-visible`, `lottery-still-open`, …) when it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A question as the host sees it (text and asker already masked by the hub).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HostQuestion {
    pub id: i64,
    pub text: String,
    pub asker: String,
    pub likes: u32,
    pub status: QuestionStatus,
    pub pinned: bool,
    pub answered: bool,
    /// Moderation hits, `list-id:term`.
    #[serde(default)]
    pub flags: Vec<String>,
}

/// Which questions to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QuestionFilter {
    /// Visible and held (the hub's default).
    #[default]
    Open,
    Held,
    Visible,
    Rejected,
    All,
}

impl QuestionFilter {
    fn query(self) -> &'static str {
        match self {
            Self::Open => "",
            Self::Held => "status=held&",
            Self::Visible => "status=visible&",
            Self::Rejected => "status=rejected&",
            Self::All => "status=all&",
        }
    }
}

/// One option of a poll and its votes.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PollChoice {
    pub label: String,
    pub votes: u32,
}

/// A poll (the satisfaction rating is one).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HostPoll {
    pub id: i64,
    pub title: String,
    pub options: Vec<PollChoice>,
    pub state: PollState,
}

/// A lottery or red envelope.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HostLottery {
    pub id: i64,
    pub title: String,
    pub kind: DrawKind,
    pub opens_at_ms: u64,
    pub closes_at_ms: u64,
    pub winners_wanted: u32,
    pub entrants: u32,
    /// Masked names once drawn.
    pub winners: Option<Vec<String>>,
}

/// The session's figures so far: the hub's own report, as its `report` route sends it.
pub type HostReport = kaibo_hub::store::Report;

/// A kind of on-stream panel, for [`HostClient::hide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelKind {
    Question,
    Poll,
    Rating,
    Countdown,
    Offer,
    Winners,
    JoinQr,
    LowerThird,
}

impl PanelKind {
    /// The name in the API (`join-qr`, `lower-third`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Poll => "poll",
            Self::Rating => "rating",
            Self::Countdown => "countdown",
            Self::Offer => "offer",
            Self::Winners => "winners",
            Self::JoinQr => "join-qr",
            Self::LowerThird => "lower-third",
        }
    }
}

#[derive(Deserialize)]
struct Refusal {
    error: String,
    message: String,
}

#[derive(Deserialize)]
struct Drawn {
    lottery: HostLottery,
}

/// The host's client for one hub. Cheap to clone.
#[derive(Clone, Debug)]
pub struct HostClient {
    base: String,
    token: Secret,
    http: reqwest::blocking::Client,
}

impl HostClient {
    /// A client for the hub at `base` (`http://127.0.0.1:8080`) with the host's `token`.
    pub fn new(base: impl Into<String>, token: Secret) -> Self {
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            // Building fails only when TLS cannot initialise; plain HTTP still works.
            .unwrap_or_else(|_| reqwest::blocking::Client::new());
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            token,
            http,
        }
    }

    /// Questions sorted by likes.
    pub fn questions(&self, filter: QuestionFilter) -> Result<Vec<HostQuestion>, HostError> {
        self.get(&format!("questions?{}sort=likes", filter.query()))
    }

    pub fn approve(&self, id: i64) -> Result<HostQuestion, HostError> {
        self.question_action(id, "approve")
    }

    /// Rejects (and takes off stream) a question.
    pub fn reject(&self, id: i64) -> Result<HostQuestion, HostError> {
        self.question_action(id, "reject")
    }

    /// Puts a visible question on stream.
    pub fn pin(&self, id: i64) -> Result<HostQuestion, HostError> {
        self.question_action(id, "pin")
    }

    pub fn unpin(&self, id: i64) -> Result<HostQuestion, HostError> {
        self.question_action(id, "unpin")
    }

    /// Marks a question answered.
    pub fn answer(&self, id: i64) -> Result<HostQuestion, HostError> {
        self.question_action(id, "answer")
    }

    fn question_action(&self, id: i64, action: &str) -> Result<HostQuestion, HostError> {
        self.post(&format!("questions/{id}/{action}"), &serde_json::json!({}))
    }

    /// All polls of the session.
    pub fn polls(&self) -> Result<Vec<HostPoll>, HostError> {
        self.get("polls")
    }

    /// Creates the ready-made satisfaction poll and opens it (it goes on stream).
    pub fn open_satisfaction(&self) -> Result<HostPoll, HostError> {
        let poll: HostPoll = self.post("polls", &serde_json::json!({"preset": "satisfaction"}))?;
        self.post(&format!("polls/{}/open", poll.id), &serde_json::json!({}))
    }

    pub fn close_poll(&self, id: i64) -> Result<HostPoll, HostError> {
        self.post(&format!("polls/{id}/close"), &serde_json::json!({}))
    }

    /// A lottery open now for `window_s` seconds; its countdown goes on stream.
    pub fn start_lottery(
        &self,
        title: &str,
        window_s: u32,
        winners: u32,
    ) -> Result<HostLottery, HostError> {
        self.start_draw(DrawKind::Lottery, title, window_s, winners)
    }

    /// A red envelope open now for `window_s` seconds; its countdown goes on stream.
    pub fn start_red_envelope(
        &self,
        title: &str,
        window_s: u32,
        winners: u32,
    ) -> Result<HostLottery, HostError> {
        self.start_draw(DrawKind::RedEnvelope, title, window_s, winners)
    }

    fn start_draw(
        &self,
        kind: DrawKind,
        title: &str,
        window_s: u32,
        winners: u32,
    ) -> Result<HostLottery, HostError> {
        self.post(
            "lottery",
            &serde_json::json!({
                "title": title,
                "kind": kind.as_str(),
                "window_s": window_s,
                "winners": winners,
            }),
        )
    }

    /// Draws the winners after the window (once); they go on stream.
    pub fn draw(&self, id: i64) -> Result<HostLottery, HostError> {
        let drawn: Drawn = self.post(&format!("lottery/{id}/draw"), &serde_json::json!({}))?;
        Ok(drawn.lottery)
    }

    /// An offer banner for `duration_s` seconds (none: until hidden).
    pub fn show_offer(
        &self,
        title: &str,
        detail: &str,
        duration_s: Option<u32>,
    ) -> Result<OverlayState, HostError> {
        let mut body = serde_json::json!({"title": title, "detail": detail});
        if let Some(d) = duration_s {
            body["duration_s"] = d.into();
        }
        self.post("offer", &body)
    }

    pub fn show_lower_third(&self, title: &str, subtitle: &str) -> Result<OverlayState, HostError> {
        self.post(
            "lower-third",
            &serde_json::json!({"title": title, "subtitle": subtitle}),
        )
    }

    /// The join QR (the hub's public URL) on stream.
    pub fn show_join_qr(&self) -> Result<OverlayState, HostError> {
        self.post("join-qr", &serde_json::json!({}))
    }

    /// Takes a panel off stream.
    pub fn hide(&self, kind: PanelKind) -> Result<OverlayState, HostError> {
        let what = format!("panels/{}", kind.as_str());
        let request = self.http.delete(self.url(&what));
        self.send(&what, request)
    }

    /// What is on stream now.
    pub fn overlay(&self) -> Result<OverlayState, HostError> {
        self.get("overlay")
    }

    pub fn report(&self) -> Result<HostReport, HostError> {
        self.get("report")
    }

    fn url(&self, route: &str) -> String {
        format!("{}/api/v1/host/{route}", self.base)
    }

    fn get<T: DeserializeOwned>(&self, route: &str) -> Result<T, HostError> {
        let request = self.http.get(self.url(route));
        self.send(route, request)
    }

    fn post<T: DeserializeOwned>(
        &self,
        route: &str,
        body: &serde_json::Value,
    ) -> Result<T, HostError> {
        let request = self
            .http
            .post(self.url(route))
            .header("content-type", "application/json")
            .body(body.to_string());
        self.send(route, request)
    }

    fn send<T: DeserializeOwned>(
        &self,
        route: &str,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<T, HostError> {
        // The route names what failed; the query and the token stay out of messages.
        let what = route.split('?').next().unwrap_or(route).to_owned();
        let answer = request
            .bearer_auth(self.token.expose())
            .send()
            .map_err(|e| HostError::Unreachable {
                what: what.clone(),
                reason: e.without_url().to_string(),
            })?;
        let status = answer.status();
        let text = answer.text().map_err(|e| HostError::Unreachable {
            what: what.clone(),
            reason: e.without_url().to_string(),
        })?;
        if !status.is_success() {
            return Err(match serde_json::from_str::<Refusal>(&text) {
                Ok(r) => HostError::Refused {
                    status: status.as_u16(),
                    code: r.error,
                    message: r.message,
                },
                Err(_) => HostError::Refused {
                    status: status.as_u16(),
                    code: String::new(),
                    message: format!("the hub answered {status}"),
                },
            });
        }
        serde_json::from_str(&text).map_err(|e| HostError::BadAnswer {
            what,
            reason: e.to_string(),
        })
    }
}

/// What viewers on the local network open for a hub listening on `listen`: on every address
/// (`0.0.0.0`), this machine's LAN address (the one its default route leaves from); `None`
/// when that is unknown or the port is not fixed yet (the hub's own `http://LISTEN/` then).
pub fn lan_join_url(listen: std::net::SocketAddr) -> Option<String> {
    if !listen.ip().is_unspecified() || listen.port() == 0 {
        return None;
    }
    // Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    let probe = std::net::UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    probe.connect(("192.0.2.1", 9)).ok()?;
    let ip = probe.local_addr().ok()?.ip();
    (!ip.is_unspecified())
        .then(|| format!("http://{}/", std::net::SocketAddr::new(ip, listen.port())))
}
