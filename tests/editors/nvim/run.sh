#!/usr/bin/env bash
# Runs tests/editors/nvim/test.lua in a real, headless Neovim against the real
# ssot-lsp binary, on a fresh copy of demo/ (with an ssot.toml so the copy is
# a project root), and compares with what `ssot-lsp check --fix` makes of
# another copy. Usage: run.sh NVIM SSOT_LSP START(enable|setup) SCENARIO(full|basic)
set -euo pipefail
nvim=$1
server=$2
start=$3
scenario=$4
repo="$(cd "$(dirname "$0")/../../.." && pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/ssot-nvim-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
for copy in ws expected; do
  cp -r "$repo/demo" "$work/$copy"
  printf '# The demo project: the built-in rules.\nextend-builtin = true\n' > "$work/$copy/ssot.toml"
done
# Exit 1 means findings are left (the unsafe and manual ones): expected.
"$server" check "$work/expected" --fix --no-color >/dev/null || [ $? -eq 1 ]

export SSOT_TEST_WS="$work/ws" SSOT_TEST_EXPECTED="$work/expected"
export SSOT_TEST_START="$start" SSOT_TEST_SCENARIO="$scenario" SSOT_LSP_PATH="$server"
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
cd "$work/ws"
# -u NONE: no user config; the plugin comes in through 'runtimepath' only.
timeout 180 "$nvim" --headless -u NONE -i NONE -n \
  --cmd "set runtimepath^=$repo/editors/nvim" \
  -c "luafile $repo/tests/editors/nvim/test.lua" </dev/null
