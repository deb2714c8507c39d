//! File helpers shared by the benchmarks.

use std::path::{Path, PathBuf};

/// Delete a database file and its WAL and shared-memory files, where they exist.
pub fn remove_db(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if p.exists() {
            std::fs::remove_file(&p)?;
        }
    }
    Ok(())
}
