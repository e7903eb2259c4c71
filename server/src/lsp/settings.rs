//! The client's settings for the server, from `initializationOptions` and
//! `workspace/didChangeConfiguration`.
//!
//! Settings arrive either flat (`{"configPath": …}`) or under an `ssot` key
//! (`{"ssot": {"configPath": …}}`, what VS Code sends for a section). Unknown
//! keys are ignored and a malformed value falls back to its default, so a typo
//! in an editor's settings never stops the server.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// How much the server tells the client through `window/logMessage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

/// The settings, with their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// An explicit rule file; relative paths are relative to the first
    /// workspace folder. `None` means discovery from the workspace root.
    pub config_path: Option<PathBuf>,
    /// Check every `.py` file of the workspace in the background.
    pub workspace_scan: bool,
    /// Let fix-all and the fix commands apply unsafe fixes too.
    pub unsafe_fixes: bool,
    /// The most verbose level forwarded to `window/logMessage`.
    pub log_level: LogLevel,
    /// Open documents larger than this (in bytes) are not analysed.
    pub max_document_bytes: usize,
}

/// The default of `maxDocumentBytes`: 10 MB. Parsing needs several times a
/// file's size (a 116 MB document took gigabytes), and no Python source file
/// of the code bases this tool is for comes near it.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 10_000_000;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            config_path: None,
            workspace_scan: true,
            unsafe_fixes: false,
            log_level: LogLevel::Info,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
        }
    }
}

impl Settings {
    /// Reads settings from a JSON value; `None` when the value holds none
    /// (null, or not an object), so the caller keeps what it has.
    pub fn from_json(value: &Value) -> Option<Settings> {
        let object = value.as_object()?;
        let section = object.get("ssot").filter(|section| section.is_object()).unwrap_or(value);
        let section = section.as_object()?;
        let mut settings = Settings::default();
        if let Some(path) = section.get("configPath").and_then(Value::as_str).filter(|path| !path.trim().is_empty()) {
            settings.config_path = Some(PathBuf::from(path));
        }
        if let Some(scan) = section.get("workspaceScan").and_then(Value::as_bool) {
            settings.workspace_scan = scan;
        }
        if let Some(unsafe_fixes) = section.get("unsafeFixes").and_then(Value::as_bool) {
            settings.unsafe_fixes = unsafe_fixes;
        }
        if let Some(limit) = section.get("maxDocumentBytes").and_then(Value::as_u64) {
            settings.max_document_bytes = usize::try_from(limit).unwrap_or(usize::MAX);
        }
        if let Some(level) = section.get("logLevel").and_then(|level| LogLevel::deserialize(level).ok()) {
            settings.log_level = level;
        }
        Some(settings)
    }

    /// The explicit config path, resolved against the workspace root.
    pub fn resolved_config_path(&self, root: &Path) -> Option<PathBuf> {
        let path = self.config_path.as_ref()?;
        Some(if path.is_absolute() { path.clone() } else { root.join(path) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_flat_and_sectioned_settings() {
        let flat = Settings::from_json(&json!({"configPath": "cfg/ssot.toml", "workspaceScan": false})).unwrap();
        assert_eq!(flat.config_path, Some(PathBuf::from("cfg/ssot.toml")));
        assert!(!flat.workspace_scan);
        let nested = Settings::from_json(&json!({"ssot": {"unsafeFixes": true, "logLevel": "debug"}})).unwrap();
        assert!(nested.unsafe_fixes);
        assert_eq!(nested.log_level, LogLevel::Debug);
        assert!(nested.workspace_scan);
        assert_eq!(nested.max_document_bytes, DEFAULT_MAX_DOCUMENT_BYTES);
        let limited = Settings::from_json(&json!({"maxDocumentBytes": 1000})).unwrap();
        assert_eq!(limited.max_document_bytes, 1000);
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        let settings =
            Settings::from_json(&json!({"workspaceScan": "yes", "logLevel": "loud", "configPath": ""})).unwrap();
        assert_eq!(settings, Settings::default());
        assert_eq!(Settings::from_json(&Value::Null), None);
    }
}
