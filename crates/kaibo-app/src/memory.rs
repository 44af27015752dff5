//! The process's memory, tuned for a media pipeline next to a window: glibc's allocator and
//! transparent huge pages.
//!
//! By default glibc gives each thread that allocates its own arena (up to 8 per core) and
//! raises its mmap threshold after the first large free, after which picture-sized buffers
//! come from the arenas and their freed space stays resident. Two arenas and fixed thresholds
//! keep the live window's resident memory lower (`cargo xtask bench ui`; the figures are in
//! docs/benchmarks.md, "The window", session 7).

/// Most threads share two arenas (each thread keeps its own small-block cache).
const ARENAS: i32 = 2;
/// Blocks from 64 KiB up are mapped and unmapped on their own.
const MMAP_THRESHOLD: i32 = 64 * 1024;
/// Free space above 128 KiB at the top of the heap goes back to the system.
const TRIM_THRESHOLD: i32 = 128 * 1024;

/// Applies the settings below; call first in `main`, before any thread starts.
pub fn tune() {
    tune_allocator();
    no_huge_pages();
}

/// Allocator settings: arenas and thresholds.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_allocator() {
    for (param, value) in [
        (libc::M_ARENA_MAX, ARENAS),
        (libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        (libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD),
    ] {
        // SAFETY: mallopt only changes allocator parameters; no thread has started yet.
        // It returns 0 when a value is refused, which leaves glibc's default: not an error.
        unsafe { libc::mallopt(param, value) };
    }
}

/// Other C libraries keep their own defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

/// No transparent huge pages for this process (Linux's `PR_SET_THP_DISABLE`).
///
/// x264 marks its picture buffers for huge pages (`MADV_HUGEPAGE`), and a huge page is made
/// resident whole, 2 MiB at a time. Without them the live window is smaller, with x264's CPU
/// the same within noise (`cargo xtask bench ui`, alternating pairs of rounds; the figures are
/// in docs/benchmarks.md, "The window", session 9). `kaibo live` gets the same setting, so
/// the window's ratio to it compares like with like.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn no_huge_pages() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and changes only how the
    // kernel backs this process's memory. A kernel that refuses it leaves huge pages on:
    // more memory, not an error.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The kernel reports the setting in /proc: `THP_enabled: 0` once it is made.
    #[test]
    fn huge_pages_are_off_after_tuning() {
        super::tune();
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        let line = status
            .lines()
            .find(|l| l.starts_with("THP_enabled:"))
            .expect("a kernel that reports THP_enabled (Linux 5.0 or later)");
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
}
