//! An nginx-rtmp server owned by a test.

use crate::{TempDir, free_port, require_tool, terminate_child};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RTMP_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
const START_TIMEOUT: Duration = Duration::from_secs(10);
const ATTEMPTS: usize = 3;

/// An nginx-rtmp server on 127.0.0.1 (or behind a shaped link), stopped on drop.
///
/// RTMP applications: `live` (records every stream to `rec/`), `deny` (publishing denied),
/// `hook` (`on_publish` answered with 403). HTTP: `/stat` (rtmp_stat XML) and `/deny` (403).
#[derive(Debug)]
pub struct Nginx {
    child: Option<Child>,
    /// Where it listens: 127.0.0.1, or a test host's address inside `netns`.
    listen_ip: String,
    netns: Option<String>,
    rtmp_port: u16,
    http_port: u16,
    /// HTTPS with a self-signed certificate for `listen_ip` ([`Nginx::certificate`]).
    https_port: u16,
    dir: TempDir,
}

/// Why one start attempt failed.
enum StartError {
    /// Another process took a port between `free_port` and nginx's bind.
    PortTaken,
    /// Anything else: the message ends the test.
    Fatal(String),
}

impl Nginx {
    /// Starts nginx-rtmp on free ports and waits until the RTMP port accepts connections.
    pub fn start() -> Nginx {
        Self::start_at("127.0.0.1", None)
    }

    /// Starts nginx-rtmp on the far end of a shaped link (inside its namespace).
    pub fn start_behind(link: &crate::ShapedLink) -> Nginx {
        Self::start_at(&link.far_ip, Some(link.namespace()))
    }

    fn start_at(listen_ip: &str, netns: Option<&str>) -> Nginx {
        let nginx = require_tool("nginx", "nginx libnginx-mod-rtmp");
        assert!(
            Path::new(RTMP_MODULE).exists(),
            "{RTMP_MODULE} is missing: run `cargo xtask test` (installs test components) or `apt-get install libnginx-mod-rtmp`"
        );
        let dir = TempDir::new();
        let rec = dir.path().join("rec");
        std::fs::create_dir(&rec).expect("create nginx rec dir");
        std::fs::set_permissions(&rec, std::fs::Permissions::from_mode(0o777))
            .expect("chmod nginx rec dir");
        std::fs::create_dir(dir.path().join("tmp")).expect("create nginx tmp dir");
        std::fs::create_dir(dir.path().join("files")).expect("create nginx files dir");
        let mut server = Nginx {
            child: None,
            listen_ip: listen_ip.to_owned(),
            netns: netns.map(str::to_owned),
            rtmp_port: 0,
            http_port: 0,
            https_port: 0,
            dir,
        };
        server.make_certificate();
        for attempt in 1..=ATTEMPTS {
            server.rtmp_port = free_port();
            server.http_port = loop {
                let p = free_port();
                if p != server.rtmp_port {
                    break p;
                }
            };
            server.https_port = loop {
                let p = free_port();
                if p != server.rtmp_port && p != server.http_port {
                    break p;
                }
            };
            match server.try_start(&nginx) {
                Ok(()) => return server,
                Err(StartError::PortTaken) if attempt < ATTEMPTS => server.stop(),
                Err(StartError::PortTaken) => {
                    server.stop();
                    panic!(
                        "nginx could not bind free ports {ATTEMPTS} times:\n{}",
                        server.log_text()
                    )
                }
                Err(StartError::Fatal(why)) => {
                    server.stop();
                    panic!("nginx did not start: {why}\n{}", server.log_text())
                }
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// Starts a stopped server again on the same ports (the outage test's "server is back").
    pub fn restart(&mut self) {
        let nginx = require_tool("nginx", "nginx libnginx-mod-rtmp");
        self.stop();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.try_start(&nginx) {
                Ok(()) => return,
                Err(StartError::PortTaken) if Instant::now() < deadline => {
                    self.stop();
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => {
                    self.stop();
                    let why = match e {
                        StartError::PortTaken => "its ports were taken".to_owned(),
                        StartError::Fatal(why) => why,
                    };
                    panic!("nginx did not restart: {why}\n{}", self.log_text())
                }
            }
        }
    }

    fn try_start(&mut self, nginx: &Path) -> Result<(), StartError> {
        let dir = self.dir.path();
        for log in ["error.log", "access.log", "stderr.log", "nginx.pid"] {
            let _ = std::fs::remove_file(dir.join(log));
        }
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, self.config()).expect("write nginx.conf");
        let stderr = File::create(dir.join("stderr.log")).expect("create nginx stderr.log");
        let mut command = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(nginx);
                c
            }
            None => Command::new(nginx),
        };
        let child = command
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| StartError::Fatal(format!("cannot run {}: {e}", nginx.display())))?;
        let pid = child.id();
        self.child = Some(child);
        let listen: Ipv4Addr = self.listen_ip.parse().expect("an IPv4 listen address");
        let rtmp = SocketAddr::from((listen, self.rtmp_port));
        let start = Instant::now();
        loop {
            let errors = self.read("error.log") + &self.read("stderr.log");
            if errors.contains("Address already in use") {
                return Err(StartError::PortTaken);
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                return Err(StartError::Fatal(format!("nginx exited with {status}")));
            }
            // nginx writes its pid file only after binding every listening socket, so a
            // connection that succeeds after that reached this nginx and not a stranger.
            let pid_written = self.read("nginx.pid").trim() == pid.to_string();
            if pid_written && TcpStream::connect_timeout(&rtmp, Duration::from_millis(200)).is_ok()
            {
                return Ok(());
            }
            if start.elapsed() > START_TIMEOUT {
                return Err(StartError::Fatal(format!(
                    "RTMP port {} not accepting after {START_TIMEOUT:?}",
                    self.rtmp_port
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn config(&self) -> String {
        let dir = self.dir.path().display();
        let user = if effective_uid() == Some(0) {
            "user root;\n"
        } else {
            ""
        };
        let (ip, rtmp, http, https) = (
            &self.listen_ip,
            self.rtmp_port,
            self.http_port,
            self.https_port,
        );
        format!(
            r#"load_module {RTMP_MODULE};
daemon off;
worker_processes 1;
{user}pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 256; }}
rtmp {{
    server {{
        listen {ip}:{rtmp};
        application live {{
            live on;
            record all;
            record_path {dir}/rec;
            record_unique on;
        }}
        application deny {{
            live on;
            deny publish all;
        }}
        application hook {{
            live on;
            on_publish http://{ip}:{http}/deny;
        }}
    }}
}}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    server {{
        listen {ip}:{http};
        location /stat {{ rtmp_stat all; }}
        location /deny {{ return 403; }}
        location /files/ {{ alias {dir}/files/; }}
    }}
    server {{
        listen {ip}:{https} ssl;
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        location /files/ {{ alias {dir}/files/; }}
    }}
}}
"#
        )
    }

    /// The RTMP port on 127.0.0.1.
    pub fn rtmp_port(&self) -> u16 {
        self.rtmp_port
    }

    /// The HTTP port on 127.0.0.1 (`/stat`, `/deny`).
    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The server's directory (config, logs, `rec/`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The nginx master process id (None once stopped).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A self-signed certificate (and key) for `listen_ip`, for the HTTPS server.
    fn make_certificate(&self) {
        let openssl = require_tool("openssl", "openssl");
        let dir = self.dir.path();
        let ok = std::process::Command::new(openssl)
            .args(["req", "-x509", "-nodes", "-days", "2", "-newkey", "ec"])
            .args(["-pkeyopt", "ec_paramgen_curve:prime256v1", "-subj"])
            .arg(format!("/CN={}", self.listen_ip))
            .arg("-addext")
            .arg(format!("subjectAltName=IP:{}", self.listen_ip))
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "openssl could not make a test certificate");
    }

    /// The HTTPS server's certificate (PEM): trusted by a client run with
    /// `SSL_CERT_FILE` set to it.
    pub fn certificate(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// Like [`Nginx::file_url`], over HTTPS.
    pub fn https_file_url(&self, name: &str, bytes: usize) -> String {
        let http = self.file_url(name, bytes);
        let path = http.split_once("/files/").map_or("", |(_, p)| p).to_owned();
        format!(
            "https://{}:{}/files/{path}",
            self.listen_ip, self.https_port
        )
    }

    /// Serves a file of `bytes` bytes over HTTP (a download to measure a downlink with).
    pub fn file_url(&self, name: &str, bytes: usize) -> String {
        let path = self.dir.path().join("files").join(name);
        std::fs::write(&path, vec![0x5au8; bytes]).expect("write the served file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .expect("chmod served file");
        format!("http://{}:{}/files/{name}", self.listen_ip, self.http_port)
    }

    /// `rtmp://127.0.0.1:<port>/<app>/<key>`.
    pub fn url(&self, app: &str, key: &str) -> String {
        format!("rtmp://{}:{}/{app}/{key}", self.listen_ip, self.rtmp_port)
    }

    /// The `.flv` recordings in `rec/`, sorted by name.
    pub fn recordings(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("rec"))
            .expect("read nginx rec dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "flv"))
            .collect();
        files.sort();
        files
    }

    /// The body of `GET /stat` (rtmp_stat XML).
    pub fn stat_xml(&self) -> String {
        let listen: Ipv4Addr = self.listen_ip.parse().expect("an IPv4 listen address");
        let addr = SocketAddr::from((listen, self.http_port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .expect("connect to nginx /stat");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("set read timeout");
        stream
            .write_all(b"GET /stat HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .expect("send /stat request");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .expect("read /stat response");
        let response = String::from_utf8_lossy(&response);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status_ok = head
            .lines()
            .next()
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("200"));
        assert!(status_ok, "GET /stat failed:\n{head}\n{}", self.log_text());
        body.to_string()
    }

    /// The contents of `error.log` and `access.log`.
    pub fn log_text(&self) -> String {
        let mut text = String::new();
        for name in ["error.log", "access.log", "stderr.log"] {
            let content = self.read(name);
            if !content.is_empty() {
                text.push_str(&format!("==> {name} <==\n{content}"));
                if !content.ends_with('\n') {
                    text.push('\n');
                }
            }
        }
        text
    }

    fn read(&self, name: &str) -> String {
        std::fs::read(self.dir.path().join(name))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Stops nginx: SIGTERM, up to 5 s grace, then SIGKILL (master and workers).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate_child(&mut child, Duration::from_secs(5));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The effective uid from `/proc/self/status`.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}
