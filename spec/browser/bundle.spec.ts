import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('browser entry point', () => {
  it('should bundle for the browser without ws, node: built-ins or the service', async () => {
    const imported = new Set<string>();
    const result = await build({
      entryPoints: [`${root}/lib/index.ts`],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      // '#websocket' resolves through package.json "imports": the browser takes the default branch.
      alias: { '#websocket': `${root}/lib/transport/websocket.browser.ts` },
      metafile: true,
      plugins: [
        {
          name: 'record-imports',
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              imported.add(args.path);
              return undefined;
            });
          },
        },
      ],
    });
    assert.deepEqual(result.errors, []);
    const forbidden = [...imported].filter((path) => path === 'ws' || path.startsWith('node:') || builtinModules.includes(path) || /\/(service|endpoint|local|cli)\//.test(path));
    assert.deepEqual(forbidden, []);
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((path) => path.includes('websocket.browser')), 'the browser WebSocket factory is the one bundled');
    assert.ok(!inputs.some((path) => path.includes('websocket.node')));
  });
});
