// Bundles the dashboard's page script (lib/dashboard/app.ts, with uPlot) into dist/dashboard/app.js.
import { build } from 'esbuild';

await build({ entryPoints: ['lib/dashboard/app.ts'], bundle: true, minify: true, format: 'iife', target: 'es2022', outfile: 'dist/dashboard/app.js', logLevel: 'warning' });
