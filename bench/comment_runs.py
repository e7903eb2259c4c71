#!/usr/bin/env python3
"""Requests on an open document full of commented-out code (the server).

tree-sitter-python's scanner is quadratic on long runs of comment lines, and
real code has files with thousands of commented-out lines. A code action,
hover or fix-on-save needs the document's whole tree; the server leaves such
runs out of its parses (`syntax::parse_cancellable`). This opens, in
`ssot-lsp serve`, a file with one deprecated import, a function and N
commented-out lines at varying indentation inside it, then times:

1. the first `textDocument/codeAction` (the whole tree is parsed for it);
2. 20 keystrokes in the function's first line (one every 30 ms), then a
   `codeAction` again (the tree is re-parsed, reusing the old one).

Wall time and the server's CPU time (/proc/PID/stat) per step; figures only,
no assertion:

    cargo build --release
    python3 bench/comment_runs.py                 # about 10 s
    python3 bench/comment_runs.py --binary /path/to/ssot-lsp --lines 1000,3000

Writes results/comment_runs.md under target/bench (or --results).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import BENCH, ROOT, WORK, Server, cpu_seconds  # noqa: E402

IMPORT = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n"


def commented_file(lines: int) -> list[str]:
    """A deprecated import, a function, `lines` commented-out lines in it."""
    generator = random.Random(lines)
    text = [IMPORT, "\n", "def handler(ctx):\n", "    value = compute(ctx)\n"]
    for index in range(lines):
        indent = " " * (4 * generator.randint(0, 3))
        text.append(f"{indent}# old_value_{index} = compute(ctx, {index})  # step\n")
    text.append("    return value\n")
    return text


def code_action(server: Server, uri: str, diagnostics: list) -> tuple[float, float]:
    """Wall and CPU seconds of one `codeAction` on the first line."""
    cpu, started = cpu_seconds(server.pid), time.perf_counter()
    request_id, _ = server.request("textDocument/codeAction", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 10}},
        "context": {"diagnostics": diagnostics},
    })
    arrived, _ = server.response(request_id, timeout=600)
    return arrived - started, cpu_seconds(server.pid) - cpu


def measure(binary: Path, lines: int) -> dict[str, float]:
    text = commented_file(lines)
    root = WORK / "comment_runs"
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"commented_{lines}.py"
    path.write_text("".join(text))
    server = Server(binary, f"comment-runs-{lines}")
    try:
        server.initialize(root, {})
        uri = path.as_uri()
        server.open(path, "".join(text))
        _, published = server.published(uri, 1, timeout=600)
        diagnostics = published["params"]["diagnostics"]
        first_wall, first_cpu = code_action(server, uri, diagnostics)
        line, column = 3, len(text[3]) - 1
        for key in range(20):
            server.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": 2 + key},
                "contentChanges": [{"range": {"start": {"line": line, "character": column + key},
                                              "end": {"line": line, "character": column + key}}, "text": "x"}],
            })
            time.sleep(0.03)
        _, published = server.published(uri, 21, timeout=600)
        again_wall, again_cpu = code_action(server, uri, published["params"]["diagnostics"])
    finally:
        server.close()
    return {"bytes": len("".join(text)), "first_wall": first_wall, "first_cpu": first_cpu,
            "again_wall": again_wall, "again_cpu": again_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=ROOT / "target" / "release" / "ssot-lsp")
    parser.add_argument("--lines", default="1000,3000,10000", help="commented-out lines per file, comma-separated")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args()
    rows = ["| commented-out lines | file | first codeAction | codeAction after 20 keystrokes |", "|---|---|---|---|"]
    for lines in (int(part) for part in args.lines.split(",")):
        figures = measure(args.binary, lines)
        rows.append(f"| {lines:,} | {figures['bytes'] / 1024:.0f} KB "
                    f"| {figures['first_wall']:.3f} s ({figures['first_cpu']:.2f} CPU-s) "
                    f"| {figures['again_wall']:.3f} s ({figures['again_cpu']:.2f} CPU-s) |")
        print(rows[-1], flush=True)
    report = f"Requests on a document with commented-out code (`{args.binary}`)\n\n" + "\n".join(rows) + "\n"
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "comment_runs.md").write_text(report)
    print(f"\n{report}")


if __name__ == "__main__":
    main()
