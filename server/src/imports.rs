//! Reads import statements into `ImportRecord`s: what each statement binds,
//! from which module (relative imports resolved from the file's
//! `FileScope`), and the nodes the fixes edit.
//!
//! Shared by the analysis, the fix builders in `edits.rs` and the workspace
//! index, so none of them needs another for this. It reads only the tree it
//! is given and never decides whether an import is deprecated.

use tree_sitter::Node;

use crate::identifiers;
use crate::rules::FileScope;
use crate::syntax::{field_children, node_text, scopes_of};

/// One imported thing: what an import statement binds.
#[derive(Debug, Clone)]
pub struct ImportRecord<'tree> {
    pub statement: Node<'tree>,
    /// The function, lambda, class or module whose names the import binds
    /// (`syntax::scope_of` of the statement, found for all the statements
    /// of a tree at once by [`read_imports`]).
    pub binds_in: Node<'tree>,
    /// For `from M import ...`: the absolute `M`. For `import a.b`: `a.b`.
    pub module: String,
    /// The node holding the module path (`dotted_name` or `relative_import`).
    pub module_node: Node<'tree>,
    /// Number of leading dots of a relative import (0 when absolute).
    pub dots: usize,
    pub item: ImportItem<'tree>,
}

#[derive(Debug, Clone)]
pub enum ImportItem<'tree> {
    /// `import a.b.c` (binds `a`) or `import a.b.c as x` (binds `x`).
    Module { alias: Option<String>, node: Node<'tree>, path_node: Node<'tree> },
    /// `from m import name [as alias]`.
    Name { name: String, alias: Option<String>, node: Node<'tree>, name_node: Node<'tree> },
    /// `from m import *`.
    Star { node: Node<'tree> },
}

impl<'tree> ImportRecord<'tree> {
    /// The local name this import binds, if any.
    pub fn binding(&self) -> Option<String> {
        match &self.item {
            ImportItem::Module { alias: Some(alias), .. } => Some(alias.clone()),
            ImportItem::Module { alias: None, .. } => self.module.split('.').next().map(str::to_string),
            ImportItem::Name { name, alias, .. } => Some(alias.clone().unwrap_or_else(|| name.clone())),
            ImportItem::Star { .. } => None,
        }
    }

    /// The node of this record's item (`a.b as x`, `name as alias`, `*`):
    /// one per record of a tree.
    pub fn item_node(&self) -> Node<'tree> {
        match &self.item {
            ImportItem::Module { node, .. } | ImportItem::Name { node, .. } | ImportItem::Star { node } => *node,
        }
    }

    /// What the binding refers to, fully qualified.
    pub fn target(&self) -> Option<String> {
        match &self.item {
            ImportItem::Module { alias: Some(_), .. } => Some(self.module.clone()),
            ImportItem::Module { alias: None, .. } => self.module.split('.').next().map(str::to_string),
            ImportItem::Name { name, .. } => Some(join_path(&self.module, name)),
            ImportItem::Star { .. } => None,
        }
    }
}

pub(crate) fn join_path(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_string()
    } else {
        format!("{module}.{name}")
    }
}

/// The imported name of one item of an import statement and its `as` alias
/// (`None` for an `aliased_import` without a name, which a parse error left).
fn name_and_alias<'tree>(item: Node<'tree>, text: &str) -> Option<(Node<'tree>, Option<String>)> {
    if item.kind() != "aliased_import" {
        return Some((item, None));
    }
    let name = item.child_by_field_name("name")?;
    let alias = item.child_by_field_name("alias").map(|a| identifiers::normalize(node_text(a, text)).into_owned());
    Some((name, alias))
}

/// Reads the imported items of the import statements of the tree under
/// `root`, in their order.
pub fn read_imports<'tree>(
    root: Node<'tree>,
    statements: &[Node<'tree>],
    text: &str,
    scope: &FileScope,
) -> Vec<ImportRecord<'tree>> {
    let blocks = scopes_of(root, statements);
    statements
        .iter()
        .zip(blocks)
        .flat_map(|(statement, binds_in)| read_import(*statement, binds_in, text, scope))
        .collect()
}

/// Reads the imported items of one import statement, which binds its names
/// in `binds_in`.
pub fn read_import<'tree>(
    statement: Node<'tree>,
    binds_in: Node<'tree>,
    text: &str,
    scope: &FileScope,
) -> Vec<ImportRecord<'tree>> {
    let mut records = Vec::new();
    match statement.kind() {
        "import_statement" => {
            for item in field_children(statement, "name") {
                let Some((path_node, alias)) = name_and_alias(item, text) else { continue };
                records.push(ImportRecord {
                    statement,
                    binds_in,
                    module: normalise_dotted(node_text(path_node, text)),
                    module_node: path_node,
                    dots: 0,
                    item: ImportItem::Module { alias, node: item, path_node },
                });
            }
        }
        "import_from_statement" => {
            let Some(module_node) = statement.child_by_field_name("module_name") else { return records };
            let Some((module, dots)) = resolve_from_module(module_node, text, scope) else { return records };
            let mut cursor = statement.walk();
            let star = statement.named_children(&mut cursor).find(|child| child.kind() == "wildcard_import");
            if let Some(star) = star {
                records.push(ImportRecord {
                    statement,
                    binds_in,
                    module,
                    module_node,
                    dots,
                    item: ImportItem::Star { node: star },
                });
                return records;
            }
            for item in field_children(statement, "name") {
                let Some((name_node, alias)) = name_and_alias(item, text) else { continue };
                records.push(ImportRecord {
                    statement,
                    binds_in,
                    module: module.clone(),
                    module_node,
                    dots,
                    item: ImportItem::Name {
                        name: normalise_dotted(node_text(name_node, text)),
                        alias,
                        node: item,
                        name_node,
                    },
                });
            }
        }
        _ => {}
    }
    records
}

/// Dotted names may hold spaces or line continuations (`a . b`); drop them.
/// Non-ASCII parts are read in NFKC form, as Python reads identifiers.
fn normalise_dotted(raw: &str) -> String {
    raw.split('.')
        .map(|part| identifiers::normalize(part.trim_matches(|c: char| c.is_whitespace() || c == '\\')))
        .collect::<Vec<_>>()
        .join(".")
}

/// The absolute module of `from X import`, resolving relative imports from
/// the file's package. Returns the module and the number of leading dots.
fn resolve_from_module(module_node: Node<'_>, text: &str, scope: &FileScope) -> Option<(String, usize)> {
    if module_node.kind() != "relative_import" {
        return Some((normalise_dotted(node_text(module_node, text)), 0));
    }
    let raw = node_text(module_node, text);
    let dots = raw.chars().take_while(|c| *c == '.').count();
    let rest = normalise_dotted(raw[dots..].trim());
    let mut base = scope.current_package()?;
    for _ in 1..dots {
        base = match base.rsplit_once('.') {
            Some((parent, _)) => parent.to_string(),
            None if !base.is_empty() => String::new(),
            None => return None,
        };
    }
    let module = match (base.is_empty(), rest.is_empty()) {
        (_, true) => base,
        (true, false) => rest,
        (false, false) => format!("{base}.{rest}"),
    };
    Some((module, dots))
}
