//! Criterion micro-benchmarks of the engine's hot paths (issue 5):
//!
//! - `prefilter`: `RuleSet::may_match_file` over a big text with no trigger
//!   (the whole text is scanned) and with one near the end;
//! - `check_10k_lines`: parse + query + rules of a 10,000-line module, and the
//!   two halves apart (`parse` only, `check_tree` on a parsed tree);
//! - `fix_large_file`: the fix loop (`fix_text`, unsafe fixes on) on a
//!   10,000-line module with a few hundred findings;
//! - `pathological`: parse + check of a generated file of commented-out code
//!   in runs of 1,000 lines
//!   (`target/bench/corpus/pathological/commented_out_1.py` when
//!   `bench/build_corpus.py` has run; skipped otherwise).
//!
//! Run: `cargo bench -p ssot-lsp --bench engine` (or `bench/run.sh --criterion`).
//! No test asserts a time; the figures go to docs/performance.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ssot_lsp::analysis::{check_text, check_tree, scan_text};
use ssot_lsp::fix::{fix_text, FixOptions};
use ssot_lsp::rules::{FileScope, RuleSet};
use ssot_lsp::syntax;

const FACTORY: &str = "netra_backend.app.websocket_core.websocket_manager_factory";

/// One block of ordinary Python (13 lines), numbered so no two are equal.
fn ordinary_block(i: usize) -> String {
    format!(
        r#"class Model{i}(Base):
    """Docstring of model {i}."""

    field_a = Column(Integer, primary_key=True)
    field_b = Column(String(50), nullable=False, default="value {i}")

    def method_{i}(self, value, *args, **kwargs):
        result = [x * 2 for x in range(value) if x % 3]
        if value > {i}:
            return {{"key": value, "other": self.field_a, "n": {i}}}
        for item in args:
            result.append(item)  # keep order
        return result

"#
    )
}

/// A block with deprecated imports of several forms (13 lines, 3 findings).
fn deprecated_block(i: usize) -> String {
    format!(
        r#"async def handler_{i}(user_context, monkeypatch):
    from {FACTORY} import create_websocket_manager

    manager = await create_websocket_manager(user_context)
    monkeypatch.setattr("{FACTORY}.create_websocket_manager", None)
    from netra_backend.app.websocket_core.manager import WebSocketManager
    if isinstance(manager, WebSocketManager):
        return manager
    for attempt in range({i}):
        manager = await create_websocket_manager(user_context)
    return manager


"#
    )
}

const HEADER: &str = r#""""A generated module for the ssot-lsp benchmarks."""
import os
import sys
from typing import Any

"#;

/// A module of about `lines` lines; every `deprecated_every`-th block (if any)
/// holds deprecated imports.
fn module(lines: usize, deprecated_every: Option<usize>) -> String {
    let mut text = String::from(HEADER);
    if deprecated_every.is_some() {
        text.push_str(&format!(
            "from {FACTORY} import (\n    create_websocket_manager,\n    create_defensive_user_execution_context,\n    FactoryInitializationError,\n)\nimport {FACTORY} as wmf\n\n"
        ));
    }
    let mut i = 0;
    while text.lines().count() < lines {
        match deprecated_every {
            Some(every) if i % every == every - 1 => text.push_str(&deprecated_block(i)),
            _ => text.push_str(&ordinary_block(i)),
        }
        i += 1;
    }
    text
}

fn scope() -> FileScope {
    FileScope {
        relative_path: Some(PathBuf::from("netra_backend/app/services/generated.py")),
        module: Some("netra_backend.app.services.generated".to_string()),
        is_package: false,
        ..FileScope::default()
    }
}

fn prefilter(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    // ~8 MB of Python with no trigger string: the worst case, every byte scanned.
    let clean = module(600_000, None);
    let mut late_hit = clean.clone();
    late_hit.push_str(&format!("\nfrom {FACTORY} import create_websocket_manager\n"));
    let path = Path::new("pkg/sub/module.py");
    assert!(!rules.may_match_file(path, clean.as_bytes()));
    assert!(rules.may_match_file(path, late_hit.as_bytes()));
    let mut group = c.benchmark_group("prefilter");
    group.throughput(Throughput::Bytes(clean.len() as u64));
    group.bench_function(BenchmarkId::new("no_trigger", format!("{}MB", clean.len() / 1_000_000)), |b| {
        b.iter(|| rules.may_match_file(black_box(path), black_box(clean.as_bytes())))
    });
    group.bench_function(BenchmarkId::new("trigger_at_end", format!("{}MB", late_hit.len() / 1_000_000)), |b| {
        b.iter(|| rules.may_match_file(black_box(path), black_box(late_hit.as_bytes())))
    });
    group.finish();
}

fn check_10k_lines(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let scope = scope();
    let text = module(10_000, Some(50));
    let findings = check_text(&rules, &scope, &text).len();
    eprintln!("check_10k_lines: {} lines, {} bytes, {findings} findings", text.lines().count(), text.len());
    let mut group = c.benchmark_group("check_10k_lines");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("parse_and_check", |b| b.iter(|| check_text(&rules, &scope, black_box(&text))));
    group.bench_function("skeleton_scan", |b| b.iter(|| scan_text(&rules, &scope, black_box(&text))));
    group.bench_function("parse_only", |b| b.iter(|| syntax::parse_text(black_box(&text))));
    let tree = syntax::parse_text(&text);
    group.bench_function("check_tree_only", |b| b.iter(|| check_tree(&rules, &scope, black_box(&text), &tree)));
    group.bench_function("query_captures_only", |b| b.iter(|| syntax::capture(&tree, black_box(&text)).imports.len()));
    group.finish();
}

fn fix_large_file(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let scope = scope();
    let text = module(10_000, Some(10));
    let options = FixOptions { unsafe_fixes: true, only_codes: Vec::new() };
    let outcome = fix_text(&rules, &scope, &text, &options);
    eprintln!(
        "fix_large_file: {} lines, {} findings before, {} fixes applied, {} left",
        text.lines().count(),
        check_text(&rules, &scope, &text).len(),
        outcome.applied_count(),
        outcome.remaining.len()
    );
    let mut group = c.benchmark_group("fix_large_file");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("fix_text_unsafe", |b| b.iter(|| fix_text(&rules, &scope, black_box(&text), &options)));
    group.finish();
}

fn pathological(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/corpus/pathological/commented_out_1.py");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("pathological: {} not found (run bench/build_corpus.py); skipped", path.display());
        return;
    };
    let rules = RuleSet::builtin();
    let scope = scope();
    let mut group = c.benchmark_group("pathological");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse_only", |b| b.iter(|| syntax::parse_text(black_box(&text))));
    group.bench_function("parse_and_check", |b| b.iter(|| check_text(&rules, &scope, black_box(&text))));
    group.bench_function("skeleton_scan", |b| b.iter(|| scan_text(&rules, &scope, black_box(&text))));
    group.finish();
}

criterion_group!(benches, prefilter, check_10k_lines, fix_large_file, pathological);
criterion_main!(benches);
