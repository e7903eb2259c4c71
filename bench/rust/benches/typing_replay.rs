//! The engine's share of `bench/typing_cost.py`: the same keystrokes on the
//! same 4,170-line document, each analysed as the server's analysis job does
//! it (`lsp::documents::AnalysisJob::run`), on one thread, without LSP, so
//! that the cost of an analysis per keystroke can be profiled (`perf record`,
//! `valgrind --tool=callgrind`) and compared between commits without the
//! noise of two servers over stdio on a shared machine.
//!
//! Per keystroke: the rope edit and its `InputEdit`, told to the whole-file
//! tree (the last one parsed) and to the kept skeleton trees; the rope into
//! a `String`; `analysis::scan_lazily` with the kept skeleton trees, parsing
//! the whole text incrementally only when it asks to; the whole tree and the
//! skeleton trees kept for the next keystroke.
//!
//!     python3 bench/typing_cost.py --write-keystrokes target/bench/typing/keystrokes.json
//!     cargo bench -p ssot-lsp --bench typing_replay -- target/bench/typing/keystrokes.json [ROUNDS] [verify]
//!
//! ROUNDS (default 3) replays of the whole session; `verify` also compares
//! every keystroke's findings with a fresh analysis of the text (slow).
//! With `TYPING_REPLAY_PER_KEY=FILE`, each keystroke's microseconds (of the
//! last round) are written to FILE, one a line.

use std::path::PathBuf;
use std::time::Instant;

use ropey::Rope;
use ssot_lsp::analysis::{scan_lazily, SkeletonTrees};
use ssot_lsp::lsp::edit_rope;
use ssot_lsp::rules::{FileScope, RuleSet};
use ssot_lsp::syntax;
use tree_sitter::Tree;

/// What one replay of the session counted.
#[derive(Default)]
struct Counts {
    whole_parses: usize,
    findings_at_the_end: usize,
    differing_from_fresh: usize,
    /// Microseconds per keystroke, in order.
    per_key: Vec<u128>,
}

/// The analysis of a text as a freshly opened document gets it.
fn fresh(rules: &RuleSet, scope: &FileScope, text: &str) -> Vec<ssot_lsp::finding::Finding> {
    let mut skeletons = SkeletonTrees::default();
    let parse_whole = || Some(syntax::parse_text(text));
    scan_lazily(rules, scope, text, &mut skeletons, parse_whole).map(|(findings, _)| findings).unwrap_or_default()
}

fn replay(original: &str, edits: &[(usize, usize, String)], verify: bool) -> Counts {
    let rules = RuleSet::builtin();
    let scope = FileScope::default();
    let mut parser = syntax::new_parser();
    let mut rope = Rope::from_str(original);
    let mut skeletons = SkeletonTrees::default();
    let mut counts = Counts::default();
    let mut tree: Option<Tree> = None;
    {
        // The open: the first analysis, with no trees to reuse.
        let text = String::from(&rope);
        let parse_whole = || syntax::parse(&mut parser, &text, None);
        let (_, whole) = scan_lazily(&rules, &scope, &text, &mut skeletons, parse_whole).expect("not cancelled");
        tree = whole.or(tree);
    }
    for (start, end, replacement) in edits {
        let started = Instant::now();
        let edit = edit_rope(&mut rope, *start, *end, replacement);
        if let Some(tree) = tree.as_mut() {
            tree.edit(&edit);
        }
        skeletons.edit(&edit);
        let text = String::from(&rope);
        let mut parsed = false;
        let parse_whole = || {
            parsed = true;
            syntax::parse(&mut parser, &text, tree.as_ref())
        };
        let (findings, whole) = scan_lazily(&rules, &scope, &text, &mut skeletons, parse_whole).expect("a result");
        counts.whole_parses += usize::from(parsed);
        if let Some(whole) = whole {
            tree = Some(whole);
        }
        counts.per_key.push(started.elapsed().as_micros());
        if verify && findings != fresh(&rules, &scope, &text) {
            counts.differing_from_fresh += 1;
        }
        counts.findings_at_the_end = findings.len();
    }
    counts
}

fn main() {
    // `cargo bench` passes `--bench`; the other arguments are positional.
    let args: Vec<String> = std::env::args().skip(1).filter(|arg| !arg.starts_with("--")).collect();
    let path = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/typing/keystrokes.json"));
    let rounds: usize = args.get(1).and_then(|arg| arg.parse().ok()).unwrap_or(3);
    let verify = args.iter().any(|arg| arg == "verify");
    let Ok(json) = std::fs::read_to_string(&path) else {
        eprintln!("typing_replay: cannot read {} (bench/typing_cost.py --write-keystrokes writes it)", path.display());
        return;
    };
    let session: serde_json::Value = serde_json::from_str(&json).expect("the keystrokes file is JSON");
    let document = session["document"].as_str().expect("a document path");
    let original = std::fs::read_to_string(document).expect("the document is readable");
    let edits: Vec<(usize, usize, String)> =
        serde_json::from_value(session["edits"].clone()).expect("edits are [start, end, text]");
    for round in 0..rounds {
        let started = Instant::now();
        let counts = replay(&original, &edits, verify && round == 0);
        let elapsed = started.elapsed();
        if let Ok(out) = std::env::var("TYPING_REPLAY_PER_KEY") {
            let lines: Vec<String> = counts.per_key.iter().map(|us| us.to_string()).collect();
            let _ = std::fs::write(out, lines.join("\n") + "\n");
        }
        println!(
            "round {round}: {:.2} ms per keystroke ({} keystrokes), whole-file parses {}, findings at the end {}{}",
            elapsed.as_secs_f64() * 1e3 / edits.len() as f64,
            edits.len(),
            counts.whole_parses,
            counts.findings_at_the_end,
            if verify && round == 0 {
                format!(", keystrokes whose findings differ from a fresh analysis: {}", counts.differing_from_fresh)
            } else {
                String::new()
            },
        );
    }
}
