//! Rule cycles: a rule set whose rewrites lead back to where they started
//! (`a → b → a`, `a → b → c → a`, `a → a`) would make the fix loop rewrite a
//! file round after round and never settle, so such a set is refused when the
//! rules load.
//!
//! Two graphs are searched. Modules: a `module` rule rewrites its module to
//! its canonical module. Names: `pkg.mod.Name` goes where the rule owning
//! `pkg.mod` maps `Name` (its `names` table, or `canonical-exports`). `call`
//! rules replace a call by free text, which is no path, so they add no edge.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::compiled::{QualifiedName, Rule, RuleKind};

/// One step of a cycle: from this path, by this rule's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub from: String,
    pub code: String,
}

/// The first cycle of the rules' rewrites, as the steps that go round it.
pub fn find_cycle(rules: &[Rule]) -> Option<Vec<Step>> {
    let mut edges: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for rule in rules {
        let Some(module) = &rule.module else { continue };
        if rule.kind == RuleKind::Module {
            if let Some(canonical) = &rule.canonical {
                edges.entry(module.clone()).or_default().push((canonical.clone(), rule.code.clone()));
            }
        }
        for name in rule.names.keys().chain(&rule.canonical_exports) {
            let Some(target) = rule.mapping_for(name).and_then(|mapping| mapping.target) else { continue };
            let from = QualifiedName { module: module.clone(), name: name.clone() }.full();
            edges.entry(from).or_default().push((target.full(), rule.code.clone()));
        }
    }
    // A name reached as a target is rewritten again by whichever rule owns
    // its module, even one that does not list it among its own names.
    let mut owners: HashMap<&str, Vec<&Rule>> = HashMap::new();
    for rule in rules {
        if let Some(module) = &rule.module {
            owners.entry(module.as_str()).or_default().push(rule);
        }
    }
    let targets: BTreeSet<String> = edges.values().flatten().map(|(target, _)| target.clone()).collect();
    for target in targets {
        let Some(name) = QualifiedName::parse(&target) else { continue };
        for rule in owners.get(name.module.as_str()).into_iter().flatten() {
            if let Some(next) = rule.mapping_for(&name.name).and_then(|mapping| mapping.target) {
                let edge = (next.full(), rule.code.clone());
                let entry = edges.entry(target.clone()).or_default();
                if !entry.contains(&edge) {
                    entry.push(edge);
                }
            }
        }
    }
    search(&edges)
}

/// Depth-first search for a cycle; nodes are visited once.
fn search(edges: &BTreeMap<String, Vec<(String, String)>>) -> Option<Vec<Step>> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        OnPath,
        Done,
    }
    let mut state: BTreeMap<&str, State> = BTreeMap::new();
    for start in edges.keys() {
        if state.contains_key(start.as_str()) {
            continue;
        }
        // The current path: each node with the index of its next edge to try.
        let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        state.insert(start, State::OnPath);
        while let Some(&(node, next)) = path.last() {
            let outgoing = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            let Some((target, _)) = outgoing.get(next) else {
                state.insert(node, State::Done);
                path.pop();
                continue;
            };
            path.last_mut().expect("the path is not empty").1 += 1;
            match state.get(target.as_str()) {
                Some(State::OnPath) => return Some(cycle_steps(edges, &path, target)),
                Some(State::Done) => {}
                None => {
                    state.insert(target, State::OnPath);
                    path.push((target, 0));
                }
            }
        }
    }
    None
}

/// The steps from `target` (on the path) round to `target` again.
fn cycle_steps(edges: &BTreeMap<String, Vec<(String, String)>>, path: &[(&str, usize)], target: &str) -> Vec<Step> {
    let from = path.iter().position(|(node, _)| *node == target).unwrap_or(0);
    path[from..]
        .iter()
        .map(|(node, next)| {
            let (_, code) = &edges[*node][next - 1];
            Step { from: node.to_string(), code: code.clone() }
        })
        .collect()
}

/// `a` → `b` (SSOT101) → `a` (SSOT102).
pub fn describe(cycle: &[Step]) -> String {
    let mut text = format!("`{}`", cycle[0].from);
    for (index, step) in cycle.iter().enumerate() {
        let next = cycle.get(index + 1).map_or(&cycle[0].from, |next| &next.from);
        text.push_str(&format!(" → `{next}` ({})", step.code));
    }
    text
}
