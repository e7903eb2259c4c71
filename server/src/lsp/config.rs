//! Settings and rule files: loading the rules at start, reloading them when a
//! config file or the settings change, watching files, and showing a broken
//! config (a `window/showMessage` naming file:line:col and a diagnostic on the
//! config file) while the last good rules stay in force.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};

use ropey::Rope;
use serde_json::Value;
use tower_lsp_server::ls_types::{
    ConfigurationItem, Diagnostic, DiagnosticSeverity, DidChangeConfigurationParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidChangeWorkspaceFoldersParams, FileSystemWatcher, GlobPattern,
    MessageType, NumberOrString, Registration, Uri,
};

use super::diagnostics::{self, SOURCE};
use super::position::{offsets_to_range, PositionEncoding};
use super::session::{path_to_uri, uri_to_path, ActiveRules, ClosedFile, ReloadState, Session};
use super::settings::{LogLevel, Settings};
use super::text_sync;
use super::workspace_scan;
use crate::rules::{load_rule_set, ConfigError, ConfigSource};

/// The names of files that can hold rules.
const CONFIG_FILE_NAMES: [&str; 3] = ["ssot.toml", ".ssot.toml", "pyproject.toml"];

/// The globs watched through `workspace/didChangeWatchedFiles`.
const WATCHED_GLOBS: [&str; 4] = ["**/*.py", "**/ssot.toml", "**/.ssot.toml", "**/pyproject.toml"];

/// Loads the rules for the current settings and roots.
fn load(session: &Session) -> Result<ActiveRules, ConfigError> {
    let root = session.primary_root();
    let explicit = session.settings().resolved_config_path(&root);
    let loaded = load_rule_set(explicit.as_deref(), &root)?;
    Ok(ActiveRules { rules: loaded.rules, source: loaded.source })
}

/// Loads the rules during `initialize` (on the blocking pool: it reads the
/// config). A broken config keeps the built-in rules; its message waits for
/// `initialized`.
pub fn load_initial(session: &Session) {
    match load(session) {
        Ok(rules) => {
            tracing::info!("rules from {}", rules.source.describe());
            session.set_rules(rules);
        }
        Err(error) => {
            let message = broken_config_message(session, &error);
            tracing::error!("{message}");
            session.defer_message(MessageType::ERROR, message);
            record_config_problem(session, &error);
        }
    }
}

/// Asks for a rules reload (and the rescan that follows): coalesced, so a
/// burst of triggers (config notifications, watched config files, folder
/// changes) gives one reload once the burst is over, off the handler that
/// asked.
pub fn request_reload(session: &Arc<Session>) {
    request(session, |state| state.reload_wanted = true);
}

/// Asks for a workspace rescan, coalesced like `request_reload`.
pub fn request_rescan(session: &Arc<Session>) {
    request(session, |state| state.rescan_wanted = true);
}

fn request(session: &Arc<Session>, want: impl FnOnce(&mut ReloadState)) {
    let start_worker = {
        let mut state = session.reload.lock().unwrap_or_else(PoisonError::into_inner);
        want(&mut state);
        state.triggers += 1;
        !std::mem::replace(&mut state.worker_running, true)
    };
    if start_worker {
        tokio::spawn(reload_worker(Arc::clone(session)));
    }
}

/// Waits until the triggers stop for `reload_debounce` (at most ten times
/// that), then reloads or rescans once; again if triggers came meanwhile.
async fn reload_worker(session: Arc<Session>) {
    let debounce = session.options.reload_debounce;
    loop {
        let mut seen = session.reload.lock().unwrap_or_else(PoisonError::into_inner).triggers;
        for _ in 0..10 {
            tokio::time::sleep(debounce).await;
            let now = session.reload.lock().unwrap_or_else(PoisonError::into_inner).triggers;
            if now == seen {
                break;
            }
            seen = now;
        }
        let (reload_wanted, rescan_wanted) = {
            let mut state = session.reload.lock().unwrap_or_else(PoisonError::into_inner);
            let wanted = (state.reload_wanted, state.rescan_wanted);
            state.reload_wanted = false;
            state.rescan_wanted = false;
            if !wanted.0 && !wanted.1 {
                state.worker_running = false;
                return;
            }
            wanted
        };
        if reload_wanted {
            reload(&session).await;
        } else if rescan_wanted {
            workspace_scan::spawn(Arc::clone(&session));
        }
    }
}

/// Reloads the rules (read on the blocking pool); on success re-analyses
/// open documents and rescans.
async fn reload(session: &Arc<Session>) {
    let loader = Arc::clone(session);
    // The config and the package tree (for the index) are read off the executor.
    let loaded = match tokio::task::spawn_blocking(move || load(&loader).map(|rules| loader.indexed(rules))).await {
        Ok(loaded) => loaded,
        Err(error) => {
            session.log(LogLevel::Error, format!("internal error while reloading the rules: {error}")).await;
            return;
        }
    };
    session.reload.lock().unwrap_or_else(PoisonError::into_inner).reloads += 1;
    match loaded {
        Ok(rules) => {
            let description = rules.source.describe();
            session.install_rules(rules);
            let cleared = clear_config_problem(session);
            reanalyse_open_documents(session);
            session.log(LogLevel::Info, format!("rules reloaded from {description}")).await;
            if let Some(uri) = cleared {
                diagnostics::publish_closed(session, &uri).await;
            }
            diagnostics::refresh_pull_client(session).await;
            workspace_scan::spawn(session.clone());
        }
        Err(error) => {
            let message = broken_config_message(session, &error);
            let recorder = Arc::clone(session);
            let uri =
                tokio::task::spawn_blocking(move || record_config_problem(&recorder, &error)).await.ok().flatten();
            session.log(LogLevel::Error, message.clone()).await;
            session.client.show_message(MessageType::ERROR, message).await;
            if let Some(uri) = uri {
                diagnostics::publish_closed(session, &uri).await;
            }
            diagnostics::refresh_pull_client(session).await;
        }
    }
}

fn broken_config_message(session: &Session, error: &ConfigError) -> String {
    format!("ssot-lsp: invalid config {error}; keeping the last good rules ({})", session.rules().source.describe())
}

/// Stores the config error as a diagnostic on the config file.
fn record_config_problem(session: &Session, error: &ConfigError) -> Option<Uri> {
    let path = error.path.as_deref()?;
    let uri = path_to_uri(path)?;
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let diagnostic = config_diagnostic(error, &text, session.encoding());
    let file = ClosedFile { diagnostics: vec![diagnostic], findings: Vec::new(), result_id: session.next_result_id() };
    session.closed_files.insert(uri.clone(), file);
    let previous = session.config_problem.lock().unwrap_or_else(PoisonError::into_inner).replace(uri.clone());
    if let Some(previous) = previous.filter(|previous| *previous != uri) {
        session.closed_files.remove(&previous);
    }
    Some(uri)
}

/// Forgets the config error; returns the file whose diagnostic must be cleared.
fn clear_config_problem(session: &Session) -> Option<Uri> {
    let uri = session.config_problem.lock().unwrap_or_else(PoisonError::into_inner).take()?;
    let file = ClosedFile { diagnostics: Vec::new(), findings: Vec::new(), result_id: session.next_result_id() };
    session.closed_files.insert(uri.clone(), file);
    Some(uri)
}

/// The diagnostic for a broken config file, placed at the error's span (the
/// line and column the CLI prints come from the same span), else at the
/// start of the file.
pub fn config_diagnostic(error: &ConfigError, text: &str, encoding: PositionEncoding) -> Diagnostic {
    let rope = Rope::from_str(text);
    let (start, end) =
        error.span.as_ref().map_or((0, 0), |span| (span.start.min(text.len()), span.end.min(text.len())));
    Diagnostic {
        range: offsets_to_range(&rope, start, end, encoding),
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String("config".to_string())),
        source: Some(SOURCE.to_string()),
        message: format!("{}; the last good rules stay in force", error.message),
        ..Diagnostic::default()
    }
}

/// Re-analyses every open document under the current rules, as new jobs:
/// a job still running under the old rules is superseded, so its findings
/// are never stored. Scopes and path classes are found again (the rules may
/// move the root or the excludes).
fn reanalyse_open_documents(session: &Arc<Session>) {
    let uris: Vec<Uri> = session.documents.iter().map(|entry| entry.key().clone()).collect();
    for uri in uris {
        if let Some(mut document) = session.documents.get_mut(&uri) {
            document.class = None;
        }
        text_sync::spawn_analysis(session, &uri, "a rules reload");
    }
}

/// Registers the file watchers when the client allows dynamic registration.
pub async fn register_watchers(session: &Session) {
    if !session.support().watch_files_dynamically {
        return;
    }
    let watchers = WATCHED_GLOBS
        .iter()
        .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String((*glob).to_string()), kind: None })
        .collect();
    let options = DidChangeWatchedFilesRegistrationOptions { watchers };
    let registration = Registration {
        id: "ssot-lsp/watched-files".to_string(),
        method: "workspace/didChangeWatchedFiles".to_string(),
        register_options: serde_json::to_value(options).ok(),
    };
    if let Err(error) = session.client.register_capability(vec![registration]).await {
        session.log(LogLevel::Warn, format!("could not watch files: {error}")).await;
    }
}

/// Handles `workspace/didChangeWatchedFiles`: a config change asks for a
/// reload (and rescan); changed or deleted Python files that are not open are
/// queued for a re-check from disk. Returns at once: the checks run on the
/// blocking pool, coalesced (see `workspace_scan::queue_disk_checks`).
pub async fn did_change_watched_files(session: Arc<Session>, params: DidChangeWatchedFilesParams) {
    let mut config_changed = false;
    let mut touched = Vec::new();
    let mut changed_paths = Vec::new();
    for change in params.changes {
        let Some(path) = uri_to_path(&change.uri) else { continue };
        changed_paths.push(path.clone());
        if is_config_file(&path) {
            config_changed |= affects_rules(&session, &path);
        } else if !session.documents.contains_key(&change.uri) {
            // The editor's text wins over the disk while the file is open.
            touched.push(change.uri);
        }
    }
    if config_changed {
        request_reload(&session);
    }
    if !touched.is_empty() {
        workspace_scan::queue_disk_checks(&session, touched);
    }
    super::dependents::files_changed(&session, changed_paths);
}

fn is_config_file(path: &Path) -> bool {
    path.file_name().and_then(|name| name.to_str()).is_some_and(|name| CONFIG_FILE_NAMES.contains(&name))
}

/// Whether a changed config file can change the rules: it is the active one,
/// the explicit one, the broken one, or one that discovery from the root
/// would find (in the root or a folder above it).
fn affects_rules(session: &Session, path: &Path) -> bool {
    let root = session.primary_root();
    let rules = session.rules();
    let active =
        matches!(&rules.source, ConfigSource::File(active) | ConfigSource::Pyproject(active) if active == path);
    let explicit = session.settings().resolved_config_path(&root).is_some_and(|explicit| explicit == path);
    let broken = session
        .config_problem
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(uri_to_path)
        .is_some_and(|broken| broken == path);
    let discoverable = path.parent().is_some_and(|folder| root.starts_with(folder));
    active || explicit || broken || discoverable
}

/// Handles `workspace/didChangeConfiguration`. Settings in the notification
/// apply at once; otherwise they are asked for (`workspace/configuration`)
/// in a spawned task, never in the handler: the answer comes through the
/// reader that a waiting handler could hold up.
pub async fn did_change_configuration(session: Arc<Session>, params: DidChangeConfigurationParams) {
    if let Some(settings) = Settings::from_json(&params.settings) {
        apply_settings(&session, settings).await;
        return;
    }
    tokio::spawn(async move {
        if let Some(settings) = fetch_settings(&session).await {
            apply_settings(&session, settings).await;
        }
    });
}

/// Asks the client for the `ssot` section (pull-style configuration).
async fn fetch_settings(session: &Session) -> Option<Settings> {
    if !session.support().configuration {
        return None;
    }
    let item = ConfigurationItem { scope_uri: None, section: Some("ssot".to_string()) };
    let values = session.client.configuration(vec![item]).await.ok()?;
    values.first().and_then(Settings::from_json)
}

/// Stores new settings and acts on what changed (reloads and rescans are
/// coalesced).
pub async fn apply_settings(session: &Arc<Session>, settings: Settings) {
    let previous = session.settings();
    session.set_settings(settings.clone());
    // The scan setting is part of the index (whether buffers wait for the
    // scan's importers or know none will come): a new one, and a rescan.
    if settings.config_path != previous.config_path || settings.workspace_scan != previous.workspace_scan {
        request_reload(session);
    }
    if !settings.workspace_scan && previous.workspace_scan {
        workspace_scan::forget_all(session).await;
    }
    if settings.max_document_bytes != previous.max_document_bytes {
        reanalyse_open_documents(session);
    }
}

/// Handles `workspace/didChangeWorkspaceFolders`: new roots, then a reload
/// (the first folder is where config discovery starts) and a rescan.
pub async fn did_change_workspace_folders(session: Arc<Session>, params: DidChangeWorkspaceFoldersParams) {
    let removed: Vec<PathBuf> = params.event.removed.iter().filter_map(|folder| uri_to_path(&folder.uri)).collect();
    let mut roots: Vec<PathBuf> = session.roots().into_iter().filter(|root| !removed.contains(root)).collect();
    for added in params.event.added.iter().filter_map(|folder| uri_to_path(&folder.uri)) {
        if !roots.contains(&added) {
            roots.push(added);
        }
    }
    // Re-indexing for the new roots reads the package tree: blocking pool.
    let indexer = Arc::clone(&session);
    if let Err(error) = tokio::task::spawn_blocking(move || indexer.set_roots(roots)).await {
        session.log(LogLevel::Error, format!("internal error while changing workspace folders: {error}")).await;
    }
    workspace_scan::forget_all(&session).await;
    request_reload(&session);
}

/// Settings from `initializationOptions`.
pub fn initial_settings(options: Option<&Value>) -> Settings {
    options.and_then(Settings::from_json).unwrap_or_default()
}

/// The workspace folders of `initialize`, as paths.
pub fn roots_from(
    folders: Option<&[tower_lsp_server::ls_types::WorkspaceFolder]>,
    root_uri: Option<&Uri>,
) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> =
        folders.unwrap_or_default().iter().filter_map(|folder| uri_to_path(&folder.uri)).collect();
    if roots.is_empty() {
        roots.extend(root_uri.and_then(uri_to_path));
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    #[test]
    fn a_config_error_points_at_its_span() {
        let text = "ignore = []\nbogus = 1\n";
        let error = ConfigError {
            path: Some(PathBuf::from("ssot.toml")),
            location: Some((2, 1)),
            message: "unknown field `bogus`".into(),
            span: Some(12..17),
            field: None,
        };
        let diagnostic = config_diagnostic(&error, text, PositionEncoding::Utf16);
        assert_eq!(diagnostic.range, Range::new(Position::new(1, 0), Position::new(1, 5)));
        let without_span = ConfigError { span: None, location: None, ..error };
        let diagnostic = config_diagnostic(&without_span, text, PositionEncoding::Utf16);
        assert_eq!(diagnostic.range, Range::new(Position::new(0, 0), Position::new(0, 0)));
    }

    #[test]
    fn config_files_are_recognised_by_name() {
        assert!(is_config_file(Path::new("/p/ssot.toml")));
        assert!(is_config_file(Path::new("/p/.ssot.toml")));
        assert!(is_config_file(Path::new("/p/pyproject.toml")));
        assert!(!is_config_file(Path::new("/p/setup.cfg")));
    }
}
