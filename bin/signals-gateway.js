#!/usr/bin/env node
'use strict';
// The CLI runs from the transpiled build (made by `npm install`'s prepare step).
require('../dist/cli/index.js')
  .runCli(process.argv.slice(2))
  .then((code) => { process.exitCode = code; });
