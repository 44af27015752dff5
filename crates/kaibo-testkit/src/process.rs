//! Process metrics from Linux `/proc`, and child-process termination.

use std::collections::{HashMap, VecDeque};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Fields of `/proc/<pid>/stat` the harness needs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    ppid: u32,
    utime: u64,
    stime: u64,
}

/// Parses a `/proc/<pid>/stat` line; `comm` may contain spaces and parentheses.
fn parse_stat(line: &str) -> Option<Stat> {
    let after = &line[line.rfind(')')? + 1..];
    // Fields after comm start at field 3 (state).
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(Stat {
        ppid: fields.get(1)?.parse().ok()?,
        utime: fields.get(11)?.parse().ok()?,
        stime: fields.get(12)?.parse().ok()?,
    })
}

fn read_stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Reads a `kB` field such as `VmRSS` from `/proc/<pid>/status`.
fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .stderr(Stdio::null())
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// Returns `pid` followed by all its live descendants (empty if `pid` is gone).
pub fn descendants(pid: u32) -> Vec<u32> {
    if read_stat(pid).is_none() {
        return Vec::new();
    }
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(p) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(stat) = read_stat(p) {
                children.entry(stat.ppid).or_default().push(p);
            }
        }
    }
    let mut out = vec![pid];
    let mut queue = VecDeque::from([pid]);
    while let Some(p) = queue.pop_front() {
        for &c in children.get(&p).into_iter().flatten() {
            if c != pid && !out.contains(&c) {
                out.push(c);
                queue.push_back(c);
            }
        }
    }
    out
}

/// CPU seconds (user + system) used by `pid` and its live descendants.
pub fn cpu_seconds_tree(pid: u32) -> f64 {
    let ticks: u64 = descendants(pid)
        .into_iter()
        .filter_map(read_stat)
        .map(|s| s.utime + s.stime)
        .sum();
    ticks as f64 / clock_ticks()
}

/// CPU seconds used so far by each thread of `pid`, summed by thread name with trailing digits
/// and separators dropped (`llvmpipe-3` → `llvmpipe`), so a run's breakdown can be diffed.
pub fn cpu_seconds_by_thread(pid: u32) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(path.join("comm")),
            std::fs::read_to_string(path.join("stat")),
        ) else {
            continue;
        };
        let Some(stat) = parse_stat(&stat) else {
            continue;
        };
        let name = comm
            .trim()
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == ':' || c == '_')
            .to_owned();
        *out.entry(name).or_insert(0.0) += (stat.utime + stat.stime) as f64 / clock_ticks();
    }
    out
}

/// Resident memory (VmRSS, KiB) of `pid` and its live descendants.
pub fn rss_kib_tree(pid: u32) -> u64 {
    descendants(pid)
        .into_iter()
        .filter_map(|p| status_kib(p, "VmRSS"))
        .sum()
}

/// Resident memory (KiB) of `pid` by what it maps, largest first: a library's file name,
/// `[heap]`, `SYSV` shared memory, or `anonymous` for the rest (thread stacks, malloc arenas,
/// mapped buffers).
pub fn rss_by_mapping_kib(pid: u32) -> Vec<(String, u64)> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by: HashMap<String, u64> = HashMap::new();
    let mut current = String::from("anonymous");
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            // An address-range line: `start-end perms offset dev inode [path]`.
            let path = fields.nth(4).unwrap_or_default();
            current = match path {
                "" => "anonymous".into(),
                p if p.starts_with("/SYSV") => "SYSV".into(),
                p => p.rsplit('/').next().unwrap_or(p).to_string(),
            };
        } else if first == "Rss:" {
            let kib: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            *by.entry(current.clone()).or_default() += kib;
        }
    }
    let mut list: Vec<(String, u64)> = by.into_iter().filter(|(_, k)| *k > 0).collect();
    list.sort_by_key(|b| std::cmp::Reverse(b.1));
    list
}

/// Peak resident memory (VmHWM, KiB) of `pid` alone.
pub fn peak_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM").unwrap_or(0)
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Sends SIGTERM to `child`, waits up to `grace`, then SIGKILLs it and any descendants it left.
pub fn terminate_child(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let pid = child.id();
    let tree = descendants(pid);
    signal(pid, "-TERM");
    let start = Instant::now();
    while start.elapsed() < grace {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    for p in tree.into_iter().skip(1) {
        signal(p, "-KILL");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_comm() {
        let line =
            "1234 (a b) (c)) S 42 1234 1234 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 100 1000 50";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                ppid: 42,
                utime: 7,
                stime: 3
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_process_metrics() {
        let me = std::process::id();
        // Burn a little CPU so the counters are surely non-zero.
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(cpu_seconds_tree(me) > 0.0);
        assert!(rss_kib_tree(me) > 0);
        assert!(peak_rss_kib(me) >= status_kib(me, "VmRSS").expect("own VmRSS"));
        assert_eq!(descendants(me).first(), Some(&me));
    }

    #[test]
    fn terminate_kills_a_stubborn_tree() {
        let mut child = Command::new("sh")
            .args(["-c", "trap '' TERM; sleep 30 & sleep 30 & wait"])
            .spawn()
            .expect("spawn sh");
        let pid = child.id();
        crate::wait_until(Duration::from_secs(5), "two sleep children", || {
            descendants(pid).len() >= 3
        });
        let tree = descendants(pid);
        assert_eq!(tree[0], pid);
        terminate_child(&mut child, Duration::from_millis(200));
        assert!(matches!(child.try_wait(), Ok(Some(_))));
        let gone = |p: u32| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .map(|s| s[s.rfind(')').unwrap_or(0)..].starts_with(") Z"))
                .unwrap_or(true)
        };
        crate::wait_until(Duration::from_secs(5), "the sleeps to die", || {
            tree.iter().all(|p| gone(*p))
        });
        assert!(descendants(u32::MAX).is_empty());
    }
}
