#!/bin/sh
# Rebuild ../static from the pinned packages (package-lock.json) and the
# page's own files. Run after changing package.json or the page's own
# webssh.js/css, keybar.js, messages.js or wsworker.js, then
# commit ../static: `go build` embeds it and needs no npm.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../static
rm -rf "$out"
mkdir -p "$out"
cp node_modules/@xterm/xterm/lib/xterm.js "$out/xterm.js"
cp node_modules/@xterm/xterm/css/xterm.css "$out/xterm.css"
cp node_modules/@xterm/addon-fit/lib/addon-fit.js "$out/addon-fit.js"
cp node_modules/@xterm/xterm/LICENSE "$out/LICENSE.xterm"
if [ -f node_modules/@xterm/addon-fit/LICENSE ]; then cp node_modules/@xterm/addon-fit/LICENSE "$out/LICENSE.addon-fit"; fi
cp webssh.js webssh.css keybar.js messages.js wsworker.js "$out/"
# The UMD bundles end with a sourceMappingURL comment whose .map we do
# not ship; drop it so browsers do not ask for it.
sed -i '/^\/\/# sourceMappingURL=/d' "$out/xterm.js" "$out/addon-fit.js"
ls -l "$out"
