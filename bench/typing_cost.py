#!/usr/bin/env python3
"""Typing cost (issue 12): `ssot-lsp serve` and `ruff server` in one run.

Both servers get the same document and the same keystrokes over their
stdin/stdout (the client of `bench/server.py`):

- the document: a 4,170-line module of the realistic workspace's kind
  (`bench/build_realistic.py`'s generator: dozens of `UnifiedWebSocketManager`
  annotations, docstrings and isinstance checks, function-local factory
  imports, `try` imports, `connection_manager` attributes, filler code),
  written to target/bench/typing/realistic_4170.py;
- the keystrokes: a new function of about 330 characters typed character by
  character at a blank line in the middle of the file (it imports the
  deprecated `create_websocket_manager` inside the function), then 50
  backspaces and the same 50 characters typed again; every keystroke is one
  incremental `textDocument/didChange` (a range and the character);
- three paces: `human` (one keystroke every 30 ms, on a fixed schedule: a
  fast burst), `typist` (every 150 ms, about 80 words a minute, so the
  server's 50 ms pacing never coalesces two keystrokes; not in the default
  run) and `flood` (no pause at all);
- two ways of getting diagnostics, the same for both servers: `pull` (the
  client advertises `textDocument.diagnostic` and sends a
  `textDocument/diagnostic` request after every change, as Neovim 0.11 does)
  and `push` (no pull capability: the servers publish
  `textDocument/publishDiagnostics` with the version).

With `--document canonical` the document is instead the canonical module of
the realistic workspace (`websocket_manager.py` of target/bench/realistic-old,
built by `python3 bench/build_realistic.py --size bench --commit old`), opened
in that workspace after ssot-lsp's workspace scan has ended, and the typed
text is a new top-level function at its end (CANONICAL_TYPED): every
keystroke then changes a top-level name of the module every fix is checked
against, so the server's cost includes what it re-checks in the workspace
because of it. ruff gets the same workspace (its default rules: no
ruff.toml is written into the corpus).

For each server, pace and mode it prints:

- CPU per keystroke: the server process's user + system time
  (/proc/PID/stat) from just before the first keystroke until every answer
  is in, divided by the number of keystrokes (the machine may be loaded by
  other work: CPU time is what the server spent, wall time is not used);
- edit-to-diagnostics latency p50/p95/p99: for each keystroke (version v),
  the time from sending its change to receiving the first diagnostics for a
  version >= v (a pull answer counts for the version the document had when
  the request was sent; an error answer counts for nothing). A server that
  drops superseded requests or debounces is measured by when the user sees
  diagnostics that include the keystroke;
- requests answered with an error (e.g. ContentModified) and requests never
  answered (no response at all within GRACE seconds after the last answer).

`ruff server` runs ruff's default rule set (a `ruff.toml` in the work folder
says so) or, with `--ruff-rules tid251`, only the banned-API rule, the one
that matches this tool's job. ruff comes from PyPI into
target/bench/typing-venv (pinned RUFF_VERSION), installed on first use:

    cargo build --release
    python3 bench/typing_cost.py                      # about 2 minutes
    python3 bench/typing_cost.py --paces human --modes pull --servers ssot

Writes results/typing.md and results/typing.json under target/bench (or
--results). Standard library only; no timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_realistic as realistic  # noqa: E402
from server import BENCH, ROOT, Server, cpu_seconds, percentile, proc_status  # noqa: E402

WORK = BENCH / "typing"
VENV = BENCH / "typing-venv"
RUFF_VERSION = "0.17.6"
LINES = 4_170
PACES = {"human": 0.030, "typist": 0.150, "flood": 0.0}
# Seconds to wait, after the last answer, for answers still owed.
GRACE = 5.0
TIMEOUT = 120.0
FACTORY = realistic.FACTORY

# The function typed into the document, character by character.
TYPED = (
    "\n\nasync def push_typed_update(user_context: Any, payload: Dict[str, Any]) -> None:\n"
    f"    from {FACTORY} import create_websocket_manager\n"
    "\n"
    "    manager: UnifiedWebSocketManager = await create_websocket_manager(user_context)\n"
    "    await manager.send_to_user(user_context.user_id, payload)\n"
)
# Backspaced at the end and typed again.
RETYPED = 50
# `--document canonical`: the module, and the function typed at its end.
CANONICAL_PATH = Path(*realistic.CANONICAL.split(".")).with_suffix(".py")
CANONICAL_TYPED = (
    "\n\nasync def broadcast_typed_update(user_ids: list, payload: Dict[str, Any]) -> int:\n"
    "    \"\"\"Send ``payload`` to every listed user; returns how many got it.\"\"\"\n"
    "    sent = 0\n"
    "    for user_id in user_ids:\n"
    "        manager = await get_websocket_manager(create_test_user_context(user_id))\n"
    "        sent += 1 if manager is not None else 0\n"
    "    return sent\n"
)


# ---------------------------------------------------------------- the document

def build_document() -> str:
    """About LINES lines of a realistic caller module with dozens of
    trigger mentions, exactly LINES lines."""
    rng = random.Random(f"{realistic.SEED}-typing")
    kinds = list(realistic.PRODUCTION_KINDS)
    size = 150_000
    for _ in range(4):
        local = random.Random(f"{realistic.SEED}-typing-file")
        trigger = realistic.TriggerFile(local, "old", is_test=False)
        trigger.source = "factory_local"
        for kind in kinds:
            trigger.add(kind, r=0.0)
        for _ in range(36):
            trigger.add(realistic.pick(local, realistic.PRODUCTION_KINDS))
        for _ in range(12):
            trigger.add("annotation")
        text = trigger.render(size)
        lines = text.count("\n")
        if abs(lines - LINES) < 40:
            break
        size = int(size * LINES / lines)
    # Cut at the last top-level statement that ends within LINES, then pad.
    rows = text.splitlines(keepends=True)
    if len(rows) > LINES:
        ends = [node.end_lineno for node in ast.parse(text).body]
        cut = max(end for end in ends if end <= LINES - 2)
        rows = rows[:cut]
    text = "".join(rows)
    while text.count("\n") < LINES:
        text += f"# {rng.choice(realistic.WORDS)} {rng.choice(realistic.WORDS)}\n"
    ast.parse(text)
    return text


def insertion_line(text: str) -> int:
    """A blank line between two top-level statements near the middle."""
    body = ast.parse(text).body
    lines = text.split("\n")
    middle = len(lines) // 2
    for node in sorted(body, key=lambda node: abs(node.lineno - middle)):
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        blank = first - 2  # 0-based: the line just above the statement
        if blank > 0 and lines[blank] == "":
            return blank
    raise SystemExit("typing: no blank line between top-level statements")


def keystrokes(text: str, typed: str = TYPED, line: int | None = None, column: int = 0) -> list[dict]:
    """The content changes of typing `typed` at (`line`, `column`) (default:
    `insertion_line`), one per keystroke, in UTF-16 positions (the text is
    ASCII, so columns are characters)."""
    if line is None:
        line = insertion_line(text)
    typed_at: list[tuple[int, int]] = []  # cursor before each typed character
    changes = []

    def type_char(char: str) -> None:
        nonlocal line, column
        at = {"line": line, "character": column}
        typed_at.append((line, column))
        changes.append({"range": {"start": at, "end": at}, "text": char})
        if char == "\n":
            line, column = line + 1, 0
        else:
            column += 1

    def backspace() -> None:
        nonlocal line, column
        start_line, start_column = typed_at.pop()
        changes.append({"range": {"start": {"line": start_line, "character": start_column},
                                  "end": {"line": line, "character": column}}, "text": ""})
        line, column = start_line, start_column

    for char in typed:
        type_char(char)
    for _ in range(RETYPED):
        backspace()
    for char in typed[-RETYPED:]:
        type_char(char)
    return changes


def end_of(text: str) -> tuple[int, int]:
    """The (line, column) of the end of `text`."""
    lines = text.split("\n")
    return len(lines) - 1, len(lines[-1])


def apply(text: str, change: dict) -> str:
    """`change` applied to `text` (ASCII, so UTF-16 columns are indexes)."""
    lines = text.split("\n")

    def offset(position: dict) -> int:
        return sum(len(row) + 1 for row in lines[:position["line"]]) + position["character"]

    start, end = offset(change["range"]["start"]), offset(change["range"]["end"])
    return text[:start] + change["text"] + text[end:]


# ---------------------------------------------------------------- ruff

def ensure_ruff() -> Path:
    ruff = VENV / "bin" / "ruff"
    if ruff.exists():
        found = subprocess.run([str(ruff), "--version"], capture_output=True, text=True).stdout.split()
        if found[-1:] == [RUFF_VERSION]:
            return ruff
    print(f"[typing] installing ruff {RUFF_VERSION} into {VENV}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", f"ruff=={RUFF_VERSION}"], check=True)
    return ruff


RUFF_CONFIG = {
    "default": "# ruff's default rule set (E4, E7, E9, F), as with no configuration.\n",
    "tid251": (
        "[lint]\nselect = [\"TID251\"]\n\n[lint.flake8-tidy-imports.banned-api]\n"
        f"\"{FACTORY}\".msg = \"deprecated: import from the canonical module\"\n"
        f"\"{FACTORY}.create_websocket_manager\".msg = \"deprecated\"\n"
    ),
}


# ---------------------------------------------------------------- one session

def initialize(server: Server, root: Path, pull: bool, options: dict, progress: bool = False) -> None:
    text_document = {"synchronization": {"dynamicRegistration": False},
                     "publishDiagnostics": {"versionSupport": True}}
    if pull:
        text_document["diagnostic"] = {"dynamicRegistration": False, "relatedDocumentSupport": False}
    request_id, _ = server.request("initialize", {
        "processId": os.getpid(),
        "clientInfo": {"name": "bench/typing.py"},
        "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "initializationOptions": options,
        "capabilities": {
            "general": {"positionEncodings": ["utf-16"]},
            "window": {"workDoneProgress": progress},
            "textDocument": text_document,
            "workspace": {"workspaceFolders": True, "configuration": False,
                          "diagnostics": {"refreshSupport": False}},
        },
    })
    server.response(request_id)
    server.notify("initialized", {})


def next_message(server: Server, deadline: float) -> tuple[float, dict] | None:
    """The next message before `deadline`, or None."""
    remaining = deadline - time.perf_counter()
    if remaining <= 0:
        return None
    try:
        arrived, message = server.inbox.get(timeout=remaining)
    except queue.Empty:
        return None
    if message is None:
        raise RuntimeError(f"the server exited (code {server.proc.poll()}); see {server.stderr.name}")
    return arrived, message


def session(name: str, command: list[str], options: dict, path: Path, text: str, changes: list[dict],
            pull: bool, pause: float, root: Path | None = None, scan: bool = False) -> dict:
    """One server, one pace, one mode: opens the document (in `root`, by
    default its folder; with `scan`, after the server's workspace scan has
    ended), types, collects."""
    uri = path.as_uri()
    server = Server(Path(command[0]), f"typing-{name}", command)
    try:
        initialize(server, root or path.parent, pull, options, progress=scan)
        if scan:
            server.progress_end()
        server.open(path, text, 1)
        # The first diagnostics of the open document.
        if pull:
            request_id, _ = server.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
            server.response(request_id)
        else:
            server.published(uri, 1)
        time.sleep(0.5)
        while not server.inbox.empty():
            server.inbox.get()
        rss_before = proc_status(server.pid)["VmRSS"]
        cpu_before = cpu_seconds(server.pid)
        sent_at: dict[int, float] = {}  # version -> when its change was sent
        request_version: dict[int, int] = {}  # request id -> version it asks about
        start = time.perf_counter()
        for index, change in enumerate(changes):
            version = index + 2
            if pause:
                delay = start + index * pause - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            sent_at[version] = server.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
            if pull:
                request_id, _ = server.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
                request_version[request_id] = version
        last = len(changes) + 1
        # Collect: diagnostics for versions, answers to requests.
        seen_up_to = 1
        latencies: dict[int, float] = {}
        errors: dict[str, int] = {}
        answered: set[int] = set()
        final_count = None
        deadline = time.perf_counter() + TIMEOUT
        last_answer = time.perf_counter()
        while True:
            done = seen_up_to >= last and (not pull or len(answered) == len(request_version))
            limit = min(deadline, last_answer + GRACE) if seen_up_to >= last else deadline
            if done:
                break
            got = next_message(server, limit)
            if got is None:
                break
            arrived, message = got
            covered = None
            if pull and message.get("id") in request_version and "method" not in message:
                answered.add(message["id"])
                last_answer = arrived
                if "error" in message:
                    code = str(message["error"].get("code"))
                    errors[code] = errors.get(code, 0) + 1
                else:
                    covered = request_version[message["id"]]
                    if message["result"].get("kind") == "full":
                        final_count = len(message["result"]["items"])
            elif not pull and message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] == uri and params.get("version") is not None:
                    covered = params["version"]
                    final_count = len(params["diagnostics"])
                    last_answer = arrived
            if covered is not None and covered > seen_up_to:
                for version in range(seen_up_to + 1, covered + 1):
                    latencies[version] = arrived - sent_at[version]
                seen_up_to = covered
        cpu = cpu_seconds(server.pid) - cpu_before
        values = list(latencies.values())
        return {
            "server": name,
            "keys": len(changes),
            "cpu_ms_per_key": cpu * 1e3 / len(changes),
            "cpu_s": cpu,
            "wall_s": time.perf_counter() - start,
            "p50_ms": percentile(values, 0.50) * 1e3 if values else None,
            "p95_ms": percentile(values, 0.95) * 1e3 if values else None,
            "p99_ms": percentile(values, 0.99) * 1e3 if values else None,
            "max_ms": max(values) * 1e3 if values else None,
            "keys_without_diagnostics": len(changes) - len(values),
            "requests": len(request_version),
            "error_answers": errors,
            "unanswered": len(request_version) - len(answered),
            "final_diagnostics": final_count,
            "rss_kb": {"before": rss_before, "after": proc_status(server.pid)["VmRSS"]},
        }
    finally:
        server.close()


# ---------------------------------------------------------------- report

def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table(results: list[dict]) -> list[str]:
    rows = [
        "| mode | pace | server | CPU ms / key | p50 ms | p95 ms | p99 ms | max ms | requests | error answers | unanswered | diagnostics at the end |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        errors = ", ".join(f"{count}× {code}" for code, count in sorted(r["error_answers"].items())) or "0"
        rows.append(
            f"| {r['mode']} | {r['pace']} | {r['server']} | {r['cpu_ms_per_key']:.2f} | {fmt(r['p50_ms'])} | "
            f"{fmt(r['p95_ms'])} | {fmt(r['p99_ms'])} | {fmt(r['max_ms'])} | {r['requests']} | {errors} | "
            f"{r['unanswered']} | {r['final_diagnostics']} |"
        )
    return rows


def ratios(results: list[dict]) -> list[str]:
    out = []
    by_key = {(r["mode"], r["pace"], r["server"]): r for r in results}
    for (mode, pace, server), r in by_key.items():
        if server != "ssot-lsp":
            continue
        for other in ("ruff", "ruff (TID251 only)"):
            ruff = by_key.get((mode, pace, other))
            if ruff and ruff["cpu_ms_per_key"] > 0:
                share = r["cpu_ms_per_key"] / ruff["cpu_ms_per_key"]
                out.append(f"- {mode}, {pace}: ssot-lsp spends {share:.2f}x the CPU of {other} per keystroke")
    return out


def write_keystrokes(out: Path, path: Path, text: str, changes: list[dict]) -> None:
    """The document's path and each keystroke as byte offsets into the text
    before it (the text is ASCII): what `typing_replay` replays."""
    edits = []
    for change in changes:
        lines = text.split("\n")

        def offset(position: dict) -> int:
            return sum(len(row) + 1 for row in lines[:position["line"]]) + position["character"]

        edits.append([offset(change["range"]["start"]), offset(change["range"]["end"]), change["text"]])
        text = apply(text, change)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"document": str(path.resolve()), "edits": edits}) + "\n")
    print(f"[typing] {len(edits)} keystrokes written to {out}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=ROOT / "target" / "release" / "ssot-lsp")
    parser.add_argument("--servers", default="ssot,ruff", help="comma-separated: ssot, ruff, ruff-tid251")
    parser.add_argument("--paces", default="human,flood", help="comma-separated: human, typist, flood")
    parser.add_argument("--modes", default="pull,push", help="comma-separated: pull, push")
    parser.add_argument("--rounds", type=int, default=1, help="sessions per combination (figures of each)")
    parser.add_argument("--document", choices=["realistic", "canonical"], default="realistic",
                        help="the generated 4,170-line caller module (default), or the canonical module of "
                             "target/bench/realistic-old typed into after a workspace scan")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--write-keystrokes", type=Path, metavar="JSON",
                        help="write the document and its keystrokes (byte offsets) for "
                             "bench/rust/benches/typing_replay.rs, and run no server")
    args = parser.parse_args()
    servers = args.servers.split(",")
    if "ssot" in servers and not args.binary.is_file():
        raise SystemExit(f"{args.binary} is missing: cargo build --release")
    WORK.mkdir(parents=True, exist_ok=True)
    root, scan = None, False
    if args.document == "canonical":
        if "ruff-tid251" in servers:
            raise SystemExit("--document canonical: ruff runs with its default rules only (no ruff.toml in the corpus)")
        root = BENCH / "realistic-old"
        path = root / CANONICAL_PATH
        if not path.is_file():
            raise SystemExit(f"{path} is missing: python3 bench/build_realistic.py --size bench --commit old")
        text = path.read_text()
        typed = CANONICAL_TYPED
        changes = keystrokes(text, typed, *end_of(text))
        scan = "ssot" in servers
    else:
        text = build_document()
        path = WORK / "realistic_4170.py"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        typed = TYPED
        changes = keystrokes(text)
    after = text
    for change in changes:
        after = apply(after, change)
    ast.parse(after)  # the typed function is Python
    if args.write_keystrokes:
        write_keystrokes(args.write_keystrokes, path, text, changes)
        return
    commands = {}
    if "ssot" in servers:
        commands["ssot-lsp"] = ([str(args.binary.resolve()), "serve"], {"workspaceScan": scan}, "default")
    if "ruff" in servers or "ruff-tid251" in servers:
        ruff = str(ensure_ruff())
        if "ruff" in servers:
            commands["ruff"] = ([ruff, "server"], {}, "default")
        if "ruff-tid251" in servers:
            commands["ruff (TID251 only)"] = ([ruff, "server"], {}, "tid251")
    triggers = sum(1 for line in text.splitlines() if any(t in line for t in realistic.TRIGGERS))
    header = [
        f"Typing cost: {path.relative_to(ROOT)} ({text.count(chr(10)):,} lines, {len(text.encode()):,} bytes, "
        f"{triggers} trigger lines), {len(changes)} keystrokes ({len(typed)} characters typed, {RETYPED} "
        f"backspaces, {RETYPED} typed again), one incremental didChange each.",
        f"Load average at the start: {loadavg()} on {os.cpu_count()} cores.",
        "",
    ]
    print("\n".join(header), file=sys.stderr)
    results = []
    for mode in args.modes.split(","):
        for pace in args.paces.split(","):
            for _ in range(args.rounds):
                for name, (command, options, config) in commands.items():
                    (WORK / "ruff.toml").write_text(RUFF_CONFIG[config])
                    result = session(name, command, options, path, text, changes, mode == "pull", PACES[pace],
                                     root=root, scan=scan and name == "ssot-lsp")
                    result.update(mode=mode, pace=pace, load=loadavg())
                    results.append(result)
                    print(f"[typing] {mode} {pace} {name}: {result['cpu_ms_per_key']:.2f} ms CPU/key, "
                          f"p95 {fmt(result['p95_ms'])} ms, unanswered {result['unanswered']}, load {result['load']}",
                          file=sys.stderr)
    (WORK / "ruff.toml").write_text(RUFF_CONFIG["default"])
    lines = header + table(results) + [""] + ratios(results) + ["", f"Load average at the end: {loadavg()}."]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "typing.md").write_text("\n".join(lines) + "\n")
    (args.results / "typing.json").write_text(json.dumps(results, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
