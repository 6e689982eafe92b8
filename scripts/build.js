#!/usr/bin/env node
// Transpiles src/ to dist/ with swc (no type-check: `npm run typecheck` does that),
// and only when a source is newer than the last build, so `npm start` stays fast.
// `--force` rebuilds from scratch.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const srcDir = path.join(root, 'src');
const outDir = path.join(root, 'dist');
const stamp = path.join(outDir, '.build-stamp');
const swcrc = path.join(root, '.swcrc');

function listSources(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__tests__') found.push(...listSources(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
      found.push(full);
    }
  }
  return found;
}

function newestMtime(files) {
  return files.reduce((max, file) => Math.max(max, fs.statSync(file).mtimeMs), 0);
}

function isStale(sources) {
  if (!fs.existsSync(stamp)) return true;
  const built = fs.statSync(stamp).mtimeMs;
  // A deleted source changes the directory listing recorded in the stamp.
  if (fs.readFileSync(stamp, 'utf8') !== sources.map((f) => path.relative(root, f)).join('\n')) return true;
  return newestMtime([...sources, swcrc]) > built;
}

function build(sources) {
  const swc = require('@swc/core');
  const options = JSON.parse(fs.readFileSync(swcrc, 'utf8'));
  delete options.$schema;
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const file of sources) {
    const rel = path.relative(srcDir, file);
    const target = path.join(outDir, rel.replace(/\.ts$/, '.js'));
    const { code, map } = swc.transformFileSync(file, {
      ...options,
      swcrc: false,
      filename: file,
      sourceFileName: path.relative(path.dirname(target), file),
    });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
    if (map) fs.writeFileSync(`${target}.map`, map);
  }
  fs.writeFileSync(stamp, sources.map((f) => path.relative(root, f)).join('\n'));
}

const sources = listSources(srcDir).sort();
if (process.argv.includes('--force') || isStale(sources)) {
  const started = Date.now();
  build(sources);
  process.stderr.write(`built ${sources.length} files into dist/ in ${Date.now() - started} ms\n`);
}
