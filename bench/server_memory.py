#!/usr/bin/env python3
"""Resident memory of `ssot-lsp serve` around large documents (issue 13.9).

Drives the server over its stdio with `bench/server.py`'s client and reads
VmRSS and VmHWM from /proc/PID/status:

1. one 100 MB document opened (over the default `maxDocumentBytes`, 10 MB:
   kept, not analysed), then closed;
2. an 11 MB document opened and closed ten times with `maxDocumentBytes`
   raised to 20 MB (parsed and checked each time), RSS after each close;
3. the same ten rounds at the default limit (not analysed).

The documents are real-looking Python (functions, comments, a deprecated
import every 2,000 lines). Figures only, no assertion:

    cargo build --release
    python3 bench/server_memory.py            # about a minute
    python3 bench/server_memory.py --binary target/debug/ssot-lsp

Writes results/server_memory.md under target/bench (or --results).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import BENCH, ROOT, Server, proc_status  # noqa: E402

IMPORT = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n"


def python_text(size: int) -> str:
    """About `size` bytes of Python with a deprecated import every 2,000 lines."""
    lines = []
    total = 0
    index = 0
    while total < size:
        if index % 2000 == 0:
            line = IMPORT
        elif index % 7 == 0:
            line = f"# note {index}: keep the handler small\n"
        elif index % 3 == 0:
            line = f"def handler_{index}(ctx):\n"
        else:
            line = f"    value_{index} = compute(ctx, {index})  # step\n"
        lines.append(line)
        total += len(line)
        index += 1
    return "".join(lines)


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def memory(server: Server) -> tuple[int, int]:
    status = proc_status(server.pid)
    return status["VmRSS"], status["VmHWM"]


def open_and_close(server: Server, path: Path, text: str, version: int) -> tuple[int, int]:
    """Opens, waits for the diagnostics, closes, waits for the clearing; the
    RSS with the document open and after closing it."""
    uri = path.as_uri()
    server.open(path, text, version)
    server.published(uri, version)
    opened, _ = memory(server)
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.published(uri)
    request_id, _ = server.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                         "position": {"line": 0, "character": 0}})
    server.response(request_id)
    closed, _ = memory(server)
    return opened, closed


def run(binary: Path) -> list[str]:
    rows = ["| scenario | RSS at start | open | after close | peak (VmHWM) |", "|---|---|---|---|---|"]
    big = python_text(100_000_000)
    eleven = python_text(11_000_000)
    where = Path("/tmp/ssot-memory")

    server = Server(binary, "memory-100mb")
    server.initialize(None, {"workspaceScan": False})
    server.notify("initialized", {})
    start, _ = memory(server)
    opened, closed = open_and_close(server, where / "big.py", big, 1)
    rows.append(f"| 100 MB document, default limit (not analysed) | {mib(start)} | {mib(opened)} | {mib(closed)} | {mib(memory(server)[1])} |")
    server.close()

    for limit, label in ((20_000_000, "analysed (limit 20 MB)"), (None, "default limit (not analysed)")):
        server = Server(binary, "memory-11mb")
        options = {"workspaceScan": False} | ({"maxDocumentBytes": limit} if limit else {})
        server.initialize(None, options)
        server.notify("initialized", {})
        start, _ = memory(server)
        after = []
        opened_max = 0
        for round_ in range(10):
            opened, closed = open_and_close(server, where / "eleven.py", eleven, round_ + 1)
            opened_max = max(opened_max, opened)
            after.append(closed)
        rounds = ", ".join(f"{kib / 1024:.0f}" for kib in after)
        rows.append(f"| 11 MB document, 10 open/close rounds, {label}: RSS after each close (MiB) {rounds} | {mib(start)} | {mib(opened_max)} (max) | {mib(after[-1])} | {mib(memory(server)[1])} |")
        server.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=ROOT / "target" / "release" / "ssot-lsp")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args()
    if not args.binary.is_file():
        raise SystemExit(f"{args.binary} is missing: cargo build --release")
    text = "\n".join([f"Resident memory of `{args.binary}`", "", *run(args.binary.resolve())])
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "server_memory.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
