//! What the engine reports: findings, their fixes and the text edits those fixes
//! are made of.
//!
//! Everything here is in byte offsets into the checked text (the text as read,
//! BOM included). Nothing here knows about LSP positions, URIs or JSON-RPC; the
//! CLI and the server convert at their edges.

use serde::{Deserialize, Serialize};

/// How loud a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

/// Whether a fix may be applied without asking.
///
/// Ordered from the most to the least trusted, so `a <= b` reads "a is at
/// least as safe as b".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps the meaning: applied on save, by `--fix` and by fix-all.
    Safe,
    /// May change behaviour: offered as a quick fix, applied by `--unsafe-fixes`.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// Replace the bytes `start..end` of the text with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

impl Edit {
    pub fn replace(start: usize, end: usize, replacement: impl Into<String>) -> Self {
        Edit { start, end, replacement: replacement.into() }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Edit { start: at, end: at, replacement: text.into() }
    }

    pub fn delete(start: usize, end: usize) -> Self {
        Edit { start, end, replacement: String::new() }
    }

    /// Two edits overlap when their ranges share a byte, or when both insert at
    /// the same offset (their order would be ambiguous).
    pub fn overlaps(&self, other: &Edit) -> bool {
        if self.start == other.start {
            return true;
        }
        self.start < other.end && other.start < self.end
    }
}

/// A fix: a title for menus and the edits that make it, sorted by offset and
/// never overlapping each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
    /// What the fix was not checked against, when it relies on the rule
    /// file alone (its target module is not in the workspace). Shown by
    /// hover and the CLI's JSON; not part of the fix's LSP `data`.
    #[serde(skip)]
    pub note: Option<String>,
}

/// One problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule code, e.g. `SSOT001`.
    pub code: String,
    /// The rule's kebab-case name.
    pub rule_name: String,
    pub severity: Severity,
    pub message: String,
    /// Byte range of the smallest span that names the problem.
    pub start: usize,
    pub end: usize,
    /// The deprecated thing, fully qualified (`pkg.module` or `pkg.module.Name`).
    pub deprecated: String,
    /// Its canonical replacement, fully qualified, when there is one.
    pub canonical: Option<String>,
    /// Link to the rule's documentation.
    pub url: Option<String>,
    pub fix: Option<Fix>,
    /// Recorded in the baseline (set by `baseline::Baseline::mark`): `check`
    /// does not report it and the server shows it as a hint.
    #[serde(skip_serializing_if = "is_false")]
    pub baselined: bool,
    /// What the check knew of the files patching the names its fix reads
    /// on their deprecated module, when the fix depends on them (an import
    /// or a module attribute read when a function runs:
    /// `FileAnalysis::patched_read`): a check once more are recorded may
    /// judge it otherwise.
    #[serde(skip)]
    pub patchers_seen: Option<PatchersSeen>,
}

/// The names (module and name) a fix reads where a patch on their
/// deprecated module reaches them, and how many files were recorded
/// patching them, together, when it was judged
/// (`WorkspaceIndex::patchers_changed` compares).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchersSeen {
    pub names: Vec<(String, String)>,
    pub count: usize,
}

impl PatchersSeen {
    /// Both of them: one finding's fix may read several names.
    pub fn merge(self, other: PatchersSeen) -> PatchersSeen {
        let mut names = self.names;
        names.extend(other.names);
        PatchersSeen { names, count: self.count + other.count }
    }
}

impl Finding {
    /// Whether it has a fix that is safe to apply.
    pub fn has_safe_fix(&self) -> bool {
        self.fix.as_ref().is_some_and(|fix| fix.applicability == Applicability::Safe)
    }

    /// Every byte offset it holds: its range and its fix's edits'.
    pub fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        let edits = self.fix.iter().flat_map(|fix| fix.edits.iter());
        [self.start, self.end].into_iter().chain(edits.flat_map(|edit| [edit.start, edit.end]))
    }
}

fn is_false(value: &bool) -> bool {
    !value
}

/// Applies edits to a text. The edits must not overlap; they may come in any
/// order. Returns `None` when two edits overlap or one falls outside the text
/// or inside a UTF-8 character.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Option<String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.start, edit.end));
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for edit in sorted {
        if edit.start < cursor || edit.end < edit.start || edit.end > text.len() {
            return None;
        }
        if !text.is_char_boundary(edit.start) || !text.is_char_boundary(edit.end) {
            return None;
        }
        out.push_str(&text[cursor..edit.start]);
        out.push_str(&edit.replacement);
        cursor = edit.end;
    }
    out.push_str(&text[cursor..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_edits_in_any_order() {
        let edits = vec![Edit::replace(6, 11, "there"), Edit::insert(0, ">> ")];
        assert_eq!(apply_edits("hello world", &edits).as_deref(), Some(">> hello there"));
    }

    #[test]
    fn refuses_overlapping_edits() {
        let edits = vec![Edit::replace(0, 5, "a"), Edit::replace(3, 8, "b")];
        assert_eq!(apply_edits("hello world", &edits), None);
    }

    #[test]
    fn refuses_edits_inside_a_character() {
        assert_eq!(apply_edits("é", &[Edit::insert(1, "x")]), None);
    }
}
