#!/bin/sh
# Rebuild vendor/ from the pinned packages (package-lock.json), then
# ../static from vendor/ and the page's own files (go generate in
# pkg/webssh does only the second step: enough after editing webssh.js/css,
# keybar.js, messages.js or inputworker.js). Run after changing package.json,
# then commit vendor/ and ../static: `go build` embeds ../static (the
# gzip-compressed files only) and needs no npm.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=vendor
rm -rf "$out"
mkdir -p "$out"
cp node_modules/@xterm/xterm/lib/xterm.js "$out/xterm.js"
cp node_modules/@xterm/xterm/css/xterm.css "$out/xterm.css"
cp node_modules/@xterm/addon-fit/lib/addon-fit.js "$out/addon-fit.js"
cp node_modules/@xterm/xterm/LICENSE "$out/LICENSE.xterm"
if [ -f node_modules/@xterm/addon-fit/LICENSE ]; then cp node_modules/@xterm/addon-fit/LICENSE "$out/LICENSE.addon-fit"; fi
# The UMD bundles end with a sourceMappingURL comment whose .map we do
# not ship; drop it so browsers do not ask for it.
sed -i '/^\/\/# sourceMappingURL=/d' "$out/xterm.js" "$out/addon-fit.js"
cd .. && go run ./internal/mkstatic -ui ui -out static
