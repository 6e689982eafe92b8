'use strict';
// The intake writer thread (and spawned gateways) run the built code in dist/: build it
// when sources changed, so a bare `npx jest` tests what it reads. A no-op when fresh.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = () => {
  execFileSync(process.execPath, [join(__dirname, '../../scripts/build.js')], { stdio: 'inherit' });
};
