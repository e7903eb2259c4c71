//! Draft rules from deprecation shims (`ssot-lsp infer`).
//!
//! A deprecation shim is a module that warns with `DeprecationWarning` when it
//! is imported (a module-level `warnings.warn(…, DeprecationWarning)`) and
//! re-exports names of other modules. Each name it exports maps to its origin:
//! a re-export (`from pkg.new import X`, `from .new import X as Y`, or an alias
//! `Y = X` of one) to the module it comes from, a name the shim defines itself
//! to no counterpart. The module most of the names come from (or the one the
//! warning's message names) becomes the rule's canonical module.
//!
//! This module reads the texts it is handed and builds raw rules; it never
//! reads files and never prints (the CLI does both).

use std::collections::{BTreeMap, BTreeSet};

use tree_sitter::Node;

use crate::rules::raw::{RawApplicability, RawConfig, RawNameMapping, RawRule, RawRuleKind};
use crate::syntax::{node_text, parse_text};

/// One Python module handed to [`find_shim`].
#[derive(Debug, Clone, Copy)]
pub struct ModuleSource<'a> {
    /// Dotted module path (`pkg.sub.mod`; a package's `__init__.py` is `pkg.sub`).
    pub module: &'a str,
    /// True for `__init__.py`: relative imports start from the module itself.
    pub is_package: bool,
    pub text: &'a str,
}

/// A deprecation shim and the names it exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shim {
    pub module: String,
    /// The warning's message (its first string argument), if a literal.
    pub warning: Option<String>,
    /// Exported name → its origin, `module.Name`.
    pub reexports: BTreeMap<String, Origin>,
    /// Exported names the shim defines itself: no counterpart elsewhere.
    pub own_names: BTreeSet<String>,
}

/// Where a re-exported name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub module: String,
    pub name: String,
    /// Set when the shim binds the name by `Y = X` rather than by import.
    pub alias_of: Option<String>,
}

/// Errors of rendering a draft.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    #[error("the draft rule file does not serialise: {0}")]
    Serialise(#[from] toml::ser::Error),
}

/// What a module binds at top level (the bodies of `if`, `try` and `with`
/// included, function and class bodies not).
#[derive(Debug, Default)]
struct TopLevel {
    warning: Option<Option<String>>,
    imports: BTreeMap<String, (String, String)>,
    aliases: BTreeMap<String, String>,
    defined: BTreeSet<String>,
    all: Option<Vec<String>>,
}

/// The shim `source` is, or `None` when it does not warn with
/// `DeprecationWarning` at module level or re-exports nothing.
pub fn find_shim(source: &ModuleSource<'_>) -> Option<Shim> {
    if !source.text.contains("DeprecationWarning") {
        return None;
    }
    let tree = parse_text(source.text);
    let mut top = TopLevel::default();
    visit(tree.root_node(), source, &mut top);
    let warning = top.warning.clone()?;
    let (reexports, own_names) = exported(&top, source.module);
    if reexports.is_empty() {
        return None;
    }
    Some(Shim { module: source.module.to_string(), warning, reexports, own_names })
}

fn visit(node: Node<'_>, source: &ModuleSource<'_>, top: &mut TopLevel) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "import_from_statement" => read_import_from(child, source, top),
            "expression_statement" => read_expression(child, source.text, top),
            "function_definition" | "class_definition" => define(child, source.text, top),
            "decorated_definition" => {
                if let Some(definition) = child.child_by_field_name("definition") {
                    define(definition, source.text, top);
                }
            }
            "if_statement" | "try_statement" | "with_statement" | "block" | "else_clause" | "elif_clause"
            | "except_clause" | "finally_clause" => visit(child, source, top),
            _ => {}
        }
    }
}

fn define(node: Node<'_>, text: &str, top: &mut TopLevel) {
    if let Some(name) = node.child_by_field_name("name") {
        let name = node_text(name, text).to_string();
        top.imports.remove(&name);
        top.aliases.remove(&name);
        top.defined.insert(name);
    }
}

fn read_import_from(node: Node<'_>, source: &ModuleSource<'_>, top: &mut TopLevel) {
    let Some(module_node) = node.child_by_field_name("module_name") else { return };
    let Some(origin) = absolute_module(module_node, source) else { return };
    if origin == "__future__" {
        return;
    }
    let mut cursor = node.walk();
    for name_node in node.children_by_field_name("name", &mut cursor) {
        let (name, bound) = match name_node.kind() {
            "aliased_import" => {
                let name = name_node.child_by_field_name("name").map(|n| node_text(n, source.text));
                let alias = name_node.child_by_field_name("alias").map(|n| node_text(n, source.text));
                match (name, alias) {
                    (Some(name), Some(alias)) => (name, alias),
                    _ => continue,
                }
            }
            _ => (node_text(name_node, source.text), node_text(name_node, source.text)),
        };
        top.defined.remove(bound);
        top.aliases.remove(bound);
        top.imports.insert(bound.to_string(), (origin.clone(), name.to_string()));
    }
}

/// The absolute module of a `from` import's module part.
fn absolute_module(node: Node<'_>, source: &ModuleSource<'_>) -> Option<String> {
    let text = node_text(node, source.text);
    if node.kind() != "relative_import" {
        return Some(text.split_whitespace().collect());
    }
    let dots = text.chars().take_while(|c| *c == '.').count();
    let rest: String = text[dots..].split_whitespace().collect();
    let mut parts: Vec<&str> = source.module.split('.').collect();
    if !source.is_package {
        parts.pop();
    }
    for _ in 1..dots {
        parts.pop()?;
    }
    if !rest.is_empty() {
        parts.extend(rest.split('.'));
    }
    (!parts.is_empty()).then(|| parts.join("."))
}

fn read_expression(node: Node<'_>, text: &str, top: &mut TopLevel) {
    let Some(expression) = node.named_child(0) else { return };
    match expression.kind() {
        "call" => {
            if let Some(message) = deprecation_warning(expression, text) {
                top.warning.get_or_insert(message);
            }
        }
        "assignment" => read_assignment(expression, text, top),
        "augmented_assignment" => read_all_extension(expression, text, top),
        _ => {}
    }
}

/// `Some(message)` when `call` is `warnings.warn(…, DeprecationWarning)` (or
/// `warn(…)`, or with `category=DeprecationWarning`).
fn deprecation_warning(call: Node<'_>, text: &str) -> Option<Option<String>> {
    let function = node_text(call.child_by_field_name("function")?, text);
    if function != "warnings.warn" && function != "warn" {
        return None;
    }
    let arguments = call.child_by_field_name("arguments")?;
    let mut cursor = arguments.walk();
    let arguments: Vec<Node<'_>> = arguments.named_children(&mut cursor).collect();
    let is_category = |node: &Node<'_>| match node.kind() {
        "keyword_argument" => {
            node.child_by_field_name("value").is_some_and(|value| node_text(value, text) == "DeprecationWarning")
        }
        _ => node_text(*node, text) == "DeprecationWarning",
    };
    if !arguments.iter().any(is_category) {
        return None;
    }
    let message = arguments.first().filter(|first| matches!(first.kind(), "string" | "concatenated_string"));
    Some(message.map(|node| string_value(*node, text)))
}

fn read_assignment(node: Node<'_>, text: &str, top: &mut TopLevel) {
    let (Some(left), Some(right)) = (node.child_by_field_name("left"), node.child_by_field_name("right")) else {
        return;
    };
    if left.kind() != "identifier" {
        return;
    }
    let name = node_text(left, text).to_string();
    if name == "__all__" {
        top.all = string_list(right, text);
        return;
    }
    top.imports.remove(&name);
    if right.kind() == "identifier" {
        top.defined.remove(&name);
        top.aliases.insert(name, node_text(right, text).to_string());
    } else {
        top.aliases.remove(&name);
        top.defined.insert(name);
    }
}

/// `__all__ += [...]`: more entries.
fn read_all_extension(node: Node<'_>, text: &str, top: &mut TopLevel) {
    let (Some(left), Some(right)) = (node.child_by_field_name("left"), node.child_by_field_name("right")) else {
        return;
    };
    if node_text(left, text) != "__all__" {
        return;
    }
    if let Some(more) = string_list(right, text) {
        top.all.get_or_insert_with(Vec::new).extend(more);
    }
}

/// The strings of a list or tuple of string literals.
fn string_list(node: Node<'_>, text: &str) -> Option<Vec<String>> {
    if !matches!(node.kind(), "list" | "tuple") {
        return None;
    }
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|child| child.kind() != "comment")
        .map(|child| (child.kind() == "string").then(|| string_value(child, text)))
        .collect()
}

/// The contents of a plain string literal (prefix and quotes removed; no
/// escapes are interpreted, which names and messages do not need).
fn string_value(node: Node<'_>, text: &str) -> String {
    let mut cursor = node.walk();
    let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    let strings: Vec<Node<'_>> = if node.kind() == "concatenated_string" { parts } else { vec![node] };
    strings
        .iter()
        .map(|string| {
            let mut cursor = string.walk();
            let contents: String = string
                .named_children(&mut cursor)
                .filter(|part| part.kind() == "string_content")
                .map(|part| node_text(part, text))
                .collect();
            contents
        })
        .collect()
}

/// The shim's exported names, split into re-exports and its own names.
/// With `__all__`, exactly its entries; without, the public names imported
/// from the shim's own top-level package and the public defs and classes.
fn exported(top: &TopLevel, module: &str) -> (BTreeMap<String, Origin>, BTreeSet<String>) {
    let package = module.split('.').next().unwrap_or(module);
    let names: Vec<String> = match &top.all {
        Some(all) => all.clone(),
        None => top
            .imports
            .iter()
            .filter(|(_, (origin, _))| origin.split('.').next() == Some(package))
            .map(|(bound, _)| bound.clone())
            .chain(top.aliases.keys().cloned())
            .chain(top.defined.iter().cloned())
            .filter(|name| !name.starts_with('_'))
            .collect(),
    };
    let mut reexports = BTreeMap::new();
    let mut own_names = BTreeSet::new();
    for name in names {
        if let Some((origin, original)) = top.imports.get(&name) {
            reexports.insert(name, Origin { module: origin.clone(), name: original.clone(), alias_of: None });
        } else if let Some((origin, original)) = top.aliases.get(&name).and_then(|target| top.imports.get(target)) {
            let alias_of = Some(top.aliases[&name].clone());
            reexports.insert(name, Origin { module: origin.clone(), name: original.clone(), alias_of });
        } else if top.defined.contains(&name) || top.aliases.contains_key(&name) {
            own_names.insert(name);
        }
    }
    // Without `__all__`, an alias of something that is not a re-export is
    // no public name of the shim worth a rule entry.
    if top.all.is_none() {
        own_names.retain(|name| top.defined.contains(name));
    }
    (reexports, own_names)
}

/// The module most re-exports come from; a module the warning's message
/// names as a whole word wins.
pub fn canonical_module(shim: &Shim) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for origin in shim.reexports.values() {
        *counts.entry(origin.module.as_str()).or_default() += 1;
    }
    let named = |module: &str| {
        let last = module.rsplit('.').next().unwrap_or(module);
        shim.warning.as_deref().is_some_and(|message| names_word(message, last))
    };
    counts
        .into_iter()
        .max_by(|(a, count_a), (b, count_b)| (named(a), count_a).cmp(&(named(b), count_b)).then_with(|| b.cmp(a)))
        .map(|(module, _)| module.to_string())
}

/// Whether `word` occurs in `text` with no identifier character on either side.
fn names_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c == '_' || c.is_alphanumeric();
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// A draft rule file with one `module` rule per shim (codes `INF001`, …).
pub fn draft_config(shims: &[Shim]) -> RawConfig {
    let rules = shims.iter().enumerate().filter_map(|(index, shim)| draft_rule(index, shim)).collect();
    RawConfig { rules, ..RawConfig::default() }
}

fn draft_rule(index: usize, shim: &Shim) -> Option<RawRule> {
    let canonical = canonical_module(shim)?;
    let mut names = BTreeMap::new();
    let mut canonical_exports = Vec::new();
    for (name, origin) in &shim.reexports {
        if origin.module == canonical && origin.name == *name {
            canonical_exports.push(name.clone());
            continue;
        }
        let note = origin.alias_of.as_ref().map(|alias| format!("an alias of `{alias}`"));
        let to = Some(format!("{}.{}", origin.module, origin.name));
        names.insert(name.clone(), RawNameMapping { to, fix: Some(RawApplicability::Safe), note });
    }
    for name in &shim.own_names {
        names.insert(name.clone(), RawNameMapping { to: None, fix: None, note: None });
    }
    let last = shim.module.rsplit('.').next().unwrap_or(&shim.module);
    Some(RawRule {
        code: format!("INF{:03}", index + 1),
        name: format!("{}-shim", last.replace('_', "-").to_lowercase()),
        kind: RawRuleKind::Module,
        module: Some(shim.module.clone()),
        canonical: Some(canonical.clone()),
        names,
        canonical_exports,
        canonical_exports_fix: Some(RawApplicability::Safe),
        callables: Vec::new(),
        replacement: None,
        fix: Some(RawApplicability::Unsafe),
        severity: None,
        message: format!("`{{name}}` comes from the deprecated shim `{}`; use `{{canonical}}`", shim.module),
        docs: draft_docs(shim, &canonical),
        url: None,
        exclude: Vec::new(),
        allow_in: vec![shim.module.clone()],
        in_tests: None,
    })
}

fn draft_docs(shim: &Shim, canonical: &str) -> String {
    let mut docs = format!(
        "## Why this is wrong\n`{}` is a deprecation shim: importing it warns with `DeprecationWarning`",
        shim.module
    );
    if let Some(message) = shim.warning.as_deref().filter(|message| !message.is_empty()) {
        docs.push_str(&format!(" (\"{message}\")"));
    }
    docs.push_str(&format!(
        ", and it re-exports {} names of other modules.\n\n## The SSOT pattern\nImport each name from where it \
         is defined, mostly `{canonical}`.",
        shim.reexports.len()
    ));
    if !shim.own_names.is_empty() {
        let own: Vec<String> = shim.own_names.iter().map(|name| format!("`{name}`")).collect();
        docs.push_str(&format!(
            " Names the shim defines itself ({}) have no counterpart: rewrite by hand.",
            own.join(", ")
        ));
    }
    docs.push_str("\n\n(Drafted by `ssot-lsp infer` from the shim's source: review the map.)\n");
    docs
}

/// The draft as TOML, with a header that says where it comes from.
pub fn render_draft(config: &RawConfig) -> Result<String, InferError> {
    let body = toml::to_string_pretty(config)?;
    Ok(format!(
        "# Draft rules inferred by `ssot-lsp infer` from deprecation shims: modules that\n\
         # warn with DeprecationWarning when imported and re-export names of other modules.\n\
         # Review the map, then save it as ssot.toml (add `extend-builtin = false` to use\n\
         # only these rules).\n\n{body}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shim(module: &str, is_package: bool, text: &str) -> Option<Shim> {
        find_shim(&ModuleSource { module, is_package, text })
    }

    #[test]
    fn a_module_that_warns_and_reexports_is_a_shim() {
        let text = "import warnings\nfrom .new import A, B as C\nD = A\n\ndef own():\n    pass\n\n\
                    warnings.warn('old is deprecated; use new', DeprecationWarning, stacklevel=2)\n\
                    __all__ = ['A', 'C', 'D', 'own']\n";
        let found = shim("pkg.old", false, text).expect("a shim");
        assert_eq!(found.warning.as_deref(), Some("old is deprecated; use new"));
        assert_eq!(found.reexports["A"], Origin { module: "pkg.new".into(), name: "A".into(), alias_of: None });
        assert_eq!(found.reexports["C"].name, "B");
        assert_eq!(found.reexports["D"].alias_of.as_deref(), Some("A"));
        assert_eq!(found.own_names, BTreeSet::from(["own".to_string()]));
        assert_eq!(canonical_module(&found).as_deref(), Some("pkg.new"));
    }

    #[test]
    fn all_extended_with_plus_equals_counts() {
        let text = "import warnings\nfrom pkg.new import A, B\n__all__ = ['A']\n__all__ += ['B']\n\
                    warnings.warn('x', DeprecationWarning)\n";
        let found = shim("pkg.old", false, text).expect("a shim");
        assert_eq!(found.reexports.keys().collect::<Vec<_>>(), ["A", "B"]);
    }

    #[test]
    fn no_warning_or_no_reexport_is_no_shim() {
        assert_eq!(shim("pkg.old", false, "from pkg.new import A\n__all__ = ['A']\n"), None);
        assert_eq!(
            shim("pkg.old", false, "import warnings\nwarnings.warn('x', UserWarning)\nfrom pkg.new import A\n"),
            None
        );
        assert_eq!(
            shim("pkg.old", false, "import warnings\nwarnings.warn('x', DeprecationWarning)\ndef f():\n    pass\n"),
            None
        );
        // A warning inside a function is not a warning at import.
        assert_eq!(
            shim(
                "pkg.old",
                false,
                "import warnings\nfrom pkg.new import A\ndef f():\n    warnings.warn('x', DeprecationWarning)\n"
            ),
            None
        );
    }

    #[test]
    fn without_all_only_names_of_the_own_package_are_exported() {
        let text = "from warnings import warn\nfrom typing import Any\nfrom pkg.new import A\n\
                    try:\n    from pkg.newer import B\nexcept ImportError:\n    B = None\n\
                    warn(category=DeprecationWarning, message='gone')\n";
        let found = shim("pkg.sub.old", false, text).expect("a shim");
        // `B = None` in the handler rebinds B: not a re-export any more.
        assert_eq!(found.reexports.keys().collect::<Vec<_>>(), ["A"]);
        assert!(!found.reexports.contains_key("Any"));
    }

    #[test]
    fn relative_imports_resolve_from_the_package() {
        let text = "import warnings\nfrom ..core import A\nfrom . import b\nwarnings.warn('x', DeprecationWarning)\n";
        // In `pkg/sub/__init__.py`, `.` is `pkg.sub` itself.
        let found = shim("pkg.sub", true, text).expect("a shim");
        assert_eq!(found.reexports["A"].module, "pkg.core");
        assert_eq!(found.reexports["b"].module, "pkg.sub");
        // In `pkg/sub/mod.py`, `.` is its package `pkg.sub`.
        let found = shim("pkg.sub.mod", false, text).expect("a shim");
        assert_eq!(found.reexports["A"].module, "pkg.core");
        assert_eq!(found.reexports["b"].module, "pkg.sub");
        // More dots than packages: not resolvable, so no re-export.
        assert_eq!(shim("top", false, text), None);
    }

    #[test]
    fn the_module_the_message_names_is_canonical() {
        let text = "import warnings\nfrom pkg.metrics import M1, M2\nfrom pkg.new_api import make\n\
                    warnings.warn('old_api is deprecated; use new_api.make', DeprecationWarning)\n";
        let found = shim("pkg.old_api", false, text).expect("a shim");
        assert_eq!(canonical_module(&found).as_deref(), Some("pkg.new_api"));
        assert!(names_word("use new_api.make", "new_api"));
        assert!(!names_word("old_new_api", "new_api"));
    }
}
