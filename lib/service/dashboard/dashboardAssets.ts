import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` writes the page script (dist/dashboard/app.js, beside dist/service/). */
const BUILT = new URL('../../dashboard/app.js', import.meta.url);
/** The page script's source, for a service run from the sources (specs, `tsx`). */
const SOURCE = new URL('../../dashboard/app.ts', import.meta.url);

let script: Promise<string> | undefined;
let css: Promise<string> | undefined;

/**
 * The dashboard's page script: the bundle `npm run build` made with esbuild, or, run from the
 * sources, the same bundle made once on first use (esbuild is then at hand as a dev dependency).
 *
 * @returns the script
 * @example
 * ```ts
 * reply.type('text/javascript').send(await dashboardScript());
 * ```
 */
export function dashboardScript(): Promise<string> {
  script ??= readFile(BUILT, 'utf8').catch(async () => {
    const { build } = await import('esbuild');
    const out = await build({ entryPoints: [fileURLToPath(SOURCE)], bundle: true, minify: true, format: 'iife', target: 'es2022', write: false, logLevel: 'silent' });
    return out.outputFiles[0]!.text;
  });
  // A failed build is not kept: the next request tries again (and says why).
  script.catch(() => (script = undefined));
  return script;
}

/**
 * uPlot's stylesheet, from its package.
 *
 * @returns the CSS
 * @example
 * ```ts
 * reply.type('text/css').send(await uPlotCss());
 * ```
 */
export function uPlotCss(): Promise<string> {
  css ??= readFile(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), 'utf8');
  css.catch(() => (css = undefined));
  return css;
}
