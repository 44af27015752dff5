//! Trickle ICE for WHIP (RFC 9725 §4.3, fragments as in RFC 8840): with an endpoint that takes
//! PATCHes, the offer leaves as soon as webrtcbin made it, and the candidates it finds
//! afterwards follow in `application/trickle-ice-sdpfrag` PATCHes to the session, the last
//! one closed by `a=end-of-candidates`. Gathering (a slow or unreachable STUN server, many
//! interfaces) then no longer holds up the start.

use super::signal::{self, PatchError};
use gst::prelude::*;
use kaibo_model::Secret;
use reqwest::blocking::Client;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Candidates webrtcbin announced (`on-ice-candidate`): (m-line index, `candidate:…`).
#[derive(Clone, Default)]
pub(crate) struct Candidates(Arc<Mutex<Vec<(u32, String)>>>);

impl Candidates {
    /// Starts collecting; call before the offer is created.
    pub fn watch(webrtc: &gst::Element) -> Self {
        let found = Self::default();
        let into = found.clone();
        webrtc.connect("on-ice-candidate", false, move |args| {
            let mline = args.get(1).and_then(|v| v.get::<u32>().ok());
            let text = args.get(2).and_then(|v| v.get::<String>().ok());
            if let (Some(mline), Some(text)) = (mline, text)
                && let Ok(mut all) = into.0.lock()
            {
                all.push((mline, text));
            }
            None
        });
        found
    }

    /// Those not in `sent`, which they join.
    fn take_unsent(&self, sent: &mut HashSet<String>) -> Vec<(u32, String)> {
        let all = self.0.lock().map(|a| a.clone()).unwrap_or_default();
        all.into_iter()
            .filter(|(_, c)| sent.insert(c.clone()))
            .collect()
    }
}

/// What a fragment repeats from the offer: the BUNDLE group, and per m-line its `m=` line,
/// `a=mid`, ICE username fragment and password.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fragment {
    group: Option<String>,
    sections: Vec<Section>,
}

#[derive(Debug, PartialEq, Eq)]
struct Section {
    mline: String,
    mid: Option<String>,
    ufrag: Option<String>,
    pwd: Option<String>,
}

impl Fragment {
    pub fn from_offer(sdp: &str) -> Option<Self> {
        let (mut group, mut sections) = (None, Vec::<Section>::new());
        let (mut session_ufrag, mut session_pwd) = (None, None);
        for line in sdp.lines().map(str::trim_end) {
            let value = |prefix: &str| line.strip_prefix(prefix).map(str::to_owned);
            if line.starts_with("m=") {
                sections.push(Section {
                    mline: line.to_owned(),
                    mid: None,
                    ufrag: None,
                    pwd: None,
                });
            } else if let Some(g) = value("a=group:BUNDLE") {
                group = Some(g.trim().to_owned());
            } else if let Some(section) = sections.last_mut() {
                if let Some(v) = value("a=mid:") {
                    section.mid = Some(v);
                } else if let Some(v) = value("a=ice-ufrag:") {
                    section.ufrag = Some(v);
                } else if let Some(v) = value("a=ice-pwd:") {
                    section.pwd = Some(v);
                }
            } else if let Some(v) = value("a=ice-ufrag:") {
                session_ufrag = Some(v);
            } else if let Some(v) = value("a=ice-pwd:") {
                session_pwd = Some(v);
            }
        }
        for section in &mut sections {
            section.ufrag = section.ufrag.take().or_else(|| session_ufrag.clone());
            section.pwd = section.pwd.take().or_else(|| session_pwd.clone());
        }
        (!sections.is_empty() && sections[0].ufrag.is_some()).then_some(Self { group, sections })
    }

    /// The fragment carrying `candidates` (by m-line index); `end` closes gathering.
    pub fn render(&self, candidates: &[(u32, String)], end: bool) -> String {
        let mut by_mline: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for (mline, candidate) in candidates {
            by_mline
                .entry(*mline as usize)
                .or_default()
                .push(candidate.trim_start_matches("a="));
        }
        if end {
            // The end of candidates is told on the first m-line (the bundle's transport).
            by_mline.entry(0).or_default();
        }
        let mut out = String::new();
        if let Some(group) = &self.group {
            out.push_str(&format!("a=group:BUNDLE {group}\r\n"));
        }
        for (index, lines) in by_mline {
            let Some(section) = self.sections.get(index) else {
                continue;
            };
            out.push_str(&section.mline);
            out.push_str("\r\n");
            for (name, value) in [
                ("mid", &section.mid),
                ("ice-ufrag", &section.ufrag),
                ("ice-pwd", &section.pwd),
            ] {
                if let Some(v) = value {
                    out.push_str(&format!("a={name}:{v}\r\n"));
                }
            }
            for candidate in lines {
                out.push_str(&format!("a={candidate}\r\n"));
            }
            if end && index == 0 {
                out.push_str("a=end-of-candidates\r\n");
            }
        }
        out
    }
}

/// The session a trickle runs against.
pub(crate) struct Session<'a> {
    pub client: &'a Client,
    pub location: &'a str,
    pub token: Option<&'a Secret>,
    pub etag: Option<&'a str>,
    /// For log lines (already redacted).
    pub target: &'a str,
}

impl<'a> Session<'a> {
    /// The session a successful POST created.
    pub fn of(
        client: &'a Client,
        published: &'a signal::Published,
        token: Option<&'a Secret>,
        target: &'a str,
    ) -> Self {
        Self {
            client,
            location: &published.location,
            token,
            etag: published.etag.as_deref(),
            target,
        }
    }
}

/// PATCHes the candidates found after the offer until gathering completes or `deadline`
/// passes (the last PATCH says `a=end-of-candidates`), or the link stops. Returns the
/// PATCHes taken.
pub(crate) fn send(
    session: &Session,
    webrtc: &gst::Element,
    offer: &str,
    candidates: &Candidates,
    stop: &AtomicBool,
    deadline: Duration,
) -> usize {
    let Some(fragment) = Fragment::from_offer(offer) else {
        log::warn!(
            "{}: the offer has no ICE credentials to trickle",
            session.target
        );
        return 0;
    };
    // What the offer already carries is not sent again.
    let mut sent: HashSet<String> = offer
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("a="))
        .filter(|l| l.starts_with("candidate:"))
        .map(str::to_owned)
        .collect();
    let until = Instant::now() + deadline;
    let mut taken = 0;
    loop {
        let complete = webrtc
            .property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state")
            == gst_webrtc::WebRTCICEGatheringState::Complete;
        if complete {
            // Candidates announced just before the state changed.
            std::thread::sleep(Duration::from_millis(20));
        }
        if stop.load(Ordering::SeqCst) {
            return taken;
        }
        // Past the deadline Kaibo stops waiting for candidates and says so.
        let last = complete || Instant::now() >= until;
        let new = candidates.take_unsent(&mut sent);
        if !new.is_empty() || last {
            let body = fragment.render(&new, last);
            let result = signal::patch(
                session.client,
                session.location,
                session.token,
                session.etag,
                &body,
            );
            match result {
                Ok(()) => taken += 1,
                Err(PatchError::Unsupported(code)) => {
                    log::info!(
                        "{}: the session does not take trickle ICE (HTTP {code}); the server finds Kaibo through its checks",
                        session.target
                    );
                    return taken;
                }
                Err(PatchError::Failed(why)) => {
                    log::warn!("{}: a trickle ICE update failed: {why}", session.target);
                    return taken;
                }
            }
        }
        if last {
            return taken;
        }
        std::thread::sleep(Duration::from_millis(40));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE video0 audio1\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:Uf0\r\na=ice-pwd:Pw0\r\na=mid:video0\r\n\
        a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:Uf0\r\na=ice-pwd:Pw0\r\na=mid:audio1\r\n";

    #[test]
    fn a_fragment_repeats_the_bundle_credentials_and_mid() {
        let fragment = Fragment::from_offer(OFFER).expect("credentials");
        let body = fragment.render(
            &[(
                0,
                "candidate:2 1 UDP 2015363071 10.0.0.2 40001 typ host".into(),
            )],
            true,
        );
        assert_eq!(
            body,
            "a=group:BUNDLE video0 audio1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video0\r\n\
             a=ice-ufrag:Uf0\r\na=ice-pwd:Pw0\r\na=candidate:2 1 UDP 2015363071 10.0.0.2 40001 typ host\r\n\
             a=end-of-candidates\r\n"
        );
        // Only the end of gathering: the first m-line, no candidate.
        let end = fragment.render(&[], true);
        assert!(
            end.ends_with("a=ice-pwd:Pw0\r\na=end-of-candidates\r\n"),
            "{end}"
        );
    }

    #[test]
    fn session_level_credentials_apply_to_every_m_line() {
        let offer =
            "v=0\r\na=ice-ufrag:S\r\na=ice-pwd:P\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n";
        let fragment = Fragment::from_offer(offer).expect("credentials");
        let body = fragment.render(
            &[(0, "a=candidate:9 1 UDP 1 1.2.3.4 5 typ host".into())],
            false,
        );
        assert!(body.contains("a=ice-ufrag:S\r\na=ice-pwd:P\r\n"), "{body}");
        assert!(body.contains("\r\na=candidate:9 1"), "{body}");
        assert!(!body.contains("end-of-candidates"));
        assert_eq!(Fragment::from_offer("v=0\r\nm=video 9 X 96\r\n"), None);
    }
}
