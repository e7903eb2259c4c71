#!/usr/bin/env bash
# Runs tests/editors/emacs/test.el: editors/emacs/ssot-lsp.el in a real Emacs
# (batch) with eglot, against the real ssot-lsp, on a copy of demo/.
# Usage: run.sh SSOT_LSP   (needs Debian's emacs-nox and elpa-eglot)
set -euo pipefail
server=$1
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
eglot_dir=$(ls -d /usr/share/emacs/site-lisp/elpa/eglot-* | head -1)
work="$(mktemp -d "${TMPDIR:-/tmp}/ssot-emacs-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
for copy in ws expected; do
  cp -r "$repo/demo" "$work/$copy"
  printf '# The demo project: the built-in rules.\nextend-builtin = true\n' > "$work/$copy/ssot.toml"
done
"$server" check "$work/expected" --fix --no-color >/dev/null || [ $? -eq 1 ]
git -C "$work/ws" init -q   # eglot's project root
export SSOT_TEST_WS="$work/ws" SSOT_TEST_EXPECTED="$work/expected" SSOT_LSP_PATH="$server" HOME="$work/home"
mkdir -p "$HOME"
load_path=()
for dir in /usr/share/emacs/site-lisp/elpa/*/; do load_path+=(-L "$dir"); done
timeout 120 emacs --batch -Q "${load_path[@]}" -l "$eglot_dir/eglot.el" \
  -l "$repo/editors/emacs/ssot-lsp.el" -l "$repo/tests/editors/emacs/test.el" 2>"$work/stderr" || {
  status=$?
  tail -20 "$work/stderr" >&2
  exit $status
}
