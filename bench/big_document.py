#!/usr/bin/env python3
"""One big file with many findings: `check`, `check --fix` and the language
server (first diagnostics, a quick fix, fix-all, hover) on it.

The file is made of the real-density corpus's files with findings, one after
another, until it is 1, 2 and 5 MB (a few hundred findings, thousands of
imports of the same names at the top level: what made a fix take the square
of the file's length). It lies in a tree with the corpus's `websocket_core`
package, so fixes are checked against the canonical modules as usual.
Figures only, no assertion:

    bench/run.sh --realistic          # builds target/bench/realistic-old once
    cargo build --release
    python3 bench/big_document.py     # about two minutes
    python3 bench/big_document.py --binary /path/to/other/ssot-lsp --sizes 1

Writes results/big_document.md under target/bench (or --results).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import BENCH, ROOT, Server, cpu_seconds  # noqa: E402

CORPUS = BENCH / "realistic-old"


def files_with_findings(binary: Path) -> list[Path]:
    """The corpus's files with a finding, outside `websocket_core`, in the
    order `check` reports them."""
    output = subprocess.run([str(binary), "check", ".", "--exit-zero", "--format", "json", "--no-color"],
                            cwd=CORPUS, capture_output=True, text=True, check=True).stdout
    seen: list[Path] = []
    for finding in json.loads(output):
        path = CORPUS / finding["filename"]
        if "websocket_core" not in path.parts and path not in seen:
            seen.append(path)
    return seen


def build_tree(sizes: list[int]) -> tuple[Path, dict[int, Path]]:
    """A tree with the corpus's package and one big file per size (MB)."""
    tree = BENCH / "big-document"
    shutil.rmtree(tree, ignore_errors=True)
    package = Path("netra_backend/app/websocket_core")
    shutil.copytree(CORPUS / package, tree / package)
    for init in ("netra_backend/__init__.py", "netra_backend/app/__init__.py"):
        if (CORPUS / init).exists():
            shutil.copy(CORPUS / init, tree / init)
    folder = tree / "netra_backend/app/big"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    made = {size: folder / f"big_{size}mb.py" for size in sizes}
    return tree, made


def write_big(path: Path, sources: list[Path], size: int) -> str:
    """Writes `size` MB of the files `sources`, one after another."""
    parts, total, index = [], 0, 0
    while total < size * 1_000_000:
        text = sources[index % len(sources)].read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        total += len(text.encode())
        index += 1
    text = "\n".join(parts)
    path.write_text(text, encoding="utf-8")
    return text


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()
    return elapsed, last


def bench_cli(binary: Path, tree: Path, path: Path, text: str) -> dict:
    relative = str(path.relative_to(tree))
    check, summary = timed([str(binary), "check", relative, "--exit-zero", "--no-color"], tree)
    fix, fixed = timed([str(binary), "check", relative, "--exit-zero", "--no-color", "--fix", "--unsafe-fixes"], tree)
    path.write_text(text, encoding="utf-8")  # the next run starts from the same text
    return {"check": check, "fix": fix, "summary": summary, "fixed": fixed}


def bench_server(binary: Path, tree: Path, path: Path, text: str) -> dict:
    server = Server(binary, f"big-{path.stem}")
    try:
        server.initialize(tree, {})
        server.notify("initialized", {})
        server.progress_end()
        uri = path.as_uri()
        cpu_before = cpu_seconds(server.pid)
        sent = server.open(path, text)
        arrived, message = server.published(uri, version=1, timeout=600)
        diagnostics = message["params"]["diagnostics"]
        first = diagnostics[0]["range"] if diagnostics else {"start": {"line": 0, "character": 0},
                                                             "end": {"line": 0, "character": 0}}
        result = {"first diagnostics": arrived - sent, "findings": len(diagnostics)}
        request_id, sent = server.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": first,
            "context": {"diagnostics": diagnostics[:1], "only": ["quickfix"]}})
        arrived, answer = server.response(request_id, timeout=600)
        result["quick fix"] = arrived - sent
        result["quick fix error"] = answer.get("error", {}).get("message")
        request_id, sent = server.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                                 "position": first["start"]})
        arrived, _ = server.response(request_id, timeout=600)
        result["hover"] = arrived - sent
        request_id, sent = server.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": first,
            "context": {"diagnostics": [], "only": ["source.fixAll.ssot"]}})
        arrived, answer = server.response(request_id, timeout=600)
        result["fix-all"] = arrived - sent
        actions = answer.get("result") or []
        edits = [edit for action in actions for edit in (action.get("edit") or {}).get("changes", {}).get(uri, [])]
        result["fix-all edits"] = len(edits)
        result["fix-all error"] = answer.get("error", {}).get("message")
        result["cpu"] = cpu_seconds(server.pid) - cpu_before
        return result
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=ROOT / "target/release/ssot-lsp")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 5], help="file sizes in MB")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args()
    if not (CORPUS / "netra_backend").is_dir():
        sys.exit(f"{CORPUS} is missing: run `python3 bench/build_realistic.py --size bench --commit old` first")
    binary = args.binary.resolve()
    tree, paths = build_tree(args.sizes)
    rows = [
        "| size | findings | `check` | `check --fix --unsafe-fixes` | server: first diagnostics | quick fix "
        "| hover | fix-all (edits) | server CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    sources = files_with_findings(binary)
    for size, path in paths.items():
        text = write_big(path, sources, size)
        cli = bench_cli(binary, tree, path, text)
        server = bench_server(binary, tree, path, text)
        path.unlink()
        errors = [server[key] for key in ("quick fix error", "fix-all error") if server[key]]
        rows.append(
            f"| {len(text.encode()) / 1e6:.1f} MB | {server['findings']} | {cli['check']:.2f} s "
            f"| {cli['fix']:.2f} s ({cli['fixed']}) | {server['first diagnostics']:.2f} s "
            f"| {server['quick fix']:.2f} s | {server['hover']:.2f} s "
            f"| {server['fix-all']:.2f} s ({server['fix-all edits']}) | {server['cpu']:.1f} s |"
            + (f" errors: {'; '.join(errors)}" if errors else "")
        )
        print(rows[-1], flush=True)
    args.results.mkdir(parents=True, exist_ok=True)
    report = "\n".join([f"binary: {binary}", "", *rows, ""])
    (args.results / "big_document.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
