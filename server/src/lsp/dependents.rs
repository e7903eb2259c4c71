//! Keeps the workspace index current and re-checks what depends on it.
//!
//! Findings and fixes consult the index (`index.rs`): which names the
//! canonical module binds and with which signatures, which modules re-export
//! a deprecated name. When a file the index read changes, on disk or in an
//! editor buffer, it is read again and compared with what the index held:
//! when its definitions or signatures changed, every open document and every
//! closed file with findings is checked again (a fix may have appeared or
//! gone); when what it imports or re-exports changed (or a module the index
//! looked for appeared or vanished), the workspace is rescanned too, since a
//! file without findings may now import a deprecated name through a hub.
//!
//! Changes are queued and coalesced: one worker takes them in on the
//! blocking pool, and handlers return at once. The worker paces itself
//! (`options::DEFAULT_DEPENDENTS_PACING`): it starts a round once no change
//! was queued for 250 ms, or a second after the round's first, so typing in
//! a canonical module costs a reading of it (and, when a name some check
//! looked up changed, a re-check of the files with findings) about once a
//! second rather than per keystroke (a broken outline, as while a new
//! function's header is typed, means a parse of the whole module). After a
//! workspace scan, the hubs in practice (modules others import a deprecated
//! name from) are checked again, since their callers were checked after
//! them.
//!
//! Which names each file imports through hubs is committed to the index
//! after each check the session keeps (`commit_reexports`): an open
//! document's stored analysis, a closed file checked from disk (a deleted
//! one imports nothing). A commit replaces the file's record in one step,
//! and a check that started before the last committed one of the same file
//! replaces nothing; a hub whose name lost its last importer is checked
//! again, since its fix need not keep the name any more.

use std::path::PathBuf;
use std::sync::Arc;

use dashmap::Entry;
use tower_lsp_server::ls_types::Uri;

use super::session::{path_to_uri, uri_to_path, Session};
use super::settings::LogLevel;
use crate::index::{IndexChange, ReexportLog};

/// An open document's buffer changed (opened, edited, closed): the index
/// takes it in when it read that file.
pub fn buffer_changed(session: &Arc<Session>, uri: &Uri) {
    let Some(path) = uri_to_path(uri) else { return };
    let Some(index) = session.rules().rules.settings.index.clone() else { return };
    if index.concerns(&path) {
        queue(session, vec![path]);
    }
}

/// Files changed on disk (watched-file events).
pub fn files_changed(session: &Arc<Session>, paths: Vec<PathBuf>) {
    if !paths.is_empty() {
        queue(session, paths);
    }
}

fn queue(session: &Arc<Session>, paths: Vec<PathBuf>) {
    session.index_queue.push(paths, || drain(Arc::clone(session)));
}

/// The queue's worker: takes every pending path each round, once the
/// changes settle.
async fn drain(session: Arc<Session>) {
    loop {
        let pacing = session.options.dependents_pacing;
        session.index_queue.settle(pacing.debounce, pacing.max_wait).await;
        let Some(paths) = session.index_queue.next_batch(usize::MAX) else { break };
        let worker = Arc::clone(&session);
        let refreshed = tokio::task::spawn_blocking(move || {
            let Some(index) = worker.rules().rules.settings.index.clone() else { return IndexChange::NotRead };
            paths.iter().map(|path| index.refresh(path)).fold(IndexChange::NotRead, IndexChange::max_with)
        })
        .await;
        let change = match refreshed {
            Ok(change) => change,
            Err(error) => {
                session.log(LogLevel::Error, format!("internal error while refreshing the index: {error}")).await;
                continue;
            }
        };
        if matches!(change, IndexChange::Definitions | IndexChange::Reexports) {
            recheck_dependents(&session, change == IndexChange::Reexports);
        }
    }
}

/// Checks every open document again, and every closed file with findings;
/// with `rescan`, the whole workspace.
fn recheck_dependents(session: &Arc<Session>, rescan: bool) {
    let open: Vec<Uri> = session.documents.iter().map(|entry| entry.key().clone()).collect();
    for uri in &open {
        super::text_sync::spawn_analysis(session, uri, "workspace index change");
    }
    if rescan {
        super::config::request_rescan(session);
        return;
    }
    let closed: Vec<Uri> = session
        .closed_files
        .iter()
        .filter(|entry| !entry.findings.is_empty() && !open.contains(entry.key()))
        .map(|entry| entry.key().clone())
        .collect();
    if !closed.is_empty() {
        super::workspace_scan::queue_disk_checks(session, closed);
    }
}

/// After checks (an open document, closed files, a workspace scan): when
/// they recorded that some file imports a name from a hub that was not
/// known to, the hubs are checked again (their own check may have run
/// before their callers', when their fix did not yet have to keep it).
pub fn recheck_hubs_if_new(session: &Arc<Session>) {
    let Some(index) = session.rules().rules.settings.index.clone() else { return };
    let generation = index.reexport_generation();
    if session.seen_reexport_generation.swap(generation, std::sync::atomic::Ordering::Relaxed) == generation {
        return;
    }
    recheck_hubs(session, &index.reexporting_modules());
    recheck_patched_readers(session, &index);
}

/// Checks again the files (open or closed) whose fixes were judged knowing
/// fewer files that patch a name on its deprecated module than are
/// recorded now: imports read when their function runs, which the patch
/// reaches (`FileAnalysis::patched_read`). A lazy importer checked
/// by the scan before the test that patches its name would keep a safe fix
/// that leaves the patch behind.
fn recheck_patched_readers(session: &Arc<Session>, index: &crate::index::WorkspaceIndex) {
    let stale =
        |seen: &Option<crate::finding::PatchersSeen>| seen.as_ref().is_some_and(|seen| index.patchers_changed(seen));
    let open: Vec<Uri> = session
        .documents
        .iter()
        .filter(|entry| entry.findings.iter().any(|finding| stale(&finding.patchers_seen)))
        .map(|entry| entry.key().clone())
        .collect();
    for uri in &open {
        super::text_sync::spawn_analysis(session, uri, "a change of who patches a name it reads");
    }
    let closed: Vec<Uri> = session
        .closed_files
        .iter()
        .filter(|entry| entry.findings.iter().any(|finding| stale(&finding.patchers_seen)))
        .map(|entry| entry.key().clone())
        .collect();
    if !closed.is_empty() {
        super::workspace_scan::queue_disk_checks(session, closed);
    }
}

/// Checks the hub modules `hubs` again: open ones in the editor, closed
/// ones from disk.
pub fn recheck_hubs(session: &Arc<Session>, hubs: &[String]) {
    let Some(index) = session.rules().rules.settings.index.clone() else { return };
    let uris: Vec<Uri> =
        hubs.iter().filter_map(|module| index.module_path(module)).filter_map(|path| path_to_uri(&path)).collect();
    let (open, closed): (Vec<Uri>, Vec<Uri>) = uris.into_iter().partition(|uri| session.documents.contains_key(uri));
    for uri in &open {
        super::text_sync::spawn_analysis(session, uri, "a change of a hub's importers");
    }
    if !closed.is_empty() {
        super::workspace_scan::queue_disk_checks(session, closed);
    }
}

/// The name a file's re-exports are committed under: its path, or the URI
/// of a buffer that has none.
fn importer_key(uri: &Uri) -> String {
    uri_to_path(uri).map_or_else(|| uri.as_str().to_string(), |path| path.display().to_string())
}

/// Commits what the stored analysis of an open document found it importing
/// through hubs. The caller holds the document's entry, so no newer
/// analysis of it is stored (and committed) meanwhile. Returns the hubs to
/// check again.
pub fn commit_reexports(uri: &Uri, log: &ReexportLog) -> Vec<String> {
    log.commit(&importer_key(uri)).unwrap_or_default()
}

/// Commits what a check of a closed file from disk found it importing
/// through hubs, unless the file is open (its buffer's checks own its
/// record); the documents map's entry is held meanwhile, so a `didOpen`
/// waits for the commit. Returns the hubs to check again.
pub fn commit_disk_reexports(session: &Session, uri: &Uri, log: Option<ReexportLog>) -> Vec<String> {
    let Some(log) = log else { return Vec::new() };
    match session.documents.entry(uri.clone()) {
        Entry::Vacant(_held) => commit_reexports(uri, &log),
        Entry::Occupied(_) => Vec::new(),
    }
}
