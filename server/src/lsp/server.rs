//! The `LanguageServer` implementation: one line per method, each delegating
//! to the module of its feature under a panic guard.

use std::sync::Arc;

use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionParams, CodeActionResponse, DidChangeConfigurationParams, DidChangeTextDocumentParams,
    DidChangeWatchedFilesParams, DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DocumentDiagnosticParams, DocumentDiagnosticReportResult, ExecuteCommandParams, Hover,
    HoverParams, InitializeParams, InitializeResult, InitializedParams, LSPAny, WorkDoneProgressCancelParams,
    WorkspaceDiagnosticParams, WorkspaceDiagnosticReportResult,
};
use tower_lsp_server::{Client, LanguageServer};

use super::options::ServeOptions;
use super::report::{MigrationReport, MigrationReportParams};
use super::session::Session;
use super::transport::InvalidMessageParams;
use super::{code_actions, commands, config, diagnostics, guard, hover, lifecycle, report, text_sync};

/// The ssot-lsp language server: a handle on the shared session.
#[derive(Debug, Clone)]
pub struct SsotLanguageServer {
    session: Arc<Session>,
}

impl SsotLanguageServer {
    pub fn new(client: Client) -> Self {
        Self::with_options(client, ServeOptions::default())
    }

    pub fn with_options(client: Client, options: ServeOptions) -> Self {
        SsotLanguageServer { session: Arc::new(Session::new(client, options)) }
    }

    fn session(&self) -> Arc<Session> {
        self.session.clone()
    }

    /// `ssot/migrationReport` (a custom request).
    pub async fn migration_report(&self, params: MigrationReportParams) -> Result<MigrationReport> {
        guard::request(report::METHOD, report::migration_report(self.session(), params)).await
    }

    /// `window/workDoneProgress/cancel`: the user cancelled a command's progress.
    pub async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        commands::cancel_progress(&self.session, &params.token);
    }

    /// `$/ssot/invalidMessage`: stands in for a message the client sent that
    /// could not be read, and answers the error owed for it (see `transport`).
    pub async fn invalid_message(&self, params: InvalidMessageParams) -> Result<()> {
        Err(Error { code: ErrorCode::from(params.code), message: params.message.into(), data: None })
    }
}

impl LanguageServer for SsotLanguageServer {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        guard::request("initialize", lifecycle::initialize(self.session(), params)).await
    }

    async fn initialized(&self, params: InitializedParams) {
        guard::notification("initialized", lifecycle::initialized(self.session(), params)).await
    }

    async fn shutdown(&self) -> Result<()> {
        guard::request("shutdown", lifecycle::shutdown(self.session())).await
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        guard::notification("textDocument/didOpen", text_sync::did_open(self.session(), params)).await
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        guard::notification("textDocument/didChange", text_sync::did_change(self.session(), params)).await
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        guard::notification("textDocument/didClose", text_sync::did_close(self.session(), params)).await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        guard::notification(
            "workspace/didChangeConfiguration",
            config::did_change_configuration(self.session(), params),
        )
        .await
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        guard::notification("workspace/didChangeWatchedFiles", config::did_change_watched_files(self.session(), params))
            .await
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        guard::notification(
            "workspace/didChangeWorkspaceFolders",
            config::did_change_workspace_folders(self.session(), params),
        )
        .await
    }

    async fn diagnostic(&self, params: DocumentDiagnosticParams) -> Result<DocumentDiagnosticReportResult> {
        guard::request("textDocument/diagnostic", diagnostics::pull_document(self.session(), params)).await
    }

    async fn workspace_diagnostic(&self, params: WorkspaceDiagnosticParams) -> Result<WorkspaceDiagnosticReportResult> {
        guard::request("workspace/diagnostic", async { Ok(diagnostics::pull_workspace(&self.session, &params)) }).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        guard::request("textDocument/codeAction", code_actions::code_action(self.session(), params)).await
    }

    async fn code_action_resolve(&self, params: CodeAction) -> Result<CodeAction> {
        guard::request("codeAction/resolve", code_actions::resolve(self.session(), params)).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        guard::request("textDocument/hover", hover::hover(self.session(), params)).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        guard::request("workspace/executeCommand", commands::execute_command(self.session(), params)).await
    }
}
