//! A TURN server (coturn) for WebRTC tests: relay candidates come from a real allocation,
//! with long-term credentials, on one of this machine's own addresses.

use crate::{TempDir, require_tool, terminate_child};
use std::net::{IpAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `turnserver` listening on `ip`, stopped on drop.
pub struct Turn {
    child: Child,
    ip: IpAddr,
    port: u16,
    _dir: TempDir,
}

impl Turn {
    pub const USER: &'static str = "kaibo";
    pub const PASSWORD: &'static str = "turn-secret-7d41c0";

    /// Starts coturn on `ip` (a non-loopback address: ICE agents gather nothing on loopback)
    /// and waits until its port is taken.
    pub fn start(ip: IpAddr) -> Turn {
        let turnserver = require_tool("turnserver", "coturn");
        let dir = TempDir::new();
        let port = free_udp_port(ip);
        let child = Command::new(turnserver)
            .arg("--no-cli")
            .arg("--no-tls")
            .arg("--no-dtls")
            .arg("--lt-cred-mech")
            .arg("--realm=kaibo.test")
            .arg(format!("--user={}:{}", Self::USER, Self::PASSWORD))
            .arg(format!("--listening-ip={ip}"))
            .arg(format!("--relay-ip={ip}"))
            .arg(format!("--listening-port={port}"))
            .arg("--min-port=50000")
            .arg("--max-port=50999")
            // The relay reaches peers on this machine's own addresses.
            .arg("--allow-loopback-peers")
            .arg("--cli-password=unused")
            .arg(format!(
                "--pidfile={}",
                dir.path().join("turn.pid").display()
            ))
            .arg(format!(
                "--log-file={}",
                dir.path().join("turn.log").display()
            ))
            .arg("--no-stdout-log")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnserver starts");
        let mut turn = Turn {
            child,
            ip,
            port,
            _dir: dir,
        };
        let started = Instant::now();
        while UdpSocket::bind((ip, port)).is_ok() {
            if let Ok(Some(status)) = turn.child.try_wait() {
                panic!("turnserver exited at start ({status})");
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "turnserver did not listen on {ip}:{port} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        turn
    }

    /// `turn:IP:PORT?transport=udp`.
    pub fn url(&self) -> String {
        format!("turn:{}:{}?transport=udp", self.ip, self.port)
    }

    /// The `Link` header value a WHIP endpoint gives for this server (RFC 9725 §4.6).
    pub fn link_header(&self) -> String {
        format!(
            "<{}>; rel=\"ice-server\"; username=\"{}\"; credential=\"{}\"; credential-type=\"password\"",
            self.url(),
            Self::USER,
            Self::PASSWORD
        )
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        terminate_child(&mut self.child, Duration::from_secs(3));
    }
}

/// A UDP port on `ip` that was free a moment ago.
fn free_udp_port(ip: IpAddr) -> u16 {
    UdpSocket::bind((ip, 0))
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free UDP port on {ip}: {e}"))
}

/// This machine's first IPv4 address that is not loopback (from `ip -4 -o addr`); panics
/// with what to do when there is none.
pub fn machine_ip() -> IpAddr {
    let ip = require_tool("ip", "iproute2");
    let out = Command::new(ip)
        .args(["-4", "-o", "addr", "show", "scope", "global"])
        .output()
        .expect("ip runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .filter_map(|cidr| cidr.split('/').next()?.parse::<IpAddr>().ok())
        .next()
        .unwrap_or_else(|| {
            panic!("this test needs a network interface with an IPv4 address besides loopback (ICE gathers nothing on loopback)")
        })
}
