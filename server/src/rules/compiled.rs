//! The validated, compiled rule set built from raw rule files.
//!
//! Validation errors name the file, the line and column of the offending
//! value (found from the typed `FieldPath` by `spans`), and the field
//! (`rules[2].names.foo.to`). A
//! `RuleSet` is immutable once built; the server swaps whole rule sets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::prefilter::Prefilter;
use super::raw::{RawApplicability, RawConfig, RawNameMapping, RawRule, RawRuleKind, RawSeverity};
use super::spans::{span_of, FieldPath};
use crate::finding::{Applicability, Severity};
use crate::line_index::LineIndex;

/// A broken rule file: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<built-in rules>".into()), location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct ConfigError {
    /// The rule file, when there is one.
    pub path: Option<PathBuf>,
    /// 1-based line and column of the offending text, when known.
    pub location: Option<(usize, usize)>,
    /// What is wrong, naming the field.
    pub message: String,
    /// Byte range of the offending text in the file, when known.
    pub span: Option<std::ops::Range<usize>>,
    /// The field refused, whose place in the file gives `span`.
    pub field: Option<Box<FieldPath>>,
}

impl ConfigError {
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError { path: None, location: None, message: message.into(), span: None, field: None }
    }

    /// An error about one field: "`field`: `detail`", placed at the field.
    pub fn at(field: FieldPath, detail: impl std::fmt::Display) -> Self {
        ConfigError { message: format!("{field}: {detail}"), field: Some(Box::new(field)), ..ConfigError::new("") }
    }

    /// Attaches the file and, when the span or the field is known, the span
    /// and its line and column.
    pub fn in_file(mut self, path: &Path, text: &str) -> Self {
        self.path = Some(path.to_path_buf());
        if self.span.is_none() {
            self.span = self.field.as_ref().and_then(|field| span_of(text, field));
        }
        if let Some(span) = &self.span {
            self.location = Some(LineIndex::new(text).line_column(text, floor_char_boundary(text, span.start)));
        }
        self
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A dotted path split into its module and its last name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedName {
    pub module: String,
    pub name: String,
}

impl QualifiedName {
    pub fn parse(path: &str) -> Option<Self> {
        if !is_dotted_path(path) {
            return None;
        }
        let (module, name) = path.rsplit_once('.')?;
        Some(QualifiedName { module: module.to_string(), name: name.to_string() })
    }

    pub fn full(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// `a.b.c` where every part is a Python identifier.
pub fn is_dotted_path(path: &str) -> bool {
    !path.is_empty() && path.split('.').all(is_identifier)
}

pub fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// What happens to one deprecated name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameMapping {
    /// The replacement, or `None` when the name has no counterpart.
    pub target: Option<QualifiedName>,
    /// `None` when there is no fix.
    pub applicability: Option<Applicability>,
    /// Extra explanation for this name.
    pub note: Option<String>,
    /// The fix keeps the old name bound (`import new as old`) rather than
    /// renaming its uses: something the check does not see uses it through
    /// this module (its importers, a package's or `__all__`'s export, the
    /// class's instances, a read by key). Set by the workspace check.
    pub keep_binding: bool,
    /// The fix drops the `await` of the name's calls: the old callee is
    /// `async def`, the new one a plain `def`. Set by the workspace check.
    pub drop_await: bool,
}

impl NameMapping {
    pub fn no_counterpart() -> Self {
        NameMapping { target: None, applicability: None, note: None, keep_binding: false, drop_await: false }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Module,
    Names,
    Call,
    AllExport,
}

impl From<RawRuleKind> for RuleKind {
    fn from(kind: RawRuleKind) -> Self {
        match kind {
            RawRuleKind::Module => RuleKind::Module,
            RawRuleKind::Names => RuleKind::Names,
            RawRuleKind::Call => RuleKind::Call,
            RawRuleKind::AllExport => RuleKind::AllExport,
        }
    }
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Module => "module",
            RuleKind::Names => "names",
            RuleKind::Call => "call",
            RuleKind::AllExport => "all-export",
        }
    }
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub code: String,
    pub name: String,
    pub kind: RuleKind,
    /// The deprecated module (`module` rules) or the package whose listed names
    /// are deprecated (`names` rules).
    pub module: Option<String>,
    /// The canonical replacement module (or callable, for `call` rules).
    pub canonical: Option<String>,
    pub names: BTreeMap<String, NameMapping>,
    pub canonical_exports: BTreeSet<String>,
    pub canonical_exports_fix: Option<Applicability>,
    pub callables: Vec<String>,
    pub replacement: Option<String>,
    /// Applicability of whole-module, call and `__all__` fixes.
    pub fix: Option<Applicability>,
    pub severity: Severity,
    pub message: String,
    pub docs: String,
    pub url: Option<String>,
    exclude: Option<GlobSet>,
    /// Modules allowed to use the deprecated path; a trailing `.*` allows a
    /// whole package.
    pub allow_in: Vec<String>,
    /// Whether findings are reported in test files.
    pub in_tests: bool,
}

impl Rule {
    /// What happens to `name` imported from this rule's module.
    pub fn mapping_for(&self, name: &str) -> Option<NameMapping> {
        if let Some(mapping) = self.names.get(name) {
            return Some(mapping.clone());
        }
        match self.kind {
            RuleKind::Names => None,
            _ if name.starts_with('_') && !self.canonical_exports.contains(name) => Some(NameMapping::no_counterpart()),
            _ if self.canonical_exports.contains(name) => Some(NameMapping {
                target: self
                    .canonical
                    .as_ref()
                    .map(|module| QualifiedName { module: module.clone(), name: name.to_string() }),
                applicability: self.canonical_exports_fix,
                note: None,
                keep_binding: false,
                drop_await: false,
            }),
            _ => Some(NameMapping::no_counterpart()),
        }
    }

    /// Whether the rule is switched off for a file, by path or by module.
    pub fn is_excluded(&self, scope: &FileScope) -> bool {
        if let (Some(globs), Some(path)) = (&self.exclude, &scope.relative_path) {
            if globs.is_match(path) {
                return true;
            }
        }
        if !self.in_tests && scope.relative_path.as_deref().is_some_and(is_test_path) {
            return true;
        }
        let Some(module) = &scope.module else { return false };
        self.allow_in.iter().any(|allowed| match allowed.strip_suffix(".*") {
            Some(package) => module == package || module.starts_with(&format!("{package}.")),
            None => module == allowed,
        })
    }

    /// The message with `{name}` and `{canonical}` filled in.
    pub fn render_message(&self, name: &str, canonical: Option<&str>) -> String {
        self.message.replace("{name}", name).replace("{canonical}", canonical.unwrap_or("the canonical module"))
    }

    /// The message without its "; use …" clause, for a name with no
    /// counterpart (the clause would point at a module that lacks it).
    pub fn render_message_without_use(&self, name: &str) -> String {
        let template = self.message.find("; use ").map_or(self.message.as_str(), |cut| &self.message[..cut]);
        template.replace("{name}", name).replace("{canonical}", "the canonical module")
    }
}

/// Whether a path names a test file: inside a `tests/` or `test/` folder,
/// or named `test_*.py`, `*_test.py` or `conftest.py`.
pub fn is_test_path(path: &Path) -> bool {
    let in_test_folder = path.parent().is_some_and(|folder| {
        folder.components().any(|part| matches!(part.as_os_str().to_str(), Some("tests" | "test")))
    });
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    let stem = name.strip_suffix(".py").or_else(|| name.strip_suffix(".pyi"));
    in_test_folder
        || name == "conftest.py"
        || stem.is_some_and(|stem| stem.starts_with("test_") || stem.ends_with("_test"))
}

/// Where a checked file sits: its path relative to the project root (for
/// globs), its module path (for relative imports and `allow-in`) and the
/// index of its workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileScope {
    pub relative_path: Option<PathBuf>,
    /// Dotted module path of the file (`pkg.sub.mod`; a package's
    /// `__init__.py` is `pkg.sub`).
    pub module: Option<String>,
    /// True for `__init__.py`: relative imports start from the module itself.
    pub is_package: bool,
    /// The workspace the file belongs to, when one is indexed: fixes check
    /// the names and signatures they rely on against it. `None`: the rule
    /// file is trusted as it is.
    pub index: Option<crate::index::SharedIndex>,
    /// Where the check notes the names it finds the file importing through
    /// re-export hubs, for its caller to commit (the server). `None`: they
    /// are recorded in `index` at once (the CLI).
    pub reexport_log: Option<crate::index::ReexportLog>,
    /// The text is an editor's buffer, checked as soon as it is opened:
    /// while the index's importers are pending (before the server's first
    /// workspace scan is done), its module-level names may be imported
    /// elsewhere unseen, so fixes that move them wait; with no scan at all
    /// (`WorkspaceIndex::importers_unscanned`) they are at most unsafe.
    /// Closed files are checked again after the scan when they turn out to
    /// be hubs.
    pub buffer: bool,
}

impl FileScope {
    /// An editor's buffer checked before the workspace's importers are
    /// recorded (see `buffer`).
    pub fn importers_pending(&self) -> bool {
        self.buffer && self.index.as_deref().is_some_and(crate::index::WorkspaceIndex::importers_pending)
    }

    /// An editor's buffer whose workspace is never scanned for importers
    /// (`WorkspaceIndex::with_importers_unscanned`).
    pub fn importers_unscanned(&self) -> bool {
        self.buffer && self.index.as_deref().is_some_and(crate::index::WorkspaceIndex::importers_unscanned)
    }

    /// The package that `from . import x` refers to.
    pub fn current_package(&self) -> Option<String> {
        let module = self.module.as_ref()?;
        if self.is_package {
            return Some(module.clone());
        }
        Some(module.rsplit_once('.').map(|(package, _)| package.to_string()).unwrap_or_default())
    }
}

/// Project-wide settings from the rule file.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The folder that relative paths in the config are relative to.
    pub root: Option<PathBuf>,
    /// Absolute folders where top-level packages live; empty means "find
    /// packages by walking up through `__init__.py`".
    pub import_roots: Vec<PathBuf>,
    pub exclude: Option<GlobSet>,
    pub per_file_ignores: Vec<(GlobSet, String, Vec<String>)>,
    pub unsafe_fixes: bool,
    /// The index of the workspace these settings apply to, when one is
    /// kept (the language server's session sets it): `workspace::scope_for`
    /// hands it to every file's scope.
    pub index: Option<crate::index::SharedIndex>,
    /// The baseline file the config names (`baseline = "FILE"`), resolved
    /// against the config's folder.
    pub baseline_path: Option<PathBuf>,
    /// That file's contents, when it exists (loaded by `discovery`).
    pub baseline: Option<std::sync::Arc<crate::baseline::Baseline>>,
}

/// The active rules and settings.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The active rules.
    pub rules: Vec<Rule>,
    /// Every compiled rule, active or not: `all-export` asks them which
    /// imports are deprecated even when their own findings are switched off.
    pub known_rules: Vec<Rule>,
    pub settings: Settings,
    /// Which files can match at all, by their bytes.
    prefilter: Prefilter,
    /// Which test files can match (`is_test_path`): the prefilter of the
    /// rules that apply in tests; `None` when they all do.
    tests_prefilter: Option<Prefilter>,
    /// Unique per compiled rule set (clones share it): an analysis kept for
    /// reuse (`analysis::SkeletonTrees`) is reused only under the rules it
    /// was made with. A clone whose rules are changed takes a new one
    /// (`with_recomputed_triggers`).
    id: u64,
}

/// The prefilter of `rules`, and that of those that apply in tests when
/// some do not.
fn prefilters(rules: &[Rule], known: &[Rule]) -> (Prefilter, Option<Prefilter>) {
    let in_tests: Vec<Rule> = rules.iter().filter(|rule| rule.in_tests).cloned().collect();
    let tests = (in_tests.len() < rules.len()).then(|| Prefilter::for_rules(&in_tests, known));
    (Prefilter::for_rules(rules, known), tests)
}

/// The next `RuleSet::id`.
fn next_rule_set_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl RuleSet {
    /// The built-in pack with default settings.
    pub fn builtin() -> Self {
        let raw: RawConfig = toml::from_str(super::BUILTIN_RULES_TOML)
            .expect("the built-in rule pack is valid TOML (checked by a test)");
        Self::compile(raw_builtin_rules(&raw), &RawConfig::default(), None)
            .expect("the built-in rule pack is valid (checked by a test)")
    }

    /// Builds the rule set of a parsed config file located in `root`.
    pub fn from_config(raw: &RawConfig, root: Option<&Path>) -> Result<Self, ConfigError> {
        let mut rules = if raw.extend_builtin.unwrap_or(true) {
            let builtin: RawConfig = toml::from_str(super::BUILTIN_RULES_TOML)
                .map_err(|error| ConfigError::new(format!("built-in rules: {error}")))?;
            raw_builtin_rules(&builtin)
        } else {
            Vec::new()
        };
        let mut index_of: std::collections::HashMap<String, usize> =
            rules.iter().enumerate().map(|(index, rule)| (rule.code.clone(), index)).collect();
        for rule in &raw.rules {
            match index_of.get(&rule.code) {
                Some(&index) => rules[index] = rule.clone(),
                None => {
                    index_of.insert(rule.code.clone(), rules.len());
                    rules.push(rule.clone());
                }
            }
        }
        Self::compile(rules, raw, root)
    }

    fn compile(raw_rules: Vec<RawRule>, raw: &RawConfig, root: Option<&Path>) -> Result<Self, ConfigError> {
        let user_rule_count = raw.rules.len();
        let builtin_count = raw_rules.len().saturating_sub(user_rule_count);
        let mut rules = Vec::new();
        let mut seen = BTreeSet::new();
        // The first position of each code in the user's file (a map: 10,000
        // rules must not cost 10,000 × 10,000 comparisons).
        let mut user_index_of = std::collections::HashMap::new();
        for (user_index, rule) in raw.rules.iter().enumerate() {
            user_index_of.entry(rule.code.as_str()).or_insert(user_index);
        }
        for (index, raw_rule) in raw_rules.iter().enumerate() {
            let field = match user_index_of.get(raw_rule.code.as_str()) {
                Some(user_index) => FieldPath::root("rules").index(*user_index),
                None => FieldPath::builtin_rule(if index < builtin_count { &raw_rule.code } else { "?" }),
            };
            if !seen.insert(raw_rule.code.clone()) {
                return Err(ConfigError::at(field.key("code"), format!("duplicate rule code `{}`", raw_rule.code)));
            }
            rules.push(compile_rule(raw_rule, &field)?);
        }
        let known_rules = rules.clone();
        if let Some(cycle) = super::cycles::find_cycle(&known_rules) {
            let mut codes: Vec<&str> = cycle.iter().map(|step| step.code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            let mut error = ConfigError::new(format!(
                "rules {} rewrite in a cycle: {}; a fix would never settle (point each rule at the final canonical path)",
                codes.join(", "),
                super::cycles::describe(&cycle)
            ));
            // Placed at the first rewrite: the module of its rule, or the rule.
            let first = &cycle[0];
            error.field = user_index_of.get(first.code.as_str()).map(|index| {
                let rule = FieldPath::root("rules").index(*index);
                let by_module =
                    known_rules.iter().any(|r| r.code == first.code && r.module.as_ref() == Some(&first.from));
                Box::new(if by_module { rule.key("module") } else { rule })
            });
            return Err(error);
        }
        let severity_overrides = &raw.severity;
        for (code, severity) in severity_overrides {
            let mut matched = false;
            for rule in rules.iter_mut().filter(|rule| code_matches(&rule.code, code)) {
                rule.severity = severity_from_raw(*severity);
                matched = true;
            }
            if !matched {
                return Err(ConfigError::at(FieldPath::root("severity").key(code).the_key(), "no rule has this code"));
            }
        }
        if let Some(select) = &raw.select {
            check_codes_exist(&rules, select, "select")?;
            rules.retain(|rule| select.iter().any(|code| code_matches(&rule.code, code)));
        }
        check_codes_exist(&rules, &raw.in_tests, "in-tests")?;
        for rule in rules.iter_mut().filter(|rule| raw.in_tests.iter().any(|code| code_matches(&rule.code, code))) {
            rule.in_tests = true;
        }
        check_codes_exist(&rules, &raw.ignore, "ignore")?;
        rules.retain(|rule| !raw.ignore.iter().any(|code| code_matches(&rule.code, code)));

        let settings = compile_settings(raw, root)?;
        let (prefilter, tests_prefilter) = prefilters(&rules, &known_rules);
        Ok(RuleSet { rules, known_rules, settings, prefilter, tests_prefilter, id: next_rule_set_id() })
    }

    pub fn rule(&self, code: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.code == code)
    }

    /// The same terms compiled into automata, once per rule set.
    pub fn skeleton_search(&self) -> &crate::skeleton::Terms {
        self.prefilter.skeleton_search()
    }

    /// Cheap check on the text of a buffer with no known path: could any
    /// rule match here?
    pub fn may_match(&self, text: &str) -> bool {
        self.prefilter.may_match(None, text.as_bytes())
    }

    /// Cheap check on a file's raw bytes (before UTF-8 validation).
    pub fn may_match_file(&self, path: &Path, bytes: &[u8]) -> bool {
        self.prefilter.may_match(Some(path), bytes)
    }

    /// [`Self::may_match_file`], with what a miss learnt on the way.
    pub fn look_at_file(&self, path: &Path, bytes: &[u8]) -> super::Prefiltered {
        self.prefilter.look(Some(path), bytes)
    }

    /// After `may_match`: false for a test file (`is_test_path` of the
    /// scope's path) that holds only the trigger strings of rules switched
    /// off in tests (`in-tests`), such as a test building a
    /// `UnifiedWebSocketManager(...)` itself. True for any other file.
    pub fn may_match_in_tests(&self, scope: &FileScope, bytes: &[u8]) -> bool {
        let Some(tests) = &self.tests_prefilter else { return true };
        let Some(path) = scope.relative_path.as_deref().filter(|path| is_test_path(path)) else { return true };
        // A package trigger needs the file's folder; a path with none (at
        // the root it is relative to) may sit in any.
        let in_folder = path.parent().is_some_and(|folder| !folder.as_os_str().is_empty());
        tests.may_match(in_folder.then_some(path), bytes)
    }

    /// The same rule set with the prefilter rebuilt for its current rules
    /// (after rules were removed from `rules`).
    pub fn with_recomputed_triggers(mut self) -> Self {
        (self.prefilter, self.tests_prefilter) = prefilters(&self.rules, &self.known_rules);
        self.id = next_rule_set_id();
        self
    }

    /// Unique per compiled rule set; clones share it (see the field).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether a path (relative to the settings root) is excluded from checking.
    pub fn is_path_excluded(&self, relative: &Path) -> bool {
        self.settings.exclude.as_ref().is_some_and(|globs| globs.is_match(relative))
    }

    /// Codes switched off for a file by `per-file-ignores`.
    pub fn ignored_codes_for(&self, relative: &Path) -> Vec<&str> {
        self.settings
            .per_file_ignores
            .iter()
            .filter(|(globs, _, _)| globs.is_match(relative))
            .flat_map(|(_, _, codes)| codes.iter().map(String::as_str))
            .collect()
    }
}

/// Whether a code selector (a full code or a prefix such as `SSOT00`) picks a code.
pub fn code_matches(code: &str, selector: &str) -> bool {
    code.starts_with(selector)
}

fn check_codes_exist(rules: &[Rule], selectors: &[String], field: &str) -> Result<(), ConfigError> {
    for (index, selector) in selectors.iter().enumerate() {
        if !rules.iter().any(|rule| code_matches(&rule.code, selector)) {
            // The message names the list; the span is the entry.
            let mut error = ConfigError::new(format!("{field}: no rule code starts with `{selector}`"));
            error.field = Some(Box::new(FieldPath::root(field).index(index)));
            return Err(error);
        }
    }
    Ok(())
}

fn raw_builtin_rules(raw: &RawConfig) -> Vec<RawRule> {
    raw.rules.clone()
}

fn severity_from_raw(raw: RawSeverity) -> Severity {
    match raw {
        RawSeverity::Error => Severity::Error,
        RawSeverity::Warning => Severity::Warning,
        RawSeverity::Info => Severity::Info,
        RawSeverity::Hint => Severity::Hint,
    }
}

fn applicability_from_raw(raw: RawApplicability) -> Option<Applicability> {
    match raw {
        RawApplicability::Safe => Some(Applicability::Safe),
        RawApplicability::Unsafe => Some(Applicability::Unsafe),
        RawApplicability::None => None,
    }
}

fn compile_rule(raw: &RawRule, field: &FieldPath) -> Result<Rule, ConfigError> {
    let code_ok = raw.code.len() >= 2
        && raw.code.chars().take_while(|c| c.is_ascii_uppercase()).count() >= 1
        && raw.code.chars().skip_while(|c| c.is_ascii_uppercase()).all(|c| c.is_ascii_digit())
        && raw.code.chars().last().is_some_and(|c| c.is_ascii_digit());
    if !code_ok {
        return Err(ConfigError::at(
            field.key("code"),
            format!("`{}` is not a rule code (capital letters then digits, e.g. SSOT101)", raw.code),
        ));
    }
    let module = check_optional_path(raw.module.as_deref(), field.key("module"))?;
    let canonical = check_optional_path(raw.canonical.as_deref(), field.key("canonical"))?;
    match raw.kind {
        RawRuleKind::Module | RawRuleKind::Names if module.is_none() => {
            return Err(ConfigError::at(
                field.key("module"),
                format!("required for kind `{}`", RuleKind::from(raw.kind).as_str()),
            ));
        }
        RawRuleKind::Names if raw.names.is_empty() => {
            return Err(ConfigError::at(field.key("names"), "kind `names` needs at least one name"));
        }
        RawRuleKind::Call if raw.callables.is_empty() => {
            return Err(ConfigError::at(field.key("callables"), "kind `call` needs at least one callable"));
        }
        _ => {}
    }
    for (index, callable) in raw.callables.iter().enumerate() {
        if QualifiedName::parse(callable).is_none() {
            return Err(ConfigError::at(
                field.key("callables").index(index),
                format!("`{callable}` is not a dotted path such as `pkg.module.function`"),
            ));
        }
    }
    let mut names = BTreeMap::new();
    for (name, mapping) in &raw.names {
        if !is_identifier(name) {
            return Err(ConfigError::at(field.key("names").key(name).the_key(), "not a Python identifier"));
        }
        names.insert(name.clone(), compile_mapping(mapping, &field.key("names").key(name))?);
    }
    for (index, name) in raw.canonical_exports.iter().enumerate() {
        if !is_identifier(name) {
            let mut error = ConfigError::new(format!("{field}.canonical-exports: `{name}` is not a Python identifier"));
            error.field = Some(Box::new(field.key("canonical-exports").index(index)));
            return Err(error);
        }
    }
    if !raw.canonical_exports.is_empty() && canonical.is_none() {
        return Err(ConfigError::at(field.key("canonical"), "required when canonical-exports is set"));
    }
    let exclude = build_globs(&raw.exclude, &field.key("exclude"))?;
    for (index, allowed) in raw.allow_in.iter().enumerate() {
        if !is_dotted_path(allowed.strip_suffix(".*").unwrap_or(allowed)) {
            return Err(ConfigError::at(
                field.key("allow-in").index(index),
                format!("`{allowed}` is not a module path (`pkg.mod` or `pkg.*`)"),
            ));
        }
    }
    Ok(Rule {
        code: raw.code.clone(),
        name: raw.name.clone(),
        kind: RuleKind::from(raw.kind),
        module,
        canonical,
        names,
        canonical_exports: raw.canonical_exports.iter().cloned().collect(),
        canonical_exports_fix: raw.canonical_exports_fix.map_or(Some(Applicability::Safe), applicability_from_raw),
        callables: raw.callables.clone(),
        replacement: raw.replacement.clone(),
        fix: raw.fix.and_then(applicability_from_raw),
        severity: raw.severity.map_or(Severity::Warning, severity_from_raw),
        message: raw.message.clone(),
        docs: raw.docs.trim().to_string(),
        url: raw.url.clone(),
        exclude,
        allow_in: raw.allow_in.clone(),
        in_tests: raw.in_tests.unwrap_or(true),
    })
}

fn check_optional_path(path: Option<&str>, field: FieldPath) -> Result<Option<String>, ConfigError> {
    match path {
        None => Ok(None),
        Some(path) if is_dotted_path(path) => Ok(Some(path.to_string())),
        Some(path) => Err(ConfigError::at(field, format!("`{path}` is not a dotted module path"))),
    }
}

fn compile_mapping(raw: &RawNameMapping, field: &FieldPath) -> Result<NameMapping, ConfigError> {
    let target = match &raw.to {
        None => None,
        Some(to) => Some(QualifiedName::parse(to).ok_or_else(|| {
            ConfigError::at(field.key("to"), format!("`{to}` is not a dotted path such as `pkg.module.Name`"))
        })?),
    };
    let applicability = match (raw.fix, &target) {
        (Some(RawApplicability::None), _) | (None, None) => None,
        (Some(_), None) => {
            return Err(ConfigError::at(field.key("fix"), "a fix needs a replacement in `to`"));
        }
        (Some(fix), Some(_)) => applicability_from_raw(fix),
        (None, Some(_)) => Some(Applicability::Safe),
    };
    Ok(NameMapping { target, applicability, note: raw.note.clone(), keep_binding: false, drop_await: false })
}

fn build_globs(patterns: &[String], field: &FieldPath) -> Result<Option<GlobSet>, ConfigError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for (index, pattern) in patterns.iter().enumerate() {
        let glob = Glob::new(pattern)
            .map_err(|error| ConfigError::at(field.index(index), format!("bad glob `{pattern}`: {error}")))?;
        builder.add(glob);
        // A folder pattern also covers what is inside it.
        if !pattern.ends_with("**") {
            if let Ok(inside) = Glob::new(&format!("{}/**", pattern.trim_end_matches('/'))) {
                builder.add(inside);
            }
        }
    }
    builder.build().map(Some).map_err(|error| ConfigError::at(field.clone(), error))
}

/// Folders never worth checking: virtual environments, installed packages and
/// build output (hidden folders are skipped by the walk already).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "**/venv",
    "**/node_modules",
    "**/site-packages",
    "**/__pypackages__",
    "**/build",
    "**/dist",
    "**/_build",
    "**/buck-out",
];

fn compile_settings(raw: &RawConfig, root: Option<&Path>) -> Result<Settings, ConfigError> {
    let import_roots = raw
        .import_roots
        .iter()
        .flatten()
        .map(|folder| match root {
            Some(root) => root.join(folder),
            None => PathBuf::from(folder),
        })
        .collect();
    let mut per_file_ignores = Vec::new();
    for (pattern, codes) in &raw.per_file_ignores {
        // The pattern is the key: a bad one is reported there.
        let field = FieldPath::root("per-file-ignores").key(pattern);
        let globs = build_globs(std::slice::from_ref(pattern), &field)
            .map_err(|mut error| {
                error.field = Some(Box::new(field.clone().the_key()));
                error
            })?
            .unwrap_or_else(GlobSet::empty);
        per_file_ignores.push((globs, pattern.clone(), codes.clone()));
    }
    let mut exclude_patterns: Vec<String> = DEFAULT_EXCLUDES.iter().map(|pattern| pattern.to_string()).collect();
    exclude_patterns.extend(raw.exclude.iter().cloned());
    build_globs(&raw.exclude, &FieldPath::root("exclude"))?;
    Ok(Settings {
        root: root.map(Path::to_path_buf),
        import_roots,
        exclude: build_globs(&exclude_patterns, &FieldPath::root("exclude"))?,
        per_file_ignores,
        unsafe_fixes: raw.unsafe_fixes.unwrap_or(false),
        index: None,
        baseline_path: raw.baseline.as_ref().map(|file| match root {
            Some(root) => root.join(file),
            None => PathBuf::from(file),
        }),
        baseline: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pack_compiles() {
        let rules = RuleSet::builtin();
        let codes: Vec<&str> = rules.rules.iter().map(|rule| rule.code.as_str()).collect();
        assert_eq!(codes, ["SSOT001", "SSOT002", "SSOT003", "SSOT004", "SSOT005", "SSOT006", "SSOT007"]);
    }

    #[test]
    fn unknown_names_of_a_module_rule_have_no_counterpart() {
        let rules = RuleSet::builtin();
        let factory = rules.rule("SSOT001").unwrap();
        assert_eq!(factory.mapping_for("_factory_lock"), Some(NameMapping::no_counterpart()));
        let shim = rules.rule("SSOT003").unwrap();
        let moved = shim.mapping_for("WebSocketConnection").unwrap();
        assert_eq!(
            moved.target.unwrap().full(),
            "netra_backend.app.websocket_core.websocket_manager.WebSocketConnection"
        );
        assert_eq!(shim.mapping_for("HeartbeatConfig").unwrap().target, None);
    }

    #[test]
    fn allow_in_matches_modules_and_packages() {
        let rules = RuleSet::builtin();
        let legacy = rules.rule("SSOT004").unwrap();
        let inside = FileScope { module: Some("netra_backend.app.websocket.helpers".into()), ..Default::default() };
        let outside = FileScope { module: Some("netra_backend.app.routes".into()), ..Default::default() };
        assert!(legacy.is_excluded(&inside));
        assert!(!legacy.is_excluded(&outside));
    }

    fn rule(code: &str, module: &str, canonical: &str, names: &[(&str, &str)]) -> String {
        let names: String = names.iter().map(|(name, to)| format!("names.{name} = {{ to = \"{to}\" }}\n")).collect();
        format!(
            "[[rules]]\ncode = \"{code}\"\nname = \"r\"\nkind = \"module\"\nmodule = \"{module}\"\ncanonical = \"{canonical}\"\nmessage = \"m\"\n{names}"
        )
    }

    fn compile_text(text: &str) -> Result<RuleSet, ConfigError> {
        let raw: RawConfig = toml::from_str(&format!("extend-builtin = false\n{text}")).unwrap();
        RuleSet::from_config(&raw, None)
    }

    #[test]
    fn rule_cycles_are_refused_naming_the_rules() {
        let cases = [
            ("a → b → a", format!("{}{}", rule("X1", "p.a", "p.b", &[]), rule("X2", "p.b", "p.a", &[])), "X1, X2"),
            (
                "a → b → c → a",
                format!(
                    "{}{}{}",
                    rule("X1", "p.a", "p.b", &[]),
                    rule("X2", "p.b", "p.c", &[]),
                    rule("X3", "p.c", "p.a", &[])
                ),
                "X1, X2, X3",
            ),
            ("a → a", rule("X1", "p.a", "p.a", &[]), "X1"),
            (
                "names: a.f → b.g → a.f",
                format!(
                    "{}{}",
                    rule("X1", "p.a", "p.z", &[("f", "p.b.g")]),
                    rule("X2", "p.b", "p.y", &[("g", "p.a.f")])
                ),
                "X1, X2",
            ),
            ("a name to itself", rule("X1", "p.a", "p.z", &[("f", "p.a.f")]), "X1"),
        ];
        for (what, text, codes) in cases {
            let error = compile_text(&text).expect_err(what);
            assert!(error.message.starts_with(&format!("rules {codes} rewrite in a cycle: `")), "{what}: {error}");
        }
        let chain = format!("{}{}", rule("X1", "p.a", "p.b", &[]), rule("X2", "p.b", "p.c", &[]));
        assert!(compile_text(&chain).is_ok(), "a chain that ends is fine");
    }

    #[test]
    fn ssot006_skips_test_files_unless_turned_back_on() {
        let rules = RuleSet::builtin();
        let direct = rules.rule("SSOT006").unwrap();
        let in_file = |path: &str| FileScope { relative_path: Some(PathBuf::from(path)), ..Default::default() };
        for test_file in ["tests/unit/x.py", "pkg/test/x.py", "pkg/test_x.py", "pkg/x_test.py", "conftest.py"] {
            assert!(direct.is_excluded(&in_file(test_file)), "{test_file}");
        }
        assert!(!direct.is_excluded(&in_file("pkg/testing.py")));
        assert!(!rules.rule("SSOT001").unwrap().is_excluded(&in_file("tests/x.py")));
        let raw: RawConfig = toml::from_str("in-tests = [\"SSOT006\"]").unwrap();
        let back_on = RuleSet::from_config(&raw, None).unwrap();
        assert!(!back_on.rule("SSOT006").unwrap().is_excluded(&in_file("tests/x.py")));
    }

    #[test]
    fn config_error_locations_count_lines_as_the_server_does() {
        let located = |text: &str, at: &str| {
            let start = text.find(at).unwrap();
            let error = ConfigError { span: Some(start..start + at.len()), ..ConfigError::new("bad") };
            error.in_file(Path::new("ssot.toml"), text).location
        };
        assert_eq!(located("ab\nç = 'bogus'", "'bogus'"), Some((2, 5)), "columns count characters");
        assert_eq!(located("a = 1\rbogus = 2\r", "bogus"), Some((2, 1)), "a lone CR ends a line");
        assert_eq!(located("a = 1\r\n\r\nbogus = 2", "bogus"), Some((3, 1)), "CRLF is one line end");
    }

    #[test]
    fn a_field_error_points_at_the_field_in_the_file() {
        let located = |field: FieldPath, text: &str| ConfigError::at(field, "bad").in_file(Path::new("x"), text).span;
        let text = "[[rules]]\ncode = \"A1\"\n[[rules]]\ncode = \"B1\"\nnames.\"bad name\" = { to = \"a.b\" }\n";
        let second = FieldPath::root("rules").index(1);
        let at = |needle: &str| text.find(needle).map(|start| start..start + needle.len());
        assert_eq!(located(second.key("code"), text), at("\"B1\""), "the value, in the second table");
        assert_eq!(located(second.key("names").key("bad name").the_key(), text), at("\"bad name\""), "the key");
        let header = text.rfind("[[rules]]").unwrap();
        assert_eq!(located(second.key("module"), text), Some(header..header + 9), "a missing key: its table's header");
        assert_eq!(second.key("names").key("bad name").to_string(), "rules[1].names.\"bad name\"");
    }
}
