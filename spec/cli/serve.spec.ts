import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the CLI from its TypeScript source, as the built `bin/funcx-rx.js` runs its compiled twin. */
function cli(...args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('funcx-rx serve', () => {
  it('should print one JSON line, serve, and stop with exit code 0 on SIGTERM', async () => {
    const child = cli('serve', '--json', '--workers', '2');
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const info = JSON.parse(first) as { url: string; token: string; endpoint_id: string };
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.endpoint_id, /^[0-9a-f-]{36}$/);

    const auth = await fetch(`${info.url}/v2/authenticate`, { headers: { authorization: `Bearer ${info.token}` } });
    assert.equal(await auth.json(), 'OK');
    const status = await fetch(`${info.url}/v2/endpoints/${info.endpoint_id}/status`, { headers: { authorization: `Bearer ${info.token}` } });
    assert.equal(((await status.json()) as { status: string }).status, 'online');

    child.kill('SIGTERM');
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(signal, null);
    assert.equal(code, 0);
    await assert.rejects(fetch(`${info.url}/v2/version`), 'the port is closed after the stop');
  });

  it('should refuse a bad option with a clear message and a non-zero exit', async () => {
    const child = cli('serve', '--workers', 'zero');
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const [code] = (await once(child, 'exit')) as [number];
    assert.notEqual(code, 0);
    assert.match(stderr, /Expected a whole number from 1 and up, got `zero`/);
  });
});

describe('funcx-rx endpoint', () => {
  it('should say clearly when the service refuses its secret, and exit 1', async () => {
    const { FuncXService } = await import('../../lib/service/FuncXService.js');
    const service = await FuncXService.start();
    try {
      const { endpointId } = await service.registerEndpoint((await service.issueToken()).userId);
      const child = cli('endpoint', '--service', service.url, '--endpoint-id', endpointId, '--secret', 'wrong', '--workers', '1');
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 1);
      assert.match(stderr, /^funcx-rx: The service refused the endpoint's credentials \(HTTP 403\)\n$/);
    } finally {
      await service.close();
    }
  });
});
