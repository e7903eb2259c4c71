//! What one single-character edit costs the language server, phase by phase,
//! on one big file: the rope edit the document applies (with the
//! tree-sitter points it computes), the copy of the rope into the `String`
//! the engine reads and the copy handed to the analysis job, the incremental
//! reparse (`Tree::edit` plus the old tree), a full parse of the same text
//! for comparison (the server has no switch for it), and the check the
//! server runs after every change, `scan_parsed` (prefilter, skeleton parse,
//! rules on the skeleton; the whole tree when the skeleton does not parse).
//! For comparison: the skeleton alone, and `check_tree` on the whole tree
//! (the fallback, and what the server ran before it used skeletons).
//!
//! The server's own `Document` is private to `lsp`, so this follows
//! `lsp::documents::Document::apply_changes` and `AnalysisJob::run` step by
//! step, with the server's own `lsp::edit_rope`. One thread, no I/O, no LSP:
//! the protocol round trip is measured by `bench/server.py`, which writes the
//! file (real code of the corpus plus a few deprecated imports) and runs this
//! bench on it. Not criterion: it prints one table of percentiles.
//!
//!     cargo bench -p ssot-lsp --bench edit_phases -- target/bench/server/edit_10k.py [EDITS] [FULL_EVERY]
//!
//! EDITS (default 1,000) single-character edits at random places (fixed
//! seed), in pairs that leave the text as it was: insert a character and
//! delete it again, or delete one and put it back. A full parse and the
//! whole-tree `check_tree` are timed on every FULL_EVERY-th edit (default 5),
//! since they cost far more.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ropey::Rope;
use ssot_lsp::analysis::{check_tree, scan_parsed, skeleton_tree};
use ssot_lsp::lsp::edit_rope;
use ssot_lsp::rules::{FileScope, RuleSet};
use ssot_lsp::syntax;
use tree_sitter::Tree;

/// Characters inserted by the benchmark: what typing produces.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz_0123456789 ().,:=[]'\"#";

/// The times of one edit; `full_parse` and `whole_check` only on sampled
/// edits.
struct EditTimes {
    rope_edit: Duration,
    to_string: Duration,
    job_copy: Duration,
    incremental_parse: Duration,
    full_parse: Option<Duration>,
    skeleton: Duration,
    skeleton_parses: bool,
    scan: Duration,
    whole_check: Option<Duration>,
}

/// One document as the server keeps it.
struct Document {
    rope: Rope,
    text: String,
    tree: Tree,
}

impl Document {
    /// Applies one change, reparses and checks as the server does, timing
    /// each step.
    fn change(
        &mut self,
        parser: &mut tree_sitter::Parser,
        rules: &RuleSet,
        scope: &FileScope,
        (start, old_end, replacement): (usize, usize, &str),
        time_full_parse: bool,
    ) -> (EditTimes, usize) {
        let started = Instant::now();
        let mut old_tree = self.tree.clone();
        let edit = edit_rope(&mut self.rope, start, old_end, replacement);
        old_tree.edit(&edit);
        let rope_edit = started.elapsed();

        let started = Instant::now();
        self.text = self.rope.to_string();
        let to_string = started.elapsed();

        // `Document::start_analysis` hands the job its own copy of the text.
        let started = Instant::now();
        let job_text = std::hint::black_box(self.text.clone());
        let job_copy = started.elapsed();
        drop(job_text);

        let started = Instant::now();
        self.tree = syntax::parse(parser, &self.text, Some(&old_tree)).expect("a tree");
        let incremental_parse = started.elapsed();

        let full_parse = time_full_parse.then(|| {
            let started = Instant::now();
            let tree = syntax::parse(parser, &self.text, None).expect("a tree");
            let elapsed = started.elapsed();
            std::hint::black_box(tree.root_node().child_count());
            elapsed
        });

        let started = Instant::now();
        let skeleton_parses = skeleton_tree(rules, scope, &self.text).is_some();
        let skeleton = started.elapsed();

        let started = Instant::now();
        let findings = scan_parsed(rules, scope, &self.text, &self.tree);
        let scan = started.elapsed();

        let whole_check = time_full_parse.then(|| {
            let started = Instant::now();
            std::hint::black_box(check_tree(rules, scope, &self.text, &self.tree).len());
            started.elapsed()
        });
        let times = EditTimes {
            rope_edit,
            to_string,
            job_copy,
            incremental_parse,
            full_parse,
            skeleton,
            skeleton_parses,
            scan,
            whole_check,
        };
        (times, findings.len())
    }
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let rank = ((fraction * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn row(name: &str, samples: impl Iterator<Item = Duration>) {
    let mut ms: Vec<f64> = samples.map(|d| d.as_secs_f64() * 1e3).collect();
    if ms.is_empty() {
        return;
    }
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    println!(
        "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {} |",
        percentile(&ms, 0.5),
        percentile(&ms, 0.9),
        percentile(&ms, 0.99),
        ms[ms.len() - 1],
        mean,
        ms.len()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; the other arguments are positional.
    let args: Vec<String> = std::env::args().skip(1).filter(|arg| !arg.starts_with("--")).collect();
    let path = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/server/edit_10k.py"));
    let edits: usize = args.get(1).and_then(|arg| arg.parse().ok()).unwrap_or(1_000);
    let full_every: usize = args.get(2).and_then(|arg| arg.parse().ok()).unwrap_or(5).max(1);
    let Ok(original) = std::fs::read_to_string(&path) else {
        eprintln!("edit_phases: cannot read {} (bench/server.py writes it)", path.display());
        return;
    };
    let rules = RuleSet::builtin();
    let scope = FileScope::default();
    let mut parser = syntax::new_parser();

    let started = Instant::now();
    let tree = syntax::parse(&mut parser, &original, None).expect("a tree");
    let open_parse = started.elapsed();
    let started = Instant::now();
    let base_findings = scan_parsed(&rules, &scope, &original, &tree).len();
    let open_check = started.elapsed();
    let started = Instant::now();
    let whole_findings = check_tree(&rules, &scope, &original, &tree).len();
    let open_whole_check = started.elapsed();
    let mut document = Document { rope: Rope::from_str(&original), text: original.clone(), tree };

    let mut random = Xoshiro256PlusPlus::seed_from_u64(0x5eed_0005);
    let mut times = Vec::with_capacity(edits);
    let mut reverted_with_other_findings = 0;
    let chars: Vec<(usize, char)> = original.char_indices().collect();
    while times.len() < edits {
        // A place in the text as it was: each pair leaves it unchanged.
        let (at, existing) = chars[random.random_range(0..chars.len())];
        let inserted = (ALPHABET[random.random_range(0..ALPHABET.len())] as char).to_string();
        let existing = existing.to_string();
        let pair: [(usize, usize, &str); 2] = if random.random_range(0..2) == 0 {
            [(at, at, &inserted), (at, at + inserted.len(), "")]
        } else {
            [(at, at + existing.len(), ""), (at, at, &existing)]
        };
        for change in pair {
            let sample_full = times.len() % full_every == 0;
            let (edit_times, findings) = document.change(&mut parser, &rules, &scope, change, sample_full);
            times.push(edit_times);
            if times.len() % 2 == 0 && findings != base_findings {
                reverted_with_other_findings += 1;
            }
        }
        assert_eq!(document.text.len(), original.len(), "a pair of edits leaves the length unchanged");
    }

    println!(
        "file: {} ({} lines, {} bytes, {base_findings} findings); one thread",
        path.display(),
        original.lines().count(),
        original.len()
    );
    println!(
        "open: full parse {:.1} ms, scan_parsed {:.1} ms, check_tree on the whole tree {:.1} ms ({whole_findings} findings)",
        open_parse.as_secs_f64() * 1e3,
        open_check.as_secs_f64() * 1e3,
        open_whole_check.as_secs_f64() * 1e3
    );
    println!(
        "{} single-character edits in insert/revert pairs (fixed seed); full parse and whole-tree check timed on every {full_every}th edit",
        times.len()
    );
    let fallbacks = times.iter().filter(|t| !t.skeleton_parses).count();
    println!("the skeleton did not parse (so the whole tree was checked) after {fallbacks} of {} edits", times.len());
    if reverted_with_other_findings > 0 {
        println!("WARNING: {reverted_with_other_findings} reverted texts gave other findings than the original");
    }
    println!();
    println!("| phase | p50 ms | p90 ms | p99 ms | max ms | mean ms | edits |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    row("rope edit + `Tree::edit` (3 `tree_sitter_point` scans)", times.iter().map(|t| t.rope_edit));
    row("`rope.to_string()` (the engine's copy)", times.iter().map(|t| t.to_string));
    row("`text.clone()` (the analysis job's copy)", times.iter().map(|t| t.job_copy));
    row("incremental parse (old tree edited)", times.iter().map(|t| t.incremental_parse));
    row("full parse (no old tree)", times.iter().filter_map(|t| t.full_parse));
    row("`skeleton_tree` alone (skeleton found and parsed)", times.iter().map(|t| t.skeleton));
    row("`scan_parsed`: the server's check (skeleton, else whole tree)", times.iter().map(|t| t.scan));
    row("— when the skeleton parsed", times.iter().filter(|t| t.skeleton_parses).map(|t| t.scan));
    row("— when it did not (whole-tree check)", times.iter().filter(|t| !t.skeleton_parses).map(|t| t.scan));
    row("`check_tree` on the whole tree (for comparison)", times.iter().filter_map(|t| t.whole_check));
    row(
        "**per edit, as the server: edit + copies + incremental parse + scan_parsed**",
        times.iter().map(|t| t.rope_edit + t.to_string + t.job_copy + t.incremental_parse + t.scan),
    );
    row(
        "same with a full parse instead",
        times.iter().filter_map(|t| Some(t.rope_edit + t.to_string + t.job_copy + t.full_parse? + t.scan)),
    );
}
