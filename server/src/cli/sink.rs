//! Where the report goes: stdout (the default), a file (`--output-file`) or
//! stderr (when stdout carries the fixed text of `check --fix -`).
//!
//! `output` asks [`redirect`] before it writes; everything written while a
//! sink is installed goes there instead of stdout.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;

enum Sink {
    File(std::fs::File),
    Stderr,
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);

/// Sends the report to a new file at `path` (created or truncated).
pub fn to_file(path: &Path) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("--output-file: cannot create {}", path.display()))?;
    *SINK.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Sink::File(file));
    Ok(())
}

/// Sends the report to stderr.
pub fn to_stderr() {
    *SINK.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Sink::Stderr);
}

/// Writes `text` to the installed sink; false when there is none (the
/// caller writes to stdout).
pub fn redirect(text: &str) -> bool {
    let mut sink = SINK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match sink.as_mut() {
        None => false,
        Some(Sink::File(file)) => {
            // A file never gets colour (`--output-file` turns it off).
            let plain = anstream::adapter::strip_str(text).to_string();
            if let Err(error) = file.write_all(plain.as_bytes()).and_then(|()| file.flush()) {
                let _ = writeln!(std::io::stderr(), "error: --output-file: {error}");
            }
            true
        }
        Some(Sink::Stderr) => {
            let mut stderr = anstream::stderr().lock();
            let _ = stderr.write_all(text.as_bytes());
            let _ = stderr.flush();
            true
        }
    }
}
