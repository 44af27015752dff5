//! The link and the destination: the probe's figures against the platform's requirement, and
//! what the test publish said about the server and the key.

use crate::{CheckItem, CheckStatus, Language};
use kaibo_model::FailureKind;
use kaibo_model::Tr;
use kaibo_model::checklist::ids;
use kaibo_model::probe_report::{ProbeReport, Verdict, judge};

/// Round trips up to this are fine for a live stream.
const RTT_GOOD_MS: f64 = 100.0;
/// Round trips above this make the start slow and reconnects long.
const RTT_BAD_MS: f64 = 300.0;

fn status_of(v: Verdict) -> CheckStatus {
    match v {
        Verdict::Pass => CheckStatus::Pass,
        Verdict::Warn => CheckStatus::Warn,
        Verdict::Fail => CheckStatus::Fail,
    }
}

/// `network.uplink`, `network.downlink` and `network.rtt` from a probe.
pub fn evaluate_probe(report: &ProbeReport, lang: Language) -> Vec<CheckItem> {
    let up = status_of(judge(report.uplink_kbps, report.required_uplink_kbps));
    let up_hint = match (up, lang) {
        (CheckStatus::Pass, _) => Tr(lang)
            .t("The uplink is sufficient.", "上行带宽充足。")
            .to_owned(),
        (_, Language::Zh) => format!(
            "上行带宽不足 {} kbps：改用有线网络、靠近路由器、暂停其他上传；或把视频码率降到 {} kbps。",
            report.required_uplink_kbps, report.recommended_video_kbps
        ),
        (_, Language::En) => format!(
            "The uplink is short of {} kbps: use a wired connection, move closer to the router, pause other uploads, or lower the video bitrate to {} kbps.",
            report.required_uplink_kbps, report.recommended_video_kbps
        ),
    };
    let mut items = vec![CheckItem::new(
        ids::NETWORK_UPLINK,
        up,
        format!(
            "{:.0} kbps (needs {})",
            report.uplink_kbps, report.required_uplink_kbps
        ),
        up_hint,
    )];
    items.push(match report.downlink_kbps {
        Some(down) => {
            let s = status_of(judge(down, report.required_downlink_kbps));
            let hint = if s == CheckStatus::Pass {
                Tr(lang).t("The downlink is sufficient.", "下行带宽充足。").to_owned()
            } else {
                Tr(lang).t("The downlink is short: interactions and the return feed will stall. Pause downloads and video, or use a wired connection.", "下行带宽不足：观众互动和回看会卡顿。暂停下载和视频播放，或改用有线网络。").to_owned()
            };
            CheckItem::new(
                ids::NETWORK_DOWNLINK,
                s,
                format!("{down:.0} kbps (needs {})", report.required_downlink_kbps),
                hint,
            )
        }
        None => CheckItem::new(
            ids::NETWORK_DOWNLINK,
            CheckStatus::Warn,
            format!("not measured (needs {})", report.required_downlink_kbps),
            Tr(lang).t("The downlink was not measured: give --download-url with a large file's http:// address.", "未测下行：用 --download-url 指定一个较大的文件地址来测量。").to_owned(),
        ),
    });
    items.push(match report.rtt_ms {
        Some(rtt) => {
            let s = if rtt <= RTT_GOOD_MS {
                CheckStatus::Pass
            } else if rtt <= RTT_BAD_MS {
                CheckStatus::Warn
            } else {
                CheckStatus::Fail
            };
            let hint = if s == CheckStatus::Pass {
                Tr(lang).t("The round trip to the server is fine.", "到服务器的延迟正常。").to_owned()
            } else {
                Tr(lang).t("The round trip to the server is long: use a wired connection, turn off VPNs/proxies, or pick a nearer ingest server.", "到推流服务器的延迟高：改用有线网络，关闭 VPN/代理，或选择更近的推流节点。").to_owned()
            };
            CheckItem::new(ids::NETWORK_RTT, s, format!("{rtt:.1} ms"), hint)
        }
        None => CheckItem::new(
            ids::NETWORK_RTT,
            CheckStatus::Warn,
            "not measured",
            Tr(lang).t("The round trip could not be measured (connections were refused or timed out).", "无法测量延迟（连接被拒绝或超时）。").to_owned(),
        ),
    });
    items
}

/// What a test publish to the destination found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestinationOutcome {
    /// The server took the connection and the key; the stream was unpublished at once.
    Accepted { target: String },
    /// The publish failed; `message` is the engine's sentence (secrets removed).
    Failed {
        target: String,
        kind: FailureKind,
        message: String,
    },
}

/// The `destination` item.
pub fn evaluate_destination(outcome: &DestinationOutcome, lang: Language) -> CheckItem {
    match outcome {
        DestinationOutcome::Accepted { target } => CheckItem::new(
            ids::DESTINATION,
            CheckStatus::Pass,
            format!("{target}: accepted"),
            Tr(lang)
                .t(
                    "The server is reachable and accepts the key.",
                    "服务器可达，推流码有效。",
                )
                .to_owned(),
        ),
        DestinationOutcome::Failed {
            target,
            kind,
            message,
        } => {
            let (zh, en) = match kind {
                FailureKind::HostNotFound => (
                    "找不到服务器（域名解析失败）：检查推流地址是否抄错，检查网络和 DNS。",
                    "The server's name does not resolve (DNS): check the push URL for typos and check the network and DNS.",
                ),
                FailureKind::ConnectionRefused => (
                    "服务器拒绝连接：检查推流地址中的主机和端口，确认直播间已创建。",
                    "The server refused the connection: check the host and port in the push URL and that the live room exists.",
                ),
                FailureKind::Timeout => (
                    "服务器无响应：检查网络、防火墙或代理设置。",
                    "The server did not answer: check the network, firewall and proxy.",
                ),
                FailureKind::KeyRejected => (
                    "服务器拒绝了推流码：推流码可能已过期或正被其他设备使用，请从平台重新复制推流地址。",
                    "The server rejected the stream key: it may have expired or be in use by another encoder; copy a fresh push URL from the platform.",
                ),
                FailureKind::EndpointRejected => (
                    "服务器不接受这个推流地址或格式：从平台重新复制 WHIP 地址。",
                    "The server does not take this endpoint or format: copy the WHIP URL from the platform again.",
                ),
                FailureKind::IceFailed => (
                    "服务器接受了推流，但 WebRTC 媒体通道没有打通：多半是防火墙挡住了 UDP。放行 UDP，或向平台要 TURN 服务器。",
                    "The server took the stream but no WebRTC media path opened: UDP is likely blocked by a firewall. Allow UDP, or ask the platform for a TURN server.",
                ),
                FailureKind::MissingComponent => (
                    "缺少组件，无法测试推流：按提示安装后重试。",
                    "A component is missing, so the publish could not be tested: install it as the message says.",
                ),
                _ if message.to_ascii_lowercase().contains("tls") => (
                    "TLS（rtmps）握手失败：检查地址是 rtmps:// 还是 rtmp://，以及系统证书。",
                    "The TLS (rtmps) handshake failed: check whether the URL is rtmps:// or rtmp:// and the system's certificates.",
                ),
                _ => (
                    "测试推流失败：检查推流地址和网络后重试。",
                    "The test publish failed: check the push URL and the network, then try again.",
                ),
            };
            CheckItem::new(
                ids::DESTINATION,
                CheckStatus::Fail,
                format!("{target}: {message}"),
                Tr(lang).t(en, zh).to_owned(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(up: f64, down: Option<f64>, rtt: Option<f64>) -> ProbeReport {
        ProbeReport {
            uplink_kbps: up,
            link_saturated: Some(true),
            downlink_kbps: down,
            rtt_ms: rtt,
            retransmit_pct: None,
            verdict: Verdict::Pass,
            required_uplink_kbps: 2000,
            required_downlink_kbps: 4000,
            recommended_video_kbps: 900,
            duration_s: 4.0,
        }
    }

    #[test]
    fn probe_figures_are_judged_against_the_profile() {
        let items = evaluate_probe(&report(1400.0, Some(9000.0), Some(20.0)), Language::En);
        let s: Vec<_> = items.iter().map(|i| (i.id.as_str(), i.status)).collect();
        assert_eq!(
            s,
            vec![
                ("network.uplink", CheckStatus::Fail),
                ("network.downlink", CheckStatus::Pass),
                ("network.rtt", CheckStatus::Pass)
            ]
        );
        assert!(items[0].hint.contains("900 kbps"), "{}", items[0].hint);
        let items = evaluate_probe(&report(3000.0, None, Some(400.0)), Language::Zh);
        assert_eq!(items[1].status, CheckStatus::Warn);
        assert_eq!(items[2].status, CheckStatus::Fail);
    }

    #[test]
    fn each_failure_kind_gets_its_own_advice() {
        let failed = |kind| DestinationOutcome::Failed {
            target: "rtmp://h/live/****".into(),
            kind,
            message: "m".into(),
        };
        let key = evaluate_destination(&failed(FailureKind::KeyRejected), Language::Zh);
        let dns = evaluate_destination(&failed(FailureKind::HostNotFound), Language::Zh);
        assert_eq!(key.status, CheckStatus::Fail);
        assert!(key.hint.contains("推流码") && dns.hint.contains("DNS"));
    }
}
