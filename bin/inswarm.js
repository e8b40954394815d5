#!/usr/bin/env node
// The `inswarm` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import '../dist/main/cli.js';
