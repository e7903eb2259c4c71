//! The snapshot harness of the fixture tests (`forms.rs`, `workspaces.rs`):
//! a file's findings written one paragraph each, a fix's change as a
//! unified diff, and CPython's verdict on a text. Every test file uses only
//! part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, PoisonError};

use ssot_lsp::analysis::check_text;
use ssot_lsp::line_index::LineIndex;
use ssot_lsp::rules::{FileScope, RuleSet};

/// What a finding's paragraph shows besides its start, code, text, fix and
/// message.
#[derive(Clone, Copy)]
pub struct Shown {
    /// Where the finding ends (`line:column-line:column`).
    pub end: bool,
    /// The note a fix carries (a target the workspace could not check).
    pub note: bool,
}

/// The findings of `check_text`, one paragraph each: place, code, the
/// flagged text, the fix (`[applicability] title`) or `[no fix]`, then the
/// message on an indented line.
pub fn describe_findings(rules: &RuleSet, scope: &FileScope, text: &str, shown: Shown) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    for finding in check_text(rules, scope, text) {
        let (line, column) = index.line_column(text, finding.start);
        let place = if shown.end {
            let (end_line, end_column) = index.line_column(text, finding.end);
            format!("{line}:{column}-{end_line}:{end_column}")
        } else {
            format!("{line}:{column}")
        };
        let fix = match &finding.fix {
            Some(fix) => match fix.note.as_ref().filter(|_| shown.note) {
                Some(note) => format!("[{}] {} ({note})", fix.applicability.as_str(), fix.title),
                None => format!("[{}] {}", fix.applicability.as_str(), fix.title),
            },
            None => "[no fix]".to_string(),
        };
        out.push_str(&format!(
            "{place} {} `{}` {fix}\n    {}\n",
            finding.code,
            &text[finding.start..finding.end],
            finding.message
        ));
    }
    out
}

/// `(unchanged)`, or the unified diff of `before` to `after` with `context`
/// lines around each change.
pub fn unified(before: &str, after: &str, context: usize) -> String {
    if before == after {
        return "(unchanged)\n".to_string();
    }
    // Without the `---`/`+++` lines, as similar's own formatter printed it.
    let diff = ssot_lsp::cli::diff::unified(before, after, context, ("a", "b"));
    diff.strip_prefix("--- a\n+++ b\n").unwrap_or(&diff).to_string()
}

/// Whether CPython parses the text (as bytes, so a BOM and CRLF are handled
/// the way the interpreter handles files).
///
/// One `python3` per test binary answers every call: starting one per text
/// took about a fifth of a second each here (a pyenv shim in front of the
/// interpreter), most of what the fixture tests took. A text goes to it
/// as its length (8 bytes, little-endian) and its bytes; it answers `1` when
/// `ast.parse` takes them, `0` when it raises. An interpreter that dies on a
/// text (or cannot be read from) counts as not parsing it, and the next
/// call starts another.
pub fn cpython_parses(text: &str) -> bool {
    static PARSER: Mutex<Option<Parser>> = Mutex::new(None);
    let mut parser = PARSER.lock().unwrap_or_else(PoisonError::into_inner);
    let running = parser.get_or_insert_with(Parser::start);
    match running.parses(text.as_bytes()) {
        Ok(verdict) => verdict,
        Err(_) => {
            // Dead or unreadable: reaped, and replaced at the next call.
            if let Some(mut dead) = parser.take() {
                let _ = dead.child.kill();
                let _ = dead.child.wait();
            }
            false
        }
    }
}

/// The interpreter behind [`cpython_parses`].
struct Parser {
    child: Child,
    input: ChildStdin,
    output: ChildStdout,
}

const PARSE_LOOP: &str = "\
import ast, sys
source, verdicts = sys.stdin.buffer, sys.stdout.buffer
while True:
    header = source.read(8)
    if len(header) < 8:
        break
    text = source.read(int.from_bytes(header, 'little'))
    try:
        ast.parse(text)
        verdict = b'1'
    except Exception:
        verdict = b'0'
    verdicts.write(verdict)
    verdicts.flush()
";

impl Parser {
    fn start() -> Parser {
        let mut child = Command::new("python3")
            .args(["-c", PARSE_LOOP])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let input = child.stdin.take().expect("piped stdin");
        let output = child.stdout.take().expect("piped stdout");
        Parser { child, input, output }
    }

    fn parses(&mut self, bytes: &[u8]) -> std::io::Result<bool> {
        self.input.write_all(&(bytes.len() as u64).to_le_bytes())?;
        self.input.write_all(bytes)?;
        self.input.flush()?;
        let mut verdict = [0u8];
        self.output.read_exact(&mut verdict)?;
        Ok(verdict[0] == b'1')
    }
}
