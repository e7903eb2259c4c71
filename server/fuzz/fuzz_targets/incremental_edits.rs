//! Incremental edits through the language server: a document opened and
//! changed by random edit sequences (several per notification or one each,
//! UTF-8 or UTF-16 positions, CRLF and BOM texts) ends with the findings of a
//! fresh check of the text the client has. The server keeps its tree with
//! `Tree::edit` and one reparse per notification; any divergence from a fresh
//! parse shows as different findings or offsets.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use ssot_lsp::rules::RuleSet;
use ssot_lsp_fuzz::{converse, frame_json, Ending};

const URI: &str = "file:///fuzz/app/handler.py";

const STARTS: &[&str] = &[
    "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n",
    "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\r\n\r\nasync def handler(ctx):\r\n    return await create_websocket_manager(ctx)\r\n",
    "\u{feff}from netra_backend.app.websocket_core import create_websocket_manager\nx = create_websocket_manager(1)\n",
    "# 😀 ünï\nimport netra_backend.app.websocket_core.websocket_manager_factory as wmf\nm = wmf.create_websocket_manager('中文')\n",
    "\"\"\"Module doc.\"\"\"\nfrom netra_backend.app.websocket_core import create_websocket_manager\n\ndef g():\n    \"\"\"Doc.\n\n    More.\n    \"\"\"\n    return create_websocket_manager(1)\n",
    "",
];

const PIECES: &[&str] = &[
    "",
    "x",
    "é",
    "😀",
    "中文",
    "\n",
    "\r\n",
    "\r",
    "    ",
    "(",
    ")",
    ",",
    "\"",
    "\"\"\"",
    "'''",
    "#",
    "\\\n",
    "import ",
    "from ",
    "create_websocket_manager",
    "websocket_manager_factory",
    "netra_backend.app.websocket_core.",
    "# ssot: ignore\n",
    "def f():\n",
    "__all__ = ['create_websocket_manager']\n",
    "\u{feff}",
];

#[derive(Debug, Arbitrary)]
struct Edit {
    at: u16,
    length: u8,
    piece: u8,
    /// Free text instead of a piece, when not empty.
    text: String,
}

#[derive(Debug, Arbitrary)]
struct Input {
    start: u8,
    utf8: bool,
    notifications: Vec<Vec<Edit>>,
}

/// The LSP position of a byte offset: lines end at `\n`, `\r\n` or `\r`.
fn position(text: &str, offset: usize, utf8: bool) -> Value {
    let before = &text[..offset];
    let line_start = before.rfind(['\n', '\r']).map_or(0, |index| index + 1);
    let line = before.matches('\n').count() + before.replace("\r\n", "\n").matches('\r').count();
    let column: usize =
        if utf8 { before.len() - line_start } else { before[line_start..].chars().map(char::len_utf16).sum() };
    json!({ "line": line, "character": column })
}

/// The nearest character boundary at or before `offset`, never between a
/// `\r` and its `\n` (no LSP position points there).
fn boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    if offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n') {
        offset -= 1;
    }
    offset
}

fuzz_target!(|input: Input| {
    let mut text = STARTS[input.start as usize % STARTS.len()].to_string();
    let mut messages = Vec::new();
    let open = json!({ "textDocument": { "uri": URI, "languageId": "python", "version": 1, "text": text } });
    messages.extend(frame_json(&json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": open })));
    let mut version = 1;
    for edits in input.notifications.iter().take(8) {
        let mut changes = Vec::new();
        for edit in edits.iter().take(6) {
            let start = boundary(&text, edit.at as usize);
            let end = boundary(&text, start + edit.length as usize % 24).max(start);
            let insert =
                if edit.text.is_empty() { PIECES[edit.piece as usize % PIECES.len()] } else { edit.text.as_str() };
            if insert.len() > 64 {
                continue;
            }
            let range = json!({ "start": position(&text, start, input.utf8), "end": position(&text, end, input.utf8) });
            changes.push(json!({ "range": range, "text": insert }));
            text.replace_range(start..end, insert);
        }
        version += 1;
        let params = json!({ "textDocument": { "uri": URI, "version": version }, "contentChanges": changes });
        messages.extend(frame_json(&json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": params })));
    }
    let published = |message: &Value| {
        message["method"] == "textDocument/publishDiagnostics" && message["params"]["version"] == json!(version)
    };
    let transcript = converse(Some(input.utf8), messages, Ending::WhenDone, |messages| messages.iter().any(published));
    assert!(!transcript.ended_early, "the server stopped: {:?}", transcript.messages);
    let diagnostics = &transcript.messages.iter().find(|message| published(message)).unwrap()["params"]["diagnostics"];
    let mut reported: Vec<(String, u64, u64)> = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .map(|diagnostic| {
            let data = &diagnostic["data"];
            (data["code"].as_str().unwrap().to_string(), data["start"].as_u64().unwrap(), data["end"].as_u64().unwrap())
        })
        .collect();
    reported.sort();
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(RuleSet::builtin);
    let scope = ssot_lsp::workspace::scope_for(
        rules,
        &std::env::current_dir().unwrap(),
        std::path::Path::new("/fuzz/app/handler.py"),
    );
    let mut expected: Vec<(String, u64, u64)> = ssot_lsp::analysis::check_text(rules, &scope, &text)
        .into_iter()
        .map(|finding| (finding.code, finding.start as u64, finding.end as u64))
        .collect();
    expected.sort();
    assert_eq!(reported, expected, "the server's findings differ from a fresh check of {text:?}");
});
