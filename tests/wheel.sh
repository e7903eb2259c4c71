#!/usr/bin/env bash
# Installs ssot-lsp the way a Python developer without Rust does, and uses it:
#   1. builds the wheel (pyproject.toml, maturin from PyPI in a venv under
#      target/wheel-tools); with the dev profile by default, reusing
#      target/debug, to keep the test cheap (releases use --release);
#   2. installs it into a fresh venv with pip, offline (--no-index);
#   3. with no cargo on PATH, runs `ssot-lsp --version`, `check` on a copy
#      of demo/ (findings, exit 1), `check --fix` on it, and `serve`
#      (initialize, shutdown, exit over stdio); then `uvx --from WHEEL` and
#      `pipx run --spec WHEEL` (uv and pipx from PyPI), offline;
#   4. runs the hooks of .pre-commit-hooks.yaml with `pre-commit try-repo`
#      on a temporary git repository, from a mirror repository that holds
#      this manifest and depends on the wheel (pip reads only the local
#      wheel folder: no index, no Rust toolchain);
#   5. runs the shell steps of action.yml (the composite GitHub Action) with
#      the installed binary: SARIF written, annotations, the baseline.
# Usage: tests/wheel.sh   (SSOT_WHEEL_PROFILE=release for a release wheel)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
profile=${SSOT_WHEEL_PROFILE:-dev}
tools=$repo/target/wheel-tools
work=$repo/target/wheel-test
maturin_version=1.16.0
pre_commit_version=4.7.0
uv_version=0.13.9
pipx_version=1.18.4
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Tools, once: maturin, pre-commit, and the wheels a mirror repository's
# build needs (setuptools, wheel) to sit in the offline wheel folder.
versions="$maturin_version $pre_commit_version $uv_version $pipx_version"
if [ ! -x "$tools/bin/maturin" ] || [ "$(cat "$tools/.versions" 2>/dev/null)" != "$versions" ]; then
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q "maturin==$maturin_version" "pre-commit==$pre_commit_version" \
    "uv==$uv_version" "pipx==$pipx_version"
  "$tools/bin/pip" download -q --only-binary :all: -d "$tools/offline-wheels" setuptools wheel
  echo "$versions" >"$tools/.versions"
fi

rm -rf "$work"
mkdir -p "$work/wheels"
echo "== build the wheel (profile $profile)"
"$tools/bin/maturin" build --profile "$profile" --locked --out "$work/wheels" 2>&1 | grep -E 'Built wheel|warning|error' || true
wheel=$(ls "$work"/wheels/ssot_lsp-*.whl)
echo "wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KB)"
cp "$tools"/offline-wheels/*.whl "$work/wheels/"

echo "== install into a fresh venv, offline"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --no-index --find-links "$work/wheels" ssot-lsp

# From here on, PATH has the venv and the system, but no cargo or rustc.
clean_path="$work/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
run() { env -u CARGO_HOME -u RUSTUP_HOME PATH="$clean_path" "$@"; }
if run bash -c 'command -v cargo || command -v rustc'; then
  echo "tests/wheel.sh: cargo is still on the clean PATH" >&2
  exit 1
fi
test "$(run bash -c 'command -v ssot-lsp')" = "$work/venv/bin/ssot-lsp"

echo "== ssot-lsp from the venv"
run ssot-lsp --version
cp -r demo "$work/demo"
set +e
run bash -c "cd '$work' && ssot-lsp check demo --format concise" >"$work/check.out"
status=$?
set -e
test "$status" = 1 || { echo "check exited with $status, expected 1" >&2; cat "$work/check.out"; exit 1; }
grep -q 'SSOT00' "$work/check.out" || { echo "check found nothing" >&2; exit 1; }
echo "check: $(grep -c SSOT00 "$work/check.out") findings, exit 1"
run bash -c "cd '$work' && ssot-lsp check demo --fix" >"$work/fix.out" || true
grep -E '^Fixed [1-9]' "$work/fix.out" || { echo "check --fix fixed nothing" >&2; cat "$work/fix.out"; exit 1; }
run python3 tests/wheel/serve_handshake.py "$work/demo"

echo "== uvx and pipx run, from the wheel, offline"
uvx_version=$(run env UV_CACHE_DIR="$work/uv-cache" "$tools/bin/uv" tool run --offline --from "$wheel" ssot-lsp --version)
pipx_version_out=$(run env PIPX_HOME="$work/pipx" PIP_NO_INDEX=1 "$tools/bin/pipx" run --spec "$wheel" ssot-lsp --version 2>/dev/null)
installed_version=$(run ssot-lsp --version)
test "$uvx_version" = "$installed_version" -a "$pipx_version_out" = "$installed_version" || {
  echo "uvx: '$uvx_version', pipx run: '$pipx_version_out'" >&2
  exit 1
}
echo "uvx and pipx run: $uvx_version"

echo "== pre-commit try-repo, hooks from .pre-commit-hooks.yaml"
mirror=$work/mirror
mkdir -p "$mirror"
cp .pre-commit-hooks.yaml "$mirror/"
cat >"$mirror/setup.py" <<'PY'
from setuptools import setup
setup(name="ssot-lsp-pre-commit", version="0", install_requires=["ssot-lsp"], py_modules=[])
PY
git -C "$mirror" init -q && git -C "$mirror" add -A && git -C "$mirror" -c user.name=t -c user.email=t@t commit -qm mirror
project=$work/project
mkdir -p "$project/app" "$project/legacy"
printf 'from netra_backend.app.websocket_core import create_websocket_manager\n' >"$project/app/bad.py"
cp "$project/app/bad.py" "$project/legacy/old.py"
printf 'exclude = ["legacy"]\n' >"$project/ssot.toml"
git -C "$project" init -q && git -C "$project" add -A
hooks_env() { run env PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" PRE_COMMIT_HOME="$work/pre-commit-home" "$@"; }
set +e
(cd "$project" && hooks_env "$tools/bin/pre-commit" try-repo "$mirror" ssot-lsp --all-files) >"$work/hook.out" 2>&1
status=$?
set -e
cat "$work/hook.out"
test "$status" = 1 || { echo "the ssot-lsp hook exited with $status, expected 1 (a finding)" >&2; exit 1; }
grep -q 'app/bad.py:1:.*SSOT002' "$work/hook.out" || { echo "the hook did not report app/bad.py" >&2; exit 1; }
if grep -q 'legacy/old.py' "$work/hook.out"; then echo "the hook checked an excluded file" >&2; exit 1; fi
set +e
(cd "$project" && hooks_env "$tools/bin/pre-commit" try-repo "$mirror" ssot-lsp-fix --all-files) >"$work/hook-fix.out" 2>&1
set -e
grep -q 'websocket_manager import get_websocket_manager' "$project/app/bad.py" || { cat "$work/hook-fix.out"; echo "the fix hook did not fix app/bad.py" >&2; exit 1; }
grep -q 'websocket_core import create_websocket_manager' "$project/legacy/old.py" || { echo "the fix hook touched an excluded file" >&2; exit 1; }
(cd "$project" && hooks_env "$tools/bin/pre-commit" try-repo "$mirror" ssot-lsp --all-files) >/dev/null 2>&1 || {
  echo "the ssot-lsp hook still fails after the fix" >&2
  exit 1
}
echo "== action.yml's steps, with the installed ssot-lsp"
ci=$work/ci
cp -r demo "$ci"
action_step() { # action_step NAME: prints the `run` script of that step
  "$tools/bin/python" -c 'import sys, yaml
steps = yaml.safe_load(open("action.yml"))["runs"]["steps"]
print(next(step["run"] for step in steps if step.get("name") == sys.argv[1]))' "$1"
}
sarif_step=$(action_step "SARIF for code scanning")
check_step=$(action_step "Check (annotations on the pull request)")
in_ci() { (cd "$ci" && run env SSOT_PATHS=. SSOT_ARGS= SSOT_BASELINE="$1" bash -euo pipefail -c "$2"); }
in_ci "" "$sarif_step"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["version"] == "2.1.0" and d["runs"][0]["results"], d' "$ci/ssot.sarif"
set +e
in_ci "" "$check_step" >"$work/annotations.out"
status=$?
set -e
test "$status" = 1 || { echo "the action's check step exited with $status, expected 1" >&2; exit 1; }
grep -q '^::warning file=netra_backend/' "$work/annotations.out" || { echo "no annotations" >&2; cat "$work/annotations.out"; exit 1; }
(cd "$ci" && run ssot-lsp check . --write-baseline ssot-baseline.json >/dev/null)
in_ci ssot-baseline.json "$check_step" || { echo "the check step fails despite a baseline of every finding" >&2; exit 1; }
echo "action.yml: SARIF, $(grep -c '^::' "$work/annotations.out") annotations, baseline"
echo "tests/wheel.sh: all steps passed"
