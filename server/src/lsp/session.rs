//! The server's state: what the client supports, the settings, the active
//! rules, the open documents and the findings of closed files.
//!
//! Every field is either immutable after `initialize`, an atomic, a `DashMap`
//! or behind a short `RwLock` that is taken, read or written and released
//! without an `.await` in between. Handlers clone what they need (an `Arc` of
//! the rules, a copy of the settings) and drop every guard before awaiting.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use dashmap::DashMap;
use tower_lsp_server::ls_types::{ClientCapabilities, Diagnostic, MessageType, Uri};
use tower_lsp_server::Client;

use super::documents::Document;
use super::options::ServeOptions;
use super::position::PositionEncoding;
use super::settings::{LogLevel, Settings};
use super::work_queue::WorkQueue;
use crate::index::{SharedIndex, WorkspaceIndex};
use crate::rules::{ConfigSource, RuleSet};

/// What the client said it supports, fixed at `initialize`.
#[derive(Debug, Clone, Default)]
pub struct ClientSupport {
    pub encoding: PositionEncoding,
    /// The client pulls diagnostics (`textDocument.diagnostic`): never push to it.
    pub pull_diagnostics: bool,
    /// The client accepts `workspace/diagnostic/refresh`.
    pub diagnostic_refresh: bool,
    /// The client accepts `window/workDoneProgress/create`.
    pub work_done_progress: bool,
    /// The client accepts a dynamic registration of `workspace/didChangeWatchedFiles`.
    pub watch_files_dynamically: bool,
    /// The client accepts `workspace/applyEdit`.
    pub apply_edit: bool,
    /// The client accepts versioned `documentChanges` in a `WorkspaceEdit`.
    pub document_changes: bool,
    /// The client answers `workspace/configuration`.
    pub configuration: bool,
    /// The client resolves a code action's `edit` (`codeAction/resolve`).
    pub resolve_code_action_edit: bool,
}

impl ClientSupport {
    pub fn from_capabilities(capabilities: &ClientCapabilities) -> Self {
        let workspace = capabilities.workspace.as_ref();
        let text_document = capabilities.text_document.as_ref();
        ClientSupport {
            encoding: PositionEncoding::negotiate(capabilities),
            pull_diagnostics: text_document.is_some_and(|text| text.diagnostic.is_some()),
            diagnostic_refresh: workspace
                .and_then(|workspace| workspace.diagnostics.as_ref())
                .and_then(|diagnostics| diagnostics.refresh_support)
                .unwrap_or(false),
            work_done_progress: capabilities
                .window
                .as_ref()
                .and_then(|window| window.work_done_progress)
                .unwrap_or(false),
            watch_files_dynamically: workspace
                .and_then(|workspace| workspace.did_change_watched_files.as_ref())
                .and_then(|watched| watched.dynamic_registration)
                .unwrap_or(false),
            apply_edit: workspace.and_then(|workspace| workspace.apply_edit).unwrap_or(false),
            document_changes: workspace
                .and_then(|workspace| workspace.workspace_edit.as_ref())
                .and_then(|edit| edit.document_changes)
                .unwrap_or(false),
            configuration: workspace.and_then(|workspace| workspace.configuration).unwrap_or(false),
            resolve_code_action_edit: text_document
                .and_then(|text| text.code_action.as_ref())
                .and_then(|code_action| code_action.resolve_support.as_ref())
                .is_some_and(|resolve| resolve.properties.iter().any(|property| property == "edit")),
        }
    }
}

/// The rules in force and where they came from.
#[derive(Debug, Clone)]
pub struct ActiveRules {
    pub rules: RuleSet,
    pub source: ConfigSource,
}

/// What the server keeps about a file that is not open: its diagnostics
/// (converted while its text was at hand) and a summary of its findings for
/// the migration report. Never its text.
#[derive(Debug, Clone, Default)]
pub struct ClosedFile {
    pub diagnostics: Vec<Diagnostic>,
    pub findings: Vec<FindingSummary>,
    /// Changes whenever the diagnostics change (for pull clients).
    pub result_id: String,
}

/// The part of a finding the migration report counts, and what says when
/// it is due again (`dependents::recheck_patched_readers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingSummary {
    pub code: String,
    pub deprecated: String,
    /// Recorded in the baseline.
    pub baselined: bool,
    /// See `Finding::patchers_seen`.
    pub patchers_seen: Option<crate::finding::PatchersSeen>,
}

impl FindingSummary {
    pub fn of(finding: &crate::finding::Finding) -> Self {
        FindingSummary {
            code: finding.code.clone(),
            deprecated: finding.deprecated.clone(),
            baselined: finding.baselined,
            patchers_seen: finding.patchers_seen.clone(),
        }
    }
}

/// The whole server state.
#[derive(Debug)]
pub struct Session {
    pub client: Client,
    support: OnceLock<ClientSupport>,
    settings: RwLock<Settings>,
    rules: RwLock<Arc<ActiveRules>>,
    roots: RwLock<Vec<PathBuf>>,
    /// Open documents by URI (shared with the workspace index, which reads
    /// an open module's buffer instead of its file).
    pub documents: Arc<DashMap<Uri, Document>>,
    /// Findings of files that are not open (workspace scan, watched files,
    /// the config file's own error). Entries whose diagnostics became empty
    /// stay until they have been cleared in the client.
    pub closed_files: DashMap<Uri, ClosedFile>,
    /// Bumped to cancel a running workspace scan.
    pub scan_generation: AtomicU64,
    result_ids: AtomicU64,
    /// Messages that could not be sent before `initialized`.
    pending_messages: Mutex<Vec<(MessageType, String)>>,
    /// The config file whose error is shown as a diagnostic, if any.
    pub config_problem: Mutex<Option<Uri>>,
    /// Limits and test hooks.
    pub options: ServeOptions,
    /// The source of analysis epochs (see `documents`).
    epochs: AtomicU64,
    /// Closed files waiting for a re-check from disk, coalesced: a file
    /// named by many events is checked once (see
    /// `workspace_scan::queue_disk_checks`).
    pub disk_queue: WorkQueue<Uri>,
    /// Set while a rules reload is wanted or running (see `config::request_reload`).
    pub reload: Mutex<ReloadState>,
    /// The cancel flags of the commands' `$/progress`, by token.
    pub progress_cancels: DashMap<String, Arc<std::sync::atomic::AtomicBool>>,
    /// Set while `ssot.fixWorkspace` runs (one at a time).
    pub fix_workspace_running: std::sync::atomic::AtomicBool,
    /// Changed files the workspace index must take in, compared with what
    /// it read (see `dependents`).
    pub index_queue: WorkQueue<PathBuf>,
    /// The index's re-export generation when the hubs were last checked
    /// again (see `dependents::recheck_hubs_if_new`).
    pub seen_reexport_generation: AtomicU64,
    /// Held by every push of diagnostics from reading what it sends until
    /// it is sent (see `diagnostics`).
    pub publish_turn: tokio::sync::Mutex<()>,
    /// Checks of open documents the server started itself (not a client's
    /// open or change) and not yet done, and whether one of them stored a
    /// result since a pull client was last asked to pull again: the last of
    /// a round asks once (see `server_check_started`).
    server_checks: std::sync::atomic::AtomicUsize,
    refresh_owed: std::sync::atomic::AtomicBool,
}

/// The coalescing of rules reloads and rescans: every trigger sets what it
/// wants and counts; one worker acts once the triggers stop.
#[derive(Debug, Default)]
pub struct ReloadState {
    pub reload_wanted: bool,
    pub rescan_wanted: bool,
    pub worker_running: bool,
    /// Triggers so far (the worker waits until this stops moving).
    pub triggers: u64,
    /// Reloads done so far (logged; tests count them).
    pub reloads: u64,
}

impl Session {
    pub fn new(client: Client, options: ServeOptions) -> Self {
        Session {
            client,
            support: OnceLock::new(),
            settings: RwLock::new(Settings::default()),
            rules: RwLock::new(Arc::new(ActiveRules { rules: RuleSet::builtin(), source: ConfigSource::Builtin })),
            roots: RwLock::new(Vec::new()),
            documents: Arc::new(DashMap::new()),
            closed_files: DashMap::new(),
            scan_generation: AtomicU64::new(0),
            result_ids: AtomicU64::new(0),
            pending_messages: Mutex::new(Vec::new()),
            config_problem: Mutex::new(None),
            options,
            epochs: AtomicU64::new(0),
            disk_queue: WorkQueue::default(),
            reload: Mutex::new(ReloadState::default()),
            progress_cancels: DashMap::new(),
            fix_workspace_running: std::sync::atomic::AtomicBool::new(false),
            index_queue: WorkQueue::default(),
            seen_reexport_generation: AtomicU64::new(0),
            publish_turn: tokio::sync::Mutex::new(()),
            server_checks: std::sync::atomic::AtomicUsize::new(0),
            refresh_owed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Counts a check of an open document the server started itself (the
    /// scan's end, a hub's importers, the index, a rules reload): these
    /// come in rounds, one per open document.
    pub fn server_check_started(&self) {
        self.server_checks.fetch_add(1, Ordering::SeqCst);
    }

    /// Ends one (`stored`: it stored a new result) and says whether a pull
    /// client is now to be asked to pull again: when this was the last
    /// running and one of its round stored, so that a round of N checks
    /// asks once rather than N times. (A check that ends before the next
    /// of its round starts asks for its own: one more refresh, no loss.)
    pub fn server_check_ended(&self, stored: bool) -> bool {
        if stored {
            self.refresh_owed.store(true, Ordering::SeqCst);
        }
        self.server_checks.fetch_sub(1, Ordering::SeqCst) == 1 && self.refresh_owed.swap(false, Ordering::SeqCst)
    }

    /// A fresh analysis epoch.
    pub fn next_epoch(&self) -> u64 {
        self.epochs.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// What the client supports (defaults before `initialize`).
    pub fn support(&self) -> &ClientSupport {
        static DEFAULT: OnceLock<ClientSupport> = OnceLock::new();
        self.support.get().unwrap_or_else(|| DEFAULT.get_or_init(ClientSupport::default))
    }

    pub fn set_support(&self, support: ClientSupport) {
        let _ = self.support.set(support);
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.support().encoding
    }

    /// Whether diagnostics go out as `publishDiagnostics` (never to pull clients).
    pub fn pushes_diagnostics(&self) -> bool {
        !self.support().pull_diagnostics
    }

    /// A pull client the server cannot ask to pull again
    /// (no `workspace/diagnostic/refresh`): it keeps an answer until its
    /// next change, so a document's answer waits for the settled check.
    pub fn holds_pull_answers(&self) -> bool {
        let support = self.support();
        support.pull_diagnostics && !support.diagnostic_refresh
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn set_settings(&self, settings: Settings) {
        *self.settings.write().unwrap_or_else(PoisonError::into_inner) = settings;
    }

    pub fn rules(&self) -> Arc<ActiveRules> {
        self.rules.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Sets the rules, with a fresh workspace index for them (built lazily:
    /// modules are read when a fix asks about them). Reads the disk (the
    /// package tree, `pyproject.toml` line lengths): blocking pool only.
    pub fn set_rules(&self, rules: ActiveRules) {
        self.install_rules(self.indexed(rules));
    }

    /// The rules with a fresh workspace index for the current roots. Reads
    /// the disk: blocking pool only.
    pub fn indexed(&self, mut rules: ActiveRules) -> ActiveRules {
        rules.rules.settings.index = Some(self.new_index(&rules.rules));
        rules
    }

    /// Puts rules (indexed by `indexed`) in force; no I/O.
    pub fn install_rules(&self, rules: ActiveRules) {
        *self.rules.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(rules);
    }

    fn new_index(&self, rules: &RuleSet) -> SharedIndex {
        let roots = WorkspaceIndex::roots_for(&rules.settings.import_roots, &self.roots(), &self.primary_root());
        let line_length = crate::workspace::project_line_length(&self.primary_root());
        let documents = Arc::clone(&self.documents);
        let overlay: crate::index::TextOverlay = Arc::new(move |path: &Path| {
            let uri = path_to_uri(path)?;
            // Never waits: a document being written is read from disk.
            let document = documents.try_get(&uri).try_unwrap()?;
            Some(String::from(&document.rope))
        });
        // Files change while the server runs: each check's re-exports are
        // committed per importer (`dependents::commit_reexports`).
        let index =
            WorkspaceIndex::new(roots).with_line_length(line_length).with_overlay(overlay).with_committed_reexports();
        // A workspace scan follows every new index (`workspace_scan::scan`
        // records the importers, then says so); until then a buffer's fixes
        // that depend on them are withheld. A client is told of the check
        // after the scan: pushed diagnostics, a refresh, or, for a pull
        // client that cannot be asked to pull again (Neovim 0.11), an answer
        // held until the scan ends (`diagnostics::pull_document`).
        // With the scan off nothing will record them: such fixes are unsafe.
        let index = match (self.roots().is_empty(), self.settings().workspace_scan) {
            (true, _) => index,
            (false, true) => index.with_importers_pending(),
            (false, false) => index.with_importers_unscanned(),
        };
        SharedIndex(Arc::new(index))
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Sets the workspace folders and re-indexes the rules for them. Reads
    /// the disk: blocking pool only.
    pub fn set_roots(&self, roots: Vec<PathBuf>) {
        *self.roots.write().unwrap_or_else(PoisonError::into_inner) = roots;
        let current = self.rules();
        self.set_rules(ActiveRules { rules: current.rules.clone(), source: current.source.clone() });
    }

    /// The folder config discovery starts from and relative paths are
    /// relative to: the first workspace folder, else the current directory.
    pub fn primary_root(&self) -> PathBuf {
        self.roots().into_iter().next().or_else(|| std::env::current_dir().ok()).unwrap_or_else(|| PathBuf::from("."))
    }

    /// A fresh result id for pull diagnostics.
    pub fn next_result_id(&self) -> String {
        (self.result_ids.fetch_add(1, Ordering::Relaxed) + 1).to_string()
    }

    /// Logs to stderr and, at or below the configured level, to the client.
    pub async fn log(&self, level: LogLevel, message: impl Into<String>) {
        let message = message.into();
        match level {
            LogLevel::Error => tracing::error!("{message}"),
            LogLevel::Warn => tracing::warn!("{message}"),
            LogLevel::Info => tracing::info!("{message}"),
            LogLevel::Debug => tracing::debug!("{message}"),
            LogLevel::Trace => tracing::trace!("{message}"),
        }
        if level > self.settings().log_level {
            return;
        }
        let kind = match level {
            LogLevel::Error => MessageType::ERROR,
            LogLevel::Warn => MessageType::WARNING,
            LogLevel::Info => MessageType::INFO,
            LogLevel::Debug | LogLevel::Trace => MessageType::LOG,
        };
        self.client.log_message(kind, message).await;
    }

    /// Keeps a `window/showMessage` for after `initialized`.
    pub fn defer_message(&self, kind: MessageType, message: String) {
        self.pending_messages.lock().unwrap_or_else(PoisonError::into_inner).push((kind, message));
    }

    pub fn take_deferred_messages(&self) -> Vec<(MessageType, String)> {
        std::mem::take(&mut *self.pending_messages.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The file path of a `file:` URI.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let scheme = uri.scheme().as_str();
    if !scheme.eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(|path| path.into_owned())
}

/// The `file:` URI of a path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}
