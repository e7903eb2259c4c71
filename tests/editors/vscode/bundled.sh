#!/usr/bin/env bash
# `npm run package:bundled` with the server under test (a stripped copy of
# the debug binary, to keep the test quick; releases bundle the release
# binary), then checks the .vsix: the platform in its manifest, the server
# as an executable `extension/bin/ssot-lsp` that is byte for byte the one
# given, the LICENSE. Usage: bundled.sh SSOT_LSP
set -euo pipefail
server=$1
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ssot-vsix-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$server" "$work/ssot-lsp"
strip "$work/ssot-lsp" 2>/dev/null || true
cd "$repo/editors/vscode"
rm -f ssot-lsp-*.vsix
SSOT_BUNDLE_SERVER="$work/ssot-lsp" npm run -s package:bundled >"$work/package.log" 2>&1 || { cat "$work/package.log"; exit 1; }
vsix=$(ls ssot-lsp-*.vsix)
python3 - "$vsix" "$work/ssot-lsp" <<'PY'
import hashlib, re, sys, zipfile
vsix, server = sys.argv[1], sys.argv[2]
archive = zipfile.ZipFile(vsix)
names = archive.namelist()
entry = archive.getinfo("extension/bin/ssot-lsp")
assert (entry.external_attr >> 16) & 0o111, f"bin/ssot-lsp is not executable: {oct(entry.external_attr >> 16)}"
bundled = hashlib.sha256(archive.read(entry)).hexdigest()
given = hashlib.sha256(open(server, "rb").read()).hexdigest()
assert bundled == given, "the bundled server is not the one given"
assert any(name.lower().startswith("extension/license") for name in names), names
manifest = archive.read("extension.vsixmanifest").decode()
platform = re.search(r'TargetPlatform="([^"]+)"', manifest)
assert platform and platform.group(1) in vsix, f"target platform {platform and platform.group(1)} vs {vsix}"
print(f"{vsix}: bin/ssot-lsp (executable, {entry.file_size // 1024} KB), LICENSE, TargetPlatform={platform.group(1)}")
PY
rm -f "$vsix"
