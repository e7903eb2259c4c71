//! Builds the text edits of fixes: moving a name to its canonical import,
//! rewriting a module binding and its attribute uses, string paths, star
//! imports and `__all__` entries.
//!
//! Every edit is computed from node ranges and keeps the file's indentation,
//! comments, parenthesised layout and line endings. This module only builds
//! edits; `fix.rs` applies them and checks the result still parses.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;

use tree_sitter::{Node, Tree};

use crate::finding::{Applicability, Edit, Fix};
use crate::imports::{join_path, ImportItem, ImportRecord};
use crate::index::{Resolved, DEFAULT_LINE_LENGTH};
use crate::rules::{FileScope, NameMapping, QualifiedName, Rule};
use crate::syntax::{self, descendants_of_kind, field_children, kind_of, node_text, string_content_range, Captures};

/// How an identifier occurrence uses its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Occurrence {
    /// Reads the binding: renaming it follows the import.
    Reference,
    /// Binds the name (assignment, parameter, def, import, global, del…).
    Binding,
    /// Not a variable at all: an attribute name or a keyword argument.
    NotAName,
}

pub struct ImportEditor<'a, 'tree> {
    text: &'a str,
    tree: &'tree Tree,
    /// The captures of `tree` (`syntax::capture`; its identifiers,
    /// attributes and strings make the `index`).
    captures: &'a Captures<'tree>,
    scope: &'a FileScope,
    line_ending: &'static str,
    /// The project's line length: created or merged imports longer than
    /// this are written parenthesised, one name per line.
    line_length: usize,
    /// The tree's identifiers by name, with its attributes and strings,
    /// made on first use from the captures (the fix builders and
    /// the rules look them up here instead of walking a scope per finding).
    index: OnceCell<TreeIndex<'a, 'tree>>,
    /// Where the text reaches the module's namespace as a mapping or the
    /// module object (the end of each `globals()`, `sys.modules`, …), read
    /// once per text, on first use.
    namespace: OnceCell<Vec<usize>>,
    /// Whether the text holds a star import (`has_star_import`), likewise.
    star_import: OnceCell<bool>,
}

/// The identifiers, attributes and strings of a tree, each ordered by where
/// they start, as `syntax::capture` found them (the one walk of the tree
/// the analysis makes anyway, not a walk per scope). A node lies in a scope when it lies in the
/// scope's byte range ([`within`]; nodes nest, so these are its
/// descendants), found by a binary search on where the nodes start.
pub struct TreeIndex<'a, 'tree> {
    /// Identifiers by their name as Python compares it (NFKC).
    identifiers: HashMap<Cow<'a, str>, Vec<Node<'tree>>>,
    attributes: &'a [Node<'tree>],
    strings: &'a [Node<'tree>],
    calls: &'a [Node<'tree>],
}

impl<'a, 'tree> TreeIndex<'a, 'tree> {
    fn of(captures: &'a Captures<'tree>, text: &'a str) -> Self {
        let mut identifiers: HashMap<Cow<'a, str>, Vec<Node<'tree>>> = HashMap::new();
        for &identifier in &captures.identifiers {
            identifiers.entry(identifier_name(identifier, text)).or_default().push(identifier);
        }
        TreeIndex { identifiers, attributes: &captures.attributes, strings: &captures.strings, calls: &captures.calls }
    }

    /// The identifiers named `name` (NFKC) inside `scope`, in document order.
    pub fn identifiers_in<'s>(&'s self, scope: Node<'tree>, name: &str) -> impl Iterator<Item = Node<'tree>> + 's {
        inside(self.identifiers.get(name).map_or(&[], Vec::as_slice), scope)
    }

    /// Every attribute of the tree, by where they start.
    pub fn attributes(&self) -> &[Node<'tree>] {
        self.attributes
    }

    /// The attributes inside `scope`, by where they start.
    pub fn attributes_in<'s>(&'s self, scope: Node<'tree>) -> impl Iterator<Item = Node<'tree>> + 's {
        inside(self.attributes, scope)
    }

    /// The string literals inside `scope`, by where they start.
    pub fn strings_in<'s>(&'s self, scope: Node<'tree>) -> impl Iterator<Item = Node<'tree>> + 's {
        inside(self.strings, scope)
    }

    /// The calls inside `scope`, by where they start.
    pub fn calls_in<'s>(&'s self, scope: Node<'tree>) -> impl Iterator<Item = Node<'tree>> + 's {
        inside(self.calls, scope)
    }
}

/// The nodes of `nodes` (ordered by where they start) that lie inside
/// `scope`.
fn inside<'n, 'tree>(nodes: &'n [Node<'tree>], scope: Node<'tree>) -> impl Iterator<Item = Node<'tree>> + 'n {
    let first = nodes.partition_point(|node| node.start_byte() < scope.start_byte());
    let rest = &nodes[first..];
    let count = rest.partition_point(|node| node.start_byte() <= scope.end_byte());
    rest[..count].iter().copied().filter(move |node| within(*node, scope))
}

impl<'a, 'tree> ImportEditor<'a, 'tree> {
    pub fn new(text: &'a str, tree: &'tree Tree, captures: &'a Captures<'tree>, scope: &'a FileScope) -> Self {
        let line_length = scope.index.as_deref().map_or(DEFAULT_LINE_LENGTH, |index| index.line_length());
        let (index, namespace, star_import) = (OnceCell::new(), OnceCell::new(), OnceCell::new());
        let line_ending = detect_line_ending(text);
        ImportEditor { text, tree, captures, scope, line_ending, line_length, index, namespace, star_import }
    }

    /// The tree's identifiers by name, attributes and strings (made on first use).
    pub fn index(&self) -> &TreeIndex<'a, 'tree> {
        self.index.get_or_init(|| TreeIndex::of(self.captures, self.text))
    }

    /// The range that names an imported item: the imported name, or the
    /// module path of `import a.b`.
    pub fn import_item_name_range(&self, record: &ImportRecord<'tree>) -> (usize, usize) {
        match &record.item {
            ImportItem::Name { name_node, .. } => (name_node.start_byte(), name_node.end_byte()),
            ImportItem::Module { path_node, .. } => (path_node.start_byte(), path_node.end_byte()),
            ImportItem::Star { .. } => (record.module_node.start_byte(), record.module_node.end_byte()),
        }
    }

    /// Moves `from old import name` to the mapping's target, merging into an
    /// existing import of the target module, renaming uses where that is
    /// provably safe and keeping the old name as an alias where it is not.
    ///
    /// `statement_mappings` holds every name of the statement with its
    /// mapping: when all of them move to the same module with fixes at least
    /// as safe as this one, the statement is rewritten in place (keeping its
    /// layout) instead of being split.
    pub fn move_name_fix(
        &self,
        record: &ImportRecord<'tree>,
        mapping: &NameMapping,
        imports: &[ImportRecord<'tree>],
        statement_mappings: &[(&ImportRecord<'tree>, NameMapping)],
    ) -> Option<Fix> {
        let target = mapping.target.as_ref()?;
        let applicability = mapping.applicability?;
        if let Some(edits) = self.rewrite_whole_statement(record, target, applicability, imports, statement_mappings) {
            return Some(Fix {
                title: format!("Import {} from `{}`", describe_items(statement_mappings), target.module),
                applicability,
                edits,
                note: None,
            });
        }
        self.move_name_edits(record, target, mapping.keep_binding, imports, Vec::new()).map(|(edits, item_text)| Fix {
            title: format!("Import `{item_text}` from `{}`", target.module),
            applicability,
            edits,
            note: None,
        })
    }

    /// When every name of the statement goes to `target.module`, with a fix
    /// no less safe than `applicability`: the module path and each name
    /// rewritten in place.
    fn rewrite_whole_statement(
        &self,
        record: &ImportRecord<'tree>,
        target: &QualifiedName,
        applicability: Applicability,
        imports: &[ImportRecord<'tree>],
        statement_mappings: &[(&ImportRecord<'tree>, NameMapping)],
    ) -> Option<Vec<Edit>> {
        let names = field_children(record.statement, "name");
        if names.len() < 2 || statement_mappings.len() != names.len() {
            return None;
        }
        // Another name whose calls lose their `await` moves with its own
        // fix, which drops them.
        let all_move_together = statement_mappings.iter().all(|(sibling, mapping)| {
            mapping.target.as_ref().is_some_and(|other| other.module == target.module)
                && mapping.applicability.is_some_and(|other| other <= applicability)
                && (!mapping.drop_await || std::ptr::eq(*sibling, record))
        });
        let mut target_names: Vec<&str> = statement_mappings
            .iter()
            .filter_map(|(_, mapping)| mapping.target.as_ref().map(|target| target.name.as_str()))
            .collect();
        target_names.sort_unstable();
        target_names.dedup();
        // Two names landing on one would import it twice: split instead.
        if !all_move_together || target_names.len() != statement_mappings.len() {
            return None;
        }
        let module_text = self.module_text(record, &target.module);
        let mut edits =
            vec![Edit::replace(record.module_node.start_byte(), record.module_node.end_byte(), module_text.clone())];
        let mut items = Vec::new();
        let mut renames = Vec::new();
        for (sibling, mapping) in statement_mappings {
            let sibling_target = mapping.target.as_ref()?;
            let ImportItem::Name { node, .. } = &sibling.item else { return None };
            let (item_text, sibling_renames) =
                self.item_rewrite(sibling, sibling_target, mapping.keep_binding, imports)?;
            edits.push(Edit::replace(node.start_byte(), node.end_byte(), item_text.clone()));
            items.push(item_text);
            renames.extend(
                sibling_renames.into_iter().map(|(start, end)| Edit::replace(start, end, sibling_target.name.clone())),
            );
        }
        if let Some(wrapped) = self.wrapped_in_place(record.statement, &module_text, &items) {
            edits = vec![wrapped];
        }
        edits.extend(renames);
        normalise(edits)
    }

    /// A one-line `from … import a, b` rewritten in place to `module_text`
    /// and `items`, when the rewritten line would be longer than the line
    /// length: the whole statement, parenthesised, one name per line. Not
    /// when a comment follows it: `# noqa`, `# type: ignore` and the like are
    /// read on the line of the names (or the statement's first line), so
    /// the line stays one, however long.
    fn wrapped_in_place(&self, statement: Node<'tree>, module_text: &str, items: &[String]) -> Option<Edit> {
        let text = &self.text[statement.start_byte()..statement.end_byte()];
        if text.contains(['\n', '\r', '#', '\\'])
            || statement.kind() != "import_from_statement"
            || self.has_comment_after(statement)
        {
            return None;
        }
        let indent = self.indentation_of(statement);
        let line_start = self.line_start(statement.start_byte());
        if !self.text[line_start..statement.start_byte()].trim().is_empty() {
            return None;
        }
        let parentheses = if text.contains('(') { 2 } else { 0 };
        let trailing = self.line_content_end(statement.end_byte()) - statement.end_byte();
        let one_line = format!("from {module_text} import {}", items.join(", "));
        if indent.len() + one_line.len() + parentheses + trailing <= self.line_length {
            return None;
        }
        let le = self.line_ending;
        let lines: String = items.iter().map(|item| format!("{le}{indent}    {item},")).collect();
        Some(Edit::replace(
            statement.start_byte(),
            statement.end_byte(),
            format!("from {module_text} import ({lines}{le}{indent})"),
        ))
    }

    /// The new text of one imported item and the references to rename with it;
    /// with `keep_binding`, the old name stays bound (`new as old`).
    fn item_rewrite(
        &self,
        record: &ImportRecord<'tree>,
        target: &QualifiedName,
        keep_binding: bool,
        imports: &[ImportRecord<'tree>],
    ) -> Option<(String, Vec<(usize, usize)>)> {
        let ImportItem::Name { name, alias, .. } = &record.item else { return None };
        Some(match alias {
            Some(alias) if *alias == target.name => (target.name.clone(), Vec::new()),
            Some(alias) => (format!("{} as {alias}", target.name), Vec::new()),
            None if *name == target.name => (target.name.clone(), Vec::new()),
            None if keep_binding => (format!("{} as {name}", target.name), Vec::new()),
            None => match self.rename_plan(record, name, &target.name, &target.full(), imports) {
                Some(references) => (target.name.clone(), references),
                None => (format!("{} as {name}", target.name), Vec::new()),
            },
        })
    }

    /// The edits of a name move, plus `extra` edits (attribute renames), and
    /// the text of the new import item.
    fn move_name_edits(
        &self,
        record: &ImportRecord<'tree>,
        target: &QualifiedName,
        keep_binding: bool,
        imports: &[ImportRecord<'tree>],
        extra: Vec<Edit>,
    ) -> Option<(Vec<Edit>, String)> {
        let ImportItem::Name { node, .. } = &record.item else { return None };
        let statement = record.statement;
        let (item_text, renames) = self.item_rewrite(record, target, keep_binding, imports)?;
        let module_text = self.module_text(record, &target.module);
        let names = field_children(statement, "name");
        let local = item_text.rsplit(' ').next().unwrap_or(&item_text);
        let bound_earlier = self.earlier_import_binding(record, local, &target.full(), imports);
        let existing = bound_earlier.or_else(|| self.mergeable_import(statement, &target.module, imports));
        let already_imported = bound_earlier.is_some() || existing.is_some_and(|existing| {
            imports.iter().any(|other| {
                other.statement.id() == existing.id()
                    && matches!(&other.item, ImportItem::Name { name: n, alias: a, .. }
                        if *n == target.name && a.as_deref().unwrap_or(n) == item_text.rsplit(' ').next().unwrap_or(&item_text))
            })
        });
        let mut edits = Vec::new();
        // Deleting a statement would lose the comments inside it and the one
        // after it on its last line (`# noqa: F401`); rewrite it in place
        // instead, even next to an import of the same module.
        let in_place_for_comments =
            names.len() == 1 && (self.has_comment_inside(statement) || self.has_comment_after(statement));
        let existing = existing.filter(|_| !in_place_for_comments);
        // Written in place beside an import that already binds the name it
        // would be renamed to: the old name stays, as an alias (binding the
        // new one twice is refused).
        let (item_text, renames) = match &record.item {
            ImportItem::Name { name, alias: None, .. }
                if in_place_for_comments && already_imported && *name != target.name =>
            {
                (format!("{} as {name}", target.name), Vec::new())
            }
            _ => (item_text, renames),
        };
        // The statement rewritten where it stands: its module and its name.
        let in_place = || match self.wrapped_rewrite(statement, &module_text, &item_text) {
            Some(edit) => vec![edit],
            None => vec![
                Edit::replace(record.module_node.start_byte(), record.module_node.end_byte(), module_text.clone()),
                Edit::replace(node.start_byte(), node.end_byte(), item_text.clone()),
            ],
        };
        match (names.len(), existing) {
            (1, None) => edits.extend(in_place()),
            (1, Some(_)) if already_imported => edits.push(self.delete_statement(statement)),
            // Merged into the import of the module, unless that import
            // cannot take the name as it stands (`append_name`).
            (1, Some(existing)) => match self.append_name(existing, &item_text, None) {
                Some(appended) => {
                    edits.push(self.delete_statement(statement));
                    edits.extend(appended);
                }
                None => edits.extend(in_place()),
            },
            (_, existing) => {
                // A comment on the moved name's own line moves with it.
                let comment = self.own_line_comment(*node, statement);
                if comment.is_some() && existing.is_some() && already_imported {
                    // Imported already: the name goes, and its comment, with no
                    // new line to go to, stays where it is.
                    let hash = node.end_byte() + self.text[node.end_byte()..].find('#')?;
                    edits.push(Edit::delete(node.start_byte(), hash));
                } else {
                    edits.push(self.remove_name(statement, *node, &names)?);
                }
                // An import that cannot take the name as it stands (the
                // comment beside it, see `append_name`) is left alone: the
                // name gets an import of its own.
                let appended = match existing {
                    Some(_) if already_imported => Some(Vec::new()),
                    Some(existing) => self.append_name(existing, &item_text, comment.as_deref()),
                    None => None,
                };
                match appended {
                    Some(appended) => edits.extend(appended),
                    None => edits.push(self.insert_after_statement(
                        statement,
                        &module_text,
                        &item_text,
                        comment.as_deref(),
                    )?),
                }
            }
        }
        for (start, end) in renames {
            edits.push(Edit::replace(start, end, target.name.clone()));
        }
        edits.extend(extra);
        normalise(edits).map(|edits| (edits, item_text))
    }

    /// An earlier import in the scope of `record` that binds `local` to
    /// `target` wherever its statement runs (its block holds the statement),
    /// or another name of the statement itself (`from pkg import manager,
    /// websocket_manager`): moving the name there would import it twice.
    fn earlier_import_binding(
        &self,
        record: &ImportRecord<'tree>,
        local: &str,
        target: &str,
        imports: &[ImportRecord<'tree>],
    ) -> Option<Node<'tree>> {
        let (statement, scope) = (record.statement, record.binds_in.id());
        imports
            .iter()
            .filter(|other| {
                other.statement.start_byte() < statement.start_byte() || other.statement.id() == statement.id()
            })
            .filter(|other| other.target().as_deref() == Some(target) && other.binding().as_deref() == Some(local))
            .filter(|other| other.binds_in.id() == scope)
            .find(|other| other.statement.parent().is_some_and(|block| within(statement, block)))
            .map(|other| other.statement)
            .or_else(|| self.module_import_reaching(record, local, target, imports))
    }

    /// The import of the module itself that a function's reads of `local`
    /// reach, binding it to `target`: a statement of the module (not inside
    /// a `try`, an `if` or a class), before the function holding `record`,
    /// where nothing else binds `local` in the module or in the functions
    /// around `record` (no `global` or `nonlocal` of it anywhere), nor may
    /// (star imports, the namespace written by key). The function's own
    /// import of the name can then go and its calls read that one, as the
    /// code base's developers migrated such imports; a second import of the
    /// name there would be pyflakes' "redefinition of unused".
    fn module_import_reaching(
        &self,
        record: &ImportRecord<'tree>,
        local: &str,
        target: &str,
        imports: &[ImportRecord<'tree>],
    ) -> Option<Node<'tree>> {
        if record.binds_in.kind() != "function_definition" {
            return None;
        }
        let root = self.tree.root_node();
        let module_import = imports.iter().find(|other| {
            other.target().as_deref() == Some(target)
                && other.binding().as_deref() == Some(local)
                && other.statement.start_byte() < record.statement.start_byte()
                && other.statement.parent().is_some_and(|parent| parent.id() == root.id())
        })?;
        // The scopes a read of `local` in the function may find it bound
        // in: the module and the functions from the import's outwards.
        let mut reached = vec![root.id()];
        let mut scope = Some(record.binds_in);
        while let Some(node) = scope.filter(|node| node.id() != root.id()) {
            if matches!(node.kind(), "function_definition" | "lambda") {
                reached.push(node.id());
            }
            scope = Some(syntax::scope_of(node));
        }
        let rebound = self.index().identifiers_in(root, local).any(|identifier| {
            if within(identifier, record.statement) || within(identifier, module_import.statement) {
                return false;
            }
            if classify(identifier) != Occurrence::Binding {
                return false;
            }
            let declared = identifier
                .parent()
                .is_some_and(|parent| matches!(parent.kind(), "global_statement" | "nonlocal_statement"));
            declared || reached.contains(&syntax::binding_scope(identifier).id())
        });
        (!rebound && !self.namespace_may_bind(local)).then_some(module_import.statement)
    }

    /// An earlier `from module import ...` in the same block, to merge into.
    fn mergeable_import(
        &self,
        statement: Node<'tree>,
        module: &str,
        imports: &[ImportRecord<'tree>],
    ) -> Option<Node<'tree>> {
        imports
            .iter()
            .filter(|other| other.statement.id() != statement.id())
            .filter(|other| other.module == module && matches!(other.item, ImportItem::Name { .. }))
            .filter(|other| other.statement.kind() == "import_from_statement")
            .filter(|other| other.statement.parent().map(|p| p.id()) == statement.parent().map(|p| p.id()))
            .filter(|other| {
                other.statement.start_byte() < statement.start_byte()
                    || only_imports_between(statement, other.statement)
            })
            .map(|other| other.statement)
            .min_by_key(|other| other.start_byte().abs_diff(statement.start_byte()))
    }

    /// `import old.mod as m` / `from pkg import old_mod` / `import old.mod`:
    /// rewrite the binding to the canonical module and every `m.name` use.
    /// `judge` checks each name read off the module (its full old path, its
    /// rule mapping, the attribute node) as a move of that name. The caller
    /// makes no such fix for a binding bound again ([`Self::rebinding`]).
    pub fn module_binding_fix(
        &self,
        rule: &Rule,
        record: &ImportRecord<'tree>,
        imports: &[ImportRecord<'tree>],
        judge: &mut dyn FnMut(&str, NameMapping, Node<'tree>) -> NameMapping,
    ) -> Option<Fix> {
        let canonical = rule.canonical.as_deref()?;
        let deprecated = rule.module.as_deref()?;
        let (prefix, scope_node) = match &record.item {
            ImportItem::Module { alias: None, .. } => (deprecated.to_string(), self.tree.root_node()),
            _ => (record.binding()?, record.binds_in),
        };
        let mut applicability: Option<Applicability> = None;
        let mut attribute_edits = Vec::new();
        let mut handled_objects = Vec::new();
        let mut used = false;
        for attribute in self.index().attributes_in(scope_node) {
            let Some(object) = attribute.child_by_field_name("object") else { continue };
            if dotted_text(object, self.text).as_deref() != Some(prefix.as_str()) {
                continue;
            }
            let attr = attribute.child_by_field_name("attribute")?;
            let attr_name = identifier_name(attr, self.text);
            // A name with no counterpart is judged too (the judge says why
            // there is no fix).
            let mapping = rule.mapping_for(&attr_name).unwrap_or_else(NameMapping::no_counterpart);
            let mapping = judge(&join_path(deprecated, &attr_name), mapping, attribute);
            let target = mapping.target?;
            if target.module != canonical {
                return None;
            }
            applicability = applicability.max(Some(mapping.applicability?));
            used = true;
            if target.name != attr_name {
                attribute_edits.push(Edit::replace(attr.start_byte(), attr.end_byte(), target.name.clone()));
            }
            if matches!(record.item, ImportItem::Module { alias: None, .. }) {
                attribute_edits.push(Edit::replace(object.start_byte(), object.end_byte(), canonical.to_string()));
            }
            handled_objects.push((object.start_byte(), object.end_byte()));
        }
        // `patch.object(m, "name")`, `monkeypatch.setattr(m, "name", …)`,
        // `getattr(m, "name")`: the name is read (or replaced) off the
        // module by its string, as `m.name` is, and its string moves with
        // the module. A patch then replaces the canonical module's name:
        // code still reading the deprecated one is no longer patched.
        for call in self.index().calls_in(scope_node) {
            let Some((object, string, attr_name)) = syntax::object_patch(call, self.text) else { continue };
            if dotted_text(object, self.text).as_deref() != Some(prefix.as_str()) {
                continue;
            }
            let attr_name = crate::identifiers::normalize(attr_name);
            let old = join_path(deprecated, &attr_name);
            let mut mapping = rule.mapping_for(&attr_name).unwrap_or_else(NameMapping::no_counterpart);
            if syntax::replaces_attribute(call, self.text) {
                if let Some(target) = &mapping.target {
                    let target = target.full();
                    mapping = crate::verify::patched_here(mapping, &old, &target);
                }
            }
            let mapping = judge(&old, mapping, string);
            let target = mapping.target?;
            if target.module != canonical {
                return None;
            }
            applicability = applicability.max(Some(mapping.applicability?));
            used = true;
            if target.name != *attr_name {
                let (start, end) = string_content_range(string, self.text)?;
                attribute_edits.push(Edit::replace(start, end, target.name.clone()));
            }
            if matches!(record.item, ImportItem::Module { alias: None, .. }) {
                attribute_edits.push(Edit::replace(object.start_byte(), object.end_byte(), canonical.to_string()));
            }
            handled_objects.push((object.start_byte(), object.end_byte()));
        }
        if !used || self.has_bare_use(record, scope_node, &handled_objects) {
            applicability = applicability.max(Some(rule.fix?));
        }
        let applicability = applicability?;
        let title = format!("Use `{canonical}`");
        match &record.item {
            ImportItem::Module { path_node, .. } => {
                let mut edits =
                    vec![Edit::replace(path_node.start_byte(), path_node.end_byte(), canonical.to_string())];
                edits.extend(attribute_edits);
                Some(Fix { title, applicability, edits: normalise(edits)?, note: None })
            }
            ImportItem::Name { .. } => {
                let target = QualifiedName::parse(canonical)?;
                let (edits, _) = self.move_name_edits(record, &target, false, imports, attribute_edits)?;
                Some(Fix { title, applicability, edits, note: None })
            }
            ImportItem::Star { .. } => None,
        }
    }

    /// Whether a module binding is used other than as `binding.attr`.
    fn has_bare_use(&self, record: &ImportRecord<'tree>, scope_node: Node<'tree>, handled: &[(usize, usize)]) -> bool {
        let Some(binding) = record.binding() else { return false };
        if matches!(record.item, ImportItem::Module { alias: None, .. }) {
            return false;
        }
        self.index().identifiers_in(scope_node, &binding).any(|identifier| {
            !within(identifier, record.statement)
                && classify(identifier) == Occurrence::Reference
                && !handled.iter().any(|(s, e)| *s == identifier.start_byte() && *e == identifier.end_byte())
        })
    }

    /// Another binding of the name a module import binds, in the scope its
    /// attributes are renamed in (a fix would rename them on whatever that
    /// binds too); `None` for a name bound nowhere else. Leaves out the
    /// fallback `m = None` in an `except` of the `try` holding the import,
    /// on which no attribute can be read.
    pub fn rebinding(&self, record: &ImportRecord<'tree>) -> Option<Node<'tree>> {
        let scope_node = match &record.item {
            ImportItem::Module { alias: None, .. } => self.tree.root_node(),
            ImportItem::Module { .. } => record.binds_in,
            ImportItem::Name { .. } | ImportItem::Star { .. } => return None,
        };
        self.bound_in(scope_node, record)
    }

    /// Where another statement of its scope binds the name that `record`
    /// imports (`from m import x` again in a retry branch, `x = …`), other
    /// than `x = None` in the `except` of the `try` holding the import.
    pub fn bound_again(&self, record: &ImportRecord<'tree>) -> Option<Node<'tree>> {
        match &record.item {
            ImportItem::Name { .. } => self.bound_in(record.binds_in, record),
            ImportItem::Module { .. } | ImportItem::Star { .. } => None,
        }
    }

    fn bound_in(&self, scope_node: Node<'tree>, record: &ImportRecord<'tree>) -> Option<Node<'tree>> {
        let binding = record.binding()?;
        self.index().identifiers_in(scope_node, &binding).find(|&identifier| {
            !within(identifier, record.statement)
                && classify(identifier) == Occurrence::Binding
                && !is_none_fallback(identifier, record.statement)
        })
    }

    /// `from old import *` → `from canonical import *`.
    pub fn star_import_fix(&self, rule: &Rule, record: &ImportRecord<'tree>) -> Option<Fix> {
        let canonical = rule.canonical.as_deref()?;
        let applicability = rule.fix?;
        let module_text = self.module_text(record, canonical);
        Some(Fix {
            title: format!("Import `*` from `{canonical}`"),
            applicability,
            edits: vec![Edit::replace(record.module_node.start_byte(), record.module_node.end_byte(), module_text)],
            note: None,
        })
    }

    /// Rewrites a dotted path inside a string literal.
    pub fn string_path_fix(
        &self,
        rule: &Rule,
        content: &str,
        range: (usize, usize),
        mapping: Option<&NameMapping>,
    ) -> Option<Fix> {
        let (replacement, applicability) = match mapping {
            None => (rule.canonical.clone()?, rule.fix?),
            Some(mapping) => {
                let target = mapping.target.as_ref()?;
                let deprecated = rule.module.as_deref()?;
                let rest = &content[deprecated.len()..];
                let separator = &rest[..1];
                let after_name = rest[1..].find('.').map(|i| &rest[1 + i..]).unwrap_or("");
                (format!("{}{separator}{}{after_name}", target.module, target.name), mapping.applicability?)
            }
        };
        Some(Fix {
            title: format!("Replace the path with `{replacement}`"),
            applicability,
            edits: vec![Edit::replace(range.0, range.1, replacement)],
            note: None,
        })
    }

    /// Removes a string from the list or tuple it is an element of.
    pub fn remove_list_entry_fix(&self, rule: &Rule, string: Node<'tree>) -> Option<Fix> {
        let applicability = rule.fix?;
        let list = string.parent().filter(|parent| matches!(parent.kind(), "list" | "tuple"))?;
        let mut cursor = list.walk();
        let elements: Vec<Node> = list.named_children(&mut cursor).filter(|child| child.kind() != "comment").collect();
        let edit = self.remove_element(string, &elements)?;
        let edits = keep_a_tuple(list, string, &elements, edit);
        let (start, end) = string_content_range(string, self.text)?;
        Some(Fix {
            title: format!("Remove `{}` from `__all__`", &self.text[start..end]),
            applicability,
            edits,
            note: None,
        })
    }

    /// Which references of `old` in the scope of the import `record` to
    /// rename to `new`, or `None` when renaming is not provably safe.
    fn rename_plan(
        &self,
        record: &ImportRecord<'tree>,
        old: &str,
        new: &str,
        new_target: &str,
        imports: &[ImportRecord<'tree>],
    ) -> Option<Vec<(usize, usize)>> {
        let (statement, scope_node) = (record.statement, record.binds_in);
        if scope_node.kind() == "class_definition" {
            return None;
        }
        // What binds `new` in the module without naming it as code would
        // rebind it after the import: the renamed calls would reach that.
        if scope_node.kind() == "module" && self.namespace_may_bind(new) {
            return None;
        }
        let index = self.index();
        let mut references = Vec::new();
        for identifier in index.identifiers_in(scope_node, old) {
            if within(identifier, statement) {
                continue;
            }
            match classify(identifier) {
                Occurrence::NotAName => {}
                Occurrence::Binding => return None,
                Occurrence::Reference => references.push((identifier.start_byte(), identifier.end_byte())),
            }
        }
        // Occurrences of `new` (when it is not `old`).
        let reaching = OnceCell::new();
        let new_occurrences = if new == old { None } else { Some(index.identifiers_in(scope_node, new)) };
        for identifier in new_occurrences.into_iter().flatten() {
            if classify(identifier) == Occurrence::NotAName {
                continue;
            }
            let from_same_target = imports
                .iter()
                .any(|record| within(identifier, record.statement) && record.target().as_deref() == Some(new_target));
            let in_import = imports.iter().any(|record| within(identifier, record.statement));
            if in_import && from_same_target {
                continue;
            }
            if !in_import {
                // A reference to `new` that an import of the same target
                // binds is fine; anything else would change meaning.
                let bound_here = imports.iter().any(|record| {
                    record.target().as_deref() == Some(new_target)
                        && record.binding().as_deref() == Some(new)
                        && within(record.statement, scope_node)
                }) || *reaching
                    .get_or_init(|| self.module_import_reaching(record, new, new_target, imports).is_some());
                if bound_here && classify(identifier) == Occurrence::Reference {
                    continue;
                }
            }
            return None;
        }
        // A string naming the old binding (`__all__`, `getattr`, a string
        // annotation) would go stale. A string annotation that reads it in
        // a type expression (`"Optional[Old]"`, `"Old | None"`) is renamed
        // with the code: left, it is a NameError for `get_type_hints`.
        for string in index.strings_in(scope_node) {
            let Some((start, end)) = string_content_range(string, self.text) else { continue };
            let content = &self.text[start..end];
            if content == old && !is_annotation(string) {
                return None;
            }
            let words: Vec<usize> = memchr::memmem::find_iter(content.as_bytes(), old.as_bytes())
                .filter(|&at| crate::identifiers::is_whole_word(content.as_bytes(), at, at + old.len()))
                .collect();
            // Elsewhere (prose, a log message) the word stays as it was.
            if !words.is_empty() && is_type_expression(content) && is_annotation(string) {
                references.extend(words.into_iter().map(|at| (start + at, start + at + old.len())));
            }
        }
        references.sort_unstable();
        Some(references)
    }

    /// Whether something a search of the tree's names does not see may bind
    /// `name` in the module's namespace: a star import of a module that may
    /// export it (one outside the workspace may), or a write to the
    /// namespace as a mapping (`globals()["name"] = …`, `setattr(
    /// sys.modules[__name__], "name", …)`, `globals().update(…)`). Read
    /// from the text and the module's index entry, never from the tree: a
    /// skeleton (which keeps neither line) and the whole tree must agree.
    fn namespace_may_bind(&self, name: &str) -> bool {
        let star_import = *self.star_import.get_or_init(|| has_star_import(self.text.as_bytes()));
        (star_import && self.star_imports_may_bind(name)) || self.names_namespace_by_key(name)
    }

    /// Whether the text may read or write `name` in the module's namespace by
    /// a key rather than as a name: it reaches the namespace as a mapping or
    /// the module object (`globals()`, `vars()`, `locals()`, `sys.modules`,
    /// `__dict__`) and either quotes `name` or uses keys it does not spell
    /// (`globals()[key]`, `globals().get(key)`, `globals().update(…)`).
    pub fn names_namespace_by_key(&self, name: &str) -> bool {
        let reached = self.namespace.get_or_init(|| namespace_reached(self.text.as_bytes()));
        if reached.is_empty() {
            return false;
        }
        let bytes = self.text.as_bytes();
        let quoted = |quote: char| memchr::memmem::find(bytes, format!("{quote}{name}{quote}").as_bytes()).is_some();
        let unspelled_key = |&end: &usize| {
            let rest = &bytes[end..];
            let spelled = |at: usize| matches!(rest.get(at), Some(b'"' | b'\''));
            [&b".update("[..], b".setdefault(", b".__setitem__("].iter().any(|call| rest.starts_with(call))
                || (rest.starts_with(b"[") && !spelled(1))
                || (rest.starts_with(b".get(") && !spelled(5))
        };
        quoted('"') || quoted('\'') || reached.iter().any(unspelled_key)
    }

    /// Whether a star import of this module may bind `name`: unknown when
    /// there is no index, or it does not hold this module.
    fn star_imports_may_bind(&self, name: &str) -> bool {
        let (Some(index), Some(module)) = (self.scope.index.as_deref(), self.scope.module.as_deref()) else {
            return true;
        };
        let Some(info) = index.module(module) else { return true };
        info.star_imports.iter().any(|star| match index.module(star) {
            None => true,
            Some(source) => {
                let exported = match &source.all {
                    Some(all) => all.iter().any(|entry| entry == name),
                    None => !name.starts_with('_'),
                };
                exported && !matches!(index.resolve_name(star, name), Resolved::Missing(_))
            }
        })
    }

    /// The text of the target module as this import should spell it: relative
    /// when the original was relative and the target is inside the same base
    /// package, absolute otherwise.
    fn module_text(&self, record: &ImportRecord<'tree>, target_module: &str) -> String {
        if record.dots == 0 {
            return target_module.to_string();
        }
        let Some(mut base) = self.scope.current_package() else { return target_module.to_string() };
        for _ in 1..record.dots {
            base = base.rsplit_once('.').map(|(parent, _)| parent.to_string()).unwrap_or_default();
        }
        let dots = ".".repeat(record.dots);
        if target_module == base {
            return dots;
        }
        match target_module.strip_prefix(&format!("{base}.")) {
            Some(rest) if !base.is_empty() => format!("{dots}{rest}"),
            _ if base.is_empty() => format!("{dots}{target_module}"),
            _ => target_module.to_string(),
        }
    }

    /// Deletes a whole statement: its lines when it is alone on them, the
    /// statement and one `;` otherwise, `pass` when it is a block's only
    /// statement.
    fn delete_statement(&self, statement: Node<'tree>) -> Edit {
        if let Some(parent) = statement.parent() {
            let mut cursor = parent.walk();
            let siblings = parent.named_children(&mut cursor).filter(|child| child.kind() != "comment").count();
            if parent.kind() == "block" && siblings == 1 {
                return Edit::replace(statement.start_byte(), statement.end_byte(), "pass");
            }
        }
        let (start, end) = (statement.start_byte(), statement.end_byte());
        let line_start = self.line_start(start);
        let before = &self.text[line_start..start];
        let after_end = self.line_content_end(end);
        let after = &self.text[end..after_end];
        if before.trim().is_empty() && is_blank_or_comment(after) {
            let mut delete_to = self.next_line_start(end);
            // A block's first statement goes with the blank line after it
            // (`def f():` / the import / a blank line / the code): a block
            // does not start with a blank line.
            let first_in_block = statement.parent().is_some_and(|parent| parent.kind() == "block")
                && statement.prev_named_sibling().is_none();
            let blank_end = self.next_line_start(delete_to);
            if first_in_block && blank_end > delete_to && self.text[delete_to..blank_end].trim().is_empty() {
                delete_to = blank_end;
            }
            return Edit::delete(line_start, delete_to);
        }
        // `a; stmt; b` → drop `stmt; ` (or `; stmt` at the end).
        let trailing = self.text[end..].find(|c: char| c != ' ' && c != '\t').map(|i| end + i);
        if let Some(semicolon) = trailing.filter(|&i| self.text[i..].starts_with(';')) {
            let next = self.text[semicolon + 1..]
                .find(|c: char| c != ' ' && c != '\t')
                .map_or(semicolon + 1, |i| semicolon + 1 + i);
            return Edit::delete(start, next);
        }
        let leading = self.text[..start].trim_end_matches([' ', '\t']);
        if leading.ends_with(';') {
            return Edit::delete(leading.len() - 1, end);
        }
        Edit::replace(start, end, "pass")
    }

    /// Removes one imported name from a statement that keeps others.
    fn remove_name(&self, statement: Node<'tree>, node: Node<'tree>, names: &[Node<'tree>]) -> Option<Edit> {
        let parenthesised = {
            let mut cursor = statement.walk();
            let has_paren = statement.children(&mut cursor).any(|child| child.kind() == "(");
            has_paren
        };
        if parenthesised {
            if let Some(edit) = self.delete_own_line(node) {
                return Some(edit);
            }
        }
        // Through the commas, unless that would delete a comment (`(a,  # c`
        // then `b)` on the next line, either name removed): no fix then.
        self.remove_element_by_commas(node, names).filter(|edit| !self.text[edit.start..edit.end].contains('#'))
    }

    fn remove_element(&self, element: Node<'tree>, elements: &[Node<'tree>]) -> Option<Edit> {
        if let Some(edit) = self.delete_own_line(element) {
            return Some(edit);
        }
        self.remove_element_by_commas(element, elements)
    }

    /// When `node` (and its comma and comment) is alone on its line, delete
    /// the line.
    fn delete_own_line(&self, node: Node<'tree>) -> Option<Edit> {
        let line_start = self.line_start(node.start_byte());
        if !self.text[line_start..node.start_byte()].trim().is_empty() {
            return None;
        }
        let content_end = self.line_content_end(node.end_byte());
        let after = self.text[node.end_byte()..content_end].trim_start();
        let after = after.strip_prefix(',').unwrap_or(after);
        if !is_blank_or_comment(after) {
            return None;
        }
        Some(Edit::delete(line_start, self.next_line_start(node.end_byte())))
    }

    fn remove_element_by_commas(&self, node: Node<'tree>, elements: &[Node<'tree>]) -> Option<Edit> {
        let index = elements.iter().position(|element| element.id() == node.id())?;
        if let Some(next) = elements.get(index + 1) {
            return Some(Edit::delete(node.start_byte(), next.start_byte()));
        }
        let previous = elements.get(index.checked_sub(1)?)?;
        Some(Edit::delete(previous.end_byte(), node.end_byte()))
    }

    /// Adds `item` to an existing from-import: on a line of its own in a
    /// parenthesised, one-name-per-line import; as `, item` on one line when
    /// that stays within the line length; else the import is rewritten
    /// parenthesised, one name per line, with a trailing comma. `comment`
    /// (the moved name's own comment) goes with the new name. `None` when
    /// the import cannot take the name so: the comment would have no line
    /// of its own (`(a, b)` on one line, or continued with `\`), or the
    /// rewrite would move the import's own trailing comment (`# noqa`,
    /// `# type: ignore`) from the line of its names to after the `)`.
    fn append_name(&self, statement: Node<'tree>, item_text: &str, comment: Option<&str>) -> Option<Vec<Edit>> {
        let names = field_children(statement, "name");
        let last = *names.last()?;
        let first = *names.first()?;
        let (open, close) = self.parentheses(statement);
        let indent = self.indentation_of(statement);
        let inner_indent = format!("{indent}    ");
        let comment_text = comment.map(|comment| format!("  {comment}")).unwrap_or_default();
        if let (Some(open), Some(close)) = (open, close) {
            let multi_line = self.text[open..first.start_byte()].contains(['\n', '\r']);
            if !multi_line {
                // No line of its own for the comment.
                return comment.is_none().then(|| vec![Edit::insert(last.end_byte(), format!(", {item_text}"))]);
            }
            let after_last = &self.text[last.end_byte()..close];
            let has_comma = after_last.trim_start().starts_with(',');
            let name_indent = self.indentation_at(last.start_byte());
            let line_end = self.line_content_end(last.end_byte()).min(close);
            let mut edits = Vec::new();
            if !has_comma {
                edits.push(Edit::insert(last.end_byte(), ","));
            }
            let new_line = format!("{}{name_indent}{item_text},{comment_text}", self.line_ending);
            edits.push(Edit::insert(line_end, new_line));
            return Some(edits);
        }
        let line_start = self.line_start(statement.start_byte());
        let one_line = !self.text[statement.start_byte()..statement.end_byte()].contains(['\n', '\r']);
        let new_width = self.line_content_end(statement.end_byte()) - line_start + 2 + item_text.len();
        if !one_line || (new_width <= self.line_length && comment.is_none()) {
            // Continued with `\`: no line of its own for the comment.
            return comment.is_none().then(|| vec![Edit::insert(last.end_byte(), format!(", {item_text}"))]);
        }
        if self.has_comment_after(statement) {
            return None;
        }
        let mut lines: Vec<String> =
            names.iter().map(|name| format!("{inner_indent}{},", node_text(*name, self.text))).collect();
        lines.push(format!("{inner_indent}{item_text},{comment_text}"));
        let le = self.line_ending;
        let replacement = format!("({le}{}{le}{indent})", lines.join(le));
        Some(vec![Edit::replace(first.start_byte(), last.end_byte(), replacement)])
    }

    /// The offsets of the `(` and `)` of a parenthesised from-import.
    fn parentheses(&self, statement: Node<'tree>) -> (Option<usize>, Option<usize>) {
        let mut cursor = statement.walk();
        let mut open = None;
        let mut close = None;
        for child in statement.children(&mut cursor) {
            match child.kind() {
                "(" => open = Some(child.start_byte()),
                ")" => close = Some(child.start_byte()),
                _ => {}
            }
        }
        (open, close)
    }

    /// The whitespace before `node` on its line (when it starts the line).
    fn indentation_of(&self, node: Node<'tree>) -> String {
        self.indentation_at(node.start_byte())
    }

    fn indentation_at(&self, offset: usize) -> String {
        let line_start = self.line_start(offset);
        self.text[line_start..offset].chars().take_while(|c| c.is_whitespace()).collect()
    }

    /// `from module import item`, or its parenthesised form when that line
    /// would be longer than the project's line length.
    fn import_statement_text(&self, indent: &str, module_text: &str, item_text: &str, comment: Option<&str>) -> String {
        let comment_text = comment.map(|comment| format!("  {comment}")).unwrap_or_default();
        let one_line = format!("from {module_text} import {item_text}");
        if indent.len() + one_line.len() + comment_text.len() <= self.line_length {
            return format!("{one_line}{comment_text}");
        }
        let le = self.line_ending;
        format!("from {module_text} import ({le}{indent}    {item_text},{comment_text}{le}{indent})")
    }

    /// A one-name, one-line import rewritten to `module_text`/`item_text`,
    /// when the new line would be too long: the whole statement, wrapped.
    /// Not when a comment follows it (see [`Self::wrapped_in_place`]).
    fn wrapped_rewrite(&self, statement: Node<'tree>, module_text: &str, item_text: &str) -> Option<Edit> {
        let text = &self.text[statement.start_byte()..statement.end_byte()];
        if text.contains(['\n', '\r', '(', '#'])
            || statement.kind() != "import_from_statement"
            || self.has_comment_after(statement)
        {
            return None;
        }
        let indent = self.indentation_of(statement);
        let line_start = self.line_start(statement.start_byte());
        if !self.text[line_start..statement.start_byte()].trim().is_empty() {
            return None;
        }
        let trailing = self.line_content_end(statement.end_byte()) - statement.end_byte();
        let width = indent.len() + format!("from {module_text} import {item_text}").len() + trailing;
        if width <= self.line_length {
            return None;
        }
        let wrapped = self.import_statement_text(&indent, module_text, item_text, None);
        Some(Edit::replace(statement.start_byte(), statement.end_byte(), wrapped))
    }

    /// Whether `statement` holds a comment: one the tree holds, or a long run
    /// of comment lines the parse left out (`syntax::skipped_ranges`; the
    /// whole-text parses leave out only those).
    fn has_comment_inside(&self, statement: Node<'tree>) -> bool {
        let (start, end) = (statement.start_byte(), statement.end_byte());
        !descendants_of_kind(statement, "comment").is_empty()
            || syntax::skipped_ranges(self.tree, self.text.len())
                .iter()
                .any(|&(skipped_start, skipped_end)| skipped_start < end && start < skipped_end)
    }

    /// Whether a comment follows `statement` on its last line.
    fn has_comment_after(&self, statement: Node<'tree>) -> bool {
        let end = statement.end_byte();
        self.text[end..self.line_content_end(end)].trim_start().starts_with('#')
    }

    /// The comment after `node` (and its comma) when `node` stands alone on
    /// its line inside a parenthesised import.
    fn own_line_comment(&self, node: Node<'tree>, statement: Node<'tree>) -> Option<String> {
        let (Some(_), Some(_)) = self.parentheses(statement) else { return None };
        let line_start = self.line_start(node.start_byte());
        if !self.text[line_start..node.start_byte()].trim().is_empty() {
            return None;
        }
        let content_end = self.line_content_end(node.end_byte());
        let after = self.text[node.end_byte()..content_end].trim_start();
        let after = after.strip_prefix(',').unwrap_or(after).trim();
        after.starts_with('#').then(|| after.to_string())
    }

    /// Inserts `from module import item` after `statement`: on its own line
    /// with the same indentation (wrapped when too long), or after a `;` when
    /// the statement shares its line (`None` then if `comment`, the moved
    /// name's, would have no place).
    fn insert_after_statement(
        &self,
        statement: Node<'tree>,
        module_text: &str,
        item_text: &str,
        comment: Option<&str>,
    ) -> Option<Edit> {
        let start = statement.start_byte();
        let end = statement.end_byte();
        let line_start = self.line_start(start);
        let first_on_line = self.text[line_start..start].trim().is_empty();
        let content_end = self.line_content_end(end);
        let rest_is_blank = is_blank_or_comment(&self.text[end..content_end]);
        if first_on_line && rest_is_blank {
            let indent: String = self.text[line_start..start].chars().take_while(|c| c.is_whitespace()).collect();
            let new_statement = self.import_statement_text(&indent, module_text, item_text, comment);
            return Some(Edit::insert(content_end, format!("{}{indent}{new_statement}", self.line_ending)));
        }
        // After a `;` on the statement's line: no place there for the moved
        // name's comment.
        comment.is_none().then(|| Edit::insert(end, format!("; from {module_text} import {item_text}")))
    }

    /// Where the line holding `offset` starts: after a BOM on the first line.
    fn line_start(&self, offset: usize) -> usize {
        self.text[..offset].rfind(['\n', '\r']).map_or(syntax::bom_len(self.text).min(offset), |i| i + 1)
    }

    /// The offset where the line holding `offset` ends (before its line break).
    fn line_content_end(&self, offset: usize) -> usize {
        self.text[offset..].find(['\n', '\r']).map_or(self.text.len(), |i| offset + i)
    }

    /// The offset after the line break of the line holding `offset`.
    fn next_line_start(&self, offset: usize) -> usize {
        let end = self.line_content_end(offset);
        let rest = &self.text[end..];
        if rest.starts_with("\r\n") {
            end + 2
        } else if rest.starts_with('\n') || rest.starts_with('\r') {
            end + 1
        } else {
            end
        }
    }
}

/// "`a`, `b`" for a fix title.
fn describe_items(statement_mappings: &[(&ImportRecord<'_>, NameMapping)]) -> String {
    statement_mappings
        .iter()
        .filter_map(|(_, mapping)| mapping.target.as_ref().map(|target| format!("`{}`", target.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The file's own line ending: the first one found, `\n` by default.
pub fn detect_line_ending(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text[i..].starts_with('\r') => "\r",
        _ => "\n",
    }
}

/// `edit` (removing `element` from `elements`, the elements of `list`),
/// with a comma after the element left when `list` is a tuple of two whose
/// other comma goes with the removal: `("old", "kept")` becomes
/// `("kept",)`, not the string `("kept")`.
fn keep_a_tuple(list: Node<'_>, element: Node<'_>, elements: &[Node<'_>], edit: Edit) -> Vec<Edit> {
    let [first, second] = elements else { return vec![edit] };
    if list.kind() != "tuple" {
        return vec![edit];
    }
    let kept = if first.id() == element.id() { *second } else { *first };
    let mut cursor = list.walk();
    let comma_stays = list.children(&mut cursor).any(|child| {
        child.kind() == ","
            && child.start_byte() >= kept.end_byte()
            && !(edit.start <= child.start_byte() && child.end_byte() <= edit.end)
    });
    if comma_stays {
        return vec![edit];
    }
    if edit.start == kept.end_byte() {
        // The removal starts right after the element left: one edit.
        return vec![Edit::replace(edit.start, edit.end, format!(",{}", edit.replacement))];
    }
    vec![edit, Edit::insert(kept.end_byte(), ",")]
}

/// Whether the text holds `import` followed by `*` (blanks and line
/// continuations between): a star import, or those words in prose.
fn has_star_import(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"import").any(|at| {
        let rest = &bytes[at + b"import".len()..];
        rest.iter().find(|&&byte| !matches!(byte, b' ' | b'\t' | b'\\' | b'\r' | b'\n')) == Some(&b'*')
    })
}

/// Where `bytes` reach a module's namespace as a mapping or the module
/// object: the end of each `globals()`, `vars()`, `locals()`, `sys.modules`
/// and `__dict__`. Three searches (`s()` ends the first three), not five:
/// this runs for every module-level import a rule moves.
fn namespace_reached(bytes: &[u8]) -> Vec<usize> {
    let mut reached: Vec<usize> = memchr::memmem::find_iter(bytes, b"s()")
        .filter(|&at| [&b"global"[..], b"var", b"local"].iter().any(|word| bytes[..at].ends_with(word)))
        .map(|at| at + 3)
        .collect();
    for marker in [&b"sys.modules"[..], b"__dict__"] {
        reached.extend(memchr::memmem::find_iter(bytes, marker).map(|at| at + marker.len()));
    }
    reached
}

fn is_blank_or_comment(text: &str) -> bool {
    let trimmed = text.trim();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// Sorts edits and refuses overlapping ones; drops exact duplicates.
/// Adds to `fix` the deletion of the `await` of each of `calls` (`await
/// old(ctx)` → `new(ctx)`, `await (old(ctx))` → `(old(ctx))`); `None` when
/// an edit would overlap another.
pub fn drop_awaits(fix: Fix, calls: &[Node<'_>]) -> Option<Fix> {
    let mut edits = fix.edits;
    for &call in calls {
        let Some(awaiting) = crate::index::awaiting(call) else { continue };
        let operand = awaiting.named_child(0)?;
        edits.push(Edit::delete(awaiting.start_byte(), operand.start_byte()));
    }
    let title = format!("{} and drop the `await` of its calls", fix.title);
    Some(Fix { edits: normalise(edits)?, title, ..fix })
}

fn normalise(mut edits: Vec<Edit>) -> Option<Vec<Edit>> {
    edits.sort_by_key(|edit| (edit.start, edit.end));
    edits.dedup();
    for pair in edits.windows(2) {
        if pair[0].overlaps(&pair[1]) {
            return None;
        }
    }
    Some(edits)
}

/// Whether `later` follows `statement` in the same block with nothing but
/// imports (and comments) between them, so that moving a name into `later`
/// cannot leave a use before its import.
fn only_imports_between(statement: Node<'_>, later: Node<'_>) -> bool {
    let mut current = statement.next_named_sibling();
    while let Some(node) = current {
        if node.id() == later.id() {
            return true;
        }
        if !matches!(node.kind(), "import_statement" | "import_from_statement" | "comment") {
            return false;
        }
        current = node.next_named_sibling();
    }
    false
}

/// Whether `string` is (in) a type annotation: a parameter's, a return
/// type, an annotated assignment's, also inside subscripts and unions
/// (`Optional["Old"]`).
fn is_annotation(string: Node<'_>) -> bool {
    let mut node = string;
    while let Some(parent) = node.parent() {
        match kind_of(parent) {
            "type" => return true,
            "subscript" | "generic_type" | "type_parameter" | "binary_operator" | "union_type" | "list" | "tuple"
            | "expression_list" => node = parent,
            "function_definition" => {
                return parent.child_by_field_name("return_type").is_some_and(|returned| returned.id() == node.id())
            }
            _ => return false,
        }
    }
    false
}

/// Whether `content` reads as a type expression: dotted names, brackets,
/// commas, `|`, blanks and string quotes only (`Optional[Old]`,
/// `Old | None`, `Dict[str, "Old"]`), not prose (`"Old created"`): two
/// names side by side.
fn is_type_expression(content: &str) -> bool {
    let allowed = |byte: u8| {
        crate::identifiers::is_name_byte(byte) || matches!(byte, b'.' | b'[' | b']' | b',' | b'|' | b' ' | b'\'' | b'"')
    };
    if !content.bytes().all(allowed) {
        return false;
    }
    // No two names with only blanks between.
    let mut last_was_name = false;
    let mut gap = false;
    for byte in content.bytes() {
        if crate::identifiers::is_name_byte(byte) {
            if last_was_name && gap {
                return false;
            }
            last_was_name = true;
            gap = false;
        } else if byte == b' ' {
            gap = true;
        } else {
            last_was_name = false;
            gap = false;
        }
    }
    true
}

/// Whether `identifier` is bound to `None` (`m = None`) in an `except`
/// clause of a `try` whose body holds `import`.
fn is_none_fallback(identifier: Node<'_>, import: Node<'_>) -> bool {
    let Some(assignment) = identifier.parent().filter(|parent| parent.kind() == "assignment") else { return false };
    let assigned = assignment.child_by_field_name("left").is_some_and(|left| left.id() == identifier.id());
    if !assigned || assignment.child_by_field_name("right").map(|right| right.kind()) != Some("none") {
        return false;
    }
    let mut node = assignment;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "except_clause" => {
                let body = parent.parent().and_then(|statement| statement.child_by_field_name("body"));
                return body.is_some_and(|body| within(import, body));
            }
            "function_definition" | "class_definition" | "lambda" | "module" => return false,
            _ => node = parent,
        }
    }
    false
}

pub(crate) fn within(node: Node<'_>, container: Node<'_>) -> bool {
    container.start_byte() <= node.start_byte() && node.end_byte() <= container.end_byte()
}

/// An identifier as Python compares it (NFKC, see `identifiers`).
fn identifier_name<'a>(node: Node<'_>, text: &'a str) -> std::borrow::Cow<'a, str> {
    crate::identifiers::normalize(node_text(node, text))
}

/// `a.b.c` for identifier/attribute chains, `None` for anything else.
fn dotted_text(node: Node<'_>, text: &str) -> Option<String> {
    match node.kind() {
        "identifier" => Some(identifier_name(node, text).into_owned()),
        "attribute" => {
            let object = dotted_text(node.child_by_field_name("object")?, text)?;
            let attribute = identifier_name(node.child_by_field_name("attribute")?, text);
            Some(join_path(&object, &attribute))
        }
        _ => None,
    }
}

/// Whether an identifier occurrence reads, binds or is not a variable.
///
/// Each parent is asked for once (`Node::parent` searches down from the
/// root: the costliest step here).
pub(crate) fn classify(identifier: Node<'_>) -> Occurrence {
    let Some(parent) = identifier.parent() else { return Occurrence::Reference };
    let is_field = |field: &str| parent.child_by_field_name(field).is_some_and(|child| child.id() == identifier.id());
    match kind_of(parent) {
        "attribute" if is_field("attribute") => return Occurrence::NotAName,
        "keyword_argument" if is_field("name") => return Occurrence::NotAName,
        // `Cls(real=x)` in a pattern: `real` is an attribute's name.
        "keyword_pattern" if parent.named_child(0).is_some_and(|first| first.id() == identifier.id()) => {
            return Occurrence::NotAName
        }
        "splat_pattern" => return Occurrence::Binding,
        "function_definition" | "class_definition" if is_field("name") => return Occurrence::Binding,
        "parameters"
        | "lambda_parameters"
        | "default_parameter"
        | "typed_parameter"
        | "typed_default_parameter"
        | "list_splat_pattern"
        | "dictionary_splat_pattern"
        | "global_statement"
        | "nonlocal_statement"
        | "delete_statement"
        | "as_pattern_target"
        | "aliased_import"
        | "dotted_name" => {
            if parent.kind() == "default_parameter" || parent.kind() == "typed_default_parameter" {
                return if is_field("name") { Occurrence::Binding } else { Occurrence::Reference };
            }
            if parent.kind() == "typed_parameter"
                && parent.named_child(0).is_none_or(|first| first.id() != identifier.id())
            {
                return Occurrence::Reference;
            }
            if parent.kind() == "dotted_name" {
                // Import paths; a binding only when it is the bound name of an import.
                return dotted_name_occurrence(parent, identifier);
            }
            if parent.kind() == "aliased_import" {
                return if is_field("alias") { Occurrence::Binding } else { Occurrence::NotAName };
            }
            return Occurrence::Binding;
        }
        _ => {}
    }
    // Climb through target patterns to see whether this is an assignment
    // target: `holder` is the parent of `top`.
    let (mut top, mut holder) = (identifier, parent);
    let mut climbed = 0;
    while matches!(
        kind_of(holder),
        "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "parenthesized_expression"
            | "expression_list"
            | "list_splat_pattern"
    ) {
        // `Node::parent` searches down from the root (see
        // `syntax::MAX_CLIMB`): no target nests deeper.
        climbed += 1;
        let Some(up) = holder.parent().filter(|_| climbed < crate::syntax::MAX_CLIMB) else {
            return Occurrence::Reference;
        };
        (top, holder) = (holder, up);
    }
    let holds_as = |field: &str| holder.child_by_field_name(field).is_some_and(|child| child.id() == top.id());
    match kind_of(holder) {
        "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" if holds_as("left") => {
            Occurrence::Binding
        }
        "named_expression" if holds_as("name") => Occurrence::Binding,
        "as_pattern" if holds_as("alias") => Occurrence::Binding,
        "delete_statement" | "as_pattern_target" => Occurrence::Binding,
        _ => Occurrence::Reference,
    }
}

fn dotted_name_occurrence(dotted: Node<'_>, identifier: Node<'_>) -> Occurrence {
    let Some(holder) = dotted.parent() else { return Occurrence::NotAName };
    let first = dotted.named_child(0).is_some_and(|first| first.id() == identifier.id());
    match holder.kind() {
        // `case name:` (in a sequence too, a mapping's value, a keyword of a
        // class pattern, an alternative) captures the subject: it binds the
        // name (`_` binds nothing, and no rule moves it). `case Color.RED:`
        // and `case Cls():` read their first name.
        "case_pattern" | "keyword_pattern" | "union_pattern" | "dict_pattern" | "class_pattern" if first => {
            match holder.kind() != "class_pattern" && dotted.named_child_count() == 1 {
                true => Occurrence::Binding,
                false => Occurrence::Reference,
            }
        }
        "import_statement" if first => Occurrence::Binding,
        "import_from_statement" => {
            let is_module = holder.child_by_field_name("module_name").is_some_and(|m| m.id() == dotted.id());
            if is_module {
                Occurrence::NotAName
            } else {
                Occurrence::Binding
            }
        }
        _ => Occurrence::NotAName,
    }
}
