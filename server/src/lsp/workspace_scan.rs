//! The background check of every Python file in the workspace folders, so
//! closed files get diagnostics too, and the re-check of single files on disk
//! (closed after editing, or changed on disk while closed).
//!
//! Walking, prefiltering and checking run on blocking threads (rayon inside);
//! the async side reports `$/progress` and publishes results chunk by chunk.
//! Only findings and diagnostics of closed files are kept, never their text.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use ropey::Rope;
use tower_lsp_server::ls_types::{Diagnostic, NumberOrString, Uri};
use tower_lsp_server::{Bounded, NotCancellable, OngoingProgress};

use super::diagnostics::{self, to_diagnostic};
use super::position::PositionEncoding;
use super::session::{uri_to_path, ClosedFile, FindingSummary, Session};
use super::settings::LogLevel;
use crate::analysis;
use crate::index::{HubAliasNames, ReexportLog, SharedIndex};
use crate::path_class::classify_path;
use crate::rules::{FileScope, RuleSet};
use crate::source::{read_source_with, SourceRef};
use crate::workspace::{self, ScopeFinder};

/// What checking one file on disk gave.
#[derive(Debug, Clone, Default)]
pub struct DiskCheck {
    pub diagnostics: Vec<Diagnostic>,
    pub findings: Vec<FindingSummary>,
}

/// Checks one file from disk (read by `source::read_source_with`, as the
/// CLI reads it; the text is borrowed from the thread's read buffer);
/// `None` when it cannot be read or is skipped (binary, not UTF-8). What it
/// imports through re-export hubs goes to `reexports`. `scopes` places the
/// file in its package tree (one finder serves a scan's many files).
pub fn check_path(
    rules: &RuleSet,
    scopes: &ScopeFinder,
    path: &Path,
    encoding: PositionEncoding,
    reexports: Option<&ReexportLog>,
) -> Option<DiskCheck> {
    // A file naming a hub's alias of a deprecated name is checked too (no
    // trigger string needed: the skeleton keeps the alias's uses).
    let aliases = rules.settings.index.as_deref().map(|index| index.hub_alias_names());
    let names_alias = |bytes: &[u8], hides_names| {
        aliases.as_ref().is_some_and(|aliases| aliases.named_in_checked(bytes, hides_names))
    };
    read_source_with(rules, path, &names_alias, |read| {
        let text = match read.ok()? {
            SourceRef::Text(text) => text,
            SourceRef::NoTrigger => return Some(DiskCheck::default()),
            SourceRef::Skipped(_) => return None,
        };
        let scope = FileScope { reexport_log: reexports.cloned(), ..scopes.scope_for(path) };
        let mut findings = analysis::scan_text(rules, &scope, text);
        crate::baseline::mark_in_scope(rules, &scope, &mut findings);
        if findings.is_empty() {
            return Some(DiskCheck::default());
        }
        let rope = Rope::from_str(text);
        Some(DiskCheck {
            diagnostics: findings.iter().map(|finding| to_diagnostic(finding, &rope, encoding, None)).collect(),
            findings: findings.iter().map(FindingSummary::of).collect(),
        })
    })
}

/// Stores a disk check; true when the client should be told (the
/// diagnostics changed, or a file with findings became clean).
pub fn store(session: &Session, uri: &Uri, check: DiskCheck) -> bool {
    if let Some(existing) = session.closed_files.get(uri) {
        if existing.diagnostics == check.diagnostics {
            return false;
        }
    } else if check.diagnostics.is_empty() {
        return false;
    }
    let file =
        ClosedFile { diagnostics: check.diagnostics, findings: check.findings, result_id: session.next_result_id() };
    session.closed_files.insert(uri.clone(), file);
    true
}

/// What re-checking one closed file from disk came to.
enum DiskOutcome {
    /// Checked and stored: publish what is stored.
    Checked,
    /// Not a file the scan covers (any more), unreadable or deleted: its
    /// entry is gone, clear it in the client.
    Dropped,
    /// Open in the editor meanwhile: its text wins, nothing to do.
    Open,
}

/// A new log for what one check finds a file importing through re-export
/// hubs (`None` without a workspace index). Made before the file is read.
fn new_log(rules: &RuleSet) -> Option<ReexportLog> {
    rules.settings.index.as_ref().map(SharedIndex::reexport_log)
}

/// Re-checks one closed file from disk and stores the result (blocking: it
/// reads the file and ignore files). Also returns the hubs that lost their
/// last importer of a name: a file deleted, no longer checked or checked
/// without its import imports nothing through them any more.
fn refresh_closed_file(session: &Session, rules: &RuleSet, uri: &Uri) -> (DiskOutcome, Vec<String>) {
    let reexports = new_log(rules);
    if session.documents.contains_key(uri) {
        return (DiskOutcome::Open, Vec::new());
    }
    if !session.settings().workspace_scan {
        session.closed_files.remove(uri);
        return (DiskOutcome::Dropped, Vec::new());
    }
    let checked = uri_to_path(uri).filter(|path| {
        path.is_file() && classify_path(&session.roots(), rules, &session.primary_root(), path).is_checked()
    });
    let check = checked.and_then(|path| {
        let scopes = ScopeFinder::new(rules, &session.primary_root());
        check_path(rules, &scopes, &path, session.encoding(), reexports.as_ref())
    });
    let unimported_hubs = super::dependents::commit_disk_reexports(session, uri, reexports);
    let outcome = match check {
        Some(check) => {
            store(session, uri, check);
            DiskOutcome::Checked
        }
        None => {
            session.closed_files.remove(uri);
            DiskOutcome::Dropped
        }
    };
    (outcome, unimported_hubs)
}

/// How many queued files one blocking task checks before it publishes.
const DISK_BATCH: usize = 256;

/// Queues closed files (closed documents, watched-file events) for a re-check
/// from disk and makes sure one worker drains the queue: the checks run on
/// the blocking pool (rayon inside), a file named by many events is checked
/// once, and the caller returns at once.
pub fn queue_disk_checks(session: &Arc<Session>, uris: Vec<Uri>) {
    session.disk_queue.push(uris, || drain_disk_checks(Arc::clone(session)));
}

/// The queue's worker: checks batches of `DISK_BATCH` files (in URI order
/// within a batch) and publishes after each.
async fn drain_disk_checks(session: Arc<Session>) {
    let mut any_published = false;
    let mut unimported_hubs = Vec::new();
    while let Some(batch) = session.disk_queue.next_batch(DISK_BATCH) {
        any_published |= refresh_and_publish(&session, batch, &mut unimported_hubs).await;
    }
    if any_published {
        diagnostics::refresh_pull_client(&session).await;
    }
    super::dependents::recheck_hubs(&session, &unimported_hubs);
    super::dependents::recheck_hubs_if_new(&session);
}

/// Re-checks closed files from disk (in URI order, on the blocking pool)
/// and publishes what changed; adds the hubs that lost their last importer
/// of a name to `unimported_hubs`. Returns whether anything was published.
async fn refresh_and_publish(session: &Arc<Session>, mut batch: Vec<Uri>, unimported_hubs: &mut Vec<String>) -> bool {
    batch.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let worker = Arc::clone(session);
    let checked = tokio::task::spawn_blocking(move || {
        worker.options.hooks.disk_checks.pass();
        let rules = worker.rules();
        batch
            .into_par_iter()
            .map(|uri| {
                let (outcome, hubs) = refresh_closed_file(&worker, &rules.rules, &uri);
                (uri, outcome, hubs)
            })
            .collect::<Vec<_>>()
    })
    .await;
    let checked = match checked {
        Ok(checked) => checked,
        Err(error) => {
            session.log(LogLevel::Error, format!("internal error while re-checking files: {error}")).await;
            return false;
        }
    };
    let mut any_published = false;
    for (uri, outcome, hubs) in checked {
        unimported_hubs.extend(hubs);
        match outcome {
            DiskOutcome::Checked => diagnostics::publish_closed(session, &uri).await,
            DiskOutcome::Dropped if !session.documents.contains_key(&uri) => diagnostics::clear(session, &uri).await,
            DiskOutcome::Dropped | DiskOutcome::Open => continue,
        }
        any_published = true;
    }
    any_published
}

/// Starts a scan in the background (cancelling any running one).
pub fn spawn(session: Arc<Session>) {
    tokio::spawn(async move { scan(session).await });
}

/// Cancels a running scan.
pub fn cancel(session: &Session) {
    session.scan_generation.fetch_add(1, Ordering::SeqCst);
}

/// Scans the workspace folders.
pub async fn scan(session: Arc<Session>) {
    let generation = session.scan_generation.fetch_add(1, Ordering::SeqCst) + 1;
    let roots = session.roots();
    let rules = session.rules();
    if !session.settings().workspace_scan || roots.is_empty() {
        importers_recorded(&session, &rules);
        return;
    }
    let root = session.primary_root();
    // Progress begins before the walk, which takes a while in a large tree.
    let progress = begin_progress(&session, generation).await;
    let walked = {
        let (rules, roots, root) = (rules.clone(), roots.clone(), root.clone());
        tokio::task::spawn_blocking(move || workspace::walk(&roots, &rules.rules, &root)).await
    };
    let (files, warnings) = match walked {
        Ok(walked) => walked,
        Err(error) => {
            importers_recorded(&session, &rules);
            // Nothing more will be recorded: `ssot.fixWorkspace` must not
            // wait for it (its own walk fails the same way).
            if let Some(index) = rules.rules.settings.index.as_deref() {
                index.mark_scanned();
            }
            finish_progress(progress, "failed").await;
            session.log(LogLevel::Error, format!("workspace scan failed: {error}")).await;
            return;
        }
    };
    for warning in warnings {
        session.log(LogLevel::Warn, format!("workspace scan: {}", warning.message)).await;
    }
    // Shared with the rounds that follow hub aliases at the end.
    let files = Arc::new(files);
    if let Some(progress) = &progress {
        progress.report_with_message(format!("0/{} files", files.len()), 0).await;
    }
    let chunk_size = (files.len() / 20).clamp(16, 512);
    let mut done = 0;
    let mut unimported_hubs = Vec::new();
    for chunk in files.chunks(chunk_size) {
        if session.scan_generation.load(Ordering::SeqCst) != generation {
            // What the checked chunks committed stands: their hubs are due.
            super::dependents::recheck_hubs(&session, &unimported_hubs);
            finish_progress(progress, "cancelled").await;
            return;
        }
        let (checked, hubs) = check_chunk(&session, &rules.rules, &root, chunk).await;
        unimported_hubs.extend(hubs);
        for (uri, check) in checked {
            if store(&session, &uri, check) {
                diagnostics::publish_closed(&session, &uri).await;
            }
        }
        done += chunk.len();
        if let Some(progress) = &progress {
            let percentage = u32::try_from(done * 100 / files.len().max(1)).unwrap_or(100);
            progress.report_with_message(format!("{done}/{} files", files.len()), percentage).await;
        }
    }
    forget_vanished_files(&session, &roots, &files).await;
    follow_hub_alias_importers(&session, &rules.rules, Arc::clone(&files), generation, &mut unimported_hubs).await;
    if session.scan_generation.load(Ordering::SeqCst) == generation {
        importers_recorded(&session, &rules);
        if let Some(index) = rules.rules.settings.index.as_deref() {
            index.mark_scanned();
        }
    }
    super::dependents::recheck_hubs(&session, &unimported_hubs);
    super::dependents::recheck_hubs_if_new(&session);
    let with_findings = session.closed_files.iter().filter(|file| !file.findings.is_empty()).count();
    finish_progress(progress, &format!("{} files, {with_findings} with findings", files.len())).await;
    session.log(LogLevel::Info, format!("workspace scan: {} files checked", files.len())).await;
    diagnostics::refresh_pull_client(&session).await;
}

/// Tells the index that the workspace's importers are recorded (the scan is
/// done, or none will run) and, when open documents were checked while
/// they were not, checks them again: their fixes that move a module-level
/// name were withheld meanwhile (see `FileScope::buffer`).
fn importers_recorded(session: &Arc<Session>, rules: &super::session::ActiveRules) {
    let Some(index) = rules.rules.settings.index.as_deref() else { return };
    if !index.importers_recorded() {
        return;
    }
    let open: Vec<Uri> = session.documents.iter().map(|entry| entry.key().clone()).collect();
    for uri in &open {
        super::text_sync::spawn_analysis(session, uri, "the workspace scan recorded the importers");
    }
}

/// After a scan that found hubs giving deprecated names aliases: the files
/// that name an alias (the scan's prefilter dropped them, or checked them
/// before the hub) are checked again, whole (`check_path`), and published.
/// Again while their checks record new aliases (a package passing a hub's
/// alias on under its own name: a hub of a hub), up to as many rounds as
/// `check` makes, unless a newer scan started. Adds the hubs that lost
/// their last importer of a name to `unimported_hubs`.
async fn follow_hub_alias_importers(
    session: &Arc<Session>,
    rules: &RuleSet,
    files: Arc<Vec<PathBuf>>,
    generation: u64,
    unimported_hubs: &mut Vec<String>,
) {
    let Some(index) = rules.settings.index.clone() else { return };
    let mut followed = 0;
    let mut any_published = false;
    for _ in 0..crate::index::MAX_REEXPORT_DEPTH {
        let aliases = index.hub_alias_names();
        if aliases.recorded() == followed || session.scan_generation.load(Ordering::SeqCst) != generation {
            break;
        }
        followed = aliases.recorded();
        match files_naming(Arc::clone(&files), aliases).await {
            Ok(paths) => {
                let uris = paths.iter().filter_map(|path| super::session::path_to_uri(path)).collect();
                any_published |= refresh_and_publish(session, uris, unimported_hubs).await;
            }
            Err(error) => {
                session.log(LogLevel::Error, format!("workspace scan: {error}")).await;
                break;
            }
        }
    }
    if any_published {
        diagnostics::refresh_pull_client(session).await;
    }
}

/// What the scan records, without storing or publishing anything: every
/// file of `files` checked against the index, committing what it imports
/// through re-export hubs and which names it patches, then the files that
/// name a hub's alias, round after round (as [`scan`] and `check` do).
/// For `ssot.fixWorkspace` with the workspace scan off: `check --fix`
/// checks every file before it fixes any, so that a fix knows the tests
/// that patch the name it moves. False when `cancelled` stopped it.
pub async fn record_importers(session: &Arc<Session>, files: &[PathBuf], cancelled: &AtomicBool) -> bool {
    let files = Arc::new(files.to_vec());
    let rules = session.rules();
    let root = session.primary_root();
    let chunk_size = (files.len() / 20).clamp(16, 512);
    for chunk in files.chunks(chunk_size) {
        if cancelled.load(Ordering::SeqCst) {
            return false;
        }
        check_chunk(session, &rules.rules, &root, chunk).await;
    }
    let Some(index) = rules.rules.settings.index.clone() else { return true };
    let mut followed = 0;
    for _ in 0..crate::index::MAX_REEXPORT_DEPTH {
        let aliases = index.hub_alias_names();
        if aliases.recorded() == followed || cancelled.load(Ordering::SeqCst) {
            break;
        }
        followed = aliases.recorded();
        let naming = files_naming(Arc::clone(&files), aliases).await.unwrap_or_default();
        check_chunk(session, &rules.rules, &root, &naming).await;
    }
    !cancelled.load(Ordering::SeqCst)
}

/// The files of `files` whose text names one of the hub aliases `aliases`
/// (read on the blocking pool).
async fn files_naming(
    files: Arc<Vec<PathBuf>>,
    aliases: Arc<HubAliasNames>,
) -> Result<Vec<PathBuf>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        files
            .par_iter()
            .filter(|path| std::fs::read(path).is_ok_and(|bytes| aliases.named_in(&bytes)))
            .cloned()
            .collect()
    })
    .await
}

/// Checks a chunk of the scan's files and commits what each imports
/// through re-export hubs; also returns the hubs that lost their last
/// importer of a name.
async fn check_chunk(
    session: &Arc<Session>,
    rules: &RuleSet,
    root: &Path,
    chunk: &[PathBuf],
) -> (Vec<(Uri, DiskCheck)>, Vec<String>) {
    let (rules, root, chunk, encoding) = (rules.clone(), root.to_path_buf(), chunk.to_vec(), session.encoding());
    let worker = Arc::clone(session);
    let checked = tokio::task::spawn_blocking(move || {
        worker.options.hooks.scan.pass();
        // The chunk's files share the folders' real paths and package roots.
        let scopes = ScopeFinder::new(&rules, &root);
        let checked: Vec<(Uri, Option<DiskCheck>, Vec<String>)> = chunk
            .par_iter()
            .filter_map(|path| {
                let uri = super::session::path_to_uri(path)?;
                let reexports = new_log(&rules);
                let check = check_path(&rules, &scopes, path, encoding, reexports.as_ref());
                let hubs = super::dependents::commit_disk_reexports(&worker, &uri, reexports);
                Some((uri, check, hubs))
            })
            .collect();
        let mut unimported_hubs = Vec::new();
        let checked = checked
            .into_iter()
            .filter_map(|(uri, check, hubs)| {
                unimported_hubs.extend(hubs);
                Some((uri, check?))
            })
            .collect();
        (checked, unimported_hubs)
    })
    .await;
    match checked {
        Ok(checked) => checked,
        Err(error) => {
            session.log(LogLevel::Error, format!("workspace scan: a chunk failed: {error}")).await;
            (Vec::new(), Vec::new())
        }
    }
}

/// Drops (and clears) closed files under the roots that the walk no longer
/// found: deleted, ignored or excluded since.
async fn forget_vanished_files(session: &Session, roots: &[PathBuf], files: &[PathBuf]) {
    let found: HashSet<&Path> = files.iter().map(PathBuf::as_path).collect();
    let vanished: Vec<Uri> = session
        .closed_files
        .iter()
        .filter_map(|entry| {
            let path = uri_to_path(entry.key())?;
            let in_roots = roots.iter().any(|root| path.starts_with(root));
            (in_roots && workspace::is_python_file(&path) && !found.contains(path.as_path()))
                .then(|| entry.key().clone())
        })
        .collect();
    for uri in vanished {
        session.closed_files.remove(&uri);
        diagnostics::clear(session, &uri).await;
    }
}

/// Clears every closed file's diagnostics (the scan was switched off). The
/// config file's own problem stays.
pub async fn forget_all(session: &Session) {
    cancel(session);
    let config = session.config_problem.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let uris: Vec<Uri> = session
        .closed_files
        .iter()
        .map(|entry| entry.key().clone())
        .filter(|uri| Some(uri) != config.as_ref())
        .collect();
    for uri in uris {
        session.closed_files.remove(&uri);
        diagnostics::clear(session, &uri).await;
    }
}

async fn begin_progress(session: &Session, generation: u64) -> Option<OngoingProgress<Bounded, NotCancellable>> {
    if !session.support().work_done_progress {
        return None;
    }
    let token = NumberOrString::String(format!("ssot-lsp/workspace-scan/{generation}"));
    if session.client.create_work_done_progress(token.clone()).await.is_err() {
        return None;
    }
    let progress = session
        .client
        .progress(token, "ssot-lsp: checking the workspace")
        .with_percentage(0)
        .with_message("listing files".to_string());
    Some(progress.begin().await)
}

async fn finish_progress(progress: Option<OngoingProgress<Bounded, NotCancellable>>, message: &str) {
    if let Some(progress) = progress {
        progress.finish_with_message(message.to_string()).await;
    }
}
