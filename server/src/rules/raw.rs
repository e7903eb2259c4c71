//! The raw, deserialised form of a rule file (`ssot.toml`, `.ssot.toml` or
//! `[tool.ssot-lsp]` in `pyproject.toml`) and of the built-in pack.
//!
//! These types mirror the TOML one to one and carry the documentation that the
//! generated JSON schema (`syntaxes/ssot.schema.json`) shows to editors. They do
//! no validation beyond what serde does: `compiled.rs` turns them into a
//! [`crate::rules::RuleSet`] and reports every semantic error by field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole rule file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawConfig {
    /// Start from the built-in rule pack (the default). With `false`, only the
    /// rules defined in this file are active. A rule defined here with the code
    /// of a built-in rule replaces that rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_builtin: Option<bool>,
    /// Folders (relative to this file) where top-level packages live, such as
    /// `"."` or `"src"`. Used to turn a file path into a module path and to
    /// resolve relative imports. When absent, the package of a file is found by
    /// walking up through folders that hold an `__init__.py`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_roots: Option<Vec<String>>,
    /// Glob patterns (relative to this file) of paths that are never checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Only these rule codes are active (prefixes allowed: `SSOT00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<Vec<String>>,
    /// These rule codes are switched off (prefixes allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Severity overrides by rule code, e.g. `SSOT003 = "error"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<String, RawSeverity>,
    /// Rule codes switched off for files matching a glob (relative to this
    /// file), e.g. `"tests/**" = ["SSOT006"]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    /// A baseline file (written by `ssot-lsp check --write-baseline`),
    /// relative to this file: the findings it records are not reported by
    /// `check` and are shown as hints in editors; only new ones fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Codes (prefixes allowed) of rules reported in test files even though
    /// the rule says `in-tests = false`, e.g. `["SSOT006"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_tests: Vec<String>,
    /// Apply fixes marked `unsafe` too (like `--unsafe-fixes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsafe_fixes: Option<bool>,
    /// Migration rules, added to (or replacing by code) the built-in ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RawRule>,
}

/// One migration rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRule {
    /// Stable code shown in diagnostics and used by `# ssot: ignore[CODE]`,
    /// e.g. `SSOT001`. Letters followed by digits.
    pub code: String,
    /// Short kebab-case name, e.g. `websocket-manager-factory`.
    pub name: String,
    /// What the rule matches.
    pub kind: RawRuleKind,
    /// `module`: the deprecated module. `names`: the package or module whose
    /// listed `names` are deprecated (its other names are fine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The canonical (SSOT) module that replaces `module`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// Per-name map: deprecated name → its replacement and fix applicability.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, RawNameMapping>,
    /// `module` rules: names that the canonical module exports under the same
    /// name. An import of such a name from the deprecated module moves to the
    /// canonical module with `canonical-exports-fix`. Names neither here nor in
    /// `names` have no counterpart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_exports: Vec<String>,
    /// Applicability of the fix for names in `canonical-exports`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_exports_fix: Option<RawApplicability>,
    /// `call` rules: fully qualified callables whose calls are deprecated, e.g.
    /// `pkg.mod.factory`. A call is found through whatever name binds it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callables: Vec<String>,
    /// `call` rules: the code to write instead, shown in the message and docs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// `call`, `all-export` and whole-module fixes (`import pkg.old as m`,
    /// star imports, module paths in strings): applicability of the fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<RawApplicability>,
    /// Severity of the findings (default `warning`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<RawSeverity>,
    /// One-line message. `{name}` is replaced by the deprecated name or path
    /// and `{canonical}` by its replacement.
    pub message: String,
    /// Markdown documentation: why the old path is wrong, what the SSOT pattern
    /// is, before and after. Shown on hover and by `ssot-lsp explain CODE`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub docs: String,
    /// Link to more documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Glob patterns of files where this rule does not apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Modules allowed to use the deprecated path (the deprecated module
    /// itself, compatibility shims). `pkg.*` allows a whole package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_in: Vec<String>,
    /// Whether findings are reported in test files (a `tests/` or `test/`
    /// folder, `test_*.py`, `*_test.py`, `conftest.py`). Default `true`; the
    /// built-in SSOT006 says `false` (tests may construct managers directly).
    /// The top-level `in-tests` list turns it back on without redefining the
    /// rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_tests: Option<bool>,
}

/// What a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RawRuleKind {
    /// Every import of a deprecated module, every name imported from it, and
    /// dotted paths into it inside string literals.
    Module,
    /// Only the listed `names` of a module or package (a package re-export of
    /// a deprecated name).
    Names,
    /// Calls of the listed `callables`.
    Call,
    /// Entries of `__all__` that re-export a name bound by a deprecated import.
    AllExport,
}

/// Whether and when a fix is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RawApplicability {
    /// Keeps the meaning: applied on save, by `--fix` and by fix-all.
    Safe,
    /// May change behaviour: offered as a quick fix, applied by
    /// `--unsafe-fixes`.
    Unsafe,
    /// No fix: the finding and its explanation only.
    None,
}

/// How loud a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RawSeverity {
    Error,
    Warning,
    Info,
    Hint,
}

/// The replacement of one deprecated name.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawNameMapping {
    /// Fully qualified replacement, `module.Name`. Absent: no counterpart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Applicability of the fix (default `safe` when `to` is set, else `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<RawApplicability>,
    /// Extra note shown in the message for this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `pyproject.toml` holds the same table under `[tool.ssot-lsp]`.
#[derive(Debug, Deserialize)]
pub struct RawPyproject {
    #[serde(default)]
    pub tool: Option<RawPyprojectTool>,
}

#[derive(Debug, Deserialize)]
pub struct RawPyprojectTool {
    /// Spanned, so a `tool.ssot-lsp` that is no table (`ssot-lsp = 5` under
    /// `[tool]`, `[[tool.ssot-lsp]]`) is an error naming its line.
    #[serde(rename = "ssot-lsp")]
    pub ssot_lsp: Option<toml::Spanned<toml::Value>>,
}
