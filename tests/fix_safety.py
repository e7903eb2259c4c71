#!/usr/bin/env python3
"""Fix safety on real code: runs `ssot-lsp check --fix --unsafe-fixes` on a
copy of a Python corpus and checks with CPython that nothing was broken.
Standard library only.

    python3 bench/build_corpus.py && tests/fix_safety.py          # the whole benchmark corpus
    tests/fix_safety.py target/bench/corpus --every 20            # bounded: a deterministic slice
    tests/fix_safety.py CORPUS --bin target/release/ssot-lsp --keep

The corpus (default: target/bench/corpus, built by bench/build_corpus.py) is
copied to a temporary folder under target/, together with variants of some
files that carry a deprecated import: CRLF, lone CR, BOM, BOM + CRLF and a
PEP 263 encoding cookie (the benchmark corpus has almost none of these).
Then, on the copy:

1. every `.py` file's bytes are recorded and compiled with `compile()` from
   its bytes (so a BOM or a cookie is honoured);
2. `check --format json --unsafe-fixes --exit-zero` lists the findings;
3. `check --fix --unsafe-fixes --exit-zero` fixes them;
4. a second `check --fix --unsafe-fixes --exit-zero` runs.

Violations, each named with its file:
- a file that compiled before does not compile after the fix;
- a file changed that had no finding with a fix;
- a file's BOM, encoding cookie (the line and its position) or set of line
  ending styles (CRLF, LF, lone CR) changed, or a style's count went to or
  from zero;
- the second run changed a byte;
- a file appeared or disappeared (a temporary file left behind, say);
- a run of `ssot-lsp` exited with a code other than 0 (its warnings, about
  skipped files say, are printed).

Bounded mode (`--every K`): every file that could hold a finding (its bytes
name a WebSocket module or class), every K-th other file in path order, and
the `__init__.py` files of their folders, so the package layout (import
roots, relative imports) is the same as in the whole corpus. The same corpus
and K always give the same slice.

Prints the counts and exits 1 on any violation, 2 on a setup error. The copy
is removed unless `--keep` is given or a violation was found.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fixrun import ROOT, copy_files, python_files, run_ssot

DEFAULT_CORPUS = ROOT / "target" / "bench" / "corpus"

# A file whose bytes contain none of these cannot hold a finding of the
# built-in rules (every deprecated path and name contains one of them).
TRIGGERS = (b"websocket", b"WebSocket")

BOM = b"\xef\xbb\xbf"
# PEP 263: on line 1 or 2 (line 2 only when line 1 is a comment or blank).
COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
LINE_ENDING = re.compile(rb"\r\n|\r|\n")

# Variants of files with a deprecated import: name -> function of the bytes.
# Each returns None when it does not apply to the file.


def _crlf(data: bytes) -> bytes | None:
    return None if b"\r" in data else data.replace(b"\n", b"\r\n")


def _lone_cr(data: bytes) -> bytes | None:
    return None if b"\r" in data else data.replace(b"\n", b"\r")


def _bom(data: bytes) -> bytes | None:
    return None if data.startswith(BOM) or encoding_cookie(data) else BOM + data


def _bom_crlf(data: bytes) -> bytes | None:
    crlf = _crlf(data)
    return None if crlf is None else _bom(crlf)


def _cookie(data: bytes) -> bytes | None:
    if data.startswith(BOM) or encoding_cookie(data):
        return None
    # latin-1 reads ASCII text the same; other text keeps its UTF-8 bytes.
    encoding = b"latin-1" if data.isascii() else b"utf-8"
    line = b"# -*- coding: " + encoding + b" -*-\n"
    if data.startswith(b"#!"):
        end = data.find(b"\n") + 1
        return data[:end] + line + data[end:] if end else None
    return line + data


VARIANTS = {"crlf": _crlf, "cr": _lone_cr, "bom": _bom, "bom_crlf": _bom_crlf, "cookie": _cookie}


def log(message: str) -> None:
    print(f"[fix_safety] {message}", flush=True)


def encoding_cookie(data: bytes) -> tuple[int, bytes] | None:
    """(line index, whole line) of the PEP 263 cookie, or None."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    lines = LINE_ENDING.split(data, maxsplit=2)[:2]
    for index, line in enumerate(lines):
        if COOKIE.match(line):
            return index, line
        stripped = line.strip()
        if stripped and not stripped.startswith(b"#"):
            break
    return None


def line_endings(data: bytes) -> dict[str, int]:
    counts = {"crlf": 0, "lf": 0, "cr": 0}
    for match in LINE_ENDING.finditer(data):
        counts[{b"\r\n": "crlf", b"\n": "lf", b"\r": "cr"}[match.group()]] += 1
    return counts


def compiles(path: str) -> bool:
    data = Path(path).read_bytes()
    try:
        compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def compile_all(paths: list[Path], jobs: int) -> dict[Path, bool]:
    names = [str(p) for p in paths]
    if jobs <= 1 or len(names) < 200:
        return dict(zip(paths, map(compiles, names)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return dict(zip(paths, pool.map(compiles, names, chunksize=32)))


def select(corpus: Path, every: int) -> tuple[list[Path], list[Path]]:
    """(files to copy, relative to corpus; files that could hold a finding)."""
    files = [p.relative_to(corpus) for p in python_files(corpus)]
    candidates = []
    others = []
    for rel in files:
        data = (corpus / rel).read_bytes()
        (candidates if any(t in data for t in TRIGGERS) else others).append(rel)
    if every <= 1:
        return files, candidates
    chosen = set(candidates) | set(others[::every])
    for rel in list(chosen):
        for folder in rel.parents:
            init = folder / "__init__.py"
            if (corpus / init).is_file():
                chosen.add(init)
    return sorted(chosen), candidates


def copy_corpus(corpus: Path, files: list[Path], candidates: list[Path], dest: Path, variants_every: int) -> int:
    copy_files(corpus, files, dest)
    made = 0
    if variants_every <= 0:
        return made
    for index, rel in enumerate(candidates[::variants_every]):
        data = (corpus / rel).read_bytes()
        for name, make in VARIANTS.items():
            new = make(data)
            if new is None:
                continue
            # Same folder, so relative imports and import roots still resolve.
            target = dest / rel.parent / f"{rel.stem}__fix_safety_{name}.py"
            target.write_bytes(new)
            made += 1
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS, help="folder of Python files (default: target/bench/corpus)")
    parser.add_argument("--bin", type=Path, default=ROOT / "target" / "debug" / "ssot-lsp", help="ssot-lsp binary (default: target/debug/ssot-lsp)")
    parser.add_argument("--every", type=int, default=1, metavar="K", help="bounded mode: files that could hold a finding plus every K-th other file (default 1: every file)")
    parser.add_argument("--variants-every", type=int, default=1, metavar="K", help="add CRLF/CR/BOM/cookie variants of every K-th file that could hold a finding (0: none; default 1)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes for compile() (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the copy")
    args = parser.parse_args()

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"fix_safety: {corpus} is not a folder (build it with `python3 bench/build_corpus.py`)", file=sys.stderr)
        return 2
    binary = args.bin
    if not binary.is_file():
        print(f"fix_safety: no ssot-lsp binary ({binary}); run `cargo build` or pass --bin", file=sys.stderr)
        return 2
    binary = binary.resolve()

    started = time.monotonic()
    files, candidates = select(corpus, args.every)
    if not files:
        print(f"fix_safety: no .py files under {corpus}", file=sys.stderr)
        return 2
    (ROOT / "target").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fix-safety-", dir=ROOT / "target"))
    copy = work / "corpus"
    made = copy_corpus(corpus, files, candidates, copy, args.variants_every)
    log(f"{corpus}: {len(files)} files copied ({len(candidates)} could hold a finding, every {args.every}), {made} variants, into {copy}")
    log(f"binary: {binary}")

    paths = python_files(copy)
    before = {p: p.read_bytes() for p in paths}
    t = time.monotonic()
    compiled_before = compile_all(paths, args.jobs)
    compile_seconds = time.monotonic() - t

    violations: list[str] = []
    warnings: list[str] = []
    findings_json, check_seconds = run_ssot(binary, ["--format", "json", "--unsafe-fixes", "--exit-zero", "--no-color", str(copy)], violations, warnings, "check")
    findings = parse_findings(findings_json, violations)
    with_findings = {Path(f["filename"]).resolve() for f in findings}
    with_fixes = {Path(f["filename"]).resolve() for f in findings if f.get("fix")}

    _, fix_seconds = run_ssot(binary, ["--fix", "--unsafe-fixes", "--exit-zero", "--no-color", str(copy)], violations, warnings, "fix")
    after_paths = python_files(copy)
    after = {p: p.read_bytes() for p in after_paths}
    _, refix_seconds = run_ssot(binary, ["--fix", "--unsafe-fixes", "--exit-zero", "--no-color", str(copy)], violations, warnings, "second fix")
    again = {p: p.read_bytes() for p in python_files(copy)}

    all_now = {p for p in work.rglob("*") if p.is_file()}
    for extra in sorted(all_now - set(paths)):
        violations.append(f"{extra}: appeared during the fix runs")
    for missing in sorted(set(paths) - set(after_paths)):
        violations.append(f"{missing}: disappeared during the fix")

    changed = [p for p in paths if p in after and after[p] != before[p]]
    t = time.monotonic()
    compiled_changed = compile_all(changed, args.jobs)
    compile_seconds += time.monotonic() - t
    compiled_after = {p: compiled_changed.get(p, compiled_before[p]) for p in paths if p in after}

    for path in changed:
        old, new = before[path], after[path]
        if path.resolve() not in with_fixes:
            violations.append(f"{path}: changed, but had no finding with a fix")
        if compiled_before[path] and not compiled_after[path]:
            violations.append(f"{path}: compiled before the fix, not after: {compile_error(path)}")
        if old.startswith(BOM) != new.startswith(BOM):
            violations.append(f"{path}: BOM {'removed' if old.startswith(BOM) else 'added'}")
        if encoding_cookie(old) != encoding_cookie(new):
            violations.append(f"{path}: encoding cookie changed: {encoding_cookie(old)} -> {encoding_cookie(new)}")
        old_endings, new_endings = line_endings(old), line_endings(new)
        had_none = not any(old_endings.values())
        for style in old_endings:
            appeared = old_endings[style] == 0 and new_endings[style] > 0 and not (had_none and style == "lf")
            vanished = old_endings[style] > 0 and new_endings[style] == 0
            if appeared or vanished:
                violations.append(f"{path}: line endings {old_endings} -> {new_endings}")
                break
    for path, data in again.items():
        if after.get(path) != data:
            violations.append(f"{path}: the second --fix run changed it")

    totals_before = sum_endings(before[p] for p in changed)
    totals_after = sum_endings(after[p] for p in changed)
    seconds = time.monotonic() - started
    print(f"files:                    {len(paths)} ({made} variants)")
    print(f"findings:                 {len(findings)} in {len(with_findings)} files ({len(with_fixes)} files with a fix)")
    print(f"files changed by --fix:   {len(changed)}")
    print(f"changed by a second run:  {sum(1 for p, d in again.items() if after.get(p) != d)}")
    print(f"compiled before / after:  {sum(compiled_before.values())} of {len(paths)} / {sum(compiled_after.values())} of {len(compiled_after)}")
    print(f"line endings of changed files before / after: {totals_before} / {totals_after}")
    print(f"files with a BOM / cookie: {sum(1 for d in before.values() if d.startswith(BOM))} / {sum(1 for d in before.values() if encoding_cookie(d))}")
    print(f"time: check {check_seconds:.1f} s, fix {fix_seconds:.1f} s, second fix {refix_seconds:.1f} s, compile() {compile_seconds:.1f} s, total {seconds:.1f} s")
    print(f"warnings of ssot-lsp:     {len(warnings)}")
    for warning in warnings[:20]:
        print(f"  {warning}")
    print(f"violations:               {len(violations)}")
    for violation in violations:
        print(f"  {violation}")
    if violations:
        print(f"fix_safety: FAILED; the copy is kept in {work}", file=sys.stderr)
        return 1
    if args.keep:
        log(f"kept {work}")
    else:
        shutil.rmtree(work)
    return 0


def parse_findings(text: str, violations: list[str]) -> list[dict]:
    try:
        findings = json.loads(text)
    except json.JSONDecodeError as error:
        violations.append(f"check: output is not JSON: {error}")
        return []
    if not isinstance(findings, list):
        violations.append("check: JSON output is not a list")
        return []
    return findings


def compile_error(path: Path) -> str:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except Exception as error:  # noqa: BLE001 - only for the message
        return f"{type(error).__name__}: {error}"
    return "compiles now"


def sum_endings(datas) -> dict[str, int]:
    totals = {"crlf": 0, "lf": 0, "cr": 0}
    for data in datas:
        for style, count in line_endings(data).items():
            totals[style] += count
    return totals


if __name__ == "__main__":
    sys.exit(main())
