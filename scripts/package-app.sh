#!/bin/sh
# Builds the Functions deployment package in .deploy/governor/: what the app loads at run time and
# nothing else. azd zips that folder (azure.yaml: dist, with remoteBuild off so the platform does
# not reinstall anything); `sh scripts/package-app.sh` builds the same folder by hand.
#
#   package.json, package-lock.json, host.json   the app's manifest, pinned tree and host settings
#   dist/functions, dist/shared                  compiled code (no tests, scripts, simulator or .ts)
#   node_modules                                 `npm ci --omit=dev`: production dependencies only
#
# The last step loads the package's entry point with only those dependencies, so a run-time import
# of a development dependency fails here rather than in Azure.
set -eu
cd "$(dirname "$0")/.."

out=.deploy/governor
rm -rf "$out"
mkdir -p "$out/dist"
npm run build --silent
cp package.json package-lock.json host.json "$out/"
cp -R dist/functions dist/shared "$out/dist/"
# --ignore-scripts: the package's own "prepare" (tsc) needs development dependencies and its dist/ is already here.
(cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
# A placeholder records store: the app validates its settings when it loads, and nothing is called.
(cd "$out" && D4AI_RECORDS_CONNECTION=UseDevelopmentStorage=true node -e "require('./dist/functions/index.js'); console.log('package loads: dist/functions/index.js with production dependencies only')")
echo "deployment package: $(du -sh "$out" | cut -f1) in $out ($(find "$out" -type f | wc -l) files)"
