#!/usr/bin/env bash
# End-to-end tests of `ssot-lsp serve` with pytest-lsp (tests/lsp/test_server.py),
# once with VS Code-like (push diagnostics) and once with Neovim 0.11-like
# (pull diagnostics) client capabilities.
#
# Installs what it needs: a venv at target/pytest-lsp-venv with pytest,
# pytest-lsp and cattrs<25 (lsprotocol 2025.0.0 cannot decode some results
# with cattrs 25+), only when they are missing, so a second run is fast.
# Tests the binary named by SSOT_LSP_BIN; when unset, builds
# target/debug/ssot-lsp first. Extra arguments go to pytest.
# Exit code: pytest's.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
venv=$repo/target/pytest-lsp-venv
python=$venv/bin/python

if [ ! -x "$python" ]; then
  echo "== creating $venv"
  python3 -m venv "$venv"
fi
if ! "$python" - <<'EOF' 2>/dev/null; then
import importlib.metadata as m
from packaging.version import Version
m.version("pytest"), m.version("pytest-lsp")
assert Version(m.version("cattrs")) < Version("25")
EOF
  echo "== installing pytest, pytest-lsp, cattrs<25"
  "$python" -m pip install -q --disable-pip-version-check pytest pytest-lsp 'cattrs<25'
fi

if [ -z "${SSOT_LSP_BIN:-}" ]; then
  (cd "$repo" && cargo build -q)
  export SSOT_LSP_BIN=$repo/target/debug/ssot-lsp
elif [[ $SSOT_LSP_BIN != /* && $SSOT_LSP_BIN == */* ]]; then
  export SSOT_LSP_BIN=$PWD/$SSOT_LSP_BIN   # relative to the caller, not the repo
fi

cd "$repo"
# No .pytest_cache or __pycache__ in the work tree.
export PYTHONDONTWRITEBYTECODE=1
set +e
"$python" -m pytest tests/lsp -q -p no:cacheprovider \
  -o asyncio_default_fixture_loop_scope=function "$@"
status=$?
exit $status
