#!/usr/bin/env bash
# Builds Ferry's web UI into web/dist/ (index.html, assets/app.js, assets/app.css), which
# src/Ferry.Web embeds into ferryd. Pinned toolchain from package-lock.json (esbuild, TypeScript);
# nothing is fetched at run time and the pages load nothing from elsewhere.
#
#   web/build.sh           npm ci when node_modules is missing or older than the lock file, type-check, bundle
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "error: node and npm are needed to build the web UI (apt-get install nodejs npm)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "web: npm ci (esbuild, typescript from package-lock.json)"
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi

echo "web: type-checking (tsc --noEmit, strict)"
node_modules/.bin/tsc -p tsconfig.json --noEmit

rm -rf dist.tmp
mkdir -p dist.tmp/assets
node_modules/.bin/esbuild src/main.ts --bundle --minify --target=es2022 --format=iife \
  --legal-comments=none --log-level=warning --outfile=dist.tmp/assets/app.js
node_modules/.bin/esbuild src/styles/app.css --bundle --minify --log-level=warning --outfile=dist.tmp/assets/app.css
cp src/index.html dist.tmp/index.html
cp src/favicon.svg dist.tmp/assets/favicon.svg
# Swap in one step so a running build never sees half a dist/.
rm -rf dist
mv dist.tmp dist
printf 'web: built %s (%s bytes js, %s bytes css)\n' "$PWD/dist" "$(stat -c %s dist/assets/app.js)" "$(stat -c %s dist/assets/app.css)"
