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
const cli = require(compiled);
// Exit once stdout and stderr are flushed: a request the CLI gave up on (an identity endpoint that
// never answered) may still hold a socket open, and process.exit() alone can cut off a pipe.
cli.main(process.argv).then(cli.exitWhenFlushed);
