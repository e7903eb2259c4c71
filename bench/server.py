#!/usr/bin/env python3
"""Language-server benchmarks of issue 5, over the real protocol.

Starts `ssot-lsp serve` (the release binary) and talks to it over its
stdin/stdout with Content-Length framing, as an editor does, then prints
figures as Markdown (no timed assertion anywhere):

1. Edit -> diagnostics: on a 10,000-line file built from real code of the
   corpus plus a few deprecated imports (target/bench/server/edit_10k.py),
   the time from sending a `textDocument/didChange` of one character (insert
   or delete, at random places, fixed seed) to receiving the
   `textDocument/publishDiagnostics` of that version. Edits come in pairs
   that leave the text as it was (insert a character and delete it again, or
   delete one and put it back), so every edit meets the same file with at
   most one fresh syntax error. The server has no debounce, so this is what
   the user waits for; the server's CPU time over the run and a no-op
   request's round trip (the transport's floor) show how much of it is the
   server's work. The same with full-text changes (no range: the server
   parses from scratch); typing bursts (a keystroke every 100 ms, no
   waiting); and the phases of one edit inside the engine
   (`cargo bench -p ssot-lsp-bench --bench edit_phases`, incremental vs full parse).
2. First diagnostics during the workspace scan: initialize with the corpus
   as the workspace folder, send `initialized` (which starts the scan) and
   at once `didOpen` the largest injected file; later, after the first
   `$/progress` report, open a middle-sized injected file. Time from each
   `didOpen` to its `publishDiagnostics`.
3. Workspace scan: from `initialize` to the `$/progress` end, on a root of
   10,000 Python files (hard links into target/bench/corpus-10k, since the
   walk does not follow symlinks), the files it diagnosed, and the server's
   VmRSS and VmHWM (/proc/PID/status) after the scan; then the same on the
   corpus at 1x, 2x and 4x to show how time and memory grow.

    python3 bench/build_corpus.py --scale 4     # corpus, corpus-x2, corpus-x4
    cargo build --release
    python3 bench/server.py                      # ~5 min on 2 shared cores
    python3 bench/server.py --edits 200 --parts edit

Writes results/server.md and results/server.json under target/bench (or
--results). Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import json
import math
import os
import queue
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "target" / "bench"
WORK = BENCH / "server"

FACTORY = "netra_backend.app.websocket_core.websocket_manager_factory"
# Real code for the 10,000-line file: four big Django modules, in this order.
EDIT_SOURCES = [
    "Django-5.1.4/django/db/models/base.py",
    "Django-5.1.4/django/db/models/query.py",
    "Django-5.1.4/django/db/models/sql/query.py",
    "Django-5.1.4/django/db/models/sql/compiler.py",
]
EDIT_LINES = 10_000
# Characters the edit benchmark inserts: what typing produces.
ALPHABET = "abcdefghijklmnopqrstuvwxyz_0123456789 ().,:=[]'\"#"
TIMEOUT = 120.0
# Typing bursts: this many characters, one keystroke every BURST_INTERVAL s.
BURST_KEYS = 20
BURST_INTERVAL = 0.1


# ---------------------------------------------------------------- helpers

def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 0.50),
        "p90": percentile(values, 0.90),
        "p99": percentile(values, 0.99),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def ms(seconds: float) -> str:
    value = seconds * 1e3
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:,.0f}"


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (kB) and Threads of a live process."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Threads"):
            out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# ---------------------------------------------------------------- LSP client

class Server:
    """One `ssot-lsp serve` process and a reader thread that timestamps every
    message on arrival, answers the server's requests, and keeps the
    progress notifications and the last diagnostics of each file."""

    def __init__(self, binary: Path, name: str, command: list[str] | None = None):
        """Starts `binary serve`, or `command` when given (another server)."""
        WORK.mkdir(parents=True, exist_ok=True)
        self.stderr = open(WORK / f"stderr-{name}.log", "wb")
        self.proc = subprocess.Popen(command or [str(binary), "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env={**os.environ, "SSOT_LSP_LOG": "warn"})
        self.pid = self.proc.pid
        self.inbox: queue.Queue = queue.Queue()
        self.write_lock = threading.Lock()
        self.next_id = 0
        self.progress: list[tuple[float, dict]] = []  # (arrival, value) of $/progress
        self.diagnostics: dict[str, int] = {}  # uri -> number of diagnostics last published
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.inbox.put((time.perf_counter(), None))
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = stream.read(length)
            arrived = time.perf_counter()
            message = json.loads(body)
            method = message.get("method")
            if method is not None and "id" in message:
                self._answer(message)
            elif method == "$/progress":
                self.progress.append((arrived, message["params"]["value"]))
            elif method == "textDocument/publishDiagnostics":
                self.diagnostics[message["params"]["uri"]] = len(message["params"]["diagnostics"])
            self.inbox.put((arrived, message))

    def _answer(self, request: dict) -> None:
        method = request["method"]
        if method == "workspace/configuration":
            result = [{} for _ in request["params"]["items"]]
        elif method == "workspace/applyEdit":
            result = {"applied": False}
        else:  # window/workDoneProgress/create, client/registerCapability, refreshes
            result = None
        self.send({"jsonrpc": "2.0", "id": request["id"], "result": result})

    def send(self, message: dict) -> float:
        """Writes one message; returns the time just before writing it."""
        body = json.dumps(message, separators=(",", ":")).encode()
        frame = b"Content-Length: %d\r\n\r\n" % len(body) + body
        with self.write_lock:
            sent = time.perf_counter()
            self.proc.stdin.write(frame)
            self.proc.stdin.flush()
        return sent

    def notify(self, method: str, params) -> float:
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params) -> tuple[int, float]:
        self.next_id += 1
        sent = self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id, sent

    def wait(self, predicate, timeout: float = TIMEOUT) -> tuple[float, dict]:
        """The first message (from now on) that satisfies `predicate`."""
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no matching message from the server within {timeout} s")
            arrived, message = self.inbox.get(timeout=remaining)
            if message is None:
                raise RuntimeError(f"the server exited (code {self.proc.poll()}); see {self.stderr.name}")
            if predicate(message):
                return arrived, message

    def response(self, request_id: int, timeout: float = TIMEOUT) -> tuple[float, dict]:
        return self.wait(lambda m: m.get("id") == request_id and "method" not in m, timeout)

    def published(self, uri: str, version: int | None = None, timeout: float = TIMEOUT) -> tuple[float, dict]:
        def matches(message: dict) -> bool:
            if message.get("method") != "textDocument/publishDiagnostics":
                return False
            params = message["params"]
            return params["uri"] == uri and (version is None or params.get("version") == version)
        return self.wait(matches, timeout)

    def progress_end(self, timeout: float = 1800) -> tuple[float, dict]:
        return self.wait(lambda m: m.get("method") == "$/progress" and m["params"]["value"].get("kind") == "end", timeout)

    def initialize(self, root: Path | None, options: dict) -> float:
        """Sends `initialize`, waits for its answer; returns when it was sent."""
        folders = [{"uri": root.as_uri(), "name": root.name}] if root else None
        request_id, sent = self.request("initialize", {
            "processId": os.getpid(),
            "clientInfo": {"name": "bench/server.py"},
            "rootUri": root.as_uri() if root else None,
            "workspaceFolders": folders,
            "initializationOptions": options,
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "window": {"workDoneProgress": True},
                "textDocument": {"synchronization": {"dynamicRegistration": False},
                                 "publishDiagnostics": {"versionSupport": True}},
                "workspace": {"workspaceFolders": True, "configuration": False},
            },
        })
        self.response(request_id)
        return sent

    def open(self, path: Path, text: str, version: int = 1) -> float:
        return self.notify("textDocument/didOpen", {"textDocument": {
            "uri": path.as_uri(), "languageId": "python", "version": version, "text": text}})

    def close(self) -> None:
        try:
            request_id, _ = self.request("shutdown", None)
            self.response(request_id, timeout=30)
            self.notify("exit", None)
            self.proc.wait(timeout=30)
        except (TimeoutError, RuntimeError, BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


# ---------------------------------------------------------------- the 10,000-line file

def build_edit_file(corpus: Path) -> Path:
    """Real code (EDIT_SOURCES, cut at a top-level statement) plus a few
    deprecated imports of several forms, exactly EDIT_LINES lines."""
    parts = []
    for source in EDIT_SOURCES:
        text = (corpus / source).read_text()
        parts.append(f"# ---- {source}\n{text}")
    code = "".join(parts)
    head = (
        f"from {FACTORY} import create_websocket_manager\n"
        f"from {FACTORY} import (\n"
        "    create_defensive_user_execution_context,  # moved to services.user_execution_context\n"
        "    FactoryInitializationError,\n"
        ")\n"
        f"import {FACTORY} as wmf\n"
        "from netra_backend.app.websocket_core import get_websocket_manager_factory\n"
    )
    middle = (
        "\n\nasync def bench_handler(user_context):\n"
        "    from netra_backend.app.websocket_core.manager import WebSocketManager\n"
        "    manager = await create_websocket_manager(user_context)\n"
        "    factory = get_websocket_manager_factory()\n"
        "    return wmf.create_websocket_manager(user_context), WebSocketManager, factory\n\n\n"
    )
    tail = (
        "\n\ndef test_bench_patch(monkeypatch):\n"
        f"    monkeypatch.setattr(\"{FACTORY}.create_websocket_manager\", None)\n"
    )
    budget = EDIT_LINES - sum(part.count("\n") for part in (head, middle, tail))
    lines = code.splitlines(keepends=True)
    # Cut at the last top-level statement that starts within the budget.
    starts = [node.lineno - 1 for node in ast.parse(code).body]
    cut = max(start for start in starts if start <= budget)
    halfway = min(starts, key=lambda start: abs(start - cut // 2))
    body = lines[:halfway] + [middle] + lines[halfway:cut]
    text = head + "".join(body) + tail
    text += "\n" * (EDIT_LINES - text.count("\n"))
    ast.parse(text)  # still Python
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "edit_10k.py"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def edit_pairs(text: str, count: int, seed: int):
    """`count` single-character edits in pairs that restore `text`: yields
    (kind, change) with an LSP range in UTF-16 units and the text after it."""
    rng = random.Random(seed)
    lines = text.split("\n")
    line_starts = [0]
    for line in lines[:-1]:
        line_starts.append(line_starts[-1] + len(line) + 1)
    produced = 0
    while produced < count:
        offset = rng.randrange(len(text))
        line = bisect.bisect_right(line_starts, offset) - 1
        column = offset - line_starts[line]
        at = {"line": line, "character": utf16_len(lines[line][:column])}
        if rng.random() < 0.5:
            char = rng.choice(ALPHABET)
            after = {"line": line, "character": at["character"] + 1}
            changed = text[:offset] + char + text[offset:]
            yield "insert", {"range": {"start": at, "end": at}, "text": char}, changed
            yield "delete", {"range": {"start": at, "end": after}, "text": ""}, text
        else:
            char = text[offset]
            if char == "\n":
                end = {"line": line + 1, "character": 0}
            else:
                end = {"line": line, "character": at["character"] + utf16_len(char)}
            changed = text[:offset] + text[offset + 1:]
            yield "delete", {"range": {"start": at, "end": end}, "text": ""}, changed
            yield "insert", {"range": {"start": at, "end": at}, "text": char}, text
        produced += 2


# ---------------------------------------------------------------- 1. edit -> diagnostics

def bench_edits(binary: Path, path: Path, edits: int, full_edits: int, bursts: int, seed: int) -> dict:
    text = path.read_text()
    uri = path.as_uri()
    server = Server(binary, "edits")
    try:
        server.initialize(None, {"workspaceScan": False})
        server.notify("initialized", {})
        sent = server.open(path, text)
        arrived, message = server.published(uri, 1)
        open_latency = arrived - sent
        base = len(message["params"]["diagnostics"])
        payload = len(json.dumps(message["params"]))

        # The transport's floor: a request the server does not know, answered
        # at once with MethodNotFound.
        floor = []
        for _ in range(200):
            request_id, sent = server.request("ssot/benchNoop", {})
            arrived, _ = server.response(request_id)
            floor.append(arrived - sent)

        out = {"open_ms": open_latency * 1e3, "findings": base, "publish_bytes": payload,
               "noop": summary(floor), "rss_after_open_kb": proc_status(server.pid)}
        version = 1
        for mode, count in (("incremental", edits), ("full", full_edits)):
            if count <= 0:
                continue
            latencies: dict[str, list[float]] = {"insert": [], "delete": []}
            mismatched = 0
            rss_mb = [proc_status(server.pid)["VmRSS"] / 1024]
            cpu_before, wall_before = cpu_seconds(server.pid), time.perf_counter()
            for index, (kind, change, after) in enumerate(edit_pairs(text, count, seed)):
                version += 1
                content = change if mode == "incremental" else {"text": after}
                sent = server.notify("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": version}, "contentChanges": [content]})
                arrived, message = server.published(uri, version)
                latencies[kind].append(arrived - sent)
                if index % 2 == 1 and len(message["params"]["diagnostics"]) != base:
                    mismatched += 1
                if (index + 1) % max(1, count // 10) == 0:
                    rss_mb.append(proc_status(server.pid)["VmRSS"] / 1024)
            cpu = cpu_seconds(server.pid) - cpu_before
            wall = time.perf_counter() - wall_before
            every = latencies["insert"] + latencies["delete"]
            out[mode] = {
                "all": summary(every), "insert": summary(latencies["insert"]), "delete": summary(latencies["delete"]),
                "server_cpu_ms_per_edit": cpu * 1e3 / len(every), "wall_s": wall,
                "reverted_with_other_findings": mismatched, "rss_mb": rss_mb,
            }
        if bursts > 0:
            out["bursts"], version = typing_bursts(server, path, text, version, bursts, seed)
        out["rss_after_edits_kb"] = proc_status(server.pid)
        return out
    finally:
        server.close()


def typing_bursts(server: Server, path: Path, text: str, version: int, bursts: int, seed: int,
                  keys: int = BURST_KEYS, interval: float = BURST_INTERVAL) -> tuple[dict, int]:
    """Typing: `keys` characters in a row at one place, one `didChange` every
    `interval` seconds without waiting for diagnostics, as an editor sends
    them; then the time from the last keystroke to the diagnostics of the
    last version, and how many versions got diagnostics on the way. Each
    burst is deleted again afterwards (one change, waited for)."""
    rng = random.Random(seed + 1)
    uri = path.as_uri()
    lines = text.split("\n")
    records = []
    for _ in range(bursts):
        line = rng.randrange(len(lines))
        column = utf16_len(lines[line][:rng.randint(0, len(lines[line]))])
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(keys))
        first_version = version + 1
        cpu_before = cpu_seconds(server.pid)
        threads = 0
        start = time.perf_counter()
        for index, char in enumerate(word):
            time.sleep(max(0.0, start + index * interval - time.perf_counter()))
            version += 1
            at = {"line": line, "character": column + index}
            last_sent = server.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": at, "end": at}, "text": char}]})
            threads = max(threads, proc_status(server.pid)["Threads"])
        published = set()
        while True:
            arrived, message = server.published(uri)
            published.add(message["params"]["version"])
            threads = max(threads, proc_status(server.pid)["Threads"])
            if message["params"]["version"] == version:
                break
        records.append({"after_last_key_s": arrived - last_sent,
                        "versions_published": len(published & set(range(first_version, version + 1))),
                        "server_cpu_s": cpu_seconds(server.pid) - cpu_before, "max_threads": threads})
        version += 1
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
            {"range": {"start": {"line": line, "character": column},
                       "end": {"line": line, "character": column + keys}}, "text": ""}]})
        server.published(uri, version)
    return {"keys": keys, "interval_ms": interval * 1e3, "runs": records}, version


def edit_phases(source: Path, path: Path, edits: int) -> str:
    """The engine's phases of one edit (bench/rust/benches/edit_phases.rs of
    the checkout `source`, server/benches/ in checkouts before the benchmarks
    had a package of their own; CARGO_TARGET_DIR from the environment)."""
    package = "ssot-lsp-bench" if (source / "bench/rust/Cargo.toml").is_file() else "ssot-lsp"
    command = ["cargo", "bench", "-q", "-p", package, "--bench", "edit_phases", "--", str(path), str(edits)]
    done = subprocess.run(command, cwd=source, capture_output=True, text=True)
    if done.returncode != 0:
        return f"(`{' '.join(command)}` failed: {done.stderr.strip().splitlines()[-1:]})"
    return done.stdout.strip()


# ---------------------------------------------------------------- 2. first diagnostics during the scan

def injected_files(corpus: Path) -> tuple[Path, Path]:
    """The largest injected file, and the one closest to the median size."""
    manifest = json.loads((corpus / "MANIFEST.json").read_text())
    files = sorted({corpus / p for paths in manifest["injected"].values() for p in paths},
                   key=lambda p: (p.stat().st_size, str(p)))
    return files[-1], files[len(files) // 2]


def bench_first_diagnostics(binary: Path, corpus: Path, runs: int) -> dict:
    first, middle = injected_files(corpus)
    texts = {first: first.read_text(), middle: middle.read_text()}
    out = {"files": {str(p.relative_to(corpus)): {"bytes": p.stat().st_size, "lines": t.count("\n")}
                     for p, t in texts.items()}, "runs": []}
    # The same opens with no scan running: what the files cost by themselves.
    server = Server(binary, "first-alone")
    try:
        server.initialize(None, {"workspaceScan": False})
        server.notify("initialized", {})
        alone: dict[str, list[float]] = {"first": [], "middle": []}
        for _ in range(runs):
            for key, path in (("first", first), ("middle", middle)):
                sent = server.open(path, texts[path])
                arrived, _ = server.published(path.as_uri(), 1)
                alone[key].append((arrived - sent) * 1e3)
                server.notify("textDocument/didClose", {"textDocument": {"uri": path.as_uri()}})
                server.published(path.as_uri())  # the clearing publish
        out["alone_ms"] = {key: statistics.median(values) for key, values in alone.items()}
    finally:
        server.close()
    for run in range(runs):
        server = Server(binary, f"first-{run}")
        try:
            started = server.initialize(corpus, {})
            server.notify("initialized", {})
            sent = server.open(first, texts[first])
            arrived, message = server.published(first.as_uri(), 1)
            record = {"immediate_ms": (arrived - sent) * 1e3, "immediate_findings": len(message["params"]["diagnostics"]),
                      "immediate_scan_state": scan_state(server, arrived)}
            # Then a second file once the scan is checking files.
            if not any(value["kind"] in ("report", "end") for _, value in server.progress):
                server.wait(lambda m: m.get("method") == "$/progress" and m["params"]["value"]["kind"] in ("report", "end"),
                            timeout=600)
            sent = server.open(middle, texts[middle])
            arrived, message = server.published(middle.as_uri(), 1)
            record.update({"during_ms": (arrived - sent) * 1e3, "during_findings": len(message["params"]["diagnostics"]),
                           "during_scan_state": scan_state(server, arrived)})
            if not any(value["kind"] == "end" for _, value in server.progress):
                server.progress_end()
            end = next(t for t, value in server.progress if value["kind"] == "end")
            record["scan_s"] = end - started
            out["runs"].append(record)
        finally:
            server.close()
    return out


def scan_state(server: Server, at: float) -> str:
    """Where the scan was when a message arrived."""
    seen = [value for arrived, value in server.progress if arrived <= at]
    if not seen:
        return "walking (no $/progress yet)"
    last = seen[-1]
    if last["kind"] == "end":
        return "over"
    return f"checking, {last.get('message', '')} ({last.get('percentage', 0)} %)"


# ---------------------------------------------------------------- 3. workspace scan

def count_py(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.py"))


def build_10k_root(corpus_x2: Path, files: int = 10_000) -> Path:
    """The first `files` Python files of corpus-x2 (sorted), hard-linked into
    target/bench/corpus-10k (the walk does not follow symlinks)."""
    root = BENCH / f"corpus-{files // 1000}k"
    marker = root / "SOURCE.json"
    if marker.exists() and json.loads(marker.read_text()).get("files") == files:
        return root
    chosen = sorted(corpus_x2.rglob("*.py"))[:files]
    if len(chosen) < files:
        raise SystemExit(f"{corpus_x2} holds only {len(chosen)} Python files (run bench/build_corpus.py --scale 2)")
    for source in chosen:
        target = root / source.relative_to(corpus_x2)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.link(source, target)
    marker.write_text(json.dumps({"source": str(corpus_x2.relative_to(ROOT)), "files": files}) + "\n")
    return root


def warm(root: Path) -> None:
    """Reads every Python file once, so scans meet a warm page cache."""
    for path in root.rglob("*.py"):
        path.read_bytes()


def bench_scan(binary: Path, root: Path, name: str) -> dict:
    server = Server(binary, f"scan-{name}")
    try:
        started = server.initialize(root, {})
        after_initialize = proc_status(server.pid)
        server.notify("initialized", {})
        ended, message = server.progress_end()
        status = proc_status(server.pid)
        cpu = cpu_seconds(server.pid)
        begin = next((t for t, value in server.progress if value["kind"] == "begin"), ended)
        reports = sum(1 for _, value in server.progress if value["kind"] == "report")
        time.sleep(1.0)
        settled = proc_status(server.pid)
        return {
            "root": str(root.relative_to(ROOT)), "py_files": count_py(root),
            "scan_s": ended - started, "walk_s": begin - started, "reports": reports,
            "end_message": message["params"]["value"].get("message", ""),
            "diagnosed": sum(1 for count in server.diagnostics.values() if count),
            "cpu_s": cpu, "rss_before_kb": after_initialize["VmRSS"],
            "rss_kb": status["VmRSS"], "hwm_kb": status["VmHWM"], "rss_1s_kb": settled["VmRSS"],
            "threads": status["Threads"],
        }
    finally:
        server.close()


# ---------------------------------------------------------------- report

LOAD_BEFORE = " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine(binary: Path, commit: str | None) -> list[str]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = git("status", "--porcelain", "--", "server/src", "Cargo.lock", "Cargo.toml", "server/Cargo.toml")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    return [
        f"- date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; {os.cpu_count()} CPUs ({cpu}); "
        f"load before: {LOAD_BEFORE}",
        f"- binary: `{binary}` (modified {time.strftime('%Y-%m-%d %H:%M', time.localtime(binary.stat().st_mtime))}); "
        + (f"built from commit {commit}" if commit else
           f"tree at {git('rev-parse', '--short', 'HEAD')}"
           + (" with uncommitted changes under server/ (the binary may hold them)" if dirty else ", server/ clean")),
    ]


def row(name: str, s: dict) -> str:
    return f"| {name} | {ms(s['p50'])} | {ms(s['p90'])} | {ms(s['p99'])} | {ms(s['max'])} | {ms(s['mean'])} | {s['n']} |"


def report(results: dict, binary: Path, commit: str | None) -> str:
    lines = ["Language server (`bench/server.py`: `ssot-lsp serve` over stdio, push diagnostics, UTF-16 positions):", ""]
    lines += machine(binary, commit)
    lines.append("")
    edits = results.get("edits")
    if edits:
        lines += [
            f"**Edit → diagnostics** on `{edits['file']}` ({edits['lines']:,} lines, {edits['bytes']:,} bytes, "
            f"{edits['findings']} findings; real Django code plus deprecated imports). Time from sending "
            "`didChange` to receiving the `publishDiagnostics` of that version, one edit at a time; "
            "single characters at random places (fixed seed), in pairs that restore the text. "
            "The server has no debounce: every change starts a parse and a check, then a publish.",
            "",
            "| what (ms) | p50 | p90 | p99 | max | mean | edits |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for mode, title in (("incremental", "incremental change (range)"), ("full", "full-text change (no range: full reparse)")):
            if mode in edits:
                lines.append(row(f"**{title}**", edits[mode]["all"]))
                lines.append(row("— inserts", edits[mode]["insert"]))
                lines.append(row("— deletes", edits[mode]["delete"]))
        lines.append(row("no-op request round trip (transport floor)", edits["noop"]))
        lines.append("")
        for mode in ("incremental", "full"):
            if mode in edits:
                data = edits[mode]
                lines.append(f"- {mode}: server CPU {data['server_cpu_ms_per_edit']:.1f} ms per edit (user+system "
                             f"over the run, /proc); {data['reverted_with_other_findings']} restored texts gave a "
                             "different number of findings than the original; VmRSS before and every tenth of the "
                             "edits: " + ", ".join(f"{value:.0f}" for value in data["rss_mb"]) + " MB.")
        if "bursts" in edits:
            bursts = edits["bursts"]
            lines.append(
                f"- typing bursts ({bursts['keys']} characters at one place, one `didChange` every "
                f"{bursts['interval_ms']:.0f} ms, no waiting): from the last keystroke to the diagnostics of the last "
                "version " + ", ".join(f"{run['after_last_key_s'] * 1e3:,.0f} ms" for run in bursts["runs"])
                + "; versions that got diagnostics on the way: "
                + ", ".join(f"{run['versions_published']}/{bursts['keys']}" for run in bursts["runs"])
                + "; server CPU per burst: " + ", ".join(f"{run['server_cpu_s']:.1f} s" for run in bursts["runs"])
                + "; most threads seen: " + ", ".join(str(run["max_threads"]) for run in bursts["runs"]) + ".")
        lines.append(f"- didOpen of the file → diagnostics: {ms(edits['open_ms'] / 1e3)} ms; one publish is "
                     f"{edits['publish_bytes']:,} bytes of JSON; RSS after the edits "
                     f"{edits['rss_after_edits_kb']['VmRSS'] / 1024:.0f} MB (VmHWM {edits['rss_after_edits_kb']['VmHWM'] / 1024:.0f} MB).")
        lines.append("- no debug request (`$/…`) reports the server's own time per change (docs/lsp-extensions.md "
                     "lists none), so the engine's share is measured apart below.")
        lines.append("")
    if results.get("phases"):
        lines += ["Inside one edit (`cargo bench -p ssot-lsp-bench --bench edit_phases`, same file, the server's steps mirrored, one thread):",
                  "", results["phases"], ""]
    first = results.get("first")
    if first:
        (name1, info1), (name2, info2) = first["files"].items()
        lines += [
            f"**First diagnostics during the workspace scan** (root `target/bench/corpus`, {len(first['runs'])} run(s), "
            "a fresh server each):",
            "",
            "| run | didOpen right after `initialized` → diagnostics (ms) | scan then | didOpen after the first progress report → diagnostics (ms) | scan then | scan s |",
            "|---:|---:|---|---:|---|---:|",
        ]
        for index, run in enumerate(first["runs"], 1):
            lines.append(f"| {index} | {ms(run['immediate_ms'] / 1e3)} | {run['immediate_scan_state']} | "
                         f"{ms(run['during_ms'] / 1e3)} | {run['during_scan_state']} | {run['scan_s']:.2f} |")
        lines += ["", f"Files: `{name1}` ({info1['lines']:,} lines, {info1['bytes']:,} bytes) right after "
                  f"`initialized`; `{name2}` ({info2['lines']:,} lines, {info2['bytes']:,} bytes) during the check. "
                  f"The same opens with no scan (median): {ms(first['alone_ms']['first'] / 1e3)} ms and "
                  f"{ms(first['alone_ms']['middle'] / 1e3)} ms.", ""]
    scans = results.get("scans")
    if scans:
        lines += [
            "**Workspace scan**: from sending `initialize` to the `$/progress` end, warm page cache, a fresh server "
            "per run (median, [min–max]); walk: until `$/progress` begin, which comes after the walk; RSS from "
            "/proc/PID/status right after the end (VmHWM: the peak; the largest of the runs).",
            "",
            "| root | .py files | runs | scan s | walk s | progress reports | files diagnosed (end message) | server CPU s | RSS before the scan MB | RSS after MB | VmHWM MB |",
            "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
        ]
        by_root: dict[str, list[dict]] = {}
        for scan in scans:
            by_root.setdefault(scan["root"], []).append(scan)
        for root, runs in by_root.items():
            def med(key: str) -> float:
                return statistics.median(run[key] for run in runs)
            times = [run["scan_s"] for run in runs]
            diagnosed = sorted({run["diagnosed"] for run in runs})
            messages = sorted({run["end_message"] for run in runs})
            lines.append(
                f"| `{root}` | {runs[0]['py_files']:,} | {len(runs)} | {med('scan_s'):.2f} [{min(times):.2f}–{max(times):.2f}] | "
                f"{med('walk_s'):.2f} | {runs[0]['reports']} | {', '.join(map(str, diagnosed))} ({'; '.join(messages)}) | "
                f"{med('cpu_s'):.1f} | {max(run['rss_before_kb'] for run in runs) / 1024:.0f} | "
                f"{max(run['rss_kb'] for run in runs) / 1024:.0f} | {max(run['hwm_kb'] for run in runs) / 1024:.0f} |")
        lines.append("")
    lines.append(f"- load after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=ROOT / "target" / "release" / "ssot-lsp")
    parser.add_argument("--corpus", type=Path, default=BENCH / "corpus")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--parts", default="edit,phases,first,scan,growth",
                        help="comma-separated: edit, phases, first, scan (10,000 files), growth (1x, 2x, 4x)")
    parser.add_argument("--edits", type=int, default=1000, help="incremental single-character edits")
    parser.add_argument("--full-edits", type=int, default=100, help="full-text edits")
    parser.add_argument("--bursts", type=int, default=5, help=f"typing bursts of {BURST_KEYS} keys every {BURST_INTERVAL * 1e3:.0f} ms")
    parser.add_argument("--first-runs", type=int, default=3)
    parser.add_argument("--scan-runs", type=int, default=3, help="scans of each root")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="checkout whose edit_phases benchmark runs (default: this one)")
    parser.add_argument("--commit", help="the commit the binary was built from, for the report (default: guessed from git)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    binary = args.binary.resolve()
    corpus = args.corpus.resolve()
    if not binary.is_file():
        raise SystemExit(f"{binary} is missing: cargo build --release")
    if not (corpus / "MANIFEST.json").exists():
        raise SystemExit(f"{corpus} is missing: python3 bench/build_corpus.py")

    def say(text: str) -> None:
        print(f"\n== server: {text}", file=sys.stderr, flush=True)

    results: dict = {}
    path = build_edit_file(corpus)
    text = path.read_text()
    if "edit" in parts:
        say(f"edit -> diagnostics, {args.edits} incremental + {args.full_edits} full-text edits on {path.name}")
        results["edits"] = bench_edits(binary, path, args.edits, args.full_edits, args.bursts, args.seed)
        results["edits"].update({"file": str(path.relative_to(ROOT)), "lines": text.count("\n"), "bytes": len(text.encode())})
    if "phases" in parts:
        say("edit phases (cargo bench -p ssot-lsp-bench --bench edit_phases)")
        results["phases"] = edit_phases(args.source.resolve(), path, args.edits)
    if "first" in parts:
        say(f"first diagnostics during the scan, {args.first_runs} runs")
        results["first"] = bench_first_diagnostics(binary, corpus, args.first_runs)
    scans = []
    if "scan" in parts:
        root = build_10k_root(BENCH / "corpus-x2")
        warm(root)
        for run in range(args.scan_runs):
            say(f"scan of {root.name}, run {run + 1}/{args.scan_runs}")
            scans.append(bench_scan(binary, root, f"10k-{run}"))
    if "growth" in parts:
        for name in ("corpus", "corpus-x2", "corpus-x4"):
            root = BENCH / name
            if not root.is_dir():
                print(f"{root} is missing (bench/build_corpus.py --scale 4); skipped", file=sys.stderr)
                continue
            warm(root)
            for run in range(args.scan_runs):
                say(f"scan of {name}, run {run + 1}/{args.scan_runs}")
                scans.append(bench_scan(binary, root, f"{name}-{run}"))
    if scans:
        results["scans"] = scans
    text = report(results, binary, args.commit)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "server.md").write_text(text + "\n")
    (args.results / "server.json").write_text(json.dumps(results, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
