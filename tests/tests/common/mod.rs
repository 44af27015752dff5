//! Shared helpers for the end-to-end tests: run the real `kaibo` binary and read what it said.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `kaibo` binary under test: `KAIBO_BIN` when set, else the one cargo built beside this
/// test (`target/debug/deps/<test>` → `target/debug/kaibo`). Cargo hands `CARGO_BIN_EXE_kaibo`
/// only to kaibo-app's own tests, and these live in a crate of their own. `cargo test
/// --workspace` builds the binary first (kaibo-app keeps an integration test for that);
/// `cargo test -p kaibo-tests` alone runs whichever `kaibo` was built last.
pub fn kaibo_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = match std::env::var_os("KAIBO_BIN") {
            Some(bin) => PathBuf::from(bin),
            None => {
                let test = std::env::current_exe().expect("the test binary's own path");
                let profile = test
                    .parent()
                    .and_then(Path::parent)
                    .expect("test binaries run from target/<profile>/deps");
                profile.join(format!("kaibo{}", std::env::consts::EXE_SUFFIX))
            }
        };
        assert!(
            bin.is_file(),
            "no kaibo binary at {}; build it first: cargo build -p kaibo-app",
            bin.display()
        );
        bin
    })
}

/// The built `kaibo` binary.
pub fn kaibo() -> Command {
    let mut c = Command::new(kaibo_bin());
    c.env("RUST_BACKTRACE", "0").stdin(Stdio::null());
    c
}

/// [`kaibo_bin`] as text, for helpers that take a program name.
pub fn kaibo_bin_str() -> &'static str {
    kaibo_bin()
        .to_str()
        .expect("the kaibo binary's path is UTF-8")
}

/// What one run of `kaibo` produced.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Ran {
    /// The JSON summary printed by `--json`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Panics with everything kaibo printed unless it exited 0.
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "kaibo failed\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The last non-empty stderr line (the one-line failure message).
    pub fn last_line(&self) -> &str {
        self.stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
    }
}

/// Runs `kaibo` with `args` (and `DISPLAY` when given) to completion.
pub fn run(args: &[&str], display: Option<&str>, log: &Path) -> Ran {
    let mut c = kaibo();
    c.args(args).arg("--log-file").arg(log);
    if let Some(d) = display {
        c.env("DISPLAY", d);
    }
    let started = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("kaibo runs");
    let ran = Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed: started.elapsed(),
    };
    assert!(
        !ran.stderr.contains("panicked"),
        "kaibo panicked:\n{}",
        ran.stderr
    );
    ran
}

/// `kaibo hub` on `ip` (in a network namespace when given), with its address and host token;
/// stopped on drop.
pub struct HubProcess {
    child: std::process::Child,
    pub url: String,
    pub token: String,
    _dir: kaibo_testkit::TempDir,
}

impl HubProcess {
    pub fn start(netns: Option<&str>, ip: &str) -> HubProcess {
        use std::io::BufRead;
        let dir = kaibo_testkit::TempDir::new();
        let mut command = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(kaibo_bin());
                c
            }
            None => Command::new(kaibo_bin()),
        };
        let mut child = command
            .args(["hub", "--listen", &format!("{ip}:0"), "--db"])
            .arg(dir.path().join("hub.sqlite"))
            .arg("--log-file")
            .arg(dir.path().join("hub.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("kaibo hub runs");
        let stdout = child.stdout.take().expect("stdout");
        let (mut addr, mut token) = (None, None);
        let mut lines = std::io::BufReader::new(stdout).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(a) = line.strip_prefix("Kaibo hub listening on ") {
                addr = Some(a.trim().to_owned());
            }
            if line.starts_with("Host token") {
                token = line.rsplit(' ').next().map(str::to_owned);
            }
            if addr.is_some() && token.is_some() {
                break;
            }
        }
        // The hub goes on writing (and once died of the closed pipe when nobody read it).
        std::thread::spawn(move || lines.for_each(drop));
        HubProcess {
            child,
            url: format!("http://{}", addr.expect("the hub says where it listens")),
            token: token.expect("the hub prints its host token"),
            _dir: dir,
        }
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
