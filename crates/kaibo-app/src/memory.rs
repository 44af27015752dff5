//! glibc's allocator, tuned for a process that runs a media pipeline next to a window.
//!
//! By default glibc gives each thread that allocates its own arena (up to 8 per core) and
//! raises its mmap threshold after the first large free, after which picture-sized buffers
//! come from the arenas and their freed space stays resident. With two arenas and fixed
//! thresholds, `cargo xtask bench ui` measured the live window at 168–172 MiB resident
//! against 181 MiB (single rounds, 2026-12-04; see docs/benchmarks.md).

/// Most threads share two arenas (each thread keeps its own small-block cache).
const ARENAS: i32 = 2;
/// Blocks from 64 KiB up are mapped and unmapped on their own.
const MMAP_THRESHOLD: i32 = 64 * 1024;
/// Free space above 128 KiB at the top of the heap goes back to the system.
const TRIM_THRESHOLD: i32 = 128 * 1024;

/// Applies the settings; call first in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn tune_allocator() {
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
pub fn tune_allocator() {}
