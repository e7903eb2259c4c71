//! `initialize`, `initialized` and `shutdown`: negotiating capabilities,
//! reading the settings and workspace folders, loading the rules, registering
//! file watchers and starting the workspace scan.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, DiagnosticOptions, DiagnosticServerCapabilities,
    ExecuteCommandOptions, HoverProviderCapability, InitializeParams, InitializeResult, InitializedParams, OneOf,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    WorkDoneProgressOptions, WorkspaceFoldersServerCapabilities, WorkspaceServerCapabilities,
};

use super::code_actions::FIX_ALL_KIND;
use super::commands;
use super::config;
use super::guard;
use super::session::{ClientSupport, Session};
use super::settings::LogLevel;
use super::workspace_scan;

pub async fn initialize(session: Arc<Session>, params: InitializeParams) -> Result<InitializeResult> {
    let support = ClientSupport::from_capabilities(&params.capabilities);
    session.set_support(support.clone());
    session.set_settings(config::initial_settings(params.initialization_options.as_ref()));
    #[allow(deprecated)]
    let roots = config::roots_from(params.workspace_folders.as_deref(), params.root_uri.as_ref());
    // The package tree and the config are read on the blocking pool.
    let loader = Arc::clone(&session);
    tokio::task::spawn_blocking(move || {
        loader.set_roots(roots);
        config::load_initial(&loader);
    })
    .await
    .map_err(|error| guard::join_error("initialize", error))?;
    Ok(InitializeResult {
        capabilities: capabilities(&support),
        server_info: Some(server_info()),
        offset_encoding: None,
    })
}

fn server_info() -> ServerInfo {
    ServerInfo { name: "ssot-lsp".to_string(), version: Some(env!("CARGO_PKG_VERSION").to_string()) }
}

fn capabilities(support: &ClientSupport) -> ServerCapabilities {
    let diagnostic_provider = support.pull_diagnostics.then(|| {
        DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("ssot".to_string()),
            inter_file_dependencies: false,
            workspace_diagnostics: true,
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })
    });
    ServerCapabilities {
        position_encoding: Some(support.encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::new(FIX_ALL_KIND)]),
            work_done_progress_options: WorkDoneProgressOptions::default(),
            resolve_provider: Some(support.resolve_code_action_edit),
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: commands::all(),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        diagnostic_provider,
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    }
}

pub async fn initialized(session: Arc<Session>, _params: InitializedParams) {
    for (kind, message) in session.take_deferred_messages() {
        session.client.show_message(kind, message).await;
    }
    let config_problem = session.config_problem.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    if let Some(uri) = config_problem {
        super::diagnostics::publish_closed(&session, &uri).await;
    }
    let rules = session.rules();
    session
        .log(LogLevel::Info, format!("ssot-lsp {} using {}", env!("CARGO_PKG_VERSION"), rules.source.describe()))
        .await;
    // Registering waits for the client's answer: never in a handler (see
    // `commands` for why).
    let registering = Arc::clone(&session);
    tokio::spawn(async move { config::register_watchers(&registering).await });
    workspace_scan::spawn(session);
}

pub async fn shutdown(session: Arc<Session>) -> Result<()> {
    session.scan_generation.fetch_add(1, Ordering::SeqCst);
    Ok(())
}
