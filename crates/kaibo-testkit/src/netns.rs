//! A shaped link to a test host: a network namespace joined to this one by a veth pair, with
//! a token-bucket (`tc tbf`) on the sending side. Addresses come from 198.18.0.0/15, the
//! benchmarking range; the namespace (and the veth pair with it) is deleted on drop.

use crate::require_tool;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A shaped link from here (`host_ip`) to a namespace (`far_ip`).
pub struct ShapedLink {
    ns: String,
    host_if: String,
    far_if: String,
    /// This side's address.
    pub host_ip: String,
    /// The test host's address, inside the namespace.
    pub far_ip: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip runs");
    assert!(
        out.status.success(),
        "`ip {}` failed: {} (the tests need root and iproute2: run `cargo xtask test`)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tc(args: &[&str]) {
    let out = Command::new("tc").args(args).output().expect("tc runs");
    assert!(
        out.status.success(),
        "`tc {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl ShapedLink {
    /// Creates the namespace and the link, shaped to `rate_kbit` from here to there.
    pub fn new(rate_kbit: u32) -> ShapedLink {
        require_tool("ip", "iproute2");
        require_tool("tc", "iproute2");
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        // A /30 per link, spread over 198.18.0.0/16 by pid and counter.
        let slot = (std::process::id().wrapping_mul(31).wrapping_add(n * 7)) % 16_000;
        let (a, b) = (slot / 64, (slot % 64) * 4);
        let tag = format!("{:x}{n}", std::process::id());
        let link = ShapedLink {
            ns: format!("kb{tag}"),
            host_if: format!("kh{tag}"),
            far_if: format!("kf{tag}"),
            host_ip: format!("198.18.{a}.{}", b + 1),
            far_ip: format!("198.18.{a}.{}", b + 2),
        };
        let far_if = link.far_if.clone();
        ip(&["netns", "add", &link.ns]);
        ip(&[
            "link",
            "add",
            &link.host_if,
            "type",
            "veth",
            "peer",
            "name",
            &far_if,
        ]);
        ip(&["link", "set", &far_if, "netns", &link.ns]);
        ip(&[
            "addr",
            "add",
            &format!("{}/30", link.host_ip),
            "dev",
            &link.host_if,
        ]);
        ip(&[
            "-n",
            &link.ns,
            "addr",
            "add",
            &format!("{}/30", link.far_ip),
            "dev",
            &far_if,
        ]);
        ip(&["link", "set", &link.host_if, "up"]);
        ip(&["-n", &link.ns, "link", "set", &far_if, "up"]);
        ip(&["-n", &link.ns, "link", "set", "lo", "up"]);
        link.shape("add", rate_kbit);
        link
    }

    fn shape(&self, verb: &str, rate_kbit: u32) {
        let rate = format!("{rate_kbit}kbit");
        tc(&[
            "qdisc",
            verb,
            "dev",
            &self.host_if,
            "root",
            "tbf",
            "rate",
            &rate,
            "burst",
            "32kbit",
            "latency",
            "100ms",
        ]);
    }

    /// Changes the rate from here to there, at once.
    pub fn set_rate(&self, rate_kbit: u32) {
        self.shape("change", rate_kbit);
    }

    /// Shapes the other direction too (there to here: the downlink), to `rate_kbit`.
    pub fn shape_down(&self, rate_kbit: u32) {
        let rate = format!("{rate_kbit}kbit");
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns,
                "tc",
                "qdisc",
                "replace",
                "dev",
                &self.far_if,
                "root",
                "tbf",
            ])
            .args(["rate", &rate, "burst", "32kbit", "latency", "100ms"])
            .output()
            .expect("tc runs");
        assert!(
            out.status.success(),
            "tc in {} failed: {}",
            self.ns,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The namespace's name, for `ip netns exec`.
    pub fn namespace(&self) -> &str {
        &self.ns
    }
}

impl Drop for ShapedLink {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
        // Deleting the namespace took the veth pair with it; this only mops up after a
        // half-made link, so its "Cannot find device" is not shown.
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .stderr(std::process::Stdio::null())
            .status();
    }
}
