//! Where the desktop app keeps the host's work: the scene collection and settings in the XDG
//! config folder, the stream key in the OS keyring (or, where no keyring runs, an encrypted
//! file). Every write goes to a temporary file that is synced and then renamed over the old
//! one, so a crash or kill at any moment leaves either the old or the new file, never half.

mod sealed;

use kaibo_model::{AppSettings, SceneCollection, Secret};
use std::io::Write;
use std::path::{Path, PathBuf};

const SCENES: &str = "scenes.toml";
const SETTINGS: &str = "settings.toml";
const KEY_FILE: &str = "stream-key.enc";
const MACHINE_KEY: &str = "machine.key";
const KEYRING_SERVICE: &str = "kaibo";
const KEYRING_USER: &str = "stream-key";

/// A failure to read or write the app's files.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot {what} {path}: {reason}; check that the folder exists and is writable")]
    Io {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("{0}; fix or delete the file (Kaibo starts with defaults without it)")]
    Malformed(#[from] kaibo_model::DataFileError),
    #[error("the saved stream key cannot be decrypted; enter it again in Settings")]
    Undecryptable,
}

/// Where the stream key ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPlace {
    /// The desktop's keyring (Secret Service).
    Keyring,
    /// An encrypted file in the config folder (no keyring runs).
    EncryptedFile,
}

/// The app's folder of saved state.
#[derive(Clone, Debug)]
pub struct ConfigStore {
    dir: PathBuf,
    use_keyring: bool,
}

fn io(what: &'static str, path: &Path, e: impl std::fmt::Display) -> ConfigError {
    ConfigError::Io {
        what,
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Kaibo's state folder (logs, the hub's database): `$XDG_STATE_HOME/kaibo`, else
/// `~/.local/state/kaibo`; `None` without HOME.
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|base| base.join("kaibo"))
}

/// The interaction hub's database in the state folder (`hub.sqlite`), the folder created.
pub fn default_hub_db() -> Result<PathBuf, String> {
    let dir = state_dir().ok_or_else(|| "no state folder: HOME is not set".to_owned())?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir.join("hub.sqlite"))
}

/// Replaces `path` with `bytes` atomically (temp file, fsync, rename, fsync the folder).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ConfigError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| io("write", &tmp, e))?;
    f.write_all(bytes).map_err(|e| io("write", &tmp, e))?;
    f.sync_all().map_err(|e| io("write", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io("replace", path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path, e)),
    }
}

impl ConfigStore {
    /// `$XDG_CONFIG_HOME/kaibo` (or `~/.config/kaibo`), using the keyring when one runs.
    pub fn open_default() -> ConfigStore {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from("."));
        ConfigStore {
            dir: base.join("kaibo"),
            use_keyring: true,
        }
    }

    /// A store in `dir`; `use_keyring: false` keeps the key in the encrypted file only.
    pub fn at(dir: impl Into<PathBuf>, use_keyring: bool) -> ConfigStore {
        ConfigStore {
            dir: dir.into(),
            use_keyring,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The saved scene collection, if there is one.
    pub fn load_scenes(&self) -> Result<Option<SceneCollection>, ConfigError> {
        let path = self.dir.join(SCENES);
        match read_optional(&path)? {
            Some(text) => Ok(Some(SceneCollection::from_toml_str(
                &text,
                &path.display().to_string(),
            )?)),
            None => Ok(None),
        }
    }

    pub fn save_scenes(&self, scenes: &SceneCollection) -> Result<(), ConfigError> {
        write_atomic(&self.dir.join(SCENES), scenes.to_toml_string().as_bytes())
    }

    /// The saved settings, if there are any.
    pub fn load_settings(&self) -> Result<Option<AppSettings>, ConfigError> {
        let path = self.dir.join(SETTINGS);
        match read_optional(&path)? {
            Some(text) => Ok(Some(AppSettings::from_toml_str(
                &text,
                &path.display().to_string(),
            )?)),
            None => Ok(None),
        }
    }

    pub fn save_settings(&self, settings: &AppSettings) -> Result<(), ConfigError> {
        write_atomic(
            &self.dir.join(SETTINGS),
            settings.to_toml_string().as_bytes(),
        )
    }

    /// Saves the stream key: in the keyring when one answers, else encrypted in a file.
    pub fn save_stream_key(&self, key: &Secret) -> Result<KeyPlace, ConfigError> {
        if self.use_keyring
            && let Ok(entry) = keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER)
            && entry.set_password(key.expose()).is_ok()
        {
            let _ = std::fs::remove_file(self.dir.join(KEY_FILE));
            return Ok(KeyPlace::Keyring);
        }
        let sealed = sealed::seal(&self.machine_key()?, key.expose().as_bytes())
            .ok_or(ConfigError::Undecryptable)?;
        write_atomic(&self.dir.join(KEY_FILE), &sealed)?;
        Ok(KeyPlace::EncryptedFile)
    }

    /// The saved stream key, if any.
    pub fn stream_key(&self) -> Result<Option<Secret>, ConfigError> {
        if self.use_keyring
            && let Ok(entry) = keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER)
            && let Ok(key) = entry.get_password()
        {
            return Ok(Some(Secret::new(key)));
        }
        let path = self.dir.join(KEY_FILE);
        let sealed = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("read", &path, e)),
        };
        let plain =
            sealed::open(&self.machine_key()?, &sealed).ok_or(ConfigError::Undecryptable)?;
        let key = String::from_utf8(plain).map_err(|_| ConfigError::Undecryptable)?;
        Ok(Some(Secret::new(key)))
    }

    /// The random key the encrypted file is sealed with, made on first use (mode 0600).
    fn machine_key(&self) -> Result<[u8; 32], ConfigError> {
        let path = self.dir.join(MACHINE_KEY);
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
        {
            return Ok(key);
        }
        let key = sealed::random_key();
        write_atomic(&path, &key)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io("protect", &path, e))?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "kaibo-store-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn settings_scenes_and_key_survive_a_restart_and_the_key_file_holds_no_plain_key() {
        let dir = temp();
        let store = ConfigStore::at(&dir, false);
        assert!(store.load_scenes().unwrap().is_none());
        assert!(store.stream_key().unwrap().is_none());
        let settings = AppSettings {
            server_url: "rtmp://example.com/live".into(),
            ..Default::default()
        };
        store.save_settings(&settings).unwrap();
        let scenes = SceneCollection {
            version: 1,
            canvas: Default::default(),
            scenes: vec![kaibo_model::Scene::from_inputs(
                "讲解",
                vec![kaibo_model::SourceKind::Test],
            )],
        };
        store.save_scenes(&scenes).unwrap();
        let key = Secret::new("canary-KEY-123456");
        assert_eq!(
            store.save_stream_key(&key).unwrap(),
            KeyPlace::EncryptedFile
        );

        let again = ConfigStore::at(&dir, false);
        assert_eq!(again.load_settings().unwrap().unwrap(), settings);
        assert_eq!(again.load_scenes().unwrap().unwrap(), scenes);
        assert_eq!(
            again.stream_key().unwrap().unwrap().expose(),
            "canary-KEY-123456"
        );
        for entry in std::fs::read_dir(&dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains("canary-KEY"),
                "a file holds the key in clear"
            );
        }
        // A damaged key file is a clear error, not a panic or a wrong key.
        std::fs::write(dir.join(KEY_FILE), b"garbage").unwrap();
        assert!(matches!(
            again.stream_key(),
            Err(ConfigError::Undecryptable)
        ));
        // A malformed settings file names itself and the field.
        std::fs::write(dir.join(SETTINGS), "fade_ms = \"slow\"\n").unwrap();
        let err = again.load_settings().unwrap_err().to_string();
        assert!(
            err.contains("settings.toml") && err.contains("fade_ms"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
