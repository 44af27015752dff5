//! `kaibo probe` over real shaped links: the verdict against WeCom's 2 Mbit/s uplink, the
//! estimate against the link's goodput, and a recommendation that follows the link.

mod common;

use kaibo_testkit::{Nginx, ShapedLink};

/// Goodput through `tbf rate R` is about 95 % of R here (testing.md: 1.40–1.44 Mbit/s at 1500).
const GOODPUT_SHARE: f64 = 0.95;

/// Runs `kaibo probe --json` with `args`: exit code and report.
fn probe_json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = common::kaibo()
        .args(["probe", "--profile", "wecom", "--json"])
        .args(args)
        .output()
        .expect("kaibo runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

fn probe_at(rate_kbit: u32) -> (Option<i32>, serde_json::Value) {
    let link = ShapedLink::new(rate_kbit);
    let nginx = Nginx::start_behind(&link);
    probe_json(&["--to", &nginx.url("live", "probe")])
}

#[test]
fn probe_judges_narrow_fair_and_wide_links() {
    let (code, narrow) = probe_at(1500);
    assert_eq!(narrow["verdict"], "fail", "{narrow}");
    assert_eq!(code, Some(1));
    // How long it takes is the benchmark's business (`cargo xtask bench probe`).
    assert!(
        narrow["duration_s"].as_f64().is_some_and(|d| d > 0.0),
        "{narrow}"
    );
    let expected = 1500.0 * GOODPUT_SHARE;
    let measured = narrow["uplink_kbps"].as_f64().unwrap_or(0.0);
    assert!(
        (measured - expected).abs() / expected <= 0.15,
        "measured {measured} kbps through a 1500 kbit/s link"
    );
    assert_eq!(narrow["required_uplink_kbps"], 2000);

    // The narrow link could not carry what the probe sent: its queue grew.
    assert_eq!(narrow["link_saturated"], true, "{narrow}");
    let (code, fair) = probe_at(3000);
    assert_eq!(fair["verdict"], "pass", "{fair}");
    assert_eq!(code, Some(0));

    let (_, wide) = probe_at(8000);
    assert_eq!(wide["verdict"], "pass", "{wide}");
    // The wide one carried everything (3.3 Mbit/s): its capacity is at least that.
    assert_eq!(wide["link_saturated"], false, "{wide}");
    eprintln!("1500: {narrow}\n3000: {fair}\n8000: {wide}");
    let rec = |r: &serde_json::Value| r["recommended_video_kbps"].as_u64().unwrap_or(0);
    assert!(
        rec(&narrow) < rec(&fair) && rec(&fair) < rec(&wide),
        "{narrow}\n{fair}\n{wide}"
    );
    assert!(
        rec(&narrow) as f64 + 128.0 < expected,
        "the recommendation fits the narrow link: {narrow}"
    );
}

#[test]
fn probe_of_an_unreachable_server_says_so() {
    let out = common::kaibo()
        .args(["probe", "--json", "--to", "rtmp://127.0.0.1:1/live/key"])
        .output()
        .expect("kaibo runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn probe_measures_the_downlink_and_the_worse_direction_decides() {
    let link = ShapedLink::new(6000);
    link.shape_down(2000);
    let nginx = Nginx::start_behind(&link);
    let url = nginx.file_url("probe.bin", 8 * 1024 * 1024);
    let dl = nginx.url("live", "dl");
    let run = || probe_json(&["--download-url", &url, "--to", &dl]);
    let (code, narrow) = run();
    let down = narrow["downlink_kbps"].as_f64().unwrap_or(0.0);
    let expected = 2000.0 * GOODPUT_SHARE;
    assert!(
        (down - expected).abs() / expected <= 0.15,
        "downlink {down} kbps through a 2000 kbit/s link: {narrow}"
    );
    assert_eq!(
        narrow["verdict"], "fail",
        "the uplink passes, the 4 Mbit/s downlink does not: {narrow}"
    );
    assert_eq!(code, Some(1));
    link.shape_down(8000);
    let (code, wide) = run();
    assert!(
        wide["downlink_kbps"].as_f64().unwrap_or(0.0) > 4400.0,
        "{wide}"
    );
    assert_eq!(wide["verdict"], "pass", "{wide}");
    assert_eq!(code, Some(0));
}

#[test]
fn the_downlink_is_measured_over_https_and_an_untrusted_certificate_is_named() {
    let link = ShapedLink::new(6000);
    link.shape_down(3000);
    let nginx = Nginx::start_behind(&link);
    let url = nginx.https_file_url("probe.bin", 8 * 1024 * 1024);
    let dl = nginx.url("live", "dl");
    let probe = |trust: Option<&std::path::Path>| {
        let mut c = common::kaibo();
        c.args(["probe", "--profile", "wecom", "--json"]).args([
            "--download-url",
            &url,
            "--to",
            &dl,
        ]);
        // OpenSSL reads the certificates to trust from SSL_CERT_FILE.
        if let Some(cert) = trust {
            c.env("SSL_CERT_FILE", cert);
        }
        c.output().expect("kaibo runs")
    };
    let out = probe(Some(&nginx.certificate()));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let down = report["downlink_kbps"].as_f64().unwrap_or(0.0);
    let expected = 3000.0 * GOODPUT_SHARE;
    assert!(
        (down - expected).abs() / expected <= 0.15,
        "downlink {down} kbps over HTTPS through a 3000 kbit/s link: {report}"
    );
    // With the system's certificates only, the host is told what is wrong.
    let out = probe(None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("certificate is not trusted"), "{stderr}");
}

#[test]
fn probe_against_a_hub_measures_both_directions() {
    let link = ShapedLink::new(1500);
    link.shape_down(8000);
    let hub = common::HubProcess::start(Some(link.namespace()), &link.far_ip);
    let run = || probe_json(&["--hub", &hub.url, "--hub-token", &hub.token]);
    let kbps = |r: &serde_json::Value, k: &str| r[k].as_f64().unwrap_or(0.0);
    let within = |got: f64, link: f64| {
        let expected = link * GOODPUT_SHARE;
        (got - expected).abs() / expected <= 0.15
    };

    // A narrow uplink, a wide downlink.
    let (code, narrow_up) = run();
    assert!(
        within(kbps(&narrow_up, "uplink_kbps"), 1500.0),
        "uplink through 1500 kbit/s: {narrow_up}"
    );
    assert!(kbps(&narrow_up, "downlink_kbps") > 4400.0, "{narrow_up}");
    assert_eq!(narrow_up["link_saturated"], true, "{narrow_up}");
    assert_eq!(narrow_up["verdict"], "fail", "{narrow_up}");
    assert_eq!(code, Some(1));
    // The connection's own smallest round trip (tens of µs on a veth pair).
    assert!(narrow_up["rtt_ms"].is_number(), "{narrow_up}");
    assert!(!narrow_up.to_string().contains(&hub.token));

    // A fair uplink, a downlink under WeCom's 4 Mbit/s.
    link.set_rate(3000);
    link.shape_down(3000);
    let (code, narrow_down) = run();
    assert!(
        kbps(&narrow_down, "uplink_kbps") > 2200.0,
        "uplink through 3000 kbit/s: {narrow_down}"
    );
    assert!(
        within(kbps(&narrow_down, "downlink_kbps"), 3000.0),
        "downlink through 3000 kbit/s: {narrow_down}"
    );
    assert_eq!(narrow_down["verdict"], "fail", "{narrow_down}");
    assert_eq!(code, Some(1));
    eprintln!("up 1500/down 8000: {narrow_up}\nup 3000/down 3000: {narrow_down}");

    // A wrong token is named as such, and no token is printed.
    let out = common::kaibo()
        .args([
            "probe",
            "--hub",
            &hub.url,
            "--hub-token",
            "not-the-hub-token-at-all",
        ])
        .output()
        .expect("kaibo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused the host token"), "{stderr}");
    assert!(!stderr.contains("not-the-hub-token-at-all"), "{stderr}");

    // A web server that is not a Kaibo hub (or an older one) is named as such.
    let web = Nginx::start();
    let files = web.file_url("x", 1);
    let base = files.trim_end_matches("/files/x");
    let out = common::kaibo()
        .args(["probe", "--hub", base, "--hub-token", &hub.token])
        .output()
        .expect("kaibo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("has no link test"), "{stderr}");
}
