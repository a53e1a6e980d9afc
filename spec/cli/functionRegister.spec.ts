import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

describe('funcx-rx function register', () => {
  let local: LocalService;
  let dir: string;
  before(async () => {
    local = await startLocalService({ workers: 1 });
    dir = await mkdtemp(join(tmpdir(), 'funcx-fn-'));
  });
  after(async () => {
    await local.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('should register a file holding a function and print an id that runs', async () => {
    const file = join(dir, 'triple.js');
    await writeFile(file, 'async (x) => {\n  await new Promise((resolve) => setTimeout(resolve, 1));\n  return x * 3;\n};\n');
    const { code, stdout, stderr } = await cli({ FUNCX_SERVICE_URL: local.url, FUNCX_TOKEN: local.token }, 'function', 'register', file, '--json');
    assert.equal(code, 0, stderr);
    const { function_id: functionId, name } = JSON.parse(stdout) as { function_id: string; name: string };
    assert.equal(name, 'triple');
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    assert.equal(await fxc.run({ functionId, endpointId: local.endpointId }, 7), 21);
  });

  it('should fail with one clear line for a refused token', async () => {
    const file = join(dir, 'id.js');
    await writeFile(file, '(x) => x');
    const { code, stderr } = await cli({}, 'function', 'register', file, '--service', local.url, '--token', 'wrong');
    assert.equal(code, 1);
    assert.match(stderr, /^funcx-rx: .*(token|Bearer).*\n$/);
  });
});
