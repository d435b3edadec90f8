//! Files written atomically: a reader (or a crash) sees the previous file or the new one,
//! never half of one. Training histories, figures and checkpoints are written this way.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Write `bytes` to `path` so that no reader ever sees a partial file: write a temporary file
/// in the same directory (`.NAME.PID-N.tmp`, created fresh), flush it to disk, then rename it
/// over `path` (atomic on POSIX file systems). On failure the temporary file is removed and
/// `path` is left as it was.
///
/// # Errors
/// [`Error::Io`] naming `path` if it has no file name, its directory does not exist or is not
/// writable, or the rename fails (e.g. `path` is a directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path)?;
    let written = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// A fresh temporary path next to `path`: `.NAME.PID-N.tmp` in the same directory.
fn temp_path(path: &Path) -> Result<std::path::PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let Some(name) = path.file_name() else {
        return Err(Error::Io {
            path: path.display().to_string(),
            message: "not a file name".into(),
        });
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )))
}

/// Check, before a long computation, that [`write_atomic`] will be able to write `path`: create
/// and remove a temporary file in its directory, and refuse an existing directory at `path`.
/// Nothing is left behind, and `path` itself is not touched.
///
/// # Errors
/// [`Error::Io`] naming `path`, as [`write_atomic`] would fail.
pub fn check_writable(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(Error::Io {
            path: path.display().to_string(),
            message: "is a directory".into(),
        });
    }
    let tmp = temp_path(path)?;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(path, e))?;
    fs::remove_file(&tmp).map_err(|e| Error::io(&tmp, e))
}
