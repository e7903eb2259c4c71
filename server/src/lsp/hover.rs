//! `textDocument/hover`: on a finding, the rule's explanation (why the old
//! path is wrong, the SSOT pattern, before/after, link); on an import of a
//! canonical module, a short note that it is the SSOT path.

use std::collections::BTreeMap;
use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};
use tree_sitter::Node;

use super::documents::Snapshot as Document;
use super::position::{offsets_to_range, position_to_offset};
use super::session::Session;
use crate::finding::Finding;
use crate::rules::{RuleKind, RuleSet};
use crate::syntax::node_text;

pub async fn hover(session: Arc<Session>, params: HoverParams) -> Result<Option<Hover>> {
    let position = params.text_document_position_params;
    let uri = &position.text_document.uri;
    let Some(document) = super::analysed::analysed_snapshot_with_tree(&session, uri).await? else {
        return Ok(None);
    };
    let encoding = session.encoding();
    let offset = position_to_offset(&document.rope, position.position, encoding);
    let rules = session.rules();
    let found =
        finding_hover(&rules.rules, &document, offset).or_else(|| canonical_hover(&rules.rules, &document, offset));
    Ok(found.map(|(markdown, start, end)| Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: markdown }),
        range: Some(offsets_to_range(&document.rope, start, end, encoding)),
    }))
}

/// The markdown for the innermost finding under the cursor.
fn finding_hover(rules: &RuleSet, document: &Document, offset: usize) -> Option<(String, usize, usize)> {
    let finding = document
        .findings
        .iter()
        .filter(|finding| finding.start <= offset && offset <= finding.end)
        .min_by_key(|finding| finding.end - finding.start)?;
    Some((finding_markdown(rules, finding), finding.start, finding.end))
}

pub fn finding_markdown(rules: &RuleSet, finding: &Finding) -> String {
    let mut markdown = format!("**{}** `{}`\n\n{}\n", finding.code, finding.rule_name, finding.message);
    if let Some(canonical) = &finding.canonical {
        markdown.push_str(&format!("\nCanonical (SSOT): `{canonical}`\n"));
    }
    if let Some(fix) = &finding.fix {
        markdown.push_str(&format!("\nFix ({}): {}\n", fix.applicability.as_str(), fix.title));
        if let Some(note) = &fix.note {
            markdown.push_str(&format!("({note})\n"));
        }
    }
    if let Some(rule) = rules.rule(&finding.code) {
        if !rule.docs.trim().is_empty() {
            markdown.push_str("\n---\n\n");
            markdown.push_str(rule.docs.trim());
            markdown.push('\n');
        }
    }
    if let Some(url) = &finding.url {
        markdown.push_str(&format!("\n[{} documentation]({url})\n", finding.code));
    }
    markdown
}

/// A note when the cursor is on the module of an import of a canonical module.
fn canonical_hover(rules: &RuleSet, document: &Document, offset: usize) -> Option<(String, usize, usize)> {
    let root = document.tree.as_ref()?.root_node();
    let node = root.descendant_for_byte_range(offset, offset)?;
    let statement = import_statement_of(node)?;
    let canonical = canonical_modules(rules);
    let module_node = imported_modules(statement)
        .into_iter()
        .find(|module| module.start_byte() <= offset && offset <= module.end_byte())
        .or_else(|| statement.child_by_field_name("module_name"))?;
    let module = node_text(module_node, &document.text);
    let codes = canonical.get(module)?;
    let markdown = format!(
        "**SSOT path** `{module}`\n\nThis is the canonical (single source of truth) module that replaces the deprecated paths of {}.\n",
        codes.join(", ")
    );
    Some((markdown, module_node.start_byte(), module_node.end_byte()))
}

fn import_statement_of(node: Node<'_>) -> Option<Node<'_>> {
    let mut current = Some(node);
    while let Some(candidate) = current {
        if matches!(candidate.kind(), "import_statement" | "import_from_statement") {
            return Some(candidate);
        }
        current = candidate.parent();
    }
    None
}

/// The dotted module names an import statement names.
fn imported_modules(statement: Node<'_>) -> Vec<Node<'_>> {
    if statement.kind() == "import_from_statement" {
        return statement.child_by_field_name("module_name").into_iter().collect();
    }
    let mut cursor = statement.walk();
    statement
        .children_by_field_name("name", &mut cursor)
        .map(
            |name| {
                if name.kind() == "aliased_import" {
                    name.child_by_field_name("name").unwrap_or(name)
                } else {
                    name
                }
            },
        )
        .collect()
}

/// Canonical module → the rule codes that point at it.
fn canonical_modules(rules: &RuleSet) -> BTreeMap<String, Vec<String>> {
    let mut modules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in &rules.rules {
        let mut targets: Vec<String> = Vec::new();
        match rule.kind {
            RuleKind::Module | RuleKind::Names => targets.extend(rule.canonical.clone()),
            RuleKind::Call => targets.extend(
                rule.canonical.as_ref().and_then(|callable| callable.rsplit_once('.')).map(|(m, _)| m.to_string()),
            ),
            RuleKind::AllExport => {}
        }
        targets.extend(
            rule.names.values().filter_map(|mapping| mapping.target.as_ref().map(|target| target.module.clone())),
        );
        for module in targets {
            let codes = modules.entry(module).or_default();
            if !codes.contains(&rule.code) {
                codes.push(rule.code.clone());
            }
        }
    }
    modules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::FileScope;

    fn document(text: &str) -> Document {
        super::super::documents::Document::new(
            text.to_string(),
            1,
            FileScope::default(),
            &RuleSet::builtin(),
            String::new(),
        )
        .snapshot()
    }

    #[test]
    fn hovering_a_finding_explains_the_rule() {
        let text = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n";
        let doc = document(text);
        let offset = text.find("create_websocket_manager").unwrap() + 3;
        let (markdown, start, _) = finding_hover(&RuleSet::builtin(), &doc, offset).unwrap();
        assert_eq!(start, offset - 3);
        assert!(markdown.starts_with("**SSOT001** `websocket-manager-factory`"), "{markdown}");
        assert!(markdown.contains("## The SSOT pattern"), "{markdown}");
        assert!(markdown.contains("[SSOT001 documentation](https://"), "{markdown}");
    }

    #[test]
    fn hovering_a_canonical_import_says_it_is_the_ssot_path() {
        let text = "from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\nimport os\n";
        let doc = document(text);
        let (markdown, start, end) = canonical_hover(&RuleSet::builtin(), &doc, 10).unwrap();
        assert!(markdown.contains("**SSOT path**"), "{markdown}");
        assert!(markdown.contains("SSOT001"), "{markdown}");
        assert_eq!(&text[start..end], "netra_backend.app.websocket_core.websocket_manager");
        assert!(canonical_hover(&RuleSet::builtin(), &doc, text.find("os").unwrap()).is_none());
    }
}
