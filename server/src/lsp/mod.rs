//! The language server: LSP 3.17 over stdio on tower-lsp-server and tokio.
//!
//! This is the only module that knows LSP. It turns the engine's byte
//! offsets, findings and fixes into positions, diagnostics, code actions and
//! workspace edits (all conversions in `position`), keeps one rope and tree
//! per open document (`documents`, driven by the `text_sync` handlers;
//! requests wait in `analysed`), and the findings of closed files from the
//! workspace scan (`workspace_scan`). It never writes files: fixes travel to
//! the client as edits. It never prints to stdout, which is the protocol;
//! logs go to stderr through `tracing` and to `window/logMessage`.
//!
//! Code map: `server` (the `LanguageServer` impl, one line per method),
//! `lifecycle` (initialize/initialized/shutdown), `session` (state),
//! `settings`, `config` (rules, settings changes, watched files),
//! `documents`, `text_sync`, `analysed`, `position`, `diagnostics`,
//! `code_actions`, `commands`, `hover`, `report` (`ssot/migrationReport`),
//! `workspace_scan`, `dependents`, `work_queue` (the coalescing queue with
//! one worker behind closed-file re-checks and index refreshes), `guard`
//! (panics become error answers), `transport` (malformed messages become
//! error answers instead of ending the server).

mod analysed;
mod code_actions;
mod commands;
mod config;
mod dependents;
mod diagnostics;
mod documents;
mod guard;
mod hover;
mod lifecycle;
mod memory;
pub mod options;
mod position;
mod report;
mod server;
mod session;
mod settings;
mod text_sync;
mod transport;
mod work_queue;
mod workspace_scan;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{ClientSocket, LspService, Server};

pub use documents::edit_rope;
pub use options::ServeOptions;
pub use report::{FileCount, MigrationReport, MigrationReportParams};
pub use server::SsotLanguageServer;

/// The name of the custom migration report request.
pub const MIGRATION_REPORT_METHOD: &str = report::METHOD;

/// The service and its client socket, ready for `Server::serve`.
pub fn build_service(options: ServeOptions) -> (LspService<SsotLanguageServer>, ClientSocket) {
    LspService::build(move |client| SsotLanguageServer::with_options(client, options))
        .custom_method(report::METHOD, SsotLanguageServer::migration_report)
        .custom_method(transport::INVALID_MESSAGE_METHOD, SsotLanguageServer::invalid_message)
        .custom_method("window/workDoneProgress/cancel", SsotLanguageServer::work_done_progress_cancel)
        .finish()
}

/// Serves LSP on any byte streams (stdio, or an in-memory duplex in tests)
/// until the client sends `exit` or closes the input.
pub async fn serve<I, O>(input: I, output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    serve_with(input, output, ServeOptions::default()).await;
}

/// `serve` with chosen options.
pub async fn serve_with<I, O>(input: I, output: O, options: ServeOptions)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    let seen_versions = options.seen_versions.clone();
    let (service, socket) = build_service(options);
    // tower-lsp reads only checked, re-framed messages (see `transport`).
    let (input, input_ended) = transport::CheckedInput::new(input, seen_versions);
    let server = Server::new(input, output, socket).concurrency_level(options::MAX_CONCURRENT_HANDLERS).serve(service);
    tokio::pin!(server);
    // Once the input has ended (or `exit` stopped the reading), tower-lsp
    // still waits for every running handler, and a handler waiting for the
    // client's answer to a request of the server's would wait forever: the
    // answer can no longer arrive. Such handlers get a grace period.
    tokio::select! {
        () = &mut server => {}
        _ = async {
            let _ = input_ended.await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("stopped with requests to the client unanswered: the client is gone"),
    }
}

/// How long handlers may still run once the client's input has ended.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Writes logs to stderr and ignores failures: a client that closed the
/// server's stderr must not make logging fail (tracing-subscriber reports
/// write errors with `eprintln!`, which panics on a closed stderr).
struct QuietStderr;

impl std::io::Write for QuietStderr {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buffer);
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// Serves LSP over stdin/stdout (`ssot-lsp serve`, `ssot-lsp serve --stdio`).
/// Installs a stderr logger (level from `SSOT_LSP_LOG`, else `info`) unless
/// the caller already installed one.
pub async fn run_stdio() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SSOT_LSP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(|| QuietStderr).with_ansi(false).try_init();
    tracing::info!("ssot-lsp {} serving LSP on stdio", env!("CARGO_PKG_VERSION"));
    serve(tokio::io::stdin(), tokio::io::stdout()).await;
    Ok(())
}
