#!/usr/bin/env node
// Copies the non-TypeScript files the compiled core loads at run time (the ledger's migrations)
// next to their compiled modules. The target folder is mirrored, not merged: a migration renamed
// or removed in src must not linger in dist, where the ledger would apply it.

import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ASSETS = [{ from: 'src/main/core/ledger/sql', to: 'dist/main/core/ledger/sql', ext: '.sql' }];

for (const { from, to, ext } of ASSETS) {
  const source = join(root, from);
  const target = join(root, to);
  const wanted = readdirSync(source).filter((name) => name.endsWith(ext));
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(target)) {
    if (name.endsWith(ext) && !wanted.includes(name)) rmSync(join(target, name));
  }
  for (const name of wanted) copyFileSync(join(source, name), join(target, name));
  console.log(`copy-assets: ${wanted.length} ${ext} file(s) → ${to}`);
}
