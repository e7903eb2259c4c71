#!/usr/bin/env python3
"""Summarises a bench/run.sh run: reads target/bench/results/* (or the folder
named first) and the manifest of the corpus (target/bench/corpus, or the
folder named second: the pip corpus of bench/build_corpus.py or the
real-density one of bench/build_realistic.py), prints Markdown tables and
writes them to the results' summary.md. Standard library only."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "target" / "bench"
RESULTS = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / "results"
CORPUS = Path(sys.argv[2]) if len(sys.argv) > 2 else BENCH / "corpus"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())
MARK = f"target/bench/{CORPUS.name}/"


def rel(path: str) -> str:
    path = path.replace("\\", "/")
    return path.split(MARK, 1)[1] if MARK in path else path


def load_hyperfine(name: str) -> list[dict]:
    path = RESULTS / name
    if not path.exists():
        return []
    return json.loads(path.read_text())["results"]


def findings() -> dict[str, tuple[int, set[str], Counter]]:
    """tool -> (number of findings, files with findings, findings by code/rule)."""
    out: dict[str, tuple[int, set[str], Counter]] = {}
    rg = RESULTS / "findings-rg.txt"
    if rg.exists():
        files = {rel(line.strip()) for line in rg.read_text().splitlines() if line.strip()}
        out["rg"] = (len(files), files, Counter())
    ssot = RESULTS / "findings-ssot-lsp.json"
    if ssot.exists():
        items = json.loads(ssot.read_text() or "[]")
        out["ssot-lsp"] = (len(items), {rel(i["filename"]) for i in items}, Counter(i["code"] for i in items))
    ruff = RESULTS / "findings-ruff.json"
    if ruff.exists():
        items = json.loads(ruff.read_text() or "[]")
        out["ruff"] = (len(items), {rel(i["filename"]) for i in items}, Counter(i["message"].split("banned: ")[-1].split(":")[0] for i in items))
    sg = RESULTS / "findings-ast-grep.jsonl"
    if sg.exists():
        items = [json.loads(line) for line in sg.read_text().splitlines() if line.strip()]
        out["ast-grep"] = (len(items), {rel(i["file"]) for i in items}, Counter(i["ruleId"] for i in items))
    return out


def seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def main() -> None:
    lines: list[str] = []
    emit = lines.append
    injected_by_file = {path: form for form, paths in MANIFEST.get("injected", {}).items() for path in paths}
    for item in MANIFEST.get("pathological", []):
        injected_by_file[item["path"]] = "pathological"
    expected = set(injected_by_file)
    found = findings()

    if "trigger_files" in MANIFEST:
        emit(f"Real-density corpus (bench/build_realistic.py, commit {MANIFEST['commit']}): {MANIFEST['files']} files, "
             f"{MANIFEST['bytes'] / 1e6:.1f} MB; {MANIFEST['trigger_files']} files hold a trigger string, "
             f"{MANIFEST['trigger_lines']} trigger lines (most of them not findings).")
    else:
        emit(f"Corpus: {MANIFEST['files']} files, {MANIFEST['bytes'] / 1e6:.1f} MB; "
             f"{len(expected)} files hold injected deprecated imports "
             f"({MANIFEST['injected_files']} injected + {len(MANIFEST['pathological'])} pathological).")
    emit("")
    results = load_hyperfine("check.json")
    floor = next((r["median"] for r in results if r["command"] == "rg"), None)
    emit("| tool | min s | median s | max s | CPU s (user+sys, mean) | median / rg | findings | files flagged | injected files found | other files flagged |")
    emit("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        name = r["command"]
        count, files, _ = found.get(name, (0, set(), Counter()))
        ratio = f"{r['median'] / floor:.1f}×" if floor else "–"
        cpu = r["user"] + r["system"]
        recall = f"{len(files & expected)} / {len(expected)} | {len(files - expected)}" if expected else "– | –"
        emit(f"| {name} | {seconds(min(r['times']))} | {seconds(r['median'])} | {seconds(max(r['times']))} | {seconds(cpu)} | {ratio} "
             f"| {count} | {len(files)} | {recall} |")
    emit("")
    emit("(`rg` lists files, so its findings are files. CPU s is hyperfine's user+system time of one run.)")
    emit("")

    # Per-form recall.
    forms = sorted(set(injected_by_file.values()))
    tools = [t for t in ("ssot-lsp", "ruff", "ast-grep", "rg") if t in found]
    if forms:
        emit("Injected files found, by form:")
        emit("")
        emit("| form | files | " + " | ".join(tools) + " |")
        emit("|---|---:|" + "---:|" * len(tools))
        for form in forms:
            paths = {p for p, f in injected_by_file.items() if f == form}
            cells = []
            for tool in tools:
                hit = len(paths & found[tool][1])
                cells.append(f"{hit}" if hit == len(paths) else f"**{hit}**")
            emit(f"| {form} | {len(paths)} | " + " | ".join(cells) + " |")
        emit("")
    if "ssot-lsp" in found:
        expects = MANIFEST.get("expected_ssot_findings_by_code")
        emit("ssot-lsp findings by code: " + ", ".join(f"{c} {n}" for c, n in sorted(found["ssot-lsp"][2].items()))
             + ("; the manifest expects at least " + ", ".join(f"{c} {n}" for c, n in expects.items()) if expects else "") + ".")
        emit("")
    for tool in ("ssot-lsp", "ruff", "ast-grep"):
        if tool in found and expected:
            extra = sorted(found[tool][1] - expected)
            if extra:
                emit(f"{tool} flagged files with no injection: " + ", ".join(extra[:10]) + (" …" if len(extra) > 10 else ""))
                emit("")

    fix = load_hyperfine("fix.json")
    if fix:
        r = fix[0]
        emit(f"`ssot-lsp check --fix --unsafe-fixes` on a fresh copy: min {seconds(min(r['times']))} s, median {seconds(r['median'])} s, max {seconds(max(r['times']))} s ({len(r['times'])} runs).")
        after = RESULTS / "fix-after.txt"
        if after.exists():
            emit(after.read_text().strip())
        emit("")

    patho = load_hyperfine("pathological.json")
    if patho:
        emit("Single files (`ssot-lsp check FILE`, pathological files of ~200 KB of commented-out code):")
        emit("")
        runs = {Path(item["path"]).name: item for item in MANIFEST.get("pathological", [])}
        emit("| file | bytes | longest comment run (lines) | min s | median s | max s |")
        emit("|---|---:|---:|---:|---:|---:|")
        for r in patho:
            item = runs.get(r["command"], {})
            emit(f"| {r['command']} | {item.get('bytes', '?')} | {item.get('comment_run', '?')} | {seconds(min(r['times']))} | {seconds(r['median'])} | {seconds(max(r['times']))} |")
        worst = max(patho, key=lambda r: r["median"])
        emit("")
        emit(f"Worst single file: {worst['command']}, median {seconds(worst['median'])} s.")
        emit("")

    rss = RESULTS / "rss.txt"
    if rss.exists():
        emit(rss.read_text().strip())
        emit("")

    growth = []
    for factor in (1, 2, 4):
        rows = load_hyperfine(f"growth-x{factor}.json") or (load_hyperfine("check.json") if factor == 1 else [])
        for r in rows:
            growth.append((factor, r))
    if growth:
        emit("Growth with the corpus size (median s; the corpus copied 1×, 2×, 4×):")
        emit("")
        names = []
        for _, r in growth:
            if r["command"] not in names:
                names.append(r["command"])
        emit("| tool | " + " | ".join(f"{f}×" for f in (1, 2, 4)) + " | 4× / 1× |")
        emit("|---|---:|---:|---:|---:|")
        for name in names:
            by = {f: r["median"] for f, r in growth if r["command"] == name}
            ratio = f"{by[4] / by[1]:.2f}" if 1 in by and 4 in by else "–"
            emit(f"| {name} | " + " | ".join(seconds(by[f]) if f in by else "–" for f in (1, 2, 4)) + f" | {ratio} |")
        emit("")

    phases = RESULTS / "phases.md"
    if phases.exists() and phases.read_text().strip():
        emit("Where the time goes (one thread, `cargo bench -p ssot-lsp-bench --bench corpus_phases`):")
        emit("")
        emit(phases.read_text().strip())
        emit("")

    server = RESULTS / "server.md"
    if server.exists():
        emit(server.read_text().strip())
        emit("")

    text = "\n".join(lines)
    print(text)
    (RESULTS / "summary.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
