import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { python } from '../../lib/client/PythonFunction.js';
import { startCli, type CliProcess } from '../support/cli.js';

/**
 * `funcx-rx serve --python-path`: the local endpoint's Python workers import from the directories
 * given (as a Globus Compute user's SDK), on real CPython.
 */
describe('funcx-rx serve --python-path', () => {
  let dir: string;
  let serve: CliProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'funcx-rx-pythonpath-'));
    await writeFile(join(dir, 'fxrx_marker_module.py'), 'MARK = "imported from --python-path"\n');
    serve = await startCli(['serve', '--json', '--workers', '1', '--log-level', 'warn', '--python-path', `/nonexistent:${dir}`]);
  });
  after(async () => {
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a Python task imports a module that only the given directory holds', async () => {
    const fxc = new FuncXClient({ serviceUrl: serve.info.url!, token: serve.info.token!, asynchronous: true }) as FuncXClient<true>;
    try {
      const functionId = await fxc.registerFunction(python<() => string>`
        def mark():
            import fxrx_marker_module
            return fxrx_marker_module.MARK
      `);
      assert.equal(await fxc.run({ functionId, endpointId: serve.info.endpoint_id! }), 'imported from --python-path');
    } finally {
      await fxc.close();
    }
  });
});
