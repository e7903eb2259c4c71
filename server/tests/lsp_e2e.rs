//! End-to-end tests of the language server: the shared test client
//! (`common/client.rs`) drives the real server (`ssot_lsp::lsp::serve_with`
//! in process over in-memory duplexes, or the binary over its stdio) with
//! LSP's Content-Length framing; the tests compare whole messages where
//! practical, the client answers the server's own requests, and every test
//! ends with shutdown/exit.

mod common;
use common::client::{file_uri, initialize_params, workspace_from_fixture, workspace_with, TestClient};
use common::positions::{apply_text_edits, edits_for, edits_version, position, range, Encoding};
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use ssot_lsp::lsp::ServeOptions;

const TIMEOUT: Duration = Duration::from_secs(20);

const FACTORY: &str = "netra_backend.app.websocket_core.websocket_manager_factory";

const SNIPPET: &str = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n";

const FIXED_SNIPPET: &str = "from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\n\nasync def handler(ctx):\n    return await get_websocket_manager(ctx)\n";

// ---------------------------------------------------------------------------
// The test client (server/tests/common/client.rs), as these tests start it
// ---------------------------------------------------------------------------

impl TestClient {
    /// Spawns a server in process and runs initialize/initialized; also
    /// returns initialize's result.
    async fn start(capabilities: Value, options: Value, root: Option<&Path>) -> (Self, Value) {
        let params = initialize_params(capabilities, root, options);
        Self::start_in_process(ServeOptions::default(), TIMEOUT, params).await
    }

    /// The next `publishDiagnostics` for a URI (its params).
    async fn diagnostics(&mut self, uri: &str) -> Value {
        self.published(uri, None).await
    }
}

fn push_capabilities(encodings: &[&str]) -> Value {
    json!({
        "general": { "positionEncodings": encodings },
        "workspace": { "applyEdit": true, "workspaceEdit": { "documentChanges": true } },
    })
}

fn pull_capabilities() -> Value {
    json!({
        "textDocument": { "diagnostic": { "dynamicRegistration": false } },
        "workspace": { "applyEdit": true, "diagnostics": { "refreshSupport": true } },
    })
}

/// A route importing the factory's creator at the top (as most real ones do).
const FACTORY_ROUTE: &str = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\nasync def open_manager(ctx):\n    return await create_websocket_manager(ctx)\n";

/// The same import inside the function that calls it.
const LAZY_FACTORY_ROUTE: &str = "async def open_manager(ctx):\n    from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    return await create_websocket_manager(ctx)\n";

/// A test that patches the name on `netra_backend.app.routes.ws_route`.
const ROUTE_PATCH_TEST: &str = "from unittest.mock import patch\n\n\n@patch(\"netra_backend.app.routes.ws_route.create_websocket_manager\")\ndef test_open(make):\n    pass\n";

/// `textDocument/codeAction` for the `source.fixAll` actions of a document.
fn fix_all_request(uri: &str, text: &str) -> Value {
    json!({
        "textDocument": { "uri": uri },
        "range": range(text, 0, 0, Encoding::Utf16),
        "context": { "diagnostics": [], "only": ["source.fixAll"] },
    })
}

fn full_change(text: &str) -> Value {
    json!([{ "text": text }])
}

fn ranged_change(text: &str, start: usize, end: usize, replacement: &str, encoding: Encoding) -> Value {
    json!({ "range": range(text, start, end, encoding), "text": replacement })
}

/// Ranges of the diagnostics of a publish, in order.
fn diagnostic_ranges(params: &Value) -> Vec<Value> {
    params["diagnostics"].as_array().unwrap().iter().map(|diagnostic| diagnostic["range"].clone()).collect()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

const URI: &str = "file:///e2e/app/handler.py";

/// The diagnostic the server must publish for `SNIPPET`, whole.
fn expected_snippet_diagnostic(version: i32) -> Value {
    let start = SNIPPET.find("create_websocket_manager").unwrap();
    let end = start + "create_websocket_manager".len();
    let call = SNIPPET.rfind("create_websocket_manager").unwrap();
    json!({
        "range": range(SNIPPET, start, end, Encoding::Utf16),
        "severity": 2,
        "code": "SSOT001",
        "codeDescription": { "href": "https://github.com/ssot-lsp/ssot-lsp/blob/main/docs/rules/SSOT001.md" },
        "source": "ssot",
        "message": "`create_websocket_manager` comes from the deprecated WebSocket manager factory; use `netra_backend.app.websocket_core.websocket_manager.get_websocket_manager`",
        "tags": [2],
        "data": {
            "version": version,
            "code": "SSOT001",
            "start": start,
            "end": end,
            "fix": {
                "title": "Import `get_websocket_manager` from `netra_backend.app.websocket_core.websocket_manager`",
                "applicability": "safe",
                "edits": [
                    { "start": 5, "end": 5 + FACTORY.len(), "replacement": "netra_backend.app.websocket_core.websocket_manager" },
                    { "start": start, "end": end, "replacement": "get_websocket_manager" },
                    { "start": call, "end": call + "create_websocket_manager".len(), "replacement": "get_websocket_manager" },
                ],
            },
        },
    })
}

#[tokio::test]
async fn push_client_gets_diagnostics_on_open() {
    let (mut client, init) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2);
    assert!(init["capabilities"].get("diagnosticProvider").is_none(), "a push client is not offered pulls");
    client.open(URI, 1, SNIPPET).await;
    let published = client.notification(|message| message["method"] == "textDocument/publishDiagnostics").await;
    assert_eq!(
        published,
        json!({
            "jsonrpc": "2.0",
            "method": "textDocument/publishDiagnostics",
            "params": { "uri": URI, "diagnostics": [expected_snippet_diagnostic(1)], "version": 1 },
        })
    );
    client.shutdown().await;
}

#[tokio::test]
async fn pull_client_gets_no_push_but_answers_pulls() {
    let (mut client, init) = TestClient::start(pull_capabilities(), Value::Null, None).await;
    assert_eq!(
        init["capabilities"]["diagnosticProvider"],
        json!({ "identifier": "ssot", "interFileDependencies": false, "workspaceDiagnostics": true })
    );
    client.open(URI, 1, SNIPPET).await;
    let report = client.result("textDocument/diagnostic", json!({ "textDocument": { "uri": URI } })).await;
    assert_eq!(report["kind"], "full");
    assert_eq!(report["items"], json!([expected_snippet_diagnostic(1)]));
    let result_id = report["resultId"].as_str().unwrap().to_string();
    let again = client
        .result("textDocument/diagnostic", json!({ "textDocument": { "uri": URI }, "previousResultId": result_id }))
        .await;
    assert_eq!(again, json!({ "kind": "unchanged", "resultId": result_id }));
    let workspace = client.result("workspace/diagnostic", json!({ "previousResultIds": [] })).await;
    assert_eq!(workspace, json!({ "items": [] }), "open documents are pulled one by one");
    client.ping().await;
    assert!(
        client.notifications().all(|message| message["method"] != "textDocument/publishDiagnostics"),
        "a pull client never gets pushes: {:?}",
        client.backlog
    );
    client.shutdown().await;
}

async fn edits_follow_the_text(encoding: Encoding, offered: &[&str], expected_kind: &str) {
    let (mut client, init) = TestClient::start(push_capabilities(offered), Value::Null, None).await;
    assert_eq!(init["capabilities"]["positionEncoding"], expected_kind);
    let name = "create_websocket_manager";
    // Non-ASCII and emoji before the finding on its own line.
    let mut text = format!("x = \"😀é\"; from {FACTORY} import {name}\n");
    client.open(URI, 1, &text).await;
    let published = client.diagnostics(URI).await;
    let start = text.find(name).unwrap();
    assert_eq!(diagnostic_ranges(&published), vec![range(&text, start, start + name.len(), encoding)]);

    // v2: insert more emoji inside the string: the finding moves right.
    let at = text.find('"').unwrap() + 1;
    let change = ranged_change(&text, at, at, "👩‍👩‍👧 ", encoding);
    text.insert_str(at, "👩‍👩‍👧 ");
    client.change(URI, 2, json!([change])).await;
    let published = client.diagnostics(URI).await;
    assert_eq!(published["version"], 2);
    let start = text.find(name).unwrap();
    assert_eq!(diagnostic_ranges(&published), vec![range(&text, start, start + name.len(), encoding)]);

    // v3: delete `_factory` (after the emoji on the same line): no finding.
    let factory = text.find("_factory").unwrap();
    let change = ranged_change(&text, factory, factory + "_factory".len(), "", encoding);
    text.replace_range(factory..factory + "_factory".len(), "");
    client.change(URI, 3, json!([change])).await;
    let published = client.diagnostics(URI).await;
    assert_eq!((published["version"].clone(), published["diagnostics"].clone()), (json!(3), json!([])));

    // v4: two changes in one notification, each relative to the text after
    // the previous one: restore `_factory`, then prepend a non-ASCII line.
    let first = ranged_change(&text, factory, factory, "_factory", encoding);
    text.insert_str(factory, "_factory");
    let second = ranged_change(&text, 0, 0, "# ünïcödé 🎉\r\n", encoding);
    text.insert_str(0, "# ünïcödé 🎉\r\n");
    client.change(URI, 4, json!([first, second])).await;
    let published = client.diagnostics(URI).await;
    let start = text.find(name).unwrap();
    assert_eq!(published["version"], 4);
    assert_eq!(diagnostic_ranges(&published), vec![range(&text, start, start + name.len(), encoding)]);
    assert_eq!(published["diagnostics"][0]["range"]["start"]["line"], 1);

    // v5: a full-text change.
    client.change(URI, 5, full_change(SNIPPET)).await;
    let published = client.diagnostics(URI).await;
    assert_eq!(published["diagnostics"][0]["range"], range(SNIPPET, 71, 95, encoding));
    client.shutdown().await;
}

#[tokio::test]
async fn incremental_edits_follow_the_text_in_utf16() {
    edits_follow_the_text(Encoding::Utf16, &[], "utf-16").await;
}

#[tokio::test]
async fn incremental_edits_follow_the_text_in_utf8() {
    edits_follow_the_text(Encoding::Utf8, &["utf-32", "utf-8", "utf-16"], "utf-8").await;
}

#[tokio::test]
async fn a_change_with_an_older_version_is_ignored() {
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    client.open(URI, 5, SNIPPET).await;
    assert_eq!(client.diagnostics(URI).await["version"], 5);
    // An old change (version 3 < 5) that would remove the finding.
    client.change(URI, 3, full_change("x = 1\n")).await;
    client.change(URI, 5, full_change("x = 2\n")).await;
    // A newer change relative to the text the server must still have.
    client.change(URI, 6, json!([{ "range": range(SNIPPET, 0, 0, Encoding::Utf16), "text": "# moved\n" }])).await;
    let published = client.diagnostics(URI).await;
    assert_eq!(published["version"], 6, "stale changes publish nothing");
    assert_eq!(published["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(published["diagnostics"][0]["range"]["start"], json!({ "line": 1, "character": 71 }));
    client.shutdown().await;
}

#[tokio::test]
async fn quick_fix_applied_gives_the_expected_text() {
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    client.open(URI, 1, SNIPPET).await;
    let published = client.diagnostics(URI).await;
    let diagnostic = published["diagnostics"][0].clone();
    let actions = client
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": URI },
                "range": diagnostic["range"],
                "context": { "diagnostics": [diagnostic.clone()], "only": ["quickfix"] },
            }),
        )
        .await;
    let actions = actions.as_array().unwrap();
    let titles: Vec<&str> = actions.iter().map(|action| action["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "Import `get_websocket_manager` from `netra_backend.app.websocket_core.websocket_manager`",
            "Ignore SSOT001 for this line",
        ]
    );
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"], json!([diagnostic]));
    assert_eq!(fix["edit"]["documentChanges"][0]["textDocument"], json!({ "uri": URI, "version": 1 }));
    let fixed = apply_text_edits(SNIPPET, &edits_for(&fix["edit"], URI), Encoding::Utf16);
    assert_eq!(fixed, FIXED_SNIPPET);

    let ignored = apply_text_edits(SNIPPET, &edits_for(&actions[1]["edit"], URI), Encoding::Utf16);
    assert_eq!(
        ignored,
        SNIPPET.replacen("create_websocket_manager\n", "create_websocket_manager  # ssot: ignore[SSOT001]\n", 1)
    );

    // Applying the fix as a client would: the diagnostics go away.
    let edits = edits_for(&fix["edit"], URI);
    client
        .change(
            URI,
            2,
            json!(edits
                .iter()
                .rev()
                .map(|edit| json!({ "range": edit["range"], "text": edit["newText"] }))
                .collect::<Vec<_>>()),
        )
        .await;
    let published = client.diagnostics(URI).await;
    assert_eq!(published["diagnostics"], json!([]));
    client.shutdown().await;
}

#[tokio::test]
async fn unsafe_fixes_are_labelled_and_not_preferred() {
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    let text = format!("from {FACTORY} import WebSocketManagerFactory\n\nfactory: WebSocketManagerFactory\n");
    client.open(URI, 1, &text).await;
    let published = client.diagnostics(URI).await;
    let diagnostic = published["diagnostics"][0].clone();
    let actions = client
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": URI },
                "range": diagnostic["range"],
                "context": { "diagnostics": [diagnostic] },
            }),
        )
        .await;
    let fix = &actions[0];
    assert!(fix["title"].as_str().unwrap().ends_with(" (unsafe)"), "{fix}");
    assert_eq!(fix["isPreferred"], false);
    // Fix-all applies safe fixes only: nothing to offer here.
    assert!(actions.as_array().unwrap().iter().all(|action| action["kind"] != "source.fixAll.ssot"));

    // With the `unsafeFixes` setting, fix-all takes unsafe fixes too.
    client.notify("workspace/didChangeConfiguration", json!({ "settings": { "ssot": { "unsafeFixes": true } } })).await;
    let actions = client.result("textDocument/codeAction", fix_all_request(URI, &text)).await;
    let fixed = apply_text_edits(&text, &edits_for(&actions[0]["edit"], URI), Encoding::Utf16);
    assert!(
        fixed.starts_with("from netra_backend.app.websocket_core.websocket_manager import WebSocketManager\n"),
        "{fixed}"
    );
    client.shutdown().await;
}

#[tokio::test]
async fn fix_all_source_action_and_command() {
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    client.open(URI, 1, SNIPPET).await;
    client.diagnostics(URI).await;
    for only in [json!(["source.fixAll"]), json!(["source"]), json!(["source.fixAll.ssot"])] {
        let actions = client
            .result(
                "textDocument/codeAction",
                json!({
                    "textDocument": { "uri": URI },
                    "range": range(SNIPPET, 0, 0, Encoding::Utf16),
                    "context": { "diagnostics": [], "only": only },
                }),
            )
            .await;
        let actions = actions.as_array().unwrap();
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert_eq!(actions[0]["kind"], "source.fixAll.ssot");
        let edits = edits_for(&actions[0]["edit"], URI);
        assert_eq!(edits.len(), 1, "one minimal edit");
        assert_eq!(apply_text_edits(SNIPPET, &edits, Encoding::Utf16), FIXED_SNIPPET);
    }
    let none = client
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": URI },
                "range": range(SNIPPET, 0, 0, Encoding::Utf16),
                "context": { "diagnostics": [], "only": ["source.organizeImports"] },
            }),
        )
        .await;
    assert_eq!(none, json!([]));

    // The command answers at once; the edit follows, then the outcome is logged.
    let result =
        client.result("workspace/executeCommand", json!({ "command": "ssot.fixAll", "arguments": [URI] })).await;
    assert_eq!(result, Value::Null);
    let request = client.server_request("workspace/applyEdit").await;
    assert_eq!(edits_version(&request["params"]["edit"], URI), json!(1));
    let logged = client.log_message("ssot.fixAll:").await;
    assert_eq!(logged, "ssot.fixAll: applied 1 fixes in 1 files");
    let edits = edits_for(&request["params"]["edit"], URI);
    assert_eq!(apply_text_edits(SNIPPET, &edits, Encoding::Utf16), FIXED_SNIPPET);
    client.shutdown().await;
}

/// An open document with commented-out names in a shim import: the
/// server's tree leaves the long run of comment lines out of its parse
/// (`syntax::parse_cancellable`), and fix-all still keeps every one of them
/// (it once merged the name into the canonical import above and deleted the
/// statement with its comments), before and after an edit.
#[tokio::test]
async fn fix_all_keeps_commented_out_names_the_parse_leaves_out() {
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    let commented: String = (0..25).map(|index| format!("    # OldHandler{index},  # kept for the record\n")).collect();
    let text = format!(
        "from netra_backend.app.websocket_core.websocket_manager import WebSocketManager\n\
         from netra_backend.app.websocket_core.manager import (\n{commented}    WebSocketConnection,\n)\n\n\
         HANDLES = (WebSocketManager, WebSocketConnection)\n"
    );
    client.open(URI, 1, &text).await;
    client.diagnostics(URI).await;
    let fix_all = |text: &str| {
        json!({
            "textDocument": { "uri": URI },
            "range": range(text, 0, 0, Encoding::Utf16),
            "context": { "diagnostics": [], "only": ["source.fixAll.ssot"] },
        })
    };
    let comments = |text: &str| text.lines().filter(|line| line.trim_start().starts_with('#')).count();
    let actions = client.result("textDocument/codeAction", fix_all(&text)).await;
    let fixed = apply_text_edits(&text, &edits_for(&actions[0]["edit"], URI), Encoding::Utf16);
    assert!(
        fixed.contains("from netra_backend.app.websocket_core.websocket_manager import (\n    # OldHandler0"),
        "{fixed}"
    );
    assert_eq!(comments(&fixed), 25, "{fixed}");
    // A keystroke in the run: the tree is parsed again, reusing the old one.
    let at = text.find("OldHandler7").unwrap();
    client.change(URI, 2, json!([{ "range": range(&text, at, at, Encoding::Utf16), "text": "X" }])).await;
    client.diagnostics(URI).await;
    let edited = format!("{}X{}", &text[..at], &text[at..]);
    let actions = client.result("textDocument/codeAction", fix_all(&edited)).await;
    let fixed = apply_text_edits(&edited, &edits_for(&actions[0]["edit"], URI), Encoding::Utf16);
    assert!(fixed.contains("# XOldHandler7,"), "{fixed}");
    assert_eq!(comments(&fixed), 25, "{fixed}");
    client.shutdown().await;
}

#[tokio::test]
async fn hover_explains_the_finding_and_the_ssot_path() {
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    let text = format!("{SNIPPET}from netra_backend.app.websocket_core.websocket_manager import WebSocketManager\n");
    client.open(URI, 1, &text).await;
    let published = client.diagnostics(URI).await;
    let at = text.find("create_websocket_manager").unwrap() + 4;
    let hover = client
        .result(
            "textDocument/hover",
            json!({ "textDocument": { "uri": URI }, "position": position(&text, at, Encoding::Utf16) }),
        )
        .await;
    assert_eq!(hover["range"], published["diagnostics"][0]["range"]);
    assert_eq!(hover["contents"]["kind"], "markdown");
    let markdown = hover["contents"]["value"].as_str().unwrap();
    for expected in [
        "**SSOT001** `websocket-manager-factory`",
        "comes from the deprecated WebSocket manager factory",
        "## Why this is wrong",
        "## Before and after",
        "[SSOT001 documentation](https://github.com/ssot-lsp/ssot-lsp/blob/main/docs/rules/SSOT001.md)",
    ] {
        assert!(markdown.contains(expected), "missing {expected:?} in\n{markdown}");
    }
    let canonical = text.rfind("websocket_manager import").unwrap();
    let hover = client
        .result(
            "textDocument/hover",
            json!({ "textDocument": { "uri": URI }, "position": position(&text, canonical, Encoding::Utf16) }),
        )
        .await;
    assert!(hover["contents"]["value"].as_str().unwrap().starts_with("**SSOT path**"), "{hover}");
    let nothing = client
        .result(
            "textDocument/hover",
            json!({ "textDocument": { "uri": URI }, "position": { "line": 2, "character": 2 } }),
        )
        .await;
    assert_eq!(nothing, Value::Null);
    client.shutdown().await;
}

#[tokio::test]
async fn unknown_uris_get_proper_answers() {
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    let unknown = "file:///nowhere/unknown.py";
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": unknown }, "position": { "line": 0, "character": 0 } }),
        )
        .await;
    assert_eq!(hover, json!({ "jsonrpc": "2.0", "id": client.next_id, "result": null }));
    let actions = client
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": unknown },
                "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } },
                "context": { "diagnostics": [] },
            }),
        )
        .await;
    assert_eq!(actions, Value::Null);
    let report = client.result("textDocument/diagnostic", json!({ "textDocument": { "uri": unknown } })).await;
    assert_eq!(report["items"], json!([]));
    let command =
        client.request("workspace/executeCommand", json!({ "command": "ssot.fixAll", "arguments": [unknown] })).await;
    assert_eq!(command["error"]["code"], -32602, "{command}");
    let bogus = client.request("workspace/executeCommand", json!({ "command": "ssot.nope", "arguments": [] })).await;
    assert_eq!(bogus["error"]["code"], -32602, "{bogus}");
    let report = client.request("ssot/migrationReport", Value::Null).await;
    assert_eq!(report["error"]["code"], -32602, "params are required: {report}");
    // A change to a document that is not open is ignored; the server goes on.
    client.change(unknown, 2, full_change("x = 1\n")).await;
    client.open(URI, 1, SNIPPET).await;
    assert_eq!(client.diagnostics(URI).await["diagnostics"].as_array().unwrap().len(), 1);
    client.shutdown().await;
}

#[tokio::test]
async fn the_binary_serves_lsp_over_stdio() {
    let mut client = TestClient::binary(TIMEOUT);
    refuses_requests_before_initialize(&mut client).await;
    let init = client.initialize(initialize_params(push_capabilities(&["utf-8"]), None, Value::Null)).await;
    assert_eq!(init["serverInfo"]["name"], "ssot-lsp");
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    client.open(URI, 1, SNIPPET).await;
    let published = client.diagnostics(URI).await;
    assert_eq!(published["diagnostics"][0]["code"], "SSOT001");
    client.shutdown().await;
}

/// The binary's `serve` runs the server: it refuses a request sent before
/// `initialize` with the protocol's error, and survives a closed stderr.
async fn refuses_requests_before_initialize(client: &mut TestClient) {
    let probe = json!({
        "jsonrpc": "2.0",
        "id": 0,
        "method": "textDocument/hover",
        "params": { "textDocument": { "uri": URI }, "position": { "line": 0, "character": 0 } },
    });
    client.send(&probe).await;
    let answer = client.receive().await;
    assert_eq!(answer["id"], 0, "{answer}");
    assert_eq!(answer["error"]["code"], -32002, "not initialized yet: {answer}");
    // It logs to stderr (which the client keeps for failure messages).
    let started = client.stderr_line("serving LSP on stdio").await;
    assert!(started.contains("INFO"), "{started}");
    // Close the server's stderr: a client may do that, and logging must never
    // break the server.
    client.close_stderr().await;
}

#[tokio::test]
async fn requests_before_initialize_are_refused() {
    let mut client = TestClient::in_process(ServeOptions::default(), TIMEOUT);
    let response = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": URI }, "position": { "line": 0, "character": 0 } }),
        )
        .await;
    assert_eq!(response["error"]["code"], -32002, "{response}");
    client.result("initialize", json!({ "capabilities": {} })).await;
    client.notify("initialized", json!({})).await;
    let response = client.request("shutdown", Value::Null).await;
    assert_eq!(response["result"], Value::Null, "{response}");
    let after = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": URI }, "position": { "line": 0, "character": 0 } }),
        )
        .await;
    assert_eq!(after["error"]["code"], -32600, "requests after shutdown are invalid: {after}");
    client.notify("exit", Value::Null).await;
    client.exits().await;
}

#[tokio::test]
async fn pull_client_gets_closed_files_through_workspace_diagnostic() {
    let (_dir, root) = workspace_with(&[("app/handler.py", SNIPPET), ("app/clean.py", "import os\n")]);
    let (mut client, _) = TestClient::start(pull_capabilities(), Value::Null, Some(&root)).await;
    client.server_request("workspace/diagnostic/refresh").await;
    let handler_uri = file_uri(&root.join("app/handler.py"));
    let report = client.result("workspace/diagnostic", json!({ "previousResultIds": [] })).await;
    let items = report["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{report}");
    assert_eq!(items[0]["uri"], handler_uri);
    assert_eq!(items[0]["kind"], "full");
    assert_eq!(items[0]["version"], Value::Null);
    assert_eq!(items[0]["items"][0]["code"], "SSOT001");
    let result_id = items[0]["resultId"].clone();
    let again = client
        .result("workspace/diagnostic", json!({ "previousResultIds": [{ "uri": handler_uri, "value": result_id }] }))
        .await;
    assert_eq!(
        again,
        json!({ "items": [{ "kind": "unchanged", "uri": handler_uri, "version": null, "resultId": result_id }] })
    );
    client.ping().await;
    assert!(client.notifications().all(|message| message["method"] != "textDocument/publishDiagnostics"));
    // Deleted: reported once with no findings (probe 15: it was left out,
    // and the client kept its finding), then left out.
    std::fs::remove_file(root.join("app/handler.py")).unwrap();
    let deleted = json!({ "changes": [{ "uri": handler_uri, "type": 3 }] });
    client.notify("workspace/didChangeWatchedFiles", deleted).await;
    client.server_request("workspace/diagnostic/refresh").await;
    let previous = json!({ "previousResultIds": [{ "uri": handler_uri, "value": result_id }] });
    let gone = client.result("workspace/diagnostic", previous).await;
    assert_eq!(gone["items"].as_array().map(Vec::len), Some(1), "{gone}");
    assert_eq!(gone["items"][0]["uri"], handler_uri, "{gone}");
    assert_eq!(gone["items"][0]["kind"], "full", "{gone}");
    assert_eq!(gone["items"][0]["items"], json!([]), "{gone}");
    let gone_id = gone["items"][0]["resultId"].clone();
    let previous = json!({ "previousResultIds": [{ "uri": handler_uri, "value": gone_id }] });
    assert_eq!(client.result("workspace/diagnostic", previous).await, json!({ "items": [] }));
    client.shutdown().await;
}

/// A baseline named by the config: the finding it records is a hint (with
/// its fix), the one it does not keeps the rule's severity, in closed files
/// and open ones; the migration report counts both.
#[tokio::test]
async fn baseline_findings_are_hints_and_new_ones_keep_their_severity() {
    let baseline = r#"{"ssot-lsp-baseline": 1, "files": {"../app/old.py": {"SSOT001": {"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager": 1}}}}"#;
    let (_dir, root) = workspace_with(&[
        ("ssot.toml", "baseline = \"ci/base.json\"\n"),
        ("ci/base.json", baseline),
        ("app/old.py", SNIPPET),
        ("app/new.py", SNIPPET),
    ]);
    let (mut client, _) = TestClient::start(json!({}), Value::Null, Some(&root)).await;
    let old_uri = file_uri(&root.join("app/old.py"));
    let new_uri = file_uri(&root.join("app/new.py"));
    let old = client.diagnostics(&old_uri).await;
    let new = client.diagnostics(&new_uri).await;
    assert_eq!(old["diagnostics"][0]["severity"], 4, "a baseline finding is a hint: {old}");
    assert!(old["diagnostics"][0]["data"]["fix"].is_object(), "with its fix: {old}");
    assert_eq!(new["diagnostics"][0]["severity"], 2, "a new finding keeps the rule's severity: {new}");
    let report = client.result("ssot/migrationReport", json!({})).await;
    assert_eq!(
        (report["total"].clone(), report["baselined"].clone(), report["new"].clone()),
        (json!(2), json!(1), json!(1))
    );
    // Open and edited, the recorded finding stays a hint.
    client.open(&old_uri, 1, &format!("# moved down\n{SNIPPET}")).await;
    let opened = client.diagnostics(&old_uri).await;
    assert_eq!(opened["diagnostics"][0]["severity"], 4, "{opened}");
    client.shutdown().await;
}

#[tokio::test]
async fn workspace_scan_reports_progress_and_diagnoses_closed_files() {
    let (_dir, root) = workspace_with(&[
        ("app/handler.py", SNIPPET),
        ("app/clean.py", "import os\n"),
        ("ignored/old.py", SNIPPET),
        (".gitignore", "ignored/\n"),
    ]);
    let capabilities = json!({
        "window": { "workDoneProgress": true },
        "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } },
    });
    let (mut client, _) = TestClient::start(capabilities, Value::Null, Some(&root)).await;
    let registration = client.server_request("client/registerCapability").await;
    let watchers = &registration["params"]["registrations"][0];
    assert_eq!(watchers["method"], "workspace/didChangeWatchedFiles");
    assert_eq!(
        watchers["registerOptions"]["watchers"],
        json!([{ "globPattern": "**/*.py" }, { "globPattern": "**/ssot.toml" }, { "globPattern": "**/.ssot.toml" }, { "globPattern": "**/pyproject.toml" }])
    );
    let create = client.server_request("window/workDoneProgress/create").await;
    let token = create["params"]["token"].clone();
    let begin = client.notification(|message| message["method"] == "$/progress").await;
    assert_eq!(begin["params"]["token"], token);
    assert_eq!(begin["params"]["value"]["kind"], "begin");
    assert_eq!(begin["params"]["value"]["percentage"], 0);
    assert_eq!(begin["params"]["value"]["message"], "listing files", "progress begins before the walk");
    let listed = client.notification(|message| message["method"] == "$/progress").await;
    assert_eq!(listed["params"]["value"], json!({ "kind": "report", "message": "0/2 files", "percentage": 0 }));
    let handler_uri = file_uri(&root.join("app/handler.py"));
    let published = client.diagnostics(&handler_uri).await;
    assert_eq!(published["version"], Value::Null);
    assert_eq!(published["diagnostics"][0]["code"], "SSOT001");
    let report = client.notification(|message| message["method"] == "$/progress").await;
    assert_eq!(report["params"]["value"], json!({ "kind": "report", "message": "2/2 files", "percentage": 100 }));
    let end = client.notification(|message| message["method"] == "$/progress").await;
    assert_eq!(end["params"]["value"]["kind"], "end");

    let report = client.result("ssot/migrationReport", json!({})).await;
    assert_eq!(
        report,
        json!({
            "total": 1,
            "baselined": 0,
            "new": 1,
            "byRule": { "SSOT001": 1 },
            "byName": { format!("{FACTORY}.create_websocket_manager"): 1 },
            "byFile": [{ "uri": handler_uri, "count": 1 }],
        })
    );

    // Open, edit (the finding goes away in memory), close: the on-disk
    // findings come back.
    client.open(&handler_uri, 1, SNIPPET).await;
    assert_eq!(client.diagnostics(&handler_uri).await["version"], 1);
    client.change(&handler_uri, 2, full_change("import os\n")).await;
    assert_eq!(client.diagnostics(&handler_uri).await["diagnostics"], json!([]));
    let report = client.result("ssot/migrationReport", json!({})).await;
    assert_eq!(report["total"], 0, "open documents count with their current text");
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": handler_uri } })).await;
    let published = client.diagnostics(&handler_uri).await;
    assert_eq!(published["diagnostics"].as_array().unwrap().len(), 1, "{published}");

    // The file is fixed on disk and the watcher says so.
    std::fs::write(root.join("app/handler.py"), FIXED_SNIPPET).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": handler_uri, "type": 2 }] })).await;
    assert_eq!(client.diagnostics(&handler_uri).await["diagnostics"], json!([]));
    client.shutdown().await;
}

#[tokio::test]
async fn fix_workspace_command_edits_closed_files_through_the_client() {
    let (_dir, root) = workspace_with(&[("app/handler.py", SNIPPET), ("app/other.py", SNIPPET)]);
    let options = json!({ "workspaceScan": false });
    let (mut client, _) = TestClient::start(push_capabilities(&[]), options, Some(&root)).await;
    let other_uri = file_uri(&root.join("app/other.py"));
    let open_text = format!("# edited in the editor\n{SNIPPET}");
    client.open(&other_uri, 3, &open_text).await;
    let result =
        client.result("workspace/executeCommand", json!({ "command": "ssot.fixWorkspace", "arguments": [] })).await;
    assert_eq!(result, Value::Null);
    let request = client.server_request("workspace/applyEdit").await;
    assert_eq!(client.log_message("ssot.fixWorkspace:").await, "ssot.fixWorkspace: applied 2 fixes in 2 files");
    let edit = &request["params"]["edit"];
    let handler_uri = file_uri(&root.join("app/handler.py"));
    let changes = edit["documentChanges"].as_array().unwrap();
    assert_eq!(changes[0]["textDocument"], json!({ "uri": handler_uri, "version": null }));
    assert_eq!(changes[1]["textDocument"], json!({ "uri": other_uri, "version": 3 }));
    assert_eq!(apply_text_edits(SNIPPET, &edits_for(edit, &handler_uri), Encoding::Utf16), FIXED_SNIPPET);
    assert_eq!(
        apply_text_edits(&open_text, &edits_for(edit, &other_uri), Encoding::Utf16),
        format!("# edited in the editor\n{FIXED_SNIPPET}")
    );
    assert_eq!(std::fs::read_to_string(root.join("app/handler.py")).unwrap(), SNIPPET, "the server never writes files");
    client.shutdown().await;
}

/// `ssot.fixWorkspace` knows who patches a name before it fixes a closed
/// file, as `check --fix` does: with the workspace scan off it checks every
/// file first, with the scan on it waits for the scan to end. Before, run
/// right after start (the scan held here) or with the scan off, it moved a
/// function-local import of the factory's creator that a test patches on
/// the factory, so the patch no longer reached the call; `check --fix`
/// leaves it (unsafe).
#[tokio::test]
async fn fix_workspace_knows_the_patchers_before_it_fixes() {
    let lazy = LAZY_FACTORY_ROUTE;
    let plain = FACTORY_ROUTE;
    let test = "from unittest.mock import patch\n\n\n@patch(\"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager\")\ndef test_open(make):\n    pass\n";
    for scan_on in [false, true] {
        // The walk reaches the routes before the test that patches.
        let (_dir, root) = workspace_with(&websocket_workspace(&[
            ("netra_backend/app/routes/__init__.py", ""),
            ("netra_backend/app/routes/lazy.py", lazy),
            ("netra_backend/app/routes/plain.py", plain),
            ("tests/test_routes.py", test),
        ]));
        let options = ServeOptions::default();
        let scan = options.hooks.scan.clone();
        if scan_on {
            scan.close();
        }
        let mut capabilities = push_capabilities(&[]);
        capabilities["window"] = json!({ "workDoneProgress": true });
        let params = initialize_params(capabilities, Some(&root), json!({ "workspaceScan": scan_on }));
        let (mut client, _) = TestClient::start_in_process(options, TIMEOUT, params).await;
        client.request("workspace/executeCommand", json!({ "command": "ssot.fixWorkspace", "arguments": [] })).await;
        if scan_on {
            let waiting = "waiting for the workspace scan";
            let first = client
                .receive_matching(|message| {
                    message["params"]["value"]["message"] == waiting
                        || message["params"]["message"]
                            .as_str()
                            .is_some_and(|log| log.starts_with("ssot.fixWorkspace:"))
                })
                .await;
            // Opened before asserting: a blocked scan would hold the runtime.
            scan.open();
            assert_eq!(first["params"]["value"]["message"], waiting, "the command waits for the scan: {first}");
        }
        let request = client.server_request("workspace/applyEdit").await;
        let outcome = client.log_message("ssot.fixWorkspace:").await;
        assert_eq!(outcome, "ssot.fixWorkspace: applied 1 fixes in 1 files", "scan on: {scan_on}");
        let changes = request["params"]["edit"]["documentChanges"].as_array().unwrap();
        let fixed: Vec<&Value> = changes.iter().map(|change| &change["textDocument"]["uri"]).collect();
        assert_eq!(fixed, [&json!(file_uri(&root.join("netra_backend/app/routes/plain.py")))], "scan on: {scan_on}");
        client.shutdown().await;
    }
}

#[tokio::test]
async fn a_broken_config_is_shown_and_a_fixed_one_reloads() {
    let (_dir, root) = workspace_with(&[("ssot.toml", "ignore = []\nbogus = 1\n")]);
    let (mut client, _) =
        TestClient::start(push_capabilities(&[]), json!({ "workspaceScan": false }), Some(&root)).await;
    let shown = client.notification(|message| message["method"] == "window/showMessage").await;
    assert_eq!(shown["params"]["type"], 1);
    let text = shown["params"]["message"].as_str().unwrap();
    assert!(text.contains("ssot.toml:2:1"), "{text}");
    assert!(text.contains("keeping the last good rules"), "{text}");
    let config_uri = file_uri(&root.join("ssot.toml"));
    let published = client.diagnostics(&config_uri).await;
    assert_eq!(
        published["diagnostics"][0]["range"],
        json!({ "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 5 } })
    );
    assert_eq!(published["diagnostics"][0]["severity"], 1);
    // The last good rules (here: the built-in ones) stay in force.
    let uri = file_uri(&root.join("handler.py"));
    client.open(&uri, 1, SNIPPET).await;
    assert_eq!(client.diagnostics(&uri).await["diagnostics"].as_array().unwrap().len(), 1);

    // Fix the config: it now ignores SSOT001.
    std::fs::write(root.join("ssot.toml"), "ignore = [\"SSOT001\"]\n").unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": config_uri, "type": 2 }] })).await;
    assert_eq!(client.diagnostics(&config_uri).await["diagnostics"], json!([]));
    assert_eq!(client.diagnostics(&uri).await["diagnostics"], json!([]));

    // Break it again through a settings change pointing at another file.
    std::fs::write(root.join("other.toml"), "[[rules]]\ncode = 1\n").unwrap();
    client
        .notify("workspace/didChangeConfiguration", json!({ "settings": { "ssot": { "configPath": "other.toml" } } }))
        .await;
    let shown = client.notification(|message| message["method"] == "window/showMessage").await;
    assert!(shown["params"]["message"].as_str().unwrap().contains("other.toml"), "{shown}");
    client.shutdown().await;
}

#[tokio::test]
async fn the_workspace_scan_agrees_with_the_cli_on_the_demo_tree() {
    let demo = std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/../demo")).unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_ssot-lsp"))
        .args(["check", ".", "--format", "json"])
        .current_dir(&demo)
        .output()
        .expect("the CLI runs");
    let findings: Vec<Value> = serde_json::from_slice(&cli.stdout).expect("the CLI prints JSON findings");
    assert!(!findings.is_empty());
    let mut by_rule = serde_json::Map::new();
    let mut by_name = serde_json::Map::new();
    let mut by_file: std::collections::BTreeMap<String, u64> = Default::default();
    for finding in &findings {
        for (map, key) in [(&mut by_rule, "code"), (&mut by_name, "deprecated")] {
            let entry = map.entry(finding[key].as_str().unwrap()).or_insert(json!(0));
            *entry = json!(entry.as_u64().unwrap() + 1);
        }
        let path = demo.join(finding["filename"].as_str().unwrap().trim_start_matches("./"));
        *by_file.entry(file_uri(&path)).or_default() += 1;
    }

    let capabilities = json!({ "window": { "workDoneProgress": true } });
    let (mut client, _) = TestClient::start(capabilities, Value::Null, Some(&demo)).await;
    client
        .notification(|message| message["method"] == "$/progress" && message["params"]["value"]["kind"] == "end")
        .await;
    let report = client.result("ssot/migrationReport", json!({})).await;
    assert_eq!(report["total"], findings.len());
    assert_eq!(report["byRule"], Value::Object(by_rule));
    assert_eq!(report["byName"], Value::Object(by_name));
    let server_by_file: std::collections::BTreeMap<String, u64> = report["byFile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| (file["uri"].as_str().unwrap().to_string(), file["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(server_by_file, by_file);
    client.shutdown().await;
}

/// A file whose check takes long: 20,000 lines (1 MB) after a string left
/// unterminated in a line the check reads. The lexer cannot tell whether
/// such a string breaks the file (tree-sitter-python may read on), so the
/// skeleton's syntax error makes the server parse and check the whole text,
/// whose error recovery is slow (about a second in a release build). An
/// unclosed bracket no longer does: the lexer knows the file is broken and
/// the skeleton stands, in milliseconds.
fn slow_to_parse() -> String {
    let mut text = format!("{SNIPPET}manager = create_websocket_manager('unterminated\n");
    for line in 0..20_000 {
        text.push_str(&format!("result_{line} = service.call(value_{line}, other)  # note\n"));
    }
    text.push_str("x = 1\n");
    text
}

#[tokio::test]
async fn a_slow_parse_blocks_no_other_document_and_a_newer_change_supersedes_it() {
    const SLOW_URI: &str = "file:///e2e/app/slow.py";
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, None).await;
    client.open(SLOW_URI, 1, &slow_to_parse()).await;
    client.open(URI, 1, SNIPPET).await;
    // The slow file parses on the blocking pool: the other document is
    // diagnosed first.
    let first = client.notification(|message| message["method"] == "textDocument/publishDiagnostics").await;
    assert_eq!(first["params"]["uri"], URI, "the slow parse held up the other document");
    // A newer version of the slow file supersedes the parse in flight: what
    // the old job found may still be shown, tagged with its own version
    // (never as version 2's), then version 2's findings come.
    client.change(SLOW_URI, 2, full_change(SNIPPET)).await;
    let mut published = client.diagnostics(SLOW_URI).await;
    if published["version"] == 1 {
        published = client.diagnostics(SLOW_URI).await;
    }
    assert_eq!(published["version"], 2);
    assert_eq!(published["diagnostics"], json!([expected_snippet_diagnostic(2)]));
    // Hover waits for the current version's findings.
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": SLOW_URI }, "position": position(SNIPPET, 80, Encoding::Utf16) }),
        )
        .await;
    assert!(hover["result"]["contents"]["value"].as_str().unwrap().contains("create_websocket_manager"), "{hover}");
    client.shutdown().await;
}

/// Clients that resolve code actions get fix-all without its edit (the fix
/// loop does not run for every code action request) and its edit from
/// `codeAction/resolve`, for the version it was offered for.
#[tokio::test]
async fn fix_all_is_computed_on_resolve_for_clients_that_resolve() {
    let mut capabilities = push_capabilities(&[]);
    capabilities["textDocument"] = json!({ "codeAction": { "resolveSupport": { "properties": ["edit"] } } });
    let (mut client, initialized) = TestClient::start(capabilities, Value::Null, None).await;
    assert_eq!(initialized["capabilities"]["codeActionProvider"]["resolveProvider"], true);
    client.open(URI, 1, SNIPPET).await;
    client.diagnostics(URI).await;
    let request = fix_all_request(URI, SNIPPET);
    let actions = client.result("textDocument/codeAction", request.clone()).await;
    let action = actions[0].clone();
    assert_eq!(action["kind"], "source.fixAll.ssot");
    assert!(action.get("edit").is_none(), "{action}");
    let resolved = client.result("codeAction/resolve", action.clone()).await;
    assert_eq!(edits_version(&resolved["edit"], URI), json!(1));
    assert_eq!(apply_text_edits(SNIPPET, &edits_for(&resolved["edit"], URI), Encoding::Utf16), FIXED_SNIPPET);
    // Offered for version 1, resolved after a change: ContentModified.
    client.change(URI, 2, full_change(&format!("# moved\n{SNIPPET}"))).await;
    let stale = client.request("codeAction/resolve", action).await;
    assert_eq!(stale["error"]["code"], -32801, "{stale}");
    client.shutdown().await;
}

/// The workspace index follows the code base while it is edited: a finding
/// whose fix the canonical module did not support gets one, without the
/// document being reopened, once the canonical module (an open buffer, or a
/// file on disk) supports it.
#[tokio::test]
async fn an_open_document_is_checked_again_when_a_module_its_fix_depends_on_changes() {
    let canonical = "async def get_websocket_manager(user_context=None):\n    return None\n";
    let caller = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\nfrom netra_backend.app.websocket_core.websocket_manager_factory import create_defensive_user_execution_context\n\n\nasync def handler(uid):\n    create_defensive_user_execution_context(uid)\n    return await create_websocket_manager(user_id=uid)\n";
    let (_dir, root) = workspace_with(&[
        ("netra_backend/__init__.py", ""),
        ("netra_backend/app/__init__.py", ""),
        ("netra_backend/app/services/__init__.py", ""),
        ("netra_backend/app/services/user_execution_context.py", "class UserExecutionContext:\n    pass\n"),
        ("netra_backend/app/websocket_core/__init__.py", ""),
        ("netra_backend/app/websocket_core/websocket_manager.py", canonical),
        (
            "netra_backend/app/websocket_core/websocket_manager_factory.py",
            "async def create_websocket_manager(user_context=None, user_id=None):\n    return None\n\n\ndef create_defensive_user_execution_context(user_id):\n    return None\n",
        ),
        ("netra_backend/app/routes/__init__.py", ""),
        ("netra_backend/app/routes/caller.py", caller),
    ]);
    let options = json!({ "workspaceScan": false });
    let (mut client, _) = TestClient::start(push_capabilities(&[]), options, Some(&root)).await;
    let caller_uri = file_uri(&root.join("netra_backend/app/routes/caller.py"));
    client.open(&caller_uri, 1, caller).await;
    // Whether the findings of `create_websocket_manager` and of
    // `create_defensive_user_execution_context` have a fix.
    let fixes = |published: &Value| -> [bool; 2] {
        let diagnostics = published["diagnostics"].as_array().unwrap();
        let has_fix = |name: &str| {
            let found = diagnostics.iter().find(|d| d["message"].as_str().unwrap().starts_with(&format!("`{name}`")));
            found.unwrap_or_else(|| panic!("no finding of {name}: {published}"))["data"]["fix"].is_object()
        };
        [has_fix("create_websocket_manager"), has_fix("create_defensive_user_execution_context")]
    };
    let before = client.diagnostics(&caller_uri).await;
    assert_eq!(fixes(&before), [false, false], "neither target fits yet: {before}");
    assert!(before.to_string().contains("does not accept `user_id=`"), "{before}");

    // The canonical function learns `user_id=` in the editor (not saved).
    let canonical_uri = file_uri(&root.join("netra_backend/app/websocket_core/websocket_manager.py"));
    client.open(&canonical_uri, 1, canonical).await;
    let with_user_id = "async def get_websocket_manager(user_context=None, user_id=None):\n    return None\n";
    client.change(&canonical_uri, 2, json!([{ "text": with_user_id }])).await;
    let after = client.diagnostics(&caller_uri).await;
    assert_eq!(after["version"], 1, "the same version of the caller, checked again: {after}");
    assert_eq!(fixes(&after), [true, false], "the call fits now: {after}");

    // The missing name is defined on disk; the watcher says so.
    let context = root.join("netra_backend/app/services/user_execution_context.py");
    std::fs::write(&context, "class UserExecutionContext:\n    pass\n\n\ndef create_defensive_user_execution_context(user_id):\n    return UserExecutionContext()\n").unwrap();
    client
        .notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": file_uri(&context), "type": 2 }] }))
        .await;
    let defined = client.diagnostics(&caller_uri).await;
    assert_eq!(fixes(&defined), [true, true], "the target module defines the name now: {defined}");
    client.shutdown().await;
}

/// A module without `__all__` that others import a deprecated name from (a
/// plain-binding hub) keeps that name: once the workspace scan has seen its
/// callers (checked after it here: it sorts first, in an earlier chunk), its
/// own finding is checked again and loses the fix that would unbind it.
#[tokio::test]
async fn a_hub_checked_before_its_callers_is_checked_again_after_the_scan() {
    let hub = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n";
    let caller = "from netra_backend.app.a_hub import create_websocket_manager\n\n\nasync def handler(uid):\n    return await create_websocket_manager(user_id=uid)\n";
    let mut files: Vec<(String, String)> = vec![
        ("netra_backend/__init__.py".into(), String::new()),
        ("netra_backend/app/__init__.py".into(), String::new()),
        ("netra_backend/app/a_hub.py".into(), hub.into()),
        ("netra_backend/app/websocket_core/__init__.py".into(), String::new()),
        (
            "netra_backend/app/websocket_core/websocket_manager.py".into(),
            "async def get_websocket_manager(user_context=None):\n    return None\n".into(),
        ),
        (
            "netra_backend/app/websocket_core/websocket_manager_factory.py".into(),
            "async def create_websocket_manager(user_context=None, user_id=None):\n    return None\n".into(),
        ),
        ("netra_backend/app/z_routes/__init__.py".into(), String::new()),
        ("netra_backend/app/z_routes/caller.py".into(), caller.into()),
    ];
    // Enough files for the scan to check them in more than one chunk.
    files.extend((0..24).map(|i| (format!("netra_backend/app/b_filler_{i:02}.py"), "import os\n".to_string())));
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect();
    let (_dir, root) = workspace_with(&borrowed);
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    let hub_uri = file_uri(&root.join("netra_backend/app/a_hub.py"));
    let caller_uri = file_uri(&root.join("netra_backend/app/z_routes/caller.py"));
    let first = client.diagnostics(&hub_uri).await;
    assert!(first["diagnostics"][0]["data"]["fix"].is_object(), "checked before its callers: {first}");
    let called = client.diagnostics(&caller_uri).await;
    assert!(called["diagnostics"][0]["message"].as_str().unwrap().contains("re-exported by `netra_backend.app.a_hub`"));
    let again = client.diagnostics(&hub_uri).await;
    assert!(again["diagnostics"][0]["data"]["fix"].is_null(), "the hub keeps the name its callers import: {again}");
    let reason = "is imported from this module, or patched on it, by `netra_backend.app.z_routes.caller`,";
    assert!(again["diagnostics"][0]["message"].as_str().unwrap().contains(reason), "{again}");
    client.shutdown().await;
}

/// An import inside a function that the scan checks (it sorts first, in an
/// earlier chunk) before the test that patches its name on the factory:
/// published with a safe fix first, it is checked again once the test's
/// check is committed, and published with the fix unsafe, naming the test
/// (fix-all would otherwise leave the patch behind). The same for the
/// factory module imported whole and read as an attribute in a function.
#[tokio::test]
async fn a_lazy_import_checked_before_the_test_patching_its_name_is_checked_again() {
    let lazy = LAZY_FACTORY_ROUTE;
    let test = "from unittest import mock\n\n\ndef test_open():\n    with mock.patch(\"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager\"):\n        pass\n";
    let module_read = "from netra_backend.app.websocket_core import websocket_manager_factory as wmf\n\n\nasync def open_manager(ctx):\n    return await wmf.create_websocket_manager(ctx)\n";
    let mut files: Vec<(String, String)> = websocket_workspace(&[
        ("netra_backend/app/a_lazy.py", lazy),
        ("netra_backend/app/a_module_read.py", module_read),
        ("netra_backend/app/z_tests/test_lazy.py", test),
    ])
    .into_iter()
    .map(|(name, text)| (name.to_string(), text.to_string()))
    .collect();
    // Enough files for the scan to check them in more than one chunk.
    files.extend((0..24).map(|i| (format!("netra_backend/app/b_filler_{i:02}.py"), "import os\n".to_string())));
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect();
    let (_dir, root) = workspace_with(&borrowed);
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    for name in ["a_lazy", "a_module_read"] {
        let uri = file_uri(&root.join(format!("netra_backend/app/{name}.py")));
        let first = client.diagnostics(&uri).await;
        assert_eq!(first["diagnostics"][0]["data"]["fix"]["applicability"], "safe", "checked before the test: {first}");
        let again = client
            .notification(|message| {
                message["params"]["uri"] == uri
                    && message["params"]["diagnostics"][0]["data"]["fix"]["applicability"] == "unsafe"
            })
            .await;
        let message = again["params"]["diagnostics"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("`test_lazy` patches `create_websocket_manager` on"), "{again}");
    }
    client.shutdown().await;
}

/// The packages and the WebSocket modules of the hub-alias tests, then
/// `files`.
fn websocket_workspace<'a>(files: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![
        ("netra_backend/__init__.py", ""),
        ("netra_backend/app/__init__.py", ""),
        ("netra_backend/app/websocket_core/__init__.py", ""),
        (
            "netra_backend/app/websocket_core/websocket_manager.py",
            "async def get_websocket_manager(user_context=None):\n    return None\n",
        ),
        (
            "netra_backend/app/websocket_core/websocket_manager_factory.py",
            "async def create_websocket_manager(user_context=None, user_id=None):\n    return None\n",
        ),
    ];
    all.extend_from_slice(files);
    all
}

/// A hub that binds a deprecated name under another name: the file that
/// imports that name from it holds no trigger string, and the workspace
/// scan still reports it (and the hub keeps the alias).
#[tokio::test]
async fn the_scan_follows_a_hubs_alias_of_a_deprecated_name() {
    let hub = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager as make_manager\n";
    let caller = "from netra_backend.app.a_hub import make_manager\n\n\nasync def handler(ctx):\n    return await make_manager(ctx)\n";
    let (_dir, root) = workspace_with(&websocket_workspace(&[
        ("netra_backend/app/a_hub.py", hub),
        ("netra_backend/app/routes/__init__.py", ""),
        ("netra_backend/app/routes/caller.py", caller),
    ]));
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    let caller_uri = file_uri(&root.join("netra_backend/app/routes/caller.py"));
    let published = client.diagnostics(&caller_uri).await;
    let message = published["diagnostics"][0]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("re-exported by `netra_backend.app.a_hub`"), "{published}");
    assert!(published["diagnostics"][0]["data"]["fix"].is_object(), "{published}");
    hub_without_fix_names(&mut client, &root, "netra_backend.app.routes.caller").await;
    client.shutdown().await;
}

/// Waits for `netra_backend/app/a_hub.py` published without a fix, and
/// checks that the reason names `importer` as the module importing from it.
async fn hub_without_fix_names(client: &mut TestClient, root: &Path, importer: &str) {
    let hub_uri = file_uri(&root.join("netra_backend/app/a_hub.py"));
    let hub_published = client
        .notification(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == hub_uri
                && message["params"]["diagnostics"][0]["data"]["fix"].is_null()
        })
        .await;
    let reason = format!("is imported from this module, or patched on it, by `{importer}`,");
    assert!(
        hub_published["params"]["diagnostics"][0]["message"].as_str().unwrap().contains(&reason),
        "{hub_published}"
    );
}

/// A test file outside any package (`tests/e2e/test_a.py`, module `test_a`
/// as the CLI names it) that imports a hub's name inside a function is the
/// name's only importer: its own record is no other importer, so its fix
/// stays safe as in `check`, and the hub's reason names it `test_a`.
#[tokio::test]
async fn a_file_outside_any_package_is_not_its_own_other_importer() {
    let hub = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n";
    let test = "async def test_a():\n    from netra_backend.app.a_hub import create_websocket_manager\n    await create_websocket_manager(None)\n";
    let (_dir, root) =
        workspace_with(&websocket_workspace(&[("netra_backend/app/a_hub.py", hub), ("tests/e2e/test_a.py", test)]));
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    hub_without_fix_names(&mut client, &root, "test_a").await;
    let test_uri = file_uri(&root.join("tests/e2e/test_a.py"));
    let published = client.diagnostics(&test_uri).await;
    assert_eq!(published["diagnostics"][0]["data"]["fix"]["applicability"], "safe", "{published}");
    client.shutdown().await;
}

/// A test that patches a deprecated name where a module looks it up
/// (`patch("…ws_route.create_websocket_manager")`) needs the module to keep
/// the name, in the server as in `check`: the scan checks the module (it
/// sorts first) with a fix, then the test, and the module's finding is
/// published again without the fix that would leave the patch target
/// missing.
#[tokio::test]
async fn a_module_whose_binding_a_test_patches_loses_its_fix_after_the_scan() {
    let route = FACTORY_ROUTE;
    let test = ROUTE_PATCH_TEST;
    let (_dir, root) = workspace_with(&websocket_workspace(&[
        ("netra_backend/app/routes/__init__.py", ""),
        ("netra_backend/app/routes/ws_route.py", route),
        ("tests/test_ws_route.py", test),
    ]));
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    let route_uri = file_uri(&root.join("netra_backend/app/routes/ws_route.py"));
    let kept = client
        .notification(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == route_uri
                && message["params"]["diagnostics"][0]["data"]["fix"].is_null()
        })
        .await;
    let message = kept["params"]["diagnostics"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("or patched on it, by `test_ws_route`,"), "{kept}");
    client.shutdown().await;
}

/// A buffer opened before the workspace scan has recorded who imports its
/// names (here a test patching the route's name, which the scan has not
/// reached: its chunks wait at the hook) gets no fix that moves a
/// module-level name, nor a fix-all (which fix-on-save would apply), and
/// says why; once the scan is done, the route keeps its name for the test
/// and a module nobody imports from gets its fix.
#[tokio::test]
async fn a_buffer_opened_before_the_scan_is_done_gets_no_fix_that_moves_a_module_name() {
    let route = FACTORY_ROUTE;
    let test = ROUTE_PATCH_TEST;
    let (_dir, root) = workspace_with(&websocket_workspace(&[
        ("netra_backend/app/routes/__init__.py", ""),
        ("netra_backend/app/routes/ws_route.py", route),
        ("netra_backend/app/routes/other.py", route),
        ("tests/test_ws_route.py", test),
    ]));
    let options = ServeOptions::default();
    let scan = options.hooks.scan.clone();
    scan.close();
    let params = initialize_params(push_capabilities(&[]), Some(&root), Value::Null);
    let (mut client, _) = TestClient::start_in_process(options, TIMEOUT, params).await;
    let pending = "is not known until the workspace scan is done";
    for name in ["ws_route", "other"] {
        let uri = file_uri(&root.join(format!("netra_backend/app/routes/{name}.py")));
        client.open(&uri, 1, route).await;
        let first = client.diagnostics(&uri).await;
        let finding = &first["diagnostics"][0];
        assert!(finding["data"]["fix"].is_null(), "before the scan: {first}");
        assert!(finding["message"].as_str().unwrap_or_default().contains(pending), "{first}");
        let fix_all = client.result("textDocument/codeAction", fix_all_request(&uri, route)).await;
        assert!(fix_all.as_array().is_none_or(Vec::is_empty), "no fix-all before the scan: {fix_all}");
    }
    scan.open();
    let route_uri = file_uri(&root.join("netra_backend/app/routes/ws_route.py"));
    let other_uri = file_uri(&root.join("netra_backend/app/routes/other.py"));
    let kept = client
        .notification(|message| {
            message["params"]["uri"] == route_uri
                && message["params"]["diagnostics"][0]["message"]
                    .as_str()
                    .is_some_and(|message| message.contains("or patched on it, by `test_ws_route`,"))
        })
        .await;
    assert!(kept["params"]["diagnostics"][0]["data"]["fix"].is_null(), "{kept}");
    let fixed = client
        .notification(|message| {
            message["params"]["uri"] == other_uri && message["params"]["diagnostics"][0]["data"]["fix"].is_object()
        })
        .await;
    let message = fixed["params"]["diagnostics"][0]["message"].as_str().unwrap_or_default();
    assert!(!message.contains(pending), "{fixed}");
    client.shutdown().await;
}

/// A pull client the server cannot ask to pull again (no
/// `workspace/diagnostic/refresh`, as Neovim 0.11) keeps each answer until
/// its next change: it is never answered with a check made before the
/// workspace scan recorded who patches what. While the scan runs its pull
/// waits, then ends `ServerCancelled` asking to be sent again; the first
/// answer is the settled one (no fix where a test patches the name, the fix
/// elsewhere), and a code action made meanwhile offers no fix either (also
/// for a lazy import from a re-export hub, which a test patches there).
#[tokio::test]
async fn a_pull_client_without_refresh_is_answered_after_the_scan() {
    let route = FACTORY_ROUTE;
    let test = ROUTE_PATCH_TEST;
    let hub = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n__all__ = [\"create_websocket_manager\"]\n";
    let lazy = "async def open_manager(ctx):\n    from netra_backend.app.hub import create_websocket_manager\n\n    return await create_websocket_manager(ctx)\n";
    let hub_test = "from unittest.mock import patch\n\n\n@patch(\"netra_backend.app.hub.create_websocket_manager\")\ndef test_lazy(make):\n    pass\n";
    let (_dir, root) = workspace_with(&websocket_workspace(&[
        ("netra_backend/app/hub.py", hub),
        ("netra_backend/app/routes/__init__.py", ""),
        ("netra_backend/app/routes/ws_route.py", route),
        ("netra_backend/app/routes/other.py", route),
        ("netra_backend/app/routes/lazy.py", lazy),
        ("tests/test_ws_route.py", test),
        ("tests/test_hub.py", hub_test),
    ]));
    let options = ServeOptions { pull_hold: Duration::from_millis(300), ..ServeOptions::default() };
    let scan = options.hooks.scan.clone();
    scan.close();
    let capabilities = json!({
        "textDocument": { "diagnostic": { "dynamicRegistration": false } },
        "workspace": { "applyEdit": true },
    });
    let params = initialize_params(capabilities, Some(&root), Value::Null);
    let (mut client, _) = TestClient::start_in_process(options, TIMEOUT, params).await;
    let uri = |name: &str| file_uri(&root.join(format!("netra_backend/app/routes/{name}.py")));
    let pull = |uri: &str| json!({ "textDocument": { "uri": uri } });
    client.open(&uri("ws_route"), 1, route).await;
    client.open(&uri("other"), 1, route).await;
    client.open(&uri("lazy"), 1, lazy).await;
    // Held by the scan's gate: the pull is asked to come again, and a fix-all
    // made meanwhile is empty.
    let held = client.request("textDocument/diagnostic", pull(&uri("other"))).await;
    let mut fix_alls = Vec::new();
    for name in ["other", "lazy"] {
        let params = fix_all_request(&uri(name), route);
        fix_alls.push((name, client.result("textDocument/codeAction", params).await));
    }
    scan.open();
    assert_eq!(held["error"]["code"], -32802, "{held}");
    assert_eq!(held["error"]["data"]["retriggerRequest"], true, "{held}");
    for (name, fix_all) in fix_alls {
        assert!(fix_all.as_array().is_none_or(Vec::is_empty), "{name}: no fix-all before the scan: {fix_all}");
    }
    // As the client does: ask again until answered.
    let mut answers = std::collections::HashMap::new();
    for name in ["ws_route", "other", "lazy"] {
        let report = loop {
            let response = client.request("textDocument/diagnostic", pull(&uri(name))).await;
            if response["error"]["code"] != -32802 {
                break response["result"].clone();
            }
        };
        answers.insert(name, report);
    }
    let pending = "is not known until the workspace scan is done";
    for (name, report) in &answers {
        let message = report["items"][0]["message"].as_str().unwrap_or_default();
        assert!(!message.contains(pending), "{name}: {report}");
    }
    let kept = &answers["ws_route"]["items"][0];
    assert!(kept["data"]["fix"].is_null(), "{kept}");
    assert!(kept["message"].as_str().unwrap_or_default().contains("by `test_ws_route`"), "{kept}");
    assert!(answers["other"]["items"][0]["data"]["fix"].is_object(), "{}", answers["other"]);
    let lazy_finding = &answers["lazy"]["items"][0];
    assert_eq!(lazy_finding["data"]["fix"]["applicability"], "unsafe", "{lazy_finding}");
    assert!(lazy_finding["message"].as_str().unwrap_or_default().contains("test_hub"), "{lazy_finding}");
    client.shutdown().await;
}

/// With the workspace scan off nothing records who imports or patches a
/// buffer's names: a fix that depends on it (a module-level import moved to
/// another object, an import a function reads when it runs) is at most
/// unsafe, saying why, so fix-on-save and fix-all leave it. Before, such a
/// buffer took every name as imported nowhere and its fixes were safe,
/// also where a test patches the name. Turned on, the scan tells them
/// apart: the import no test patches gets its safe fix.
#[tokio::test]
async fn a_buffer_in_an_unscanned_workspace_gets_no_safe_fix_that_depends_on_importers() {
    let route = FACTORY_ROUTE;
    let lazy = LAZY_FACTORY_ROUTE;
    let test = "from unittest.mock import patch\n\n\n@patch(\"netra_backend.app.routes.ws_route.create_websocket_manager\")\n@patch(\"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager\")\ndef test_open(make, factory):\n    pass\n";
    let (_dir, root) = workspace_with(&websocket_workspace(&[
        ("netra_backend/app/routes/__init__.py", ""),
        ("netra_backend/app/routes/ws_route.py", route),
        ("netra_backend/app/routes/lazy.py", lazy),
        ("netra_backend/app/routes/other.py", route),
        ("tests/test_ws_route.py", test),
    ]));
    let options = json!({ "workspaceScan": false });
    let (mut client, _) = TestClient::start(push_capabilities(&[]), options, Some(&root)).await;
    for (name, text) in [("ws_route", route), ("lazy", lazy), ("other", route)] {
        let uri = file_uri(&root.join(format!("netra_backend/app/routes/{name}.py")));
        client.open(&uri, 1, text).await;
        let published = client.diagnostics(&uri).await;
        let finding = &published["diagnostics"][0];
        assert_eq!(finding["data"]["fix"]["applicability"], "unsafe", "{name}: {published}");
        let message = finding["message"].as_str().unwrap_or_default();
        assert!(message.contains("is not known: the workspace scan is off"), "{name}: {published}");
        let fix_all = client.result("textDocument/codeAction", fix_all_request(&uri, text)).await;
        assert!(fix_all.as_array().is_none_or(Vec::is_empty), "{name}: no safe fix-all: {fix_all}");
    }
    client
        .notify("workspace/didChangeConfiguration", json!({ "settings": { "ssot": { "workspaceScan": true } } }))
        .await;
    let other_uri = file_uri(&root.join("netra_backend/app/routes/other.py"));
    let fixed = client
        .notification(|message| {
            message["params"]["uri"] == other_uri
                && message["params"]["diagnostics"][0]["data"]["fix"]["applicability"] == "safe"
        })
        .await;
    assert!(!fixed.to_string().contains("the workspace scan is off"), "{fixed}");
    client.shutdown().await;
}

/// A check the server starts on its own asks a pull client to pull again
/// once per round, not once per document: the end of the workspace scan
/// checks every open buffer again, and eight of them cost one
/// `workspace/diagnostic/refresh` (with the scan's own), not eight.
#[tokio::test]
async fn a_round_of_checks_the_server_starts_asks_for_one_refresh() {
    let route = FACTORY_ROUTE;
    let names: Vec<String> = (0..8).map(|n| format!("netra_backend/app/routes/route_{n}.py")).collect();
    let mut files = vec![("netra_backend/app/routes/__init__.py", "")];
    files.extend(names.iter().map(|name| (name.as_str(), route)));
    let (_dir, root) = workspace_with(&websocket_workspace(&files));
    let options = ServeOptions::default();
    let scan = options.hooks.scan.clone();
    scan.close();
    let params = initialize_params(pull_capabilities(), Some(&root), Value::Null);
    let (mut client, _) = TestClient::start_in_process(options, TIMEOUT, params).await;
    let pending = "is not known until the workspace scan is done";
    let pull = |uri: &str| json!({ "textDocument": { "uri": uri } });
    let uris: Vec<String> = names.iter().map(|name| file_uri(&root.join(name))).collect();
    for uri in &uris {
        client.open(uri, 1, route).await;
        let report = client.result("textDocument/diagnostic", pull(uri)).await;
        assert!(report["items"][0]["message"].as_str().unwrap_or_default().contains(pending), "{report}");
    }
    let before = client.server_requests.len();
    scan.open();
    client.log_message("workspace scan:").await;
    for uri in &uris {
        // Until its check after the scan has stored.
        loop {
            let report = client.result("textDocument/diagnostic", pull(uri)).await;
            if !report["items"][0]["message"].as_str().unwrap_or(pending).contains(pending) {
                break;
            }
        }
    }
    client.ping().await;
    let refreshes = client.server_requests[before..]
        .iter()
        .filter(|request| request["method"] == "workspace/diagnostic/refresh")
        .count();
    assert!((1..=3).contains(&refreshes), "{refreshes} refreshes for one round of 8 checks and the scan");
    client.shutdown().await;
}

/// A package that passes a hub's alias on under its own name (a hub of a
/// hub) holds no trigger string, nor does the file that imports the alias
/// from the package: the scan follows the aliases round after round, as
/// `check` does, and reports that file too. The paths put the caller and
/// the package before the hub in the scan's order: neither names an alias
/// known when the scan reads it.
#[tokio::test]
async fn the_scan_follows_an_alias_through_a_hub_of_a_hub() {
    let hub = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager as make_manager\n";
    let package = "from netra_backend.app.z_hub import make_manager\n";
    let caller = "from netra_backend.app.m_compat import make_manager\n\n\nasync def handler(ctx):\n    return await make_manager(ctx)\n";
    let (_dir, root) = workspace_with(&websocket_workspace(&[
        ("netra_backend/app/z_hub.py", hub),
        ("netra_backend/app/m_compat/__init__.py", package),
        ("netra_backend/app/a_routes/__init__.py", ""),
        ("netra_backend/app/a_routes/caller.py", caller),
    ]));
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    let caller_uri = file_uri(&root.join("netra_backend/app/a_routes/caller.py"));
    let published = client.diagnostics(&caller_uri).await;
    let message = published["diagnostics"][0]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("create_websocket_manager"), "{published}");
    assert!(message.contains("netra_backend.app.m_compat"), "{published}");
    // As `check` reports it: the package keeps the name its caller imports.
    let package_uri = file_uri(&root.join("netra_backend/app/m_compat/__init__.py"));
    let kept = client
        .notification(|message| {
            message["params"]["uri"] == package_uri
                && message["params"]["diagnostics"][0]["message"]
                    .as_str()
                    .is_some_and(|text| text.contains("or patched on it, by `netra_backend.app.a_routes.caller`,"))
        })
        .await;
    assert!(kept["params"]["diagnostics"][0]["data"]["fix"].is_null(), "{kept}");
    client.shutdown().await;
}

/// In the `plain_hub` fixture, `core/ws.py` passes on the deprecated
/// function it imports from another hub, and `routes/through_two_plain_hubs.py`
/// is the only file that imports it from there.
const WS_HUB: &str = "netra_backend/app/core/ws.py";
const WS_IMPORTER: &str = "netra_backend/app/routes/through_two_plain_hubs.py";
const WS_IMPORTER_WITHOUT_IT: &str =
    "\"\"\"Imports nothing through the hub any more.\"\"\"\n\n\nasync def connect(ctx):\n    return ctx\n";

/// Whether a publish of the hub's diagnostics offers a fix for its finding.
fn hub_fix_is(fixable: bool) -> impl Fn(&Value) -> bool {
    move |message: &Value| {
        let finding = &message["params"]["diagnostics"][0];
        message["method"] == "textDocument/publishDiagnostics"
            && finding["message"].as_str().is_some_and(|text| text.contains("create_websocket_manager"))
            && finding["data"]["fix"].is_object() == fixable
    }
}

/// Waits for the end of the workspace scan and until the open hub is
/// published without a fix because of its importer (its check was
/// committed; before the scan was done, the hub had none either, for want
/// of knowing), then drops what came before: every later publish of it has
/// no fix until the importer changes.
async fn hub_kept_for_its_importer(client: &mut TestClient, hub_uri: &str) {
    client.log_message("workspace scan:").await;
    let kept = client
        .notification(|message| {
            let text = message["params"]["diagnostics"][0]["message"].as_str().unwrap_or_default();
            message["params"]["uri"] == hub_uri && hub_fix_is(false)(message) && !text.contains("workspace scan")
        })
        .await;
    let message = kept["params"]["diagnostics"][0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains(&format!("or patched on it, by `{}`,", WS_IMPORTER.trim_end_matches(".py").replace('/', "."))),
        "{kept}"
    );
    client.ping().await;
    client.forget_backlog();
}

/// The next publish of the open hub with (or without) a fix; what came
/// before it is dropped. A publish of the hub without a fix can still come
/// after `hub_kept_for_its_importer` (the scan's follow-up checks run on),
/// and a later step waiting for one must not take that one: the step would
/// go on before the server saw its change, and two changes of the importer
/// on disk checked as one need not publish the hub again.
async fn next_hub_publish(client: &mut TestClient, hub_uri: &str, fixable: bool) -> Value {
    let published =
        client.notification(|message| message["params"]["uri"] == hub_uri && hub_fix_is(fixable)(message)).await;
    client.forget_backlog();
    published
}

/// The hub and its only importer are open; the importer drops the import in
/// the editor: the hub's finding gets its fix, and loses it again when the
/// import comes back.
#[tokio::test]
async fn a_hub_whose_only_importer_drops_the_import_in_the_editor_gets_its_fix() {
    let (_dir, root) = workspace_from_fixture("plain_hub");
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    let hub_uri = file_uri(&root.join(WS_HUB));
    let importer_uri = file_uri(&root.join(WS_IMPORTER));
    let importer = std::fs::read_to_string(root.join(WS_IMPORTER)).unwrap();
    client.open(&hub_uri, 1, &std::fs::read_to_string(root.join(WS_HUB)).unwrap()).await;
    client.open(&importer_uri, 1, &importer).await;
    hub_kept_for_its_importer(&mut client, &hub_uri).await;

    client.change(&importer_uri, 2, full_change(WS_IMPORTER_WITHOUT_IT)).await;
    let freed = next_hub_publish(&mut client, &hub_uri, true).await;
    assert_eq!(freed["params"]["version"], 1, "the same version of the hub, checked again: {freed}");

    client.change(&importer_uri, 3, full_change(&importer)).await;
    next_hub_publish(&mut client, &hub_uri, false).await;
    client.shutdown().await;
}

/// The hub is open, its only importer closed: the importer drops the import
/// on disk, then takes it back, then is deleted; the watcher says so each
/// time, and the hub's finding follows.
#[tokio::test]
async fn a_hub_whose_only_importer_drops_the_import_on_disk_or_is_deleted_gets_its_fix() {
    let (_dir, root) = workspace_from_fixture("plain_hub");
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    let hub_uri = file_uri(&root.join(WS_HUB));
    let importer_path = root.join(WS_IMPORTER);
    let importer = std::fs::read_to_string(&importer_path).unwrap();
    client.open(&hub_uri, 1, &std::fs::read_to_string(root.join(WS_HUB)).unwrap()).await;
    hub_kept_for_its_importer(&mut client, &hub_uri).await;
    let watched = |kind: u32| json!({ "changes": [{ "uri": file_uri(&importer_path), "type": kind }] });

    std::fs::write(&importer_path, WS_IMPORTER_WITHOUT_IT).unwrap();
    client.notify("workspace/didChangeWatchedFiles", watched(2)).await;
    next_hub_publish(&mut client, &hub_uri, true).await;

    std::fs::write(&importer_path, &importer).unwrap();
    client.notify("workspace/didChangeWatchedFiles", watched(2)).await;
    next_hub_publish(&mut client, &hub_uri, false).await;

    std::fs::remove_file(&importer_path).unwrap();
    client.notify("workspace/didChangeWatchedFiles", watched(3)).await;
    next_hub_publish(&mut client, &hub_uri, true).await;
    client.shutdown().await;
}

/// A module starts re-exporting the deprecated factory function on disk: the
/// closed file that imports that name from it, clean until then, gets the
/// finding (the index saw the module's imports change and the workspace was
/// checked again).
#[tokio::test]
async fn a_module_that_becomes_a_hub_on_disk_gives_its_closed_importers_findings() {
    let own = "async def create_websocket_manager(user_context=None):\n    return None\n";
    let caller = "from netra_backend.app.helpers import create_websocket_manager\n\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n";
    let (_dir, root) = workspace_with(&[
        ("netra_backend/__init__.py", ""),
        ("netra_backend/app/__init__.py", ""),
        ("netra_backend/app/helpers.py", own),
        ("netra_backend/app/websocket_core/__init__.py", ""),
        (
            "netra_backend/app/websocket_core/websocket_manager.py",
            "async def get_websocket_manager(user_context=None):\n    return None\n",
        ),
        (
            "netra_backend/app/websocket_core/websocket_manager_factory.py",
            "async def create_websocket_manager(user_context=None, user_id=None):\n    return None\n",
        ),
        ("netra_backend/app/routes/__init__.py", ""),
        ("netra_backend/app/routes/caller.py", caller),
    ]);
    let (mut client, _) = TestClient::start(push_capabilities(&[]), Value::Null, Some(&root)).await;
    // Wait for the end of the first scan: nothing was published for the caller.
    client.log_message("workspace scan:").await;
    let caller_uri = file_uri(&root.join("netra_backend/app/routes/caller.py"));
    assert!(
        client.notifications().all(|message| message["params"]["uri"] != caller_uri),
        "clean while the helper defines the function itself"
    );
    let helpers = root.join("netra_backend/app/helpers.py");
    std::fs::write(
        &helpers,
        "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n",
    )
    .unwrap();
    client
        .notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": file_uri(&helpers), "type": 2 }] }))
        .await;
    let published = client.diagnostics(&caller_uri).await;
    let message = published["diagnostics"][0]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("re-exported by `netra_backend.app.helpers`"), "{published}");
    client.shutdown().await;
}
