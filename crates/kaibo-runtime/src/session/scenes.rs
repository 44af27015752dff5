//! Scene files on disk.

use kaibo_model::SceneCollection;
use std::path::Path;

/// Reads and validates a scene collection; nothing is applied when it has any problem.
pub fn load_scene_file(path: &Path) -> Result<SceneCollection, RuntimeError> {
    let text = std::fs::read_to_string(path).map_err(|e| RuntimeError::Io {
        path: path.display().to_string(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file; check the path".into(),
            std::io::ErrorKind::InvalidData => "it is not UTF-8 text; save it as UTF-8 TOML".into(),
            _ => e.to_string(),
        },
    })?;
    Ok(SceneCollection::from_toml_str(
        &text,
        &path.display().to_string(),
    )?)
}

/// A failure before a session could run.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot read the scene file {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("{0}")]
    SceneFile(#[from] kaibo_model::DataFileError),
    #[error("{0}")]
    Invalid(String),
}
