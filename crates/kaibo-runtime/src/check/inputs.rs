//! What the checklist reads from this machine: word lists, scripts, stills and recordings,
//! free disk space, and other processes' network use.

use kaibo_check::{CheckedText, ProcessTraffic};
use kaibo_model::WordList;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The word lists shipped with Kaibo (`assets/wordlists/`), built in.
const BUILT_IN_LISTS: &[(&str, &str)] = &[
    (
        "assets/wordlists/ad-absolute.toml",
        include_str!("../../../../assets/wordlists/ad-absolute.toml"),
    ),
    (
        "assets/wordlists/regulated-health.toml",
        include_str!("../../../../assets/wordlists/regulated-health.toml"),
    ),
    (
        "assets/wordlists/regulated-finance.toml",
        include_str!("../../../../assets/wordlists/regulated-finance.toml"),
    ),
    (
        "assets/wordlists/regulated-medical.toml",
        include_str!("../../../../assets/wordlists/regulated-medical.toml"),
    ),
];

/// The built-in word lists, then every `*.toml` in `dirs` (in order; a list with the id of an
/// earlier one replaces it, so a company can extend or override the shipped lists).
pub fn load_word_lists(dirs: &[PathBuf]) -> Result<Vec<WordList>, String> {
    let mut lists: Vec<WordList> = Vec::new();
    let mut add = |list: WordList| match lists.iter_mut().find(|l| l.id == list.id) {
        Some(old) => *old = list,
        None => lists.push(list),
    };
    for (name, text) in BUILT_IN_LISTS {
        add(WordList::from_toml_str(text, name).map_err(|e| e.to_string())?);
    }
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read the word-list folder {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read the word list {}: {e}", file.display()))?;
            add(WordList::from_toml_str(&text, &file.display().to_string())
                .map_err(|e| e.to_string())?);
        }
    }
    Ok(lists)
}

/// `$XDG_CONFIG_HOME/kaibo/wordlists` (or `~/.config/kaibo/wordlists`): where a company's own
/// lists go.
pub fn user_word_list_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|base| base.join("kaibo").join("wordlists"))
}

/// A show script, named by its file name.
pub fn read_script(path: &Path) -> Result<CheckedText, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the script {} ({e}); give a UTF-8 text file",
            path.display()
        )
    })?;
    Ok(CheckedText {
        source: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        text,
    })
}

/// A still (PNG or JPEG) as RGBA: (width, height, pixels).
pub fn read_image(path: &Path) -> Result<(u32, u32, Vec<u8>), String> {
    let img = image::open(path).map_err(|e| {
        format!(
            "cannot read the image {} ({e}); give a PNG or JPEG photo",
            path.display()
        )
    })?;
    let rgba = img.to_rgba8();
    Ok((rgba.width(), rgba.height(), rgba.into_raw()))
}

/// A WAV recording as mono samples and its rate.
pub fn read_wav(path: &Path) -> Result<(Vec<f32>, u32), String> {
    let fail = |e: &dyn std::fmt::Display| {
        format!(
            "cannot read the recording {} ({e}); give a WAV file (convert with `sox IN OUT.wav`)",
            path.display()
        )
    };
    let mut reader = hound::WavReader::open(path).map_err(|e| fail(&e))?;
    let spec = reader.spec();
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| fail(&e))?,
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()
                .map_err(|e| fail(&e))?
        }
    };
    Ok((
        kaibo_check::audio::downmix(&samples, usize::from(spec.channels)),
        spec.sample_rate,
    ))
}

/// Free bytes for an unprivileged writer on the file system holding `dir` (or its nearest
/// existing parent, for a folder not made yet).
pub fn free_bytes(dir: &Path) -> Result<u64, String> {
    let existing = dir
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or_else(|| Path::new("/"));
    let st = rustix::fs::statvfs(existing)
        .map_err(|e| format!("cannot read free space of {}: {e}", existing.display()))?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// One TCP socket's counters from `ss`: (key, pid, process name, bytes moved).
type SocketBytes = (String, u32, String, u64);

/// Sockets of every process with their acknowledged-sent plus received bytes, from `ss -tinpH`
/// (the kernel's sock_diag). Loopback connections are left out: they are not the network.
fn socket_bytes() -> Result<Vec<SocketBytes>, String> {
    let out = std::process::Command::new("ss")
        .args(["-tinpH"])
        .output()
        .map_err(|e| {
            format!("cannot run ss ({e}); install iproute2 to see other programs' network use")
        })?;
    if !out.status.success() {
        return Err(format!(
            "ss failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(parse_ss(&String::from_utf8_lossy(&out.stdout)))
}

fn parse_ss(text: &str) -> Vec<SocketBytes> {
    let mut out = Vec::new();
    let mut current: Option<(String, u32, String)> = None;
    for line in text.lines() {
        if !line.starts_with(char::is_whitespace) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, peer) = (fields.get(3).copied(), fields.get(4).copied());
            let loopback = [local, peer].iter().flatten().any(|a| {
                a.starts_with("127.") || a.starts_with("[::1]") || a.starts_with("[::ffff:127.")
            });
            current = match (local, peer, user_of(line)) {
                (Some(l), Some(p), Some((pid, name))) if !loopback => {
                    Some((format!("{l} {p}"), pid, name))
                }
                _ => None,
            };
        } else if let Some((key, pid, name)) = current.take() {
            let get = |field: &str| -> u64 {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(field))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            out.push((key, pid, name, get("bytes_acked:") + get("bytes_received:")));
        }
    }
    out
}

/// The first process of `users:(("name",pid=N,fd=M),…)`.
fn user_of(line: &str) -> Option<(u32, String)> {
    let users = &line[line.find("users:((\"")? + 9..];
    let name = &users[..users.find('"')?];
    let pid = users[users.find("pid=")? + 4..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some((pid, name.to_owned()))
}

/// Every other process's TCP traffic over `window`, heaviest first.
pub fn sample_traffic(window: Duration) -> Result<Vec<ProcessTraffic>, String> {
    let before: HashMap<String, u64> = socket_bytes()?
        .into_iter()
        .map(|(k, _, _, b)| (k, b))
        .collect();
    std::thread::sleep(window);
    let me = std::process::id();
    let mut per_pid: HashMap<u32, (String, u64)> = HashMap::new();
    for (key, pid, name, bytes) in socket_bytes()? {
        if pid == me {
            continue;
        }
        // A socket opened during the window counts from zero.
        let moved = bytes.saturating_sub(before.get(&key).copied().unwrap_or(0));
        per_pid.entry(pid).or_insert((name, 0)).1 += moved;
    }
    let secs = window.as_secs_f64().max(0.001);
    let mut list: Vec<ProcessTraffic> = per_pid
        .into_iter()
        .map(|(pid, (name, bytes))| ProcessTraffic {
            pid,
            name,
            kbps: bytes as f64 * 8.0 / 1000.0 / secs,
        })
        .collect();
    list.sort_by(|a, b| b.kbps.total_cmp(&a.kbps));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss_lines_become_per_socket_bytes_without_loopback() {
        let text = "ESTAB 0 0 10.0.0.5:40000 203.0.113.9:443 users:((\"baidunetdisk\",pid=4242,fd=7))\n\
\t cubic rtt:20/5 bytes_sent:900 bytes_acked:800 bytes_received:5000 segs_out:3\n\
ESTAB 0 0 127.0.0.1:8765 127.0.0.1:53490 users:((\"python3\",pid=1,fd=4))\n\
\t bbr bytes_acked:99999 bytes_received:85\n";
        let parsed = parse_ss(text);
        assert_eq!(
            parsed,
            vec![(
                "10.0.0.5:40000 203.0.113.9:443".to_owned(),
                4242,
                "baidunetdisk".to_owned(),
                5800
            )]
        );
    }

    #[test]
    fn shipped_lists_load_and_a_user_list_overrides_by_id() {
        let lists = load_word_lists(&[]).expect("built-in lists");
        assert_eq!(lists.len(), 4);
        let dir = std::env::temp_dir().join(format!("kaibo-wl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("mine.toml"),
            BUILT_IN_LISTS[0]
                .1
                .replace("terms = [", "terms = [\"秒杀\", "),
        )
        .expect("write");
        let lists = load_word_lists(std::slice::from_ref(&dir)).expect("lists");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(lists.len(), 4);
        assert!(lists[0].terms.iter().any(|t| t == "秒杀"));
    }
}
