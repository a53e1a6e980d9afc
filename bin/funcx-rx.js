#!/usr/bin/env node
// The package's command: the compiled CLI (built by `npm ci` / `npm run build`).
import '../dist/cli/main.js';
