//! The shared link lifecycle driven by a scripted protocol: with RTMP's policy (`Fake<true>`)
//! and WHIP's (`Fake<false>`).

use super::*;
use std::collections::VecDeque;

#[derive(Default)]
struct Fake<const RTMP: bool> {
    open: bool,
    connects: u32,
    fail_connect: bool,
    script: VecDeque<Happening>,
    lost_drops: u32,
    closes: u32,
}

impl<const RTMP: bool> LinkProtocol for Fake<RTMP> {
    const POLICY: Policy = if RTMP {
        Policy {
            kind: OutputKind::Rtmp,
            confirm_after: Duration::from_secs(3),
            reconnecting_until_live: true,
            eos_through_link: true,
            unrecovered_fails: true,
            failed_restart: None,
        }
    } else {
        Policy {
            kind: OutputKind::Whip,
            confirm_after: Duration::ZERO,
            reconnecting_until_live: false,
            eos_through_link: false,
            unrecovered_fails: false,
            failed_restart: Some("the new link did not start"),
        }
    };

    fn connect(&mut self, _: &OutputLabel, _: &Tap, _: &Timeline) -> Result<(), MediaError> {
        if self.fail_connect {
            return Err(MediaError::State("no link".into()));
        }
        self.connects += 1;
        self.open = true;
        Ok(())
    }

    fn follow(
        &mut self,
        _: &OutputLabel,
        _: Status,
        _: &dyn Fn(&str) -> String,
    ) -> Option<Happening> {
        self.script.pop_front()
    }

    fn drop_lost(&mut self, _: &OutputLabel, _: &Tap) {
        self.lost_drops += 1;
        self.open = false;
    }

    fn close(&mut self, _: &OutputLabel, _: &Tap) {
        self.closes += 1;
        self.open = false;
    }

    fn is_open(&self) -> bool {
        self.open
    }

    fn bytes(&self) -> u64 {
        0
    }
}

fn started<const RTMP: bool>() -> Link<Fake<RTMP>> {
    crate::init().expect("GStreamer");
    let label = OutputLabel {
        target: "rtmp://server/app/****".into(),
        host_port: "server:1935".into(),
        is_rtmp: true,
    };
    let mut link = Link::new(label, Tap::detached(), Fake::<RTMP>::default());
    let timeline = Timeline {
        clock: gst::SystemClock::obtain(),
        base_time: gst::ClockTime::ZERO,
    };
    link.start(&timeline).expect("connects");
    link
}

fn trouble(retry: bool) -> Happening {
    Happening::Trouble(Trouble {
        error: MediaError::State("the server closed the connection".into()),
        retry,
        reason: "the connection was lost".into(),
        cause: "connection reset".into(),
    })
}

fn no_secrets(text: &str) -> String {
    text.to_owned()
}

/// Live, and (with RTMP's policy) connected long enough ago to be confirmed.
fn confirmed<const RTMP: bool>(link: &mut Link<Fake<RTMP>>) {
    link.connected_at = Some(Instant::now() - Duration::from_secs(4));
    link.protocol.script.push_back(Happening::Live);
    assert!(link.service(&no_secrets).is_none());
    assert_eq!(link.state(), OutputState::Live);
    assert!(link.ever_live);
}

#[test]
fn trouble_before_the_link_was_confirmed_fails_it_for_good() {
    let mut link = started::<true>();
    link.protocol.script.push_back(Happening::Live);
    assert!(link.service(&no_secrets).is_none());
    assert_eq!(link.state(), OutputState::Live);
    assert!(!link.ever_live, "RTMP confirms a connection only after 3 s");
    link.protocol.script.push_back(trouble(true));
    let event = link.service(&no_secrets);
    assert!(
        matches!(event, Some(EngineEvent::OutputFailed { .. })),
        "{event:?}"
    );
    assert_eq!(link.state(), OutputState::Failed);
    assert_eq!((link.protocol.closes, link.protocol.lost_drops), (1, 0));
    assert!(link.ended());
}

#[test]
fn a_confirmed_link_that_drops_is_retried_with_backoff() {
    let mut link = started::<true>();
    confirmed(&mut link);
    link.protocol.script.push_back(trouble(true));
    let Some(EngineEvent::Reconnecting {
        attempt,
        in_s,
        reason,
        ..
    }) = link.service(&no_secrets)
    else {
        panic!("no reconnection");
    };
    assert_eq!((attempt, reason.as_str()), (1, "the connection was lost"));
    assert!((0.225..=0.275).contains(&in_s), "first retry in {in_s} s");
    assert_eq!(link.state(), OutputState::Reconnecting);
    assert_eq!(link.protocol.lost_drops, 1);
    // Not due yet: nothing happens.
    assert!(link.service(&no_secrets).is_none());
    assert_eq!(link.protocol.connects, 1);
    link.retry_at = Some(Instant::now());
    assert!(link.service(&no_secrets).is_none());
    assert_eq!((link.protocol.connects, link.reconnects()), (2, 1));
    assert_eq!(
        link.state(),
        OutputState::Reconnecting,
        "RTMP reads as reconnecting until live again"
    );
    link.protocol.script.push_back(Happening::Live);
    assert!(link.service(&no_secrets).is_none());
    assert_eq!((link.state(), link.attempt), (OutputState::Live, 0));
}

#[test]
fn whip_confirms_at_once_and_reads_as_connecting_while_it_reconnects() {
    let mut link = started::<false>();
    link.protocol.script.push_back(Happening::Live);
    assert!(link.service(&no_secrets).is_none());
    assert!(link.ever_live);
    link.protocol.script.push_back(trouble(true));
    assert!(matches!(
        link.service(&no_secrets),
        Some(EngineEvent::Reconnecting { attempt: 1, .. })
    ));
    link.retry_at = Some(Instant::now());
    assert!(link.service(&no_secrets).is_none());
    assert_eq!(link.state(), OutputState::Connecting);
}

#[test]
fn trouble_that_another_connection_cannot_fix_fails_a_live_link() {
    let mut link = started::<true>();
    confirmed(&mut link);
    link.protocol.script.push_back(trouble(false));
    assert!(matches!(
        link.service(&no_secrets),
        Some(EngineEvent::OutputFailed { .. })
    ));
    assert_eq!(link.state(), OutputState::Failed);
}

#[test]
fn a_restart_that_cannot_be_built_is_retried_quietly_or_announced() {
    let mut rtmp = started::<true>();
    confirmed(&mut rtmp);
    rtmp.protocol.script.push_back(trouble(true));
    rtmp.service(&no_secrets);
    rtmp.protocol.fail_connect = true;
    rtmp.retry_at = Some(Instant::now());
    assert!(rtmp.service(&no_secrets).is_none());
    assert_eq!((rtmp.attempt, rtmp.reconnects()), (2, 1));
    assert!(rtmp.retry_at.is_some());

    let mut whip = started::<false>();
    confirmed(&mut whip);
    whip.protocol.script.push_back(trouble(true));
    whip.service(&no_secrets);
    whip.protocol.fail_connect = true;
    whip.retry_at = Some(Instant::now());
    let Some(EngineEvent::Reconnecting {
        attempt, reason, ..
    }) = whip.service(&no_secrets)
    else {
        panic!("the failed restart was not announced");
    };
    assert_eq!(attempt, 2);
    assert!(reason.starts_with("the new link did not start"), "{reason}");
}

#[test]
fn a_link_stopped_while_waiting_stays_stopped() {
    let mut link = started::<true>();
    confirmed(&mut link);
    link.protocol.script.push_back(trouble(true));
    link.service(&no_secrets);
    let unrecovered = link
        .unrecovered()
        .expect("RTMP reports a link that never came back");
    assert!(
        unrecovered.to_string().contains("connection reset"),
        "{unrecovered}"
    );
    link.shutdown();
    link.retry_at = Some(Instant::now());
    assert!(link.service(&no_secrets).is_none());
    assert_eq!(link.protocol.connects, 1);
    assert_eq!(link.state(), OutputState::Stopped);
}

#[test]
fn the_end_of_stream_goes_through_rtmp_and_ends_whip_at_the_tap() {
    let mut rtmp = started::<true>();
    rtmp.tap
        .feed
        .ended
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(!rtmp.ended(), "RTMP waits for its server");
    rtmp.protocol.script.push_back(Happening::Ended);
    assert!(rtmp.service(&no_secrets).is_none());
    assert!(rtmp.ended());
    assert_eq!(rtmp.state(), OutputState::Stopped);

    let whip = started::<false>();
    assert!(!whip.ended());
    whip.tap
        .feed
        .ended
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(whip.ended());
    assert!(whip.unrecovered().is_none());
}
