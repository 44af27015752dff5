//! The log file: every line scrubbed of secrets before it is written.

use anyhow::{Context, Result};
use kaibo_model::Secret;
use kaibo_model::secret::scrub_all;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

struct FileLogger {
    file: Mutex<File>,
    secrets: Vec<Secret>,
}

impl log::Log for FileLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = scrub_all(&record.args().to_string(), &self.secrets);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(
                f,
                "{now:.3} {:<5} {}: {text}",
                record.level(),
                record.target()
            );
        }
    }

    fn flush(&self) {
        if let Ok(mut f) = self.file.lock() {
            let _ = f.flush();
        }
    }
}

/// Where the log goes when no path is given: `$XDG_STATE_HOME/kaibo/kaibo.log`.
pub fn default_path() -> PathBuf {
    kaibo_runtime::state_dir()
        .unwrap_or_else(|| std::env::temp_dir().join("kaibo"))
        .join("kaibo.log")
}

/// Sends `log` records to the log file, scrubbing `secrets`.
pub fn init(path: Option<&Path>, secrets: Vec<Secret>) -> Result<()> {
    let path = path.map(Path::to_path_buf).unwrap_or_else(default_path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    log::set_boxed_logger(Box::new(FileLogger {
        file: Mutex::new(file),
        secrets,
    }))
    .context("a logger is already set")?;
    log::set_max_level(log::LevelFilter::Info);
    Ok(())
}
