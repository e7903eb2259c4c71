//! The text-sync handlers: `didOpen`, `didChange`, `didClose`, and the
//! analysis job each change starts.
//!
//! The handlers mutate the document (`documents::Document`) and return: they
//! never wait for the analysis, so a slow parse holds no handler slot of
//! tower-lsp's and no message behind it. Each job runs in a spawned task on
//! tokio's blocking pool, never on the executor, and its result is stored
//! (and published) only when its epoch is still the document's.

use std::sync::Arc;
use std::time::Instant;

use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, MessageType,
    TextDocumentContentChangeEvent, Uri,
};

use super::diagnostics;
use super::documents::{AnalysisJob, ClassOrInput, Document, Pace};
use super::guard;
use super::session::{uri_to_path, ActiveRules, Session};
use super::settings::LogLevel;
use super::workspace_scan;
use crate::rules::FileScope;

pub async fn did_open(session: Arc<Session>, params: DidOpenTextDocumentParams) {
    let document = params.text_document;
    let uri = document.uri;
    let opened = guard::sync("textDocument/didOpen", || {
        // The scope and path class are found by the first job, off the executor.
        let epoch = session.next_epoch();
        let opened = Document::opened(&document.text, document.version, epoch, FileScope::default());
        session.documents.insert(uri.clone(), opened);
    });
    // The didOpen body (possibly megabytes) is freed before anything else.
    drop(document.text);
    if opened.is_none() {
        session.log(LogLevel::Error, format!("internal error while opening {}", uri.as_str())).await;
        return;
    }
    spawn_analysis(&session, &uri, "textDocument/didOpen");
    super::dependents::buffer_changed(&session, &uri);
}

pub async fn did_change(session: Arc<Session>, params: DidChangeTextDocumentParams) {
    let uri = params.text_document.uri;
    let version = params.text_document.version;
    let outcome =
        guard::sync("textDocument/didChange", || apply_change(&session, &uri, version, &params.content_changes));
    match outcome {
        Some(ChangeOutcome::Applied) => {
            pace_analysis(&session, &uri, version);
            super::dependents::buffer_changed(&session, &uri);
        }
        Some(ChangeOutcome::Stale { current }) => {
            let message = format!("dropped a change to {} with version {version}: already at {current}", uri.as_str());
            session.log(LogLevel::Warn, message).await;
        }
        Some(ChangeOutcome::Unknown) => {
            session.log(LogLevel::Warn, format!("change to a document that is not open: {}", uri.as_str())).await;
        }
        None => {
            // The text may be half updated: forget the document rather than
            // check text that differs from the client's.
            session.documents.remove(&uri);
            let message = format!("internal error while applying a change to {}; reopen the file", uri.as_str());
            session.log(LogLevel::Error, message).await;
        }
    }
}

/// Starts the analysis after a change now or later, as the server's
/// `AnalysisPacing` says: while changes stream in (typing), the document is
/// analysed every so often instead of once per keystroke. A put-off
/// analysis waits in a spawned task (a timer, no thread).
fn pace_analysis(session: &Arc<Session>, uri: &Uri, version: i32) {
    let pacing = session.options.analysis_pacing;
    let pace = session.documents.get_mut(uri).map(|mut document| document.pace_change(Instant::now(), pacing));
    match pace {
        Some(Pace::Now) => spawn_analysis(session, uri, "textDocument/didChange"),
        Some(Pace::Later(delay)) => {
            let (session, uri) = (Arc::clone(session), uri.clone());
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let due =
                    session.documents.get(&uri).is_some_and(|document| document.due(version, Instant::now(), pacing));
                if due {
                    spawn_analysis(&session, &uri, "textDocument/didChange");
                }
            });
        }
        None => {}
    }
}

/// Starts the analysis of an open document's current text (cancelling the
/// one in flight) and returns at once: the job runs in a spawned task, on the
/// blocking pool, and publishes its result if it is still the current one.
///
/// The job is created here, synchronously, so jobs start (and cancel each
/// other) in the order the notifications arrived.
pub fn spawn_analysis(session: &Arc<Session>, uri: &Uri, method: &'static str) {
    let max_bytes = session.settings().max_document_bytes;
    let epoch = session.next_epoch();
    let find_class =
        ClassOrInput::Find { folders: session.roots(), root: session.primary_root(), path: uri_to_path(uri) };
    let started =
        session.documents.get_mut(uri).map(|mut document| document.start_analysis(epoch, max_bytes, find_class));
    let Some(job) = started else { return };
    // The rules are taken after the epoch: a reload that replaces them
    // afterwards starts a newer job, which supersedes this one.
    let rules = session.rules();
    // A pull client pulls after its own changes; of a check the server
    // started it is told, once per round.
    let check = (!started_by_client(method)).then(|| ServerCheck::start(session));
    let (session, uri) = (Arc::clone(session), uri.clone());
    tokio::spawn(async move {
        let stored = run_analysis(session, uri, job, rules, method).await;
        if let Some(mut check) = check {
            check.stored = stored;
        }
    });
}

/// A check the server started, counted from its start until it ends (its
/// task may also end in a panic): the last of a round asks a pull client
/// to pull again (`Session::server_check_ended`).
struct ServerCheck {
    session: Arc<Session>,
    stored: bool,
}

impl ServerCheck {
    fn start(session: &Arc<Session>) -> Self {
        session.server_check_started();
        ServerCheck { session: Arc::clone(session), stored: false }
    }
}

impl Drop for ServerCheck {
    fn drop(&mut self) {
        if !self.session.server_check_ended(self.stored) {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let session = Arc::clone(&self.session);
            runtime.spawn(async move { diagnostics::refresh_pull_client(&session).await });
        }
    }
}

/// Whether a check follows the client's own open or change (it pulls
/// afterwards by itself).
fn started_by_client(method: &str) -> bool {
    matches!(method, "textDocument/didOpen" | "textDocument/didChange")
}

/// Runs one analysis job and stores and publishes its result (says whether
/// it stored one). When the engine panics, the document keeps its text with
/// no findings, and the error is logged.
async fn run_analysis(
    session: Arc<Session>,
    uri: Uri,
    job: AnalysisJob,
    rules: Arc<ActiveRules>,
    method: &str,
) -> bool {
    let (epoch, version) = (job.epoch, job.version);
    let gate = session.options.hooks.analysis.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let analysis = job.run(&rules.rules);
        let cost = started.elapsed();
        gate.pass();
        analysis.map(|analysis| (analysis, cost))
    })
    .await;
    let mut unimported_hubs = Vec::new();
    let stored = match outcome {
        Ok(Some((mut analysis, cost))) => {
            let Some(mut document) = session.documents.get_mut(&uri) else { return false };
            // The analysis after an open or a reload parses from scratch:
            // it says little about the next keystroke's.
            if method == "textDocument/didChange" {
                document.note_analysis_cost(cost);
            }
            if document.is_stale(&analysis) {
                drop(document);
                let (version, rope, findings) = analysis.into_findings();
                diagnostics::publish_stale(&session, &uri, epoch, version, &rope, &findings).await;
                return false;
            }
            let result_id = session.next_result_id();
            let reexports = analysis.reexports.take();
            let stored = document.finish(analysis, result_id);
            // Committed under the document's entry: a newer analysis cannot
            // store (and commit) in between.
            if let Some(log) = reexports.filter(|_| stored) {
                unimported_hubs = super::dependents::commit_reexports(&uri, &log);
            }
            stored
        }
        // A newer job cancelled this one; it publishes its own result.
        Ok(None) => false,
        Err(_) => {
            let stored = session.documents.get_mut(&uri).is_some_and(|mut document| {
                let result_id = session.next_result_id();
                document.finish_empty(epoch, result_id)
            });
            let message = format!("internal error while checking {} after {method}", uri.as_str());
            session.log(LogLevel::Error, message).await;
            stored
        }
    };
    if !stored {
        return false;
    }
    let too_large = session.documents.get(&uri).is_some_and(|document| document.too_large && document.epoch() == epoch);
    if too_large {
        report_too_large(&session, &uri, version).await;
    }
    diagnostics::publish_document(&session, &uri).await;
    super::dependents::recheck_hubs(&session, &unimported_hubs);
    super::dependents::recheck_hubs_if_new(&session);
    true
}

/// Says once per version that a document is too large to analyse.
async fn report_too_large(session: &Session, uri: &Uri, version: i32) {
    let limit = session.settings().max_document_bytes;
    let message = format!(
        "ssot-lsp: {} (version {version}) is larger than maxDocumentBytes ({limit} bytes): it is not checked; raise the setting to check it",
        uri.as_str()
    );
    session.log(LogLevel::Warn, message.clone()).await;
    session.client.show_message(MessageType::WARNING, message).await;
}

enum ChangeOutcome {
    Applied,
    Stale { current: i32 },
    Unknown,
}

/// Applies a change to the rope and tree (the check comes after).
fn apply_change(
    session: &Session,
    uri: &Uri,
    version: i32,
    changes: &[TextDocumentContentChangeEvent],
) -> ChangeOutcome {
    let Some(mut document) = session.documents.get_mut(uri) else { return ChangeOutcome::Unknown };
    if version <= document.version {
        return ChangeOutcome::Stale { current: document.version };
    }
    document.apply_changes(changes, session.encoding());
    document.version = version;
    ChangeOutcome::Applied
}

pub async fn did_close(session: Arc<Session>, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    let closed = session.documents.remove(&uri);
    let was_large = closed.as_ref().is_some_and(|(_, document)| document.rope.len_bytes() >= RETURN_MEMORY_ABOVE);
    drop(closed);
    if was_large {
        super::memory::return_freed_memory();
    }
    // The index reads the file from disk again.
    super::dependents::buffer_changed(&session, &uri);
    // What is on disk counts again: re-check it (off the executor) when the
    // workspace is scanned, else clear what the editor showed.
    if session.settings().workspace_scan {
        workspace_scan::queue_disk_checks(&session, vec![uri]);
    } else {
        session.closed_files.remove(&uri);
        diagnostics::clear(&session, &uri).await;
    }
}

/// Closing a document at least this large hands freed memory back to the
/// system (see `memory`).
const RETURN_MEMORY_ABOVE: usize = 1 << 20;
