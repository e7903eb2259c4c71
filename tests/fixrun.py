"""Shared helpers of the fix checks (tests/fix_safety.py, tests/semantic_check.py):
list a tree's Python files, copy some of them elsewhere, run `ssot-lsp check`.
Standard library only; imported by the scripts beside it, never run itself.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_files(root: Path) -> list[Path]:
    """Every regular `.py` file under `root` (no symlinks), in path order."""
    return sorted(p for p in root.rglob("*.py") if p.is_file() and not p.is_symlink())


def copy_files(source: Path, files: list[Path], dest: Path) -> None:
    """Copies `files` (relative to `source`) to the same places under `dest`."""
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target)


def run_ssot(binary: Path, args: list[str], violations: list[str], warnings: list[str], what: str) -> tuple[str, float]:
    """Runs `ssot-lsp check ARGS`; an exit code other than 0 is a violation,
    a warning (a skipped file, say) is listed. Returns stdout and seconds."""
    started = time.monotonic()
    process = subprocess.run([str(binary), "check", *args], capture_output=True)
    seconds = time.monotonic() - started
    stderr = process.stderr.decode("utf-8", "replace").strip()
    if process.returncode != 0:
        violations.append(f"{what}: ssot-lsp exited with {process.returncode}: {stderr[:2000]}")
    elif stderr:
        warnings.extend(f"{what}: {line}" for line in stderr.splitlines())
    return process.stdout.decode("utf-8", "replace"), seconds
