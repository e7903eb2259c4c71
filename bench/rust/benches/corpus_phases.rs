//! Where `ssot-lsp check` spends its time on a corpus, phase by phase, on one
//! thread (so the figures are CPU time, comparable across machines with
//! different core counts). Not a criterion benchmark: it prints one table.
//!
//!     cargo bench -p ssot-lsp --bench corpus_phases -- target/bench/corpus
//!     cargo bench -p ssot-lsp --bench corpus_phases -- target/bench/realistic-old --skeleton-only
//!
//! Phases: walk; read every file; prefilter (`RuleSet::may_match_file`);
//! for the files that pass: scope (`workspace::scope_for`), tree-sitter parse
//! of the whole file, query captures, rules (`check_tree`); then the skeleton
//! path `check` takes (`analysis::skeleton_tree` and `check_tree` on it), with
//! the files whose skeleton fell back to a full parse and any file whose
//! findings differ from the full check, and how much of the candidates'
//! bytes the skeletons keep. Then the
//! parse rate on a 1-in-20 sample of the files the prefilter skipped, to show
//! what parsing everything would cost, and the slowest files to parse.
//! Files are checked with the workspace index `check` builds for the corpus
//! (re-export hubs, fixability), warmed before the timings start.
//! `--skeleton-only` skips the whole-file parse and check (and so the
//! comparison): the phases `check` runs, in a few seconds.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::Arc;

use ssot_lsp::analysis::{check_tree, skeleton_tree};
use ssot_lsp::index::{SharedIndex, WorkspaceIndex};
use ssot_lsp::rules::RuleSet;
use ssot_lsp::skeleton::LineStructure;
use ssot_lsp::{syntax, workspace};

fn secs(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

fn main() {
    let skeleton_only = std::env::args().any(|arg| arg == "--skeleton-only");
    // `cargo bench` passes `--bench`; the first other argument is the corpus.
    let corpus = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/corpus"));
    if !corpus.is_dir() {
        eprintln!("corpus_phases: {} is not a folder (run bench/build_corpus.py)", corpus.display());
        return;
    }
    let corpus = std::fs::canonicalize(&corpus).expect("canonical corpus path");
    let rules = RuleSet::builtin();
    // The index `check` builds: import roots from the corpus, rule modules read.
    let roots = WorkspaceIndex::roots_for(&rules.settings.import_roots, std::slice::from_ref(&corpus), &corpus);
    let index = WorkspaceIndex::new(roots).with_line_length(workspace::project_line_length(&corpus));
    index.warm(&rules.known_rules);
    let index = SharedIndex(Arc::new(index));

    let started = Instant::now();
    let (files, _warnings) = workspace::walk(std::slice::from_ref(&corpus), &rules, &corpus);
    let walk_time = started.elapsed();

    let started = Instant::now();
    let contents: Vec<(PathBuf, Vec<u8>)> =
        files.iter().filter_map(|path| std::fs::read(path).ok().map(|bytes| (path.clone(), bytes))).collect();
    let read_time = started.elapsed();
    let total_bytes: usize = contents.iter().map(|(_, bytes)| bytes.len()).sum();

    let started = Instant::now();
    let passing: Vec<bool> = contents.iter().map(|(path, bytes)| rules.may_match_file(path, bytes)).collect();
    let prefilter_time = started.elapsed();
    let candidates: Vec<(&PathBuf, &Vec<u8>)> =
        contents.iter().zip(&passing).filter(|(_, pass)| **pass).map(|((path, bytes), _)| (path, bytes)).collect();
    let candidate_bytes: usize = candidates.iter().map(|(_, bytes)| bytes.len()).sum();

    let mut scope_time = Duration::ZERO;
    let mut parse_time = Duration::ZERO;
    let mut capture_time = Duration::ZERO;
    let mut check_time = Duration::ZERO;
    let mut skeleton_time = Duration::ZERO;
    let mut skeleton_check_time = Duration::ZERO;
    let mut skeleton_fallbacks = Vec::new();
    let mut skeleton_mismatches = Vec::new();
    let mut kept_bytes = 0;
    let mut findings = 0;
    let mut files_with_findings = 0;
    let mut slowest: Vec<(Duration, usize, PathBuf)> = Vec::new();
    let mut parser = syntax::new_parser();
    for (path, bytes) in &candidates {
        let Ok(text) = std::str::from_utf8(bytes) else { continue };
        let t = Instant::now();
        let mut scope = workspace::scope_for(&rules, &corpus, path);
        scope.index = Some(index.clone());
        scope_time += t.elapsed();
        let found = if skeleton_only {
            None
        } else {
            let t = Instant::now();
            let tree = syntax::parse_text(text);
            let parsed = t.elapsed();
            parse_time += parsed;
            slowest.push((parsed, bytes.len(), (*path).clone()));
            let t = Instant::now();
            let captures = syntax::capture(&tree, text);
            std::hint::black_box(captures.imports.len());
            capture_time += t.elapsed();
            let t = Instant::now();
            let found = check_tree(&rules, &scope, text, &tree);
            check_time += t.elapsed();
            Some(found)
        };
        kept_bytes += kept_by_skeleton(&rules, text);

        let t = Instant::now();
        let skeleton = skeleton_tree(&rules, &scope, text);
        skeleton_time += t.elapsed();
        let Some(skeleton) = skeleton else {
            skeleton_fallbacks.push((*path).clone());
            continue;
        };
        let t = Instant::now();
        let from_skeleton = check_tree(&rules, &scope, text, &skeleton);
        skeleton_check_time += t.elapsed();
        findings += from_skeleton.len();
        files_with_findings += usize::from(!from_skeleton.is_empty());
        if found.is_some_and(|found| from_skeleton != found) {
            skeleton_mismatches.push((*path).clone());
        }
    }

    // Parse rate on files the prefilter skipped (1 in 20).
    let mut sample_bytes = 0;
    let mut sample_time = Duration::ZERO;
    for ((path, bytes), pass) in contents.iter().zip(&passing).step_by(20) {
        if *pass || skeleton_only {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else { continue };
        let t = Instant::now();
        let _tree = syntax::parse(&mut parser, text, None);
        let parsed = t.elapsed();
        sample_time += parsed;
        sample_bytes += bytes.len();
        slowest.push((parsed, bytes.len(), path.clone()));
    }
    slowest.sort_by_key(|item| std::cmp::Reverse(item.0));

    let mb = |bytes: usize| bytes as f64 / 1e6;
    let rate = |bytes: usize, time: Duration| mb(bytes) / time.as_secs_f64().max(1e-9);
    println!("corpus: {} ({} files, {:.1} MB)", corpus.display(), files.len(), mb(total_bytes));
    println!(
        "prefilter passes {} of {} files ({:.1}%), {:.1} MB of {:.1} MB ({:.1}% of the bytes)",
        candidates.len(),
        files.len(),
        100.0 * candidates.len() as f64 / files.len().max(1) as f64,
        mb(candidate_bytes),
        mb(total_bytes),
        100.0 * candidate_bytes as f64 / total_bytes.max(1) as f64
    );
    println!("findings (from the skeletons): {findings} in {files_with_findings} files");
    println!(
        "skeletons keep {:.1} MB of the candidates' {:.1} MB ({:.1}%; first look, before the names imports bind)",
        mb(kept_bytes),
        mb(candidate_bytes),
        100.0 * kept_bytes as f64 / candidate_bytes.max(1) as f64
    );
    println!();
    println!("| phase (one thread) | seconds | note |");
    println!("|---|---:|---|");
    println!("| walk (parallel, `ignore`) | {} | {} files |", secs(walk_time), files.len());
    println!("| read all files | {} | {:.0} MB/s |", secs(read_time), rate(total_bytes, read_time));
    println!("| prefilter all files | {} | {:.0} MB/s |", secs(prefilter_time), rate(total_bytes, prefilter_time));
    println!("| scope_for (candidates) | {} | {} files |", secs(scope_time), candidates.len());
    println!("| parse (candidates) | {} | {:.1} MB/s |", secs(parse_time), rate(candidate_bytes, parse_time));
    println!("| query captures (candidates) | {} | |", secs(capture_time));
    println!("| check_tree (candidates) | {} | |", secs(check_time));
    println!(
        "| skeleton: lex, blank, parse (candidates; what `check` does) | {} | {} fell back to a full parse |",
        secs(skeleton_time),
        skeleton_fallbacks.len()
    );
    println!(
        "| check_tree on skeletons | {} | {} |",
        secs(skeleton_check_time),
        if skeleton_only {
            "not compared (`--skeleton-only`)".to_string()
        } else {
            format!("{} files differ from the full check", skeleton_mismatches.len())
        }
    );
    println!(
        "| parse, 1-in-20 sample of skipped files | {} | {:.1} MB/s on {:.1} MB; all skipped files would take ~{:.1} s |",
        secs(sample_time),
        rate(sample_bytes, sample_time),
        mb(sample_bytes),
        (total_bytes - candidate_bytes) as f64 / 1e6 / rate(sample_bytes, sample_time).max(1e-9)
    );
    for (label, paths) in [("fell back", &skeleton_fallbacks), ("DIFFER", &skeleton_mismatches)] {
        for path in paths.iter().take(10) {
            println!("skeleton {label}: {}", path.strip_prefix(&corpus).unwrap_or(path).display());
        }
    }
    println!();
    println!("slowest parses:");
    for (time, bytes, path) in slowest.iter().take(8) {
        let shown = path.strip_prefix(&corpus).unwrap_or(path);
        println!("  {} s  {:>8} bytes  {:.2} MB/s  {}", secs(*time), bytes, rate(*bytes, *time), shown.display());
    }
}

/// The bytes of the lines a first skeleton of `text` keeps (the lines
/// holding a rule's terms and what Python needs around them).
fn kept_by_skeleton(rules: &RuleSet, text: &str) -> usize {
    let mut structure = LineStructure::of(text);
    let wanted = structure.lines_holding_terms(text, rules.skeleton_search());
    structure.kept_ranges(&structure.closure(&wanted)).iter().map(|(start, end)| end - start).sum()
}
