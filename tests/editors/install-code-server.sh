#!/usr/bin/env bash
# Installs code-server (VS Code in a browser) from npm into a cache folder,
# offline-safe: no post-install step may download anything (see
# shared/EDITOR-TESTING.md). Usage: install-code-server.sh DEST VERSION
# Leaves DEST/node_modules/.bin/code-server and a DEST/.complete marker.
set -euo pipefail
dest=$1
version=$2
[ -f "$dest/.complete" ] && exit 0
rm -rf "$dest"
mkdir -p "$dest"
cd "$dest"
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

echo "code-server: npm install code-server@$version (no scripts)"
npm init -y >/dev/null
npm install --ignore-scripts --no-save --loglevel=error "code-server@$version"
npm rebuild argon2 --loglevel=error

vscode=node_modules/code-server/lib/vscode
echo "code-server: VS Code's own dependencies"
(cd "$vscode" && npm install --omit=dev --ignore-scripts --loglevel=error)
mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
cp "$(command -v rg)" "$vscode/node_modules/@vscode/ripgrep/bin/rg"
(cd "$vscode" && npm rebuild --loglevel=error)
# The links code-server's own post-install would have made.
ln -sfn node_modules "$vscode/node_modules.asar"
ln -sfn code-linux.sh "$vscode/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$vscode/bin/helpers/browser.sh"
echo "code-server: built-in extensions' dependencies"
(cd "$vscode/extensions" && npm install --omit=dev --loglevel=error)
touch .complete
echo "code-server: installed in $dest"
