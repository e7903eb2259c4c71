//! `workspace/executeCommand`: `ssot.fixAll` fixes one open document,
//! `ssot.fixWorkspace` fixes every Python file the workspace walk checks
//! (open documents from their editor text, closed files from disk). Both send
//! the result through `workspace/applyEdit`; the server never writes files.
//!
//! The command answers at once (`null`) and the fix runs in a spawned task:
//! a handler that waited for the client's answer to `applyEdit` would hold
//! one of tower-lsp's handler slots, and enough of them stop the server from
//! reading the very answers they wait for. The outcome is logged
//! (`window/logMessage`, "ssot.fixWorkspace: …"); `ssot.fixWorkspace` reports
//! `$/progress` with a cancel button.
//!
//! An edit never lands on text it was not computed for: the edits of open
//! documents are computed from the server's current text right before they
//! are sent, after a check that no change came in between, and carry that
//! version when the client takes `documentChanges`. A closed file is re-read
//! before sending and recomputed if it changed on disk; a file opened since
//! it was read is fixed from its editor text instead. When the client refuses
//! the edit and a document moved meanwhile, everything is recomputed and sent
//! again, at most `MAX_ATTEMPTS` times.
//!
//! `ssot.fixWorkspace` fixes nothing before the index knows who imports and
//! patches what (as `check --fix` checks every file before it fixes any): it
//! waits for the workspace scan to end, or, with the scan off, checks every
//! file itself first. A fix that moves a name some test patches is unsafe,
//! and only that record tells.
//!
//! A client without `documentChanges` applies any edit to its current
//! buffer and cannot refuse one: for it the fix of open documents waits
//! `UNVERSIONED_SETTLE` before that check, so that a change sent while the
//! fix was computed (a keystroke right after `ssot.fixAll`) is read and the
//! fix computed again. A change the client sends after that, before it
//! applies the edit, is beyond what the protocol lets a server see without
//! versions: such clients should advertise `documentChanges`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use ropey::Rope;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, LSPAny, NumberOrString, TextEdit, Uri};
use tower_lsp_server::{Bounded, Cancellable, OngoingProgress};

use super::analysed::analysed_snapshot;
use super::code_actions::{fix_all_edit, fix_all_options, text_edit, workspace_edit};
use super::documents::Snapshot;
use super::memory;
use super::position::PositionEncoding;
use super::session::{path_to_uri, Session};
use super::settings::LogLevel;
use super::workspace_scan;
use crate::rules::{FileScope, RuleSet};
use crate::source::{read_source, Source};
use crate::workspace;

pub const FIX_ALL: &str = "ssot.fixAll";
pub const FIX_WORKSPACE: &str = "ssot.fixWorkspace";

/// How many times a fix is recomputed and sent again after the client
/// refused it because a document changed.
const MAX_ATTEMPTS: usize = 5;

/// How long the fix of open documents waits, for a client without
/// versioned edits, for changes the client sent while it was computed.
const UNVERSIONED_SETTLE: std::time::Duration = std::time::Duration::from_millis(50);

/// The commands the server advertises.
pub fn all() -> Vec<String> {
    vec![FIX_ALL.to_string(), FIX_WORKSPACE.to_string()]
}

pub async fn execute_command(session: Arc<Session>, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
    let target = match params.command.as_str() {
        FIX_ALL => {
            let uri = uri_argument(&params.arguments)
                .ok_or_else(|| Error::invalid_params("ssot.fixAll takes a document URI"))?;
            if !session.documents.contains_key(&uri) {
                return Err(Error::invalid_params(format!("{} is not open", uri.as_str())));
            }
            Target::Document(uri)
        }
        FIX_WORKSPACE => Target::Workspace,
        other => return Err(Error::invalid_params(format!("unknown command `{other}`"))),
    };
    if !session.support().apply_edit {
        let mut error = Error::invalid_request();
        error.message = "the client does not accept workspace/applyEdit".into();
        return Err(error);
    }
    if target == Target::Workspace && session.fix_workspace_running.swap(true, Ordering::SeqCst) {
        let mut error = Error::invalid_request();
        error.message = "ssot.fixWorkspace is already running".into();
        return Err(error);
    }
    tokio::spawn(run(session, target));
    Ok(None)
}

/// `window/workDoneProgress/cancel` for a command's progress.
pub fn cancel_progress(session: &Session, token: &NumberOrString) {
    if let Some(flag) = session.progress_cancels.get(&token_key(token)) {
        flag.store(true, Ordering::SeqCst);
    }
}

fn token_key(token: &NumberOrString) -> String {
    match token {
        NumberOrString::Number(number) => number.to_string(),
        NumberOrString::String(text) => text.clone(),
    }
}

/// The document URI of `ssot.fixAll`'s first argument: a URI string,
/// `{"uri": …}` or `{"textDocument": {"uri": …}}`.
fn uri_argument(arguments: &[Value]) -> Option<Uri> {
    let first = arguments.first()?;
    let text = first
        .as_str()
        .or_else(|| first.get("uri").and_then(Value::as_str))
        .or_else(|| first.get("textDocument").and_then(|document| document.get("uri")).and_then(Value::as_str))?;
    Uri::from_str(text).ok()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Document(Uri),
    Workspace,
}

impl Target {
    fn command(&self) -> &'static str {
        match self {
            Target::Document(_) => FIX_ALL,
            Target::Workspace => FIX_WORKSPACE,
        }
    }
}

/// One file's fix: its URI, the version it applies to (`None`: a closed
/// file), the edits and how many fixes they hold.
struct FileFix {
    uri: Uri,
    version: Option<i32>,
    edits: Vec<TextEdit>,
    count: usize,
}

/// A closed file's fix and the text it was computed from.
struct ClosedFix {
    fix: FileFix,
    path: PathBuf,
    original: String,
}

/// How a fix run ended.
enum Outcome {
    Applied { files: usize, fixes: usize },
    Nothing,
    Refused(String),
    Cancelled,
    GaveUp,
    Failed(String),
}

/// The task behind both commands.
async fn run(session: Arc<Session>, target: Target) {
    let command = target.command();
    let progress = begin_progress(&session, &target).await;
    let outcome = match &target {
        Target::Document(uri) => {
            send_fixes(&session, Some(std::slice::from_ref(uri)), Vec::new(), progress.cancelled()).await
        }
        Target::Workspace => {
            let closed = closed_file_fixes(&session, &progress).await;
            if progress.cancelled().load(Ordering::SeqCst) {
                Outcome::Cancelled
            } else {
                send_fixes(&session, None, closed, progress.cancelled()).await
            }
        }
    };
    let message = match &outcome {
        Outcome::Applied { files, fixes } => format!("{command}: applied {fixes} fixes in {files} files"),
        Outcome::Nothing => format!("{command}: nothing to fix"),
        Outcome::Refused(reason) => format!("{command}: the client did not apply the edit: {reason}"),
        Outcome::Cancelled => format!("{command}: cancelled"),
        Outcome::GaveUp => {
            format!("{command}: the documents kept changing; gave up after {MAX_ATTEMPTS} attempts (run it again)")
        }
        Outcome::Failed(reason) => format!("{command}: failed: {reason}"),
    };
    if target == Target::Workspace {
        session.fix_workspace_running.store(false, Ordering::SeqCst);
        // The texts, trees and edits of the run are gone: give their memory back.
        memory::return_freed_memory();
    }
    progress.finish(&session, &message).await;
    let level =
        if matches!(outcome, Outcome::Applied { .. } | Outcome::Nothing) { LogLevel::Info } else { LogLevel::Warn };
    session.log(level, message).await;
}

/// Computes the open documents' fixes right before sending (from the
/// server's current text), checks that no change came meanwhile, and sends
/// them with the closed files' fixes; recomputes and sends again when a
/// document moved before the client applied the edit.
async fn send_fixes(
    session: &Arc<Session>,
    open: Option<&[Uri]>,
    mut closed: Vec<ClosedFix>,
    cancelled: &AtomicBool,
) -> Outcome {
    for _ in 0..MAX_ATTEMPTS {
        if cancelled.load(Ordering::SeqCst) {
            return Outcome::Cancelled;
        }
        // A file opened since it was read from disk is fixed from the editor.
        closed.retain(|fix| !session.documents.contains_key(&fix.fix.uri));
        closed = match refresh_closed_fixes(session, closed).await {
            Ok(closed) => closed,
            Err(error) => return Outcome::Failed(error),
        };
        // The workspace fix takes every document open now, including those
        // opened since it started.
        let targets: Vec<Uri> = match open {
            Some(uris) => uris.to_vec(),
            None => session.documents.iter().map(|entry| entry.key().clone()).collect(),
        };
        let Some(open_fixes) = open_document_fixes(session, &targets).await else { continue };
        // A client without versioned edits applies ours to whatever its
        // buffer holds, and cannot refuse them: changes it sent while they
        // were computed (`ssot.fixAll` of one document takes a few
        // milliseconds, less than a keystroke's trip) get a moment to be read
        // by the transport, so that the check below sees them.
        if !open_fixes.is_empty() && !session.support().document_changes {
            tokio::time::sleep(UNVERSIONED_SETTLE).await;
        }

        // The check right before sending: no change came since the texts
        // were read (handled, or read by the transport and on its way).
        // Nothing awaits between this check and the send.
        if open_fixes.iter().any(|fix| is_stale(session, fix)) {
            catch_up().await;
            continue;
        }
        let sent: Vec<&FileFix> = closed.iter().map(|fix| &fix.fix).chain(open_fixes.iter()).collect();
        if sent.is_empty() {
            return Outcome::Nothing;
        }
        let (files, fixes) = (sent.len(), sent.iter().map(|fix| fix.count).sum());
        let mut changes: Vec<(Uri, Option<i32>, Vec<TextEdit>)> =
            sent.iter().map(|fix| (fix.uri.clone(), fix.version, fix.edits.clone())).collect();
        changes.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let edit = workspace_edit(session, changes);
        let response = match session.client.apply_edit(edit).await {
            Ok(response) => response,
            Err(error) => return Outcome::Failed(error.to_string()),
        };
        if response.applied {
            return Outcome::Applied { files, fixes };
        }
        // A change the client sent before its answer may not be handled yet
        // (tower-lsp routes answers past the queue of notifications), but it
        // has been read: `is_stale` asks the transport too.
        if !open_fixes.iter().any(|fix| is_stale(session, fix)) {
            return Outcome::Refused(response.failure_reason.unwrap_or_else(|| "no reason given".to_string()));
        }
        catch_up().await;
    }
    Outcome::GaveUp
}

/// Whether an open document's fix was computed for an older version than
/// the client's: the one the server handled, or a newer one the transport
/// has already read.
fn is_stale(session: &Session, fix: &FileFix) -> bool {
    let current = session.documents.get(&fix.uri).map(|document| document.version);
    let seen = session.options.seen_versions.version(&fix.uri);
    current != fix.version || seen.is_some_and(|seen| Some(seen) != fix.version)
}

/// Gives the handlers of changes already read a moment to apply them before
/// the fix is computed again.
async fn catch_up() {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
}

/// The fixes of open documents from their current, analysed text; `None`
/// when one changed while it was being read (the caller starts again).
async fn open_document_fixes(session: &Arc<Session>, uris: &[Uri]) -> Option<Vec<FileFix>> {
    let mut snapshots: Vec<(Uri, Snapshot)> = Vec::new();
    for uri in uris {
        match analysed_snapshot(session, uri).await {
            Ok(Some(snapshot)) if snapshot.checked && !snapshot.too_large => snapshots.push((uri.clone(), snapshot)),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    let rules = session.rules();
    let (unsafe_fixes, encoding) = (session.settings().unsafe_fixes, session.encoding());
    let fixes = tokio::task::spawn_blocking(move || {
        snapshots
            .par_iter()
            .filter_map(|(uri, snapshot)| {
                // Fixed as a file, not a buffer: `wait_for_importers` ran,
                // so who imports and patches what is known even with the
                // workspace scan off.
                let scope = FileScope { buffer: false, ..snapshot.scope.clone() };
                let (edit, count) = fix_all_edit(&rules.rules, &scope, &snapshot.text, unsafe_fixes)?;
                let edits = vec![text_edit(&snapshot.rope, &edit, encoding)];
                Some(FileFix { uri: uri.clone(), version: Some(snapshot.version), edits, count })
            })
            .collect::<Vec<_>>()
    })
    .await
    .ok()?;
    Some(fixes)
}

/// Reads and fixes one closed file (`source::read_source`: only UTF-8 text
/// in which a rule may match); the edits are one minimal edit.
fn fix_closed_file(
    rules: &RuleSet,
    root: &std::path::Path,
    path: &std::path::Path,
    unsafe_fixes: bool,
    encoding: PositionEncoding,
) -> Option<ClosedFix> {
    let uri = path_to_uri(path)?;
    let Ok(Source::Text(text)) = read_source(rules, path) else { return None };
    let scope = workspace::scope_for(rules, root, path);
    // Most files with a trigger string have nothing to fix, and the fix
    // loop parses the whole text: the skeleton check settles them first, as
    // `check --fix` does (the two checks agree; see
    // `the_skeleton_scan_equals_the_full_check`). Half the command's CPU
    // time on the benchmark's tree went to parsing such files.
    let options = fix_all_options(rules, unsafe_fixes);
    if !crate::analysis::scan_text(rules, &scope, &text).iter().any(|finding| options.allows(finding)) {
        return None;
    }
    let (edit, count) = fix_all_edit(rules, &scope, &text, unsafe_fixes)?;
    let edits = vec![text_edit(&Rope::from_str(&text), &edit, encoding)];
    Some(ClosedFix { fix: FileFix { uri, version: None, edits, count }, path: path.to_path_buf(), original: text })
}

/// Re-reads the fixed closed files and recomputes those that changed on disk
/// since they were read.
async fn refresh_closed_fixes(
    session: &Session,
    closed: Vec<ClosedFix>,
) -> std::result::Result<Vec<ClosedFix>, String> {
    if closed.is_empty() {
        return Ok(closed);
    }
    let rules = session.rules();
    let root = session.primary_root();
    let (unsafe_fixes, encoding) = (session.settings().unsafe_fixes, session.encoding());
    tokio::task::spawn_blocking(move || {
        closed
            .into_par_iter()
            .filter_map(|fix| {
                let unchanged = std::fs::read_to_string(&fix.path).is_ok_and(|now| now == fix.original);
                if unchanged {
                    return Some(fix);
                }
                fix_closed_file(&rules.rules, &root, &fix.path, unsafe_fixes, encoding)
            })
            .collect()
    })
    .await
    .map_err(|error| error.to_string())
}

/// The fixes of the closed files the workspace walk finds, in chunks on the
/// blocking pool, with progress; stops early when cancelled.
async fn closed_file_fixes(session: &Arc<Session>, progress: &Progress) -> Vec<ClosedFix> {
    let walked = {
        let (rules, roots, root) = (session.rules(), session.roots(), session.primary_root());
        tokio::task::spawn_blocking(move || workspace::walk(&roots, &rules.rules, &root).0).await
    };
    let files = walked.unwrap_or_default();
    if !wait_for_importers(session, &files, progress).await {
        return Vec::new();
    }
    let (rules, root) = (session.rules(), session.primary_root());
    let (unsafe_fixes, encoding) = (session.settings().unsafe_fixes, session.encoding());
    let chunk_size = (files.len() / 20).clamp(16, 512);
    let mut fixes = Vec::new();
    let mut done = 0;
    for chunk in files.chunks(chunk_size) {
        if progress.cancelled().load(Ordering::SeqCst) {
            break;
        }
        let open: HashSet<Uri> = session.documents.iter().map(|entry| entry.key().clone()).collect();
        let (rules, root, chunk) = (Arc::clone(&rules), root.clone(), chunk.to_vec());
        let count = chunk.len();
        let gate = session.options.hooks.disk_checks.clone();
        let fixed = tokio::task::spawn_blocking(move || {
            gate.pass();
            chunk
                .par_iter()
                .filter(|path| path_to_uri(path).is_some_and(|uri| !open.contains(&uri)))
                .filter_map(|path| fix_closed_file(&rules.rules, &root, path, unsafe_fixes, encoding))
                .collect::<Vec<_>>()
        })
        .await;
        fixes.extend(fixed.unwrap_or_default());
        done += count;
        progress.report(done, files.len()).await;
    }
    fixes
}

/// Makes sure the index the fixes are checked against knows who imports
/// and patches what in the workspace, as `check --fix` does by checking
/// every file before it fixes any: waits for the running workspace scan to
/// end, or, with the scan off, records them itself (`files`). Without it a
/// closed file's fix did not know the tests that patch the name it moves:
/// run right after start, or with the scan off, the command applied 130
/// fixes on the benchmark's 10,000-file tree that `check --fix` calls
/// unsafe. False when the command was cancelled meanwhile.
async fn wait_for_importers(session: &Arc<Session>, files: &[PathBuf], progress: &Progress) -> bool {
    let mut told = false;
    loop {
        if progress.cancelled().load(Ordering::SeqCst) {
            return false;
        }
        let rules = session.rules();
        let Some(index) = rules.rules.settings.index.as_deref() else { return true };
        if !session.settings().workspace_scan || session.roots().is_empty() {
            return workspace_scan::record_importers(session, files, progress.cancelled()).await;
        }
        if index.scanned() {
            return true;
        }
        if !told {
            progress.say("waiting for the workspace scan").await;
            told = true;
        }
        tokio::time::sleep(SCAN_POLL).await;
    }
}

/// How often `ssot.fixWorkspace` looks whether the workspace scan it waits
/// for has ended.
const SCAN_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The command's `$/progress`, when the client shows progress.
struct Progress {
    ongoing: Option<(OngoingProgress<Bounded, Cancellable>, String)>,
    cancelled: Arc<AtomicBool>,
}

impl Progress {
    fn cancelled(&self) -> &AtomicBool {
        &self.cancelled
    }

    async fn report(&self, done: usize, total: usize) {
        if let Some((progress, _)) = &self.ongoing {
            let percentage = u32::try_from(done * 100 / total.max(1)).unwrap_or(100);
            progress.report_with_message(format!("{done}/{total} files"), percentage, None).await;
        }
    }

    async fn say(&self, message: &str) {
        if let Some((progress, _)) = &self.ongoing {
            progress.report_with_message(message.to_string(), 0, None).await;
        }
    }

    async fn finish(self, session: &Session, message: &str) {
        if let Some((progress, key)) = self.ongoing {
            progress.finish_with_message(message.to_string()).await;
            session.progress_cancels.remove(&key);
        }
    }
}

async fn begin_progress(session: &Session, target: &Target) -> Progress {
    let cancelled = Arc::new(AtomicBool::new(false));
    let none = |cancelled| Progress { ongoing: None, cancelled };
    if !session.support().work_done_progress || *target != Target::Workspace {
        return none(cancelled);
    }
    let key = format!("ssot-lsp/fix-workspace/{}", session.next_result_id());
    let token = NumberOrString::String(key.clone());
    if session.client.create_work_done_progress(token.clone()).await.is_err() {
        return none(cancelled);
    }
    session.progress_cancels.insert(key.clone(), Arc::clone(&cancelled));
    let ongoing = session
        .client
        .progress(token, "ssot-lsp: fixing the workspace")
        .with_percentage(0)
        .with_cancel_button()
        .with_message("listing files".to_string())
        .begin()
        .await;
    Progress { ongoing: Some((ongoing, key)), cancelled }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_uri_argument_in_all_shapes() {
        let expected = Some(Uri::from_str("file:///a.py").unwrap());
        assert_eq!(uri_argument(&[json!("file:///a.py")]), expected);
        assert_eq!(uri_argument(&[json!({"uri": "file:///a.py"})]), expected);
        assert_eq!(uri_argument(&[json!({"textDocument": {"uri": "file:///a.py"}})]), expected);
        assert_eq!(uri_argument(&[]), None);
        assert_eq!(uri_argument(&[json!(3)]), None);
    }
}
