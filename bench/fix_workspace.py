#!/usr/bin/env python3
"""`ssot.fixWorkspace` against `ssot-lsp check --fix` on the same tree
(issue 12, "Workspace fix that never clobbers"): CPU time and memory.

On a copy of a realistic workspace (`bench/build_realistic.py`, default
target/realistic/small-old), figures only, no assertion:

1. the CLI: `ssot-lsp check --fix COPY` on a fresh copy; its user + system
   CPU time (getrusage of the child) and peak RSS;
2. the server: `ssot-lsp serve` with the copy as its workspace folder (no
   workspace scan, so only the command's own work is counted: with the scan
   off it checks every file first, as `check --fix` does, then fixes); after
   `initialized`, the server's CPU time (/proc/PID/stat) and VmRSS, then
   `workspace/executeCommand ssot.fixWorkspace`, answering its
   `workspace/applyEdit` with `applied: true` (the client's side of the edit
   is not timed: files are not written), until the command's
   `window/logMessage`; VmRSS sampled every 10 ms meanwhile; then VmRSS one
   second after the end (memory back to its plateau or not), and a second
   run of the command on the same server to show the plateau holds.

    cargo build --release
    python3 bench/build_realistic.py --size small --commit old
    python3 bench/fix_workspace.py [--tree DIR] [--rounds N]

Writes results/fix_workspace.md under target/bench (or --results).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import BENCH, ROOT, Server, cpu_seconds, proc_status  # noqa: E402

WORK = BENCH / "fix_workspace"


class FixClient(Server):
    """A client that accepts every `workspace/applyEdit` (without writing)."""

    applied_edits: list[dict]

    def _answer(self, request: dict) -> None:
        if request["method"] == "workspace/applyEdit":
            if not hasattr(self, "applied_edits"):
                self.applied_edits = []
            self.applied_edits.append(request["params"]["edit"])
            self.send({"jsonrpc": "2.0", "id": request["id"], "result": {"applied": True}})
            return
        super()._answer(request)


def fresh_copy(tree: Path, name: str) -> Path:
    target = WORK / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(tree, target)
    return target


def cli_fix(binary: Path, tree: Path) -> dict:
    copy = fresh_copy(tree, "cli")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([str(binary), "check", "--fix", str(copy)], capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu_s": cpu, "wall_s": wall, "peak_rss_kb": after.ru_maxrss, "exit": proc.returncode,
            "tail": (proc.stdout + proc.stderr).strip().splitlines()[-1:] }


def fix_once(server: FixClient) -> dict:
    """One `ssot.fixWorkspace`: CPU, RSS during and after, the logged outcome."""
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                samples.append(proc_status(server.pid)["VmRSS"])
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.01)

    rss_before = proc_status(server.pid)["VmRSS"]
    cpu_before = cpu_seconds(server.pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    request_id, _ = server.request("workspace/executeCommand", {"command": "ssot.fixWorkspace", "arguments": []})
    server.response(request_id)
    _, message = server.wait(lambda m: m.get("method") == "window/logMessage"
                             and "ssot.fixWorkspace:" in m["params"]["message"], timeout=600)
    wall = time.perf_counter() - started
    cpu = cpu_seconds(server.pid) - cpu_before
    done.set()
    sampler.join()
    time.sleep(1.0)
    return {"cpu_s": cpu, "wall_s": wall, "rss_before_kb": rss_before, "rss_peak_kb": max(samples, default=rss_before),
            "rss_after_kb": proc_status(server.pid)["VmRSS"], "outcome": message["params"]["message"]}


def server_fix(binary: Path, tree: Path, rounds: int) -> list[dict]:
    copy = fresh_copy(tree, "server")
    server = FixClient(binary, "fix-workspace")
    try:
        request_id, _ = server.request("initialize", {
            "processId": os.getpid(),
            "clientInfo": {"name": "bench/fix_workspace.py"},
            "rootUri": copy.as_uri(),
            "workspaceFolders": [{"uri": copy.as_uri(), "name": copy.name}],
            "initializationOptions": {"workspaceScan": False},
            "capabilities": {
                "window": {"workDoneProgress": True},
                "workspace": {"applyEdit": True, "workspaceEdit": {"documentChanges": True},
                              "workspaceFolders": True, "configuration": False},
                "textDocument": {"publishDiagnostics": {"versionSupport": True}},
            },
        })
        server.response(request_id)
        server.notify("initialized", {})
        time.sleep(1.0)
        return [fix_once(server) for _ in range(rounds)]
    finally:
        server.close()


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=ROOT / "target" / "release" / "ssot-lsp")
    parser.add_argument("--tree", type=Path, default=ROOT / "target" / "realistic" / "small-old")
    parser.add_argument("--rounds", type=int, default=3, help="CLI runs and server commands")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args()
    if not args.binary.is_file():
        raise SystemExit(f"{args.binary} is missing: cargo build --release")
    if not (args.tree / "MANIFEST.json").is_file():
        raise SystemExit(f"{args.tree} is missing: python3 bench/build_realistic.py --size small --commit old")
    binary = args.binary.resolve()
    files = sum(1 for _ in args.tree.rglob("*.py"))
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    cli = [cli_fix(binary, args.tree) for _ in range(args.rounds)]
    runs = server_fix(binary, args.tree, args.rounds)
    cli_cpu = statistics.median(run["cpu_s"] for run in cli)
    server_cpu = statistics.median(run["cpu_s"] for run in runs)
    lines = [
        f"`ssot.fixWorkspace` vs `check --fix` on {args.tree.relative_to(ROOT) if args.tree.is_relative_to(ROOT) else args.tree} "
        f"({files} Python files); load average at the start {load} on {os.cpu_count()} cores.",
        "",
        "| run | CPU s | wall s | memory |",
        "|---|---|---|---|",
    ]
    for index, run in enumerate(cli, 1):
        lines.append(f"| CLI `check --fix` #{index} | {run['cpu_s']:.2f} | {run['wall_s']:.2f} | peak RSS {mib(run['peak_rss_kb'])} |")
    for index, run in enumerate(runs, 1):
        lines.append(
            f"| server `ssot.fixWorkspace` #{index} | {run['cpu_s']:.2f} | {run['wall_s']:.2f} | RSS before "
            f"{mib(run['rss_before_kb'])}, peak {mib(run['rss_peak_kb'])}, 1 s after {mib(run['rss_after_kb'])} |"
        )
    lines += ["", f"Median CPU: server {server_cpu:.2f} s, CLI {cli_cpu:.2f} s: {server_cpu / cli_cpu:.2f}x the CLI's.",
              f"Server outcome: {runs[0]['outcome']}; CLI: {cli[0]['tail']}", ""]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "fix_workspace.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
