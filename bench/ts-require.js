'use strict';
// Lets a benchmark script require TypeScript (the fake Klaviyo lives in test/fakes) by
// transpiling with the project's own swc settings as files are loaded.
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const options = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '.swcrc'), 'utf8'));
delete options.$schema;
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformFileSync(filename, { ...options, swcrc: false, filename });
  module._compile(code, filename);
};
