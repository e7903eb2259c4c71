//! The fix loop: apply every eligible fix of a file, re-check, repeat, with an
//! iteration cap. Never applies two overlapping fixes together and refuses any
//! fix whose result has more parse errors than the text it started from.
//!
//! The CLI's `--fix`, the server's fix-all and fix-on-save all run this loop.

use crate::analysis;
use crate::finding::{apply_edits, Applicability, Edit, Finding};
use crate::rules::{FileScope, RuleSet};
use crate::syntax;
use tree_sitter::Tree;

/// How many rounds of fixing one file may take.
pub const MAX_ITERATIONS: usize = 50;

/// Which fixes may run.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// Apply `unsafe` fixes too.
    pub unsafe_fixes: bool,
    /// Only fix findings of these codes (all when empty).
    pub only_codes: Vec<String>,
}

impl FixOptions {
    /// Whether this run may apply `finding`'s fix.
    pub fn allows(&self, finding: &Finding) -> bool {
        let Some(fix) = &finding.fix else { return false };
        let applicable = fix.applicability == Applicability::Safe || self.unsafe_fixes;
        applicable && (self.only_codes.is_empty() || self.only_codes.contains(&finding.code))
    }
}

/// The result of fixing one text.
#[derive(Debug, Clone)]
pub struct FixOutcome {
    /// The fixed text (equal to the input when nothing was fixed).
    pub text: String,
    /// How many fixes were applied, by rule code (one fix may settle more
    /// than one finding: see `fixed_findings`).
    pub applied: Vec<(String, usize)>,
    /// Findings left after fixing.
    pub remaining: Vec<Finding>,
    /// How many findings the fixes settled: the eligible findings of the text
    /// before, less those left. So the counts add up (fixable before equals
    /// fixed plus fixable remaining), even when one fix settles two findings
    /// (two names of one import statement).
    pub fixed_findings: usize,
}

impl FixOutcome {
    /// How many findings were fixed (see `fixed_findings`).
    pub fn applied_count(&self) -> usize {
        self.fixed_findings
    }
}

/// Fixes `text` until nothing eligible is left.
///
/// Each text the loop makes is parsed and captured once: the findings of a
/// round's result, and its duplicate imports, come from one `capture`.
pub fn fix_text(rules: &RuleSet, scope: &FileScope, text: &str, options: &FixOptions) -> FixOutcome {
    let mut current = text.to_string();
    let mut applied: Vec<(String, usize)> = Vec::new();
    let mut tree = syntax::parse_text(&current);
    let mut errors = syntax::count_errors(&tree);
    let (mut findings, mut duplicates) = analysis::check_tree_and_duplicates(rules, scope, &current, &tree);
    let mut eligible_before = None;
    let outcome = |text: String, applied: Vec<(String, usize)>, remaining: Vec<Finding>, before: Option<usize>| {
        let left = remaining.iter().filter(|finding| options.allows(finding)).count();
        let fixed_findings = before.unwrap_or(left).saturating_sub(left);
        FixOutcome { text, applied, remaining, fixed_findings }
    };
    for _ in 0..MAX_ITERATIONS {
        let candidates: Vec<&Finding> = findings.iter().filter(|finding| options.allows(finding)).collect();
        let before = *eligible_before.get_or_insert(candidates.len());
        if candidates.is_empty() {
            return outcome(current, applied, findings, Some(before));
        }
        let chosen = choose_non_overlapping(&candidates);
        let baseline = Baseline { errors, duplicates };
        let Some(round) = apply_checked(rules, scope, (&current, &tree), &chosen, baseline) else {
            return outcome(current, applied, findings, Some(before));
        };
        for finding in &round.used {
            match applied.iter_mut().find(|(code, _)| *code == finding.code) {
                Some((_, count)) => *count += 1,
                None => applied.push((finding.code.clone(), 1)),
            }
        }
        current = round.text;
        tree = round.tree;
        errors = round.errors;
        duplicates = round.duplicates;
        findings = round.findings;
    }
    outcome(current, applied, findings, eligible_before)
}

/// Fixes whose edits do not overlap any edit of an earlier chosen fix.
fn choose_non_overlapping<'f>(candidates: &[&'f Finding]) -> Vec<&'f Finding> {
    let mut taken: Vec<&Edit> = Vec::new();
    let mut chosen = Vec::new();
    for finding in candidates {
        let Some(fix) = &finding.fix else { continue };
        if fix.edits.iter().any(|edit| taken.iter().any(|other| edit.overlaps(other))) {
            continue;
        }
        taken.extend(fix.edits.iter());
        chosen.push(*finding);
    }
    chosen
}

/// What a round must not make worse.
#[derive(Debug, Clone, Copy)]
struct Baseline {
    /// Parse errors.
    errors: usize,
    /// Names imported twice in one scope (fixes applied together can each
    /// add the same canonical import).
    duplicates: usize,
}

/// The text a round made, what it holds, and the fixes it applied.
struct Round<'f> {
    text: String,
    tree: Tree,
    errors: usize,
    duplicates: usize,
    /// The findings of `text`, for the next round.
    findings: Vec<Finding>,
    used: Vec<&'f Finding>,
}

/// Applies the chosen fixes together; when that adds parse errors or
/// duplicate imports, applies them one at a time and keeps the first that
/// does not. Each text made is parsed seeded with `tree`, the tree of
/// `text`: tree-sitter reads again only around the edits (a whole parse of
/// each try made a 5 MB file's fix take seconds more).
fn apply_checked<'f>(
    rules: &RuleSet,
    scope: &FileScope,
    (text, tree): (&str, &Tree),
    chosen: &[&'f Finding],
    before: Baseline,
) -> Option<Round<'f>> {
    let try_apply = |fixes: &[&'f Finding]| -> Option<Round<'f>> {
        let mut edits: Vec<Edit> =
            fixes.iter().flat_map(|f| f.fix.iter().flat_map(|fix| fix.edits.iter().cloned())).collect();
        let next = apply_edits(text, &edits)?;
        if next == text {
            return None;
        }
        edits.sort_by_key(|edit| (edit.start, edit.end));
        let told: Vec<(usize, usize, usize)> =
            edits.iter().map(|edit| (edit.start, edit.end, edit.replacement.len())).collect();
        let mut seed = tree.clone();
        syntax::edit_tree(&mut seed, text, &next, &told);
        let tree = syntax::parse(&mut syntax::new_parser(), &next, Some(&seed))
            .expect("a parser with a language and no cancellation returns a tree");
        let errors = syntax::count_errors(&tree);
        if errors > before.errors {
            return None;
        }
        let (findings, duplicates) = analysis::check_tree_and_duplicates(rules, scope, &next, &tree);
        (duplicates <= before.duplicates).then(|| Round {
            text: next,
            tree,
            errors,
            duplicates,
            findings,
            used: fixes.to_vec(),
        })
    };
    try_apply(chosen).or_else(|| chosen.iter().find_map(|finding| try_apply(std::slice::from_ref(finding))))
}

/// The edit that turns `before` into `after`, trimmed to the changed middle
/// (one minimal edit for the server's fix-all).
pub fn minimal_edit(before: &str, after: &str) -> Option<Edit> {
    if before == after {
        return None;
    }
    let prefix = before.bytes().zip(after.bytes()).take_while(|(a, b)| a == b).count();
    let mut prefix = prefix;
    while !before.is_char_boundary(prefix) || !after.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = before.len().min(after.len()) - prefix;
    let mut suffix = before.bytes().rev().zip(after.bytes().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    while !before.is_char_boundary(before.len() - suffix) || !after.is_char_boundary(after.len() - suffix) {
        suffix -= 1;
    }
    Some(Edit::replace(prefix, before.len() - suffix, &after[prefix..after.len() - suffix]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edit_trims_common_ends() {
        let edit = minimal_edit("hello world", "hello there world").unwrap();
        assert_eq!(apply_edits("hello world", std::slice::from_ref(&edit)).unwrap(), "hello there world");
        assert_eq!(edit.start, 6);
    }

    #[test]
    fn removing_an_export_from_a_tuple_of_two_leaves_a_tuple() {
        let rules = crate::rules::RuleSet::builtin();
        let scope = crate::rules::FileScope {
            module: Some("netra_backend.app.some_pkg.exports".to_string()),
            ..crate::rules::FileScope::default()
        };
        let options = FixOptions { unsafe_fixes: true, only_codes: vec!["SSOT007".to_string()] };
        let old = "\"create_websocket_manager_sync\"";
        for (exports, expected) in [
            (format!("({old}, \"helper\")"), "(\"helper\",)"),
            (format!("(\"helper\", {old})"), "(\"helper\",)"),
            (format!("(\"helper\", {old},)"), "(\"helper\",)"),
            (format!("(\n    {old},\n    \"helper\"\n)"), "(\n    \"helper\",\n)"),
            (format!("(\n    \"helper\",  # kept\n    {old}\n)"), "(\n    \"helper\",  # kept\n)"),
            (format!("({old}, \"helper\", \"other\")"), "(\"helper\", \"other\")"),
            (format!("[{old}, \"helper\"]"), "[\"helper\"]"),
        ] {
            let text = format!(
                "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager_sync\n\n\
                 __all__ = {exports}\n\n\ndef helper():\n    return create_websocket_manager_sync()\n"
            );
            let fixed = fix_text(&rules, &scope, &text, &options).text;
            let expected = text.replace(&format!("__all__ = {exports}"), &format!("__all__ = {expected}"));
            assert_eq!(fixed, expected, "{exports}");
        }
    }

    /// A factory import inside a function, in a module that imports the
    /// canonical name itself: the function's import goes and its calls read
    /// the module's (no second import of the name, pyflakes' "redefinition
    /// of unused"), unless that import might not be what the function reads
    /// when it runs.
    #[test]
    fn a_function_import_goes_when_the_modules_own_import_reaches_the_function() {
        let rules = crate::rules::RuleSet::builtin();
        let scope = crate::rules::FileScope {
            module: Some("netra_backend.app.some_pkg.routes".to_string()),
            ..crate::rules::FileScope::default()
        };
        let canonical = "from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\n";
        let function = "async def handle(ctx):\n    \
            from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
            return await create_websocket_manager(ctx)\n";
        let local_import = "    from netra_backend.app.websocket_core.websocket_manager import";
        for (before, after, reaches) in [
            (canonical.to_string(), String::new(), true),
            // A binding in another function is that function's own.
            (canonical.to_string(), "\n\ndef other():\n    get_websocket_manager = None\n".to_string(), true),
            (format!("try:\n    {canonical}except ImportError:\n    pass\n"), String::new(), false),
            (String::new(), format!("\n\n{canonical}"), false),
            (format!("{canonical}get_websocket_manager = None\n"), String::new(), false),
            (canonical.to_string(), "\n\ndef other():\n    global get_websocket_manager\n".to_string(), false),
            (canonical.replace("get_websocket_manager\n", "get_websocket_manager as gwm\n"), String::new(), false),
            (format!("{canonical}from helpers import *\n"), String::new(), false),
        ] {
            let text = format!("{before}\n\n{function}{after}");
            let fixed = fix_text(&rules, &scope, &text, &FixOptions::default()).text;
            let expected_function = "async def handle(ctx):\n    return await get_websocket_manager(ctx)\n";
            if reaches {
                assert_eq!(fixed, format!("{before}\n\n{expected_function}{after}"), "{text}");
            } else {
                assert!(fixed.contains(local_import), "{text}\n--- fixed:\n{fixed}");
            }
        }
        // A parameter of an enclosing function binds the name the inner
        // function would read.
        let text = format!(
            "{canonical}\n\ndef outer(get_websocket_manager):\n    {}\n",
            function.replace('\n', "\n    ").trim_end()
        );
        let fixed = fix_text(&rules, &scope, &text, &FixOptions::default()).text;
        assert!(fixed.contains(&format!("    {local_import}")), "{fixed}");
    }

    #[test]
    fn minimal_edit_respects_characters() {
        let edit = minimal_edit("aé", "aè").unwrap();
        assert_eq!(apply_edits("aé", &[edit]).unwrap(), "aè");
    }
}
