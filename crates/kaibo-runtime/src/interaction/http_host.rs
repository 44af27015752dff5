//! The host's side of an interaction hub over its HTTP API (`docs/hub-api.md`, routes under
//! `/api/v1/host` with the host token): the [`HostApi`] for a hub that runs elsewhere.
//!
//! Blocking calls with short timeouts: call them from a thread of their own, never from a
//! window's drawing thread.

use super::host_api::{HostApi, HostError};
use kaibo_hub::store::{PollState, Report};
use kaibo_hub::{
    Audit, LotteryView, NewDraw, NewOffer, NewPoll, PanelKind, PollView, QuestionAction,
    QuestionFilter, QuestionView,
};
use kaibo_model::{OverlayState, Secret};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long connecting to the hub may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a whole request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct Refusal {
    error: String,
    message: String,
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

impl HostApi for HostClient {
    fn questions(&self, filter: QuestionFilter) -> Result<Vec<QuestionView>, HostError> {
        let status = filter
            .as_query()
            .map(|s| format!("status={s}&"))
            .unwrap_or_default();
        self.get(&format!("questions?{status}sort=likes"))
    }

    fn moderate(&self, id: i64, action: QuestionAction) -> Result<QuestionView, HostError> {
        self.post(
            &format!("questions/{id}/{}", action.as_str()),
            &serde_json::json!({}),
        )
    }

    fn polls(&self) -> Result<Vec<PollView>, HostError> {
        self.get("polls")
    }

    fn create_poll(&self, poll: NewPoll) -> Result<PollView, HostError> {
        let body = match poll {
            NewPoll::Satisfaction { title: None } => {
                serde_json::json!({"preset": "satisfaction"})
            }
            NewPoll::Satisfaction { title: Some(t) } => {
                serde_json::json!({"preset": "satisfaction", "title": t})
            }
            NewPoll::Custom { title, options } => {
                serde_json::json!({"title": title, "options": options})
            }
        };
        self.post("polls", &body)
    }

    fn set_poll(&self, id: i64, state: PollState) -> Result<PollView, HostError> {
        let action = if state == PollState::Open {
            "open"
        } else {
            "close"
        };
        self.post(&format!("polls/{id}/{action}"), &serde_json::json!({}))
    }

    fn start_draw(&self, draw: NewDraw) -> Result<LotteryView, HostError> {
        let mut body = serde_json::json!({"title": draw.title, "kind": draw.kind.as_str()});
        if let Some(at) = draw.opens_at_ms {
            body["opens_at_ms"] = at.into();
        }
        if let Some(w) = draw.window_s {
            body["window_s"] = w.into();
        }
        if let Some(n) = draw.winners {
            body["winners"] = n.into();
        }
        self.post("lottery", &body)
    }

    fn draw(&self, id: i64) -> Result<LotteryView, HostError> {
        let drawn: Audit = self.post(&format!("lottery/{id}/draw"), &serde_json::json!({}))?;
        Ok(drawn.lottery)
    }

    fn show_offer(&self, offer: NewOffer) -> Result<OverlayState, HostError> {
        let mut body = serde_json::json!({"title": offer.title, "detail": offer.detail});
        if let Some(end) = offer.ends_at_ms {
            body["ends_at_ms"] = end.into();
        }
        if let Some(d) = offer.duration_s {
            body["duration_s"] = d.into();
        }
        self.post("offer", &body)
    }

    fn show_lower_third(&self, title: &str, subtitle: &str) -> Result<OverlayState, HostError> {
        self.post(
            "lower-third",
            &serde_json::json!({"title": title, "subtitle": subtitle}),
        )
    }

    fn show_join_qr(&self) -> Result<OverlayState, HostError> {
        self.post("join-qr", &serde_json::json!({}))
    }

    fn hide(&self, kind: PanelKind) -> Result<OverlayState, HostError> {
        let what = format!("panels/{}", kind.as_str());
        let request = self.http.delete(self.url(&what));
        self.send(&what, request)
    }

    fn overlay(&self) -> Result<OverlayState, HostError> {
        self.get("overlay")
    }

    fn report(&self) -> Result<Report, HostError> {
        self.get("report")
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
