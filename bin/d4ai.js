#!/usr/bin/env node
'use strict';
// Entry point for the d4ai CLI: runs the compiled engine (npm ci builds it through "prepare").
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'shared', 'cli', 'main.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write('d4ai: not built yet; run "npm run build" (npm ci does it for you).\n');
  process.exit(2);
}
require(compiled)
  .main(process.argv)
  .then((code) => {
    // Exit now: a request the CLI gave up on (an identity endpoint that never answered) may still
    // hold a socket open; stdout and stderr are written synchronously to files, pipes and TTYs here.
    process.exit(code);
  });
