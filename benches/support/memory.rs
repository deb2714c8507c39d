//! Memory of the running process, as Linux reports it, for the benchmarks.

use anyhow::{Context, Result};

/// A `kB` field of `/proc/self/status` (`VmRSS`: resident now, `VmHWM`: peak resident).
pub fn status_kb(field: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("no /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix(" kB")?.parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))
}
