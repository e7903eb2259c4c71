//! Positions and edits as a client computes them, independently of the
//! server: LSP positions of byte offsets (lines end at `\n`, `\r\n` or
//! `\r`; columns in UTF-8 or UTF-16 code units), and the text edits of a
//! workspace edit applied to a text. Shared by the end-to-end and protocol
//! tests; every test file uses only part of it.
#![allow(dead_code)]

use serde_json::{json, Value};

#[derive(Clone, Copy)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The LSP position of a byte offset.
pub fn position(text: &str, offset: usize, encoding: Encoding) -> Value {
    let before = &text[..offset];
    let line_start = before.rfind(['\n', '\r']).map_or(0, |index| index + 1);
    let line = before.matches('\n').count() + before.replace("\r\n", "\n").matches('\r').count();
    let column: usize = match encoding {
        Encoding::Utf8 => before[line_start..].len(),
        Encoding::Utf16 => before[line_start..].chars().map(char::len_utf16).sum(),
    };
    json!({ "line": line, "character": column })
}

pub fn range(text: &str, start: usize, end: usize, encoding: Encoding) -> Value {
    json!({ "start": position(text, start, encoding), "end": position(text, end, encoding) })
}

/// The byte offset of an LSP position (no clamping needed in tests).
pub fn offset(text: &str, position: &Value, encoding: Encoding) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let mut line_start = 0;
    for _ in 0..line {
        let rest = &text[line_start..];
        let index = rest.find(['\n', '\r']).unwrap();
        line_start += index + if rest[index..].starts_with("\r\n") { 2 } else { 1 };
    }
    let mut units = 0;
    for (index, ch) in text[line_start..].char_indices() {
        if units >= character || ch == '\n' || ch == '\r' {
            return line_start + index;
        }
        units += match encoding {
            Encoding::Utf8 => ch.len_utf8(),
            Encoding::Utf16 => ch.len_utf16(),
        };
    }
    text.len()
}

/// Applies LSP text edits (all relative to the original text).
pub fn apply_text_edits(text: &str, edits: &[Value], encoding: Encoding) -> String {
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|edit| {
            let start = offset(text, &edit["range"]["start"], encoding);
            let end = offset(text, &edit["range"]["end"], encoding);
            (start, end, edit["newText"].as_str().unwrap().to_string())
        })
        .collect();
    spans.sort_by_key(|(start, end, _)| (*start, *end));
    let mut out = String::new();
    let mut cursor = 0;
    for (start, end, new_text) in spans {
        assert!(start >= cursor, "overlapping edits");
        out.push_str(&text[cursor..start]);
        out.push_str(&new_text);
        cursor = end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// The text edits a workspace edit makes to one URI (either shape).
pub fn edits_for(workspace_edit: &Value, uri: &str) -> Vec<Value> {
    if let Some(changes) = workspace_edit.get("documentChanges").and_then(Value::as_array) {
        return changes
            .iter()
            .filter(|change| change["textDocument"]["uri"] == uri)
            .flat_map(|change| change["edits"].as_array().cloned().unwrap_or_default())
            .collect();
    }
    workspace_edit["changes"][uri].as_array().cloned().unwrap_or_default()
}

/// The version a workspace edit gives for one URI (`documentChanges` only).
pub fn edits_version(workspace_edit: &Value, uri: &str) -> Value {
    let changes = workspace_edit["documentChanges"].as_array().expect("documentChanges");
    let change = changes.iter().find(|change| change["textDocument"]["uri"] == uri).expect("an edit for the URI");
    change["textDocument"]["version"].clone()
}
