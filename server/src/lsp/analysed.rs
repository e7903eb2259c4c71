//! Where requests wait for the analysis of the document version they name,
//! and what they then read (`documents::Snapshot`).

use std::sync::Arc;

use tower_lsp_server::jsonrpc::{Error, ErrorCode};
use tower_lsp_server::ls_types::Uri;

use super::documents::Snapshot;
use super::session::Session;

/// Waits until the analysis of the document state the request names (the
/// version the document had when the request arrived) is stored, and returns
/// what the request reads. `Ok(None)` when the document is not open.
///
/// Fails with `ContentModified` when the document changed, was closed or
/// reopened meanwhile, or when the analysis takes longer than the server's
/// patience: a request never mixes the findings of one version with the
/// text of another. A rules reload while waiting only restarts the wait.
///
/// Call it before the handler's first `.await`: the version it reads is then
/// the one the client had when it sent the request.
pub async fn analysed_snapshot(session: &Session, uri: &Uri) -> Result<Option<Snapshot>, Error> {
    let Some((version, opened, mut watch)) =
        session.documents.get(uri).map(|document| (document.version, document.opened, document.watch()))
    else {
        return Ok(None);
    };
    let patience = session.options.analysis_patience;
    let waited = tokio::time::timeout(patience, async {
        loop {
            let state = session.documents.get(uri).map(|document| {
                let same = document.version == version && document.opened == opened;
                (same, document.is_analysed())
            });
            match state {
                Some((true, true)) => return true,
                Some((true, false)) => {}
                // Closed, reopened or changed: the request's text is gone.
                None | Some((false, _)) => return false,
            }
            // Wakes on the next started job or stored result; an error means
            // the document was dropped (closed).
            if watch.changed().await.is_err() {
                return false;
            }
        }
    })
    .await;
    if waited != Ok(true) {
        return Err(content_modified(uri, version, waited.is_err()));
    }
    let snapshot =
        session.documents.get(uri).filter(|document| document.version == version).map(|document| document.snapshot());
    snapshot.map(Some).ok_or_else(|| content_modified(uri, version, false))
}

/// `analysed_snapshot`, for a document's pull answer: a client that keeps
/// each answer until its next change (`Session::holds_pull_answers`) is not
/// answered with a check made before the workspace scan recorded who
/// imports and patches what (its fixes that depend on that are withheld);
/// the request waits for the check the scan's end starts, up to the
/// server's `pull_hold`, then ends `ServerCancelled` with
/// `retriggerRequest`, and the client asks again.
pub async fn settled_snapshot(session: &Session, uri: &Uri) -> Result<Option<Snapshot>, Error> {
    let deadline = tokio::time::Instant::now() + session.options.pull_hold;
    let mut asked = None;
    loop {
        // Subscribed before the snapshot is read: a check stored in between
        // wakes the wait below at once.
        let watch = session.documents.get(uri).map(|document| document.watch());
        let snapshot = match asked {
            None => analysed_snapshot(session, uri).await?,
            Some(version) => analysed_version(session, uri, version).await?,
        };
        let Some(snapshot) = snapshot else { return Ok(None) };
        if !snapshot.importers_pending || !session.holds_pull_answers() {
            return Ok(Some(snapshot));
        }
        asked = Some(snapshot.version);
        let Some(mut watch) = watch else { return Ok(None) };
        if tokio::time::timeout_at(deadline, watch.changed()).await.is_err() {
            return Err(scan_not_done(uri));
        }
    }
}

/// `analysed_snapshot` of the document at `version`, which the request
/// named: `ContentModified` once it changed.
async fn analysed_version(session: &Session, uri: &Uri, version: i32) -> Result<Option<Snapshot>, Error> {
    let current = session.documents.get(uri).map(|document| document.version);
    match current {
        None => Ok(None),
        Some(current) if current != version => Err(content_modified(uri, version, false)),
        Some(_) => analysed_snapshot(session, uri).await,
    }
}

/// LSP's `ServerCancelled` (-32802), asking the client to send the request
/// again.
fn scan_not_done(uri: &Uri) -> Error {
    Error {
        code: ErrorCode::ServerError(-32802),
        message: format!("{}: the workspace scan is still recording who imports what; ask again", uri.as_str()).into(),
        data: Some(serde_json::json!({ "retriggerRequest": true })),
    }
}

fn content_modified(uri: &Uri, version: i32, timed_out: bool) -> Error {
    let mut error = Error::content_modified();
    error.message = if timed_out {
        format!("{} version {version} is still being analysed; ask again", uri.as_str()).into()
    } else {
        format!("{} changed after version {version}", uri.as_str()).into()
    };
    error
}

/// `analysed_snapshot` with the tree of the text parsed (hover and the
/// ignore quick fix read it; the analysis parses the whole text only when its
/// check needs to). The parse is kept for the document.
pub async fn analysed_snapshot_with_tree(session: &Arc<Session>, uri: &Uri) -> Result<Option<Snapshot>, Error> {
    let Some(snapshot) = analysed_snapshot(session, uri).await? else { return Ok(None) };
    let (session, uri) = (Arc::clone(session), uri.clone());
    let keep = move |tree: &tree_sitter::Tree, revision: u64| {
        if let Some(mut document) = session.documents.get_mut(&uri) {
            document.keep_tree(tree, revision);
        }
    };
    Ok(Some(snapshot.with_tree(keep).await))
}
