#!/usr/bin/env python3
"""Builds the benchmark corpus for ssot-lsp (issue 5). Standard library only.

    python3 bench/build_corpus.py            # target/bench/corpus (reused when present)
    python3 bench/build_corpus.py --scale 4  # also target/bench/corpus-x2 and corpus-x4
    python3 bench/build_corpus.py --force    # rebuild from the downloads
    python3 bench/build_corpus.py --packages networkx,ansible-core --corpus target/bench/corpus-small
                                             # a smaller corpus from some of the packages

Steps:
1. `pip download --no-deps` pinned releases of large Python packages into
   target/bench/downloads (wheel or sdist, whatever pip picks; reused).
2. Extract every `.py` file into target/bench/corpus/<archive name>/...
3. With a fixed seed, inject deprecated WebSocket imports (one form per file)
   into about 3% of the files that parse with `ast.parse`, at top level after
   the module docstring and leading imports; every changed file is parsed
   again and reverted if it no longer parses.
4. Add a small `netra_backend` package whose files (copies of corpus files)
   carry relative imports of the deprecated modules.
5. Generate pathological files (~200 KB of code commented out line by line at
   varying indentation, mixed with live code) under pathological/.
6. Write MANIFEST.json: packages, file and byte counts, counts per injected
   form, and the injected file of every form (paths relative to the corpus).

The manifest never contains a trigger string, so `rg` over the corpus counts
only Python files.

`--packages` builds from some of the pinned packages only (the files chosen
for injection then differ, but are the same on every machine for the same
packages); `--corpus` writes elsewhere. A corpus is reused only when its
manifest lists the same packages. The small corpus of `tests/run`
(networkx and ansible-core: pure-Python wheels of 4 MB, the same for every
Python version) has ~1,300 files.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

SEED = 20250605
INJECT_RATE = 0.03
MIN_FILES = 5000
MIN_BYTES = 100_000_000

# Pinned so that the corpus is the same on every machine. Ordered: the first
# ones alone give ~4,000 files; the rest bring the corpus past 5,000 files and
# 100 MB (all together: ~7,000 files, ~106 MB).
PACKAGES = [
    "Django==5.1.4",
    "sympy==1.13.3",
    "pandas==2.2.3",
    "SQLAlchemy==2.0.36",
    "scipy==1.14.1",
    "numpy==2.1.3",
    "matplotlib==3.9.2",
    "ansible-core==2.17.7",
    "networkx==3.4.2",
    "botocore==1.35.80",
]

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "target" / "bench"
DOWNLOADS = BENCH / "downloads"
CORPUS = BENCH / "corpus"

FACTORY = "netra_backend.app.websocket_core.websocket_manager_factory"

# Every form: (name, snippet, expected ssot-lsp codes). Names never contain a
# trigger string. Snippets only bind names prefixed `_ssot_bench_` (or `wmf`)
# besides the deprecated ones, so they cannot clash with the host file.
FORMS: list[tuple[str, str, list[str]]] = [
    (
        "one_line",
        f"""from {FACTORY} import create_websocket_manager


async def _ssot_bench_one_line(user_context):
    return await create_websocket_manager(user_context)
""",
        ["SSOT001"],
    ),
    (
        "multi_line",
        f"""from {FACTORY} import (
    # creation path used since the 2024 refactor
    create_websocket_manager,
    create_defensive_user_execution_context,  # moved to services.user_execution_context
    validate_websocket_component_health,
    FactoryInitializationError,  # no SSOT counterpart yet
)


async def _ssot_bench_multi_line(user_context):
    context = create_defensive_user_execution_context(user_context)
    return await create_websocket_manager(context)
""",
        ["SSOT001"] * 4,
    ),
    (
        "nested_function",
        f"""def _ssot_bench_nested(user_context):
    from {FACTORY} import create_websocket_manager

    return create_websocket_manager(user_context)
""",
        ["SSOT001"],
    ),
    (
        "try_except",
        f"""try:
    from {FACTORY} import create_websocket_manager
except ImportError:  # pragma: no cover
    create_websocket_manager = None
""",
        ["SSOT001"],
    ),
    (
        "aliased",
        f"""from {FACTORY} import create_websocket_manager as _ssot_bench_make_manager


async def _ssot_bench_aliased(user_context):
    return await _ssot_bench_make_manager(user_context)
""",
        ["SSOT001"],
    ),
    (
        "module_alias",
        f"""import {FACTORY} as wmf


async def _ssot_bench_module_alias(user_context):
    return await wmf.create_websocket_manager(user_context)
""",
        ["SSOT001"],
    ),
    (
        "plain_module_import",
        f"""import {FACTORY}


async def _ssot_bench_plain_module(user_context):
    return await {FACTORY}.create_websocket_manager(user_context)
""",
        ["SSOT001"],
    ),
    (
        "from_package_import_module",
        """from netra_backend.app.websocket_core import websocket_manager_factory as _ssot_bench_wmf


async def _ssot_bench_from_package(user_context):
    return await _ssot_bench_wmf.create_websocket_manager(user_context)
""",
        ["SSOT001"],
    ),
    (
        "package_reexport",
        """from netra_backend.app.websocket_core import create_websocket_manager as _ssot_bench_reexported
""",
        ["SSOT002"],
    ),
    (
        "shim_manager",
        """from netra_backend.app.websocket_core.manager import WebSocketManager
""",
        ["SSOT003"],
    ),
    (
        "legacy_conn_mgr",
        """from netra_backend.app.websocket.connection_manager import ConnectionManager
""",
        ["SSOT004"],
    ),
    (
        "factory_call",
        f"""from {FACTORY} import get_websocket_manager_factory


def _ssot_bench_factory_call():
    factory = get_websocket_manager_factory()
    return factory
""",
        ["SSOT001", "SSOT005"],
    ),
    (
        "direct_unified",
        """from netra_backend.app.websocket_core.websocket_manager import UnifiedWebSocketManager


def _ssot_bench_direct():
    return UnifiedWebSocketManager()
""",
        ["SSOT006"],
    ),
    (
        "patch_string",
        f"""def _ssot_bench_patch_string():
    from unittest.mock import patch

    return patch("{FACTORY}.create_websocket_manager")
""",
        ["SSOT001"],
    ),
    (
        "monkeypatch_string",
        f"""def _ssot_bench_monkeypatch(monkeypatch):
    monkeypatch.setattr("{FACTORY}.create_websocket_manager", None)
""",
        ["SSOT001"],
    ),
    (
        "import_module_string",
        f"""def _ssot_bench_import_module():
    import importlib

    return importlib.import_module("{FACTORY}")
""",
        ["SSOT001"],
    ),
    (
        "type_checking",
        f"""from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from {FACTORY} import WebSocketManagerFactory
""",
        ["SSOT001"],
    ),
    (
        "backslash_continuation",
        f"""from {FACTORY} \\
    import create_websocket_manager as _ssot_bench_continued
""",
        ["SSOT001"],
    ),
]

# Relative forms, injected into copies of corpus files placed inside a fake
# `netra_backend/app/services/` package (resolvable relative imports).
RELATIVE_FORMS: list[tuple[str, str, list[str]]] = [
    (
        "relative_parent",
        """from ..websocket_core.websocket_manager_factory import create_websocket_manager


async def _ssot_bench_relative(user_context):
    return await create_websocket_manager(user_context)
""",
        ["SSOT001"],
    ),
    (
        "relative_package_module",
        """from ..websocket_core import websocket_manager_factory as _ssot_bench_rel_wmf
""",
        ["SSOT001"],
    ),
]
RELATIVE_FILES = 40


def log(message: str) -> None:
    print(f"[build_corpus] {message}", file=sys.stderr, flush=True)


def downloaded(spec: str) -> list[Path]:
    """The archives of `spec` (name==version) in the downloads folder."""
    name, version = spec.split("==")
    stem = name.lower().replace("-", "_")
    return [
        p
        for p in DOWNLOADS.iterdir()
        if p.name.lower().replace("-", "_").startswith(f"{stem}_{version}") or p.name.lower().startswith(f"{stem}-{version}")
    ]


def is_archive(path: Path) -> bool:
    return path.suffix in {".whl", ".zip"} or path.name.endswith((".tar.gz", ".tgz"))


def download(packages: list[str]) -> list[Path]:
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    wanted = [spec for spec in packages if not downloaded(spec)]
    if wanted:
        log(f"pip download {' '.join(wanted)}")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":none:", "-d", str(DOWNLOADS), *wanted],
            check=True,
        )
    if packages == PACKAGES:
        # Every archive in the folder, as the corpus has always been built.
        return sorted(p for p in DOWNLOADS.iterdir() if is_archive(p))
    return sorted(p for spec in packages for p in downloaded(spec) if is_archive(p))


def archive_stem(path: Path) -> str:
    name = path.name
    for suffix in (".tar.gz", ".tgz", ".whl", ".zip"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    # Wheels: name-version-pyver-abi-platform; keep name-version.
    return "-".join(name.split("-")[:2])


def extract(archives: list[Path], corpus: Path) -> None:
    for archive in archives:
        dest = corpus / archive_stem(archive)
        if archive.suffix in {".whl", ".zip"}:
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if not info.filename.endswith(".py") or info.is_dir():
                        continue
                    target = dest / info.filename
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(info))
        else:
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    if not member.isfile() or not member.name.endswith(".py"):
                        continue
                    parts = Path(member.name).parts[1:]  # drop the sdist's top folder
                    if not parts or ".." in parts:
                        continue
                    target = dest.joinpath(*parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    data = tf.extractfile(member)
                    if data is not None:
                        target.write_bytes(data.read())


def parses(text: str) -> bool:
    try:
        ast.parse(text)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def insertion_line(tree: ast.Module) -> int:
    """0-based line index after the module docstring and leading imports."""
    end = 0
    for index, node in enumerate(tree.body):
        is_docstring = index == 0 and isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) and isinstance(node.value.value, str)
        if is_docstring or isinstance(node, (ast.Import, ast.ImportFrom)):
            end = node.end_lineno or end
            continue
        break
    return end


def inject(text: str, snippet: str) -> str | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    at = insertion_line(tree)
    if at > 0 and lines and not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += newline
    block = newline + snippet.replace("\n", newline) + newline
    new = "".join(lines[:at]) + block + "".join(lines[at:])
    return new if parses(new) else None


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


# ---------------------------------------------------------------- pathological

# Longest run of consecutive comment lines in each pathological file. The
# tree-sitter-python scanner looks past a run of comment lines for the next
# line's indentation, from every line of the run: the cost grows with the
# square of the run's length (measured: 1,000 lines 0.26 s, 2,000 lines 1.2 s,
# 4,000 lines 3.9 s). The files are the same size; only the runs differ.
PATHOLOGICAL_RUNS = [250, 1000, 2000, 4000]


def pathological_text(rng: random.Random, donor_lines: list[str], index: int, run_length: int, target_size: int = 200_000) -> str:
    """Live classes and functions alternating with runs of `run_length` lines
    of code commented out line by line, the `#` at inconsistent indentation
    (with a few blank lines), some runs at top level and some inside a
    function body."""
    out = [
        f'"""Generated pathological module {index}: commented-out code in runs of {run_length} lines."""',
        "import os",
        f"from {FACTORY} import create_websocket_manager",
        "",
    ]
    size = sum(len(line) + 1 for line in out)
    block = 0
    cursor = rng.randrange(len(donor_lines))
    while size < target_size:
        block += 1
        inside_function = block % 2 == 0
        chunk = [
            "",
            f"class _Live{block}:",
            f"    value = {block}",
            "",
            f"    def method_{block}(self, x):",
            "        if x:",
            "            y = x + 1",
        ]
        if not inside_function:
            chunk += ["        else:", "            y = -x", "        return y", ""]
        budget = target_size - size - 400
        lines_left = run_length
        while lines_left > 0 and budget > 0:
            lines_left -= 1
            if rng.random() < 0.04:
                chunk.append("")
                continue
            line = donor_lines[cursor % len(donor_lines)]
            cursor += 1
            style = rng.random()
            indent = " " * rng.choice([0, 1, 2, 3, 4, 6, 8, 10, 12, 16])
            if style < 0.4:
                text = f"{indent}# {line.rstrip()}"  # original indentation after the marker
            elif style < 0.7:
                text = f"{indent}#{line.strip()}"
            elif style < 0.85:
                text = f"#{line.rstrip()}"
            else:
                text = f"{indent}## {line.strip()}"
            chunk.append(text)
            budget -= len(text) + 1
        if inside_function:
            chunk += ["        else:", "            y = -x", "        return y", ""]
        chunk += [
            f"def _live_function_{block}(a, b=None):",
            "    result = []",
            "    for item in a:",
            "        result.append(item)",
            "    return result, create_websocket_manager",
        ]
        out.extend(chunk)
        size += sum(len(line) + 1 for line in chunk)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- build

def build(force: bool, corpus: Path = CORPUS, packages: list[str] = PACKAGES) -> dict:
    manifest_path = corpus / "MANIFEST.json"
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("packages") == packages:
            log(f"reusing {corpus} (--force rebuilds)")
            return manifest
        log(f"{corpus} holds other packages: rebuilding")
    started = time.time()
    archives = download(packages)
    if corpus.exists():
        if corpus != CORPUS and any(corpus.iterdir()) and not manifest_path.exists():
            sys.exit(f"build_corpus: {corpus} is not empty and holds no MANIFEST.json: not replacing it")
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    log(f"extracting {len(archives)} archives")
    extract(archives, corpus)
    files = python_files(corpus)
    log(f"{len(files)} .py files; parsing each with ast.parse")

    rng = random.Random(SEED)
    candidates = []
    unparsable = 0
    texts: dict[Path, str] = {}
    for path in files:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            unparsable += 1
            continue
        if text.startswith("\ufeff") or not parses(text):
            unparsable += 1
            continue
        candidates.append(path)
        texts[path] = text

    count = max(len(FORMS), round(len(candidates) * INJECT_RATE))
    chosen = rng.sample(candidates, count)
    chosen.sort()
    order = list(range(len(FORMS)))
    injected: dict[str, list[str]] = {name: [] for name, _, _ in FORMS + RELATIVE_FORMS}
    skipped_after_injection = 0
    for i, path in enumerate(chosen):
        if i % len(order) == 0:
            rng.shuffle(order)
        name, snippet, _ = FORMS[order[i % len(order)]]
        new = inject(texts[path], snippet)
        if new is None:
            skipped_after_injection += 1
            continue
        path.write_bytes(new.encode("utf-8"))
        injected[name].append(path.relative_to(corpus).as_posix())

    # A fake netra_backend package for relative imports.
    services = corpus / "netra_backend" / "app" / "services"
    services.mkdir(parents=True)
    for folder in (corpus / "netra_backend", corpus / "netra_backend" / "app", services):
        (folder / "__init__.py").write_text("")
    donors = [p for p in candidates if p not in set(chosen)]
    for i, donor in enumerate(rng.sample(donors, RELATIVE_FILES)):
        name, snippet, _ = RELATIVE_FORMS[i % len(RELATIVE_FORMS)]
        new = inject(texts[donor], snippet)
        if new is None:
            skipped_after_injection += 1
            continue
        target = services / f"bench_{i:03d}_{donor.stem}.py"
        target.write_bytes(new.encode("utf-8"))
        injected[name].append(target.relative_to(corpus).as_posix())

    # Pathological files.
    patho_dir = corpus / "pathological"
    patho_dir.mkdir()
    donor_lines = [line for p in rng.sample(candidates, 60) for line in texts[p].splitlines() if line.strip()]
    pathological = []
    for i, run_length in enumerate(PATHOLOGICAL_RUNS):
        text = pathological_text(rng, donor_lines, i, run_length)
        assert parses(text), "a pathological file must parse"
        path = patho_dir / f"commented_out_{i}.py"
        path.write_text(text)
        pathological.append({"path": path.relative_to(corpus).as_posix(), "bytes": len(text.encode()), "lines": text.count("\n"), "comment_run": run_length})

    all_files = python_files(corpus)
    expected_codes: dict[str, int] = {}
    for name, _, codes in FORMS + RELATIVE_FORMS:
        for code in codes:
            expected_codes[code] = expected_codes.get(code, 0) + len(injected[name]) * 1
    # Each pathological file holds one SSOT001 import.
    expected_codes["SSOT001"] = expected_codes.get("SSOT001", 0) + len(pathological)
    manifest = {
        "seed": SEED,
        "packages": packages,
        "archives": [a.name for a in archives],
        "files": len(all_files),
        "bytes": sum(p.stat().st_size for p in all_files),
        "files_not_parsing_before": unparsable,
        "injection_rate": INJECT_RATE,
        "skipped_after_injection": skipped_after_injection,
        "injected_files": sum(len(v) for v in injected.values()),
        "injected_by_form": {name: len(paths) for name, paths in injected.items()},
        "expected_ssot_findings_by_code": dict(sorted(expected_codes.items())),
        "pathological": pathological,
        "injected": injected,
        "build_seconds": round(time.time() - started, 1),
    }
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    if packages == PACKAGES and (manifest["files"] < MIN_FILES or manifest["bytes"] < MIN_BYTES):
        log(f"warning: corpus is small ({manifest['files']} files, {manifest['bytes'] / 1e6:.0f} MB): add packages")
    log(f"corpus: {manifest['files']} files, {manifest['bytes'] / 1e6:.1f} MB, {manifest['injected_files']} injected")
    return manifest


def build_scaled(factor: int, manifest: dict) -> Path:
    """target/bench/corpus-xN: N copies of the corpus side by side."""
    dest = BENCH / f"corpus-x{factor}"
    stamp = dest / "SCALE.json"
    identity = hashlib.sha256((CORPUS / "MANIFEST.json").read_bytes()).hexdigest()
    if stamp.exists() and json.loads(stamp.read_text()).get("manifest_sha256") == identity:
        log(f"reusing {dest}")
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for copy in range(factor):
        shutil.copytree(CORPUS, dest / f"copy{copy}", ignore=shutil.ignore_patterns("MANIFEST.json"))
    stamp.write_text(json.dumps({"manifest_sha256": identity, "factor": factor, "files": manifest["files"] * factor, "bytes": manifest["bytes"] * factor}) + "\n")
    log(f"built {dest}")
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="rebuild the corpus from the downloads")
    parser.add_argument("--scale", type=int, default=1, help="also build corpus-x2 .. corpus-xN (powers of two up to N)")
    parser.add_argument("--packages", help="comma-separated names of some of the pinned packages (default: all)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="output folder (default: target/bench/corpus)")
    args = parser.parse_args()
    packages = select_packages(args.packages)
    corpus = args.corpus.resolve()
    if packages != PACKAGES and corpus == CORPUS:
        parser.error("--packages needs --corpus: target/bench/corpus is the benchmark corpus of every package")
    if args.scale > 1 and corpus != CORPUS:
        parser.error("--scale builds copies of target/bench/corpus only")
    manifest = build(args.force, corpus, packages)
    factor = 2
    while factor <= args.scale:
        build_scaled(factor, manifest)
        factor *= 2
    print(corpus)


def select_packages(names: str | None) -> list[str]:
    if not names:
        return PACKAGES
    by_name = {spec.split("==")[0].lower().replace("_", "-"): spec for spec in PACKAGES}
    chosen = []
    for name in names.split(","):
        key = name.strip().lower().replace("_", "-")
        if key not in by_name:
            sys.exit(f"build_corpus: unknown package {name!r}; pinned: {', '.join(sorted(by_name))}")
        if by_name[key] not in chosen:
            chosen.append(by_name[key])
    return [spec for spec in PACKAGES if spec in chosen]


if __name__ == "__main__":
    main()
