import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function cli(...args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('funcx-rx serve --cors', () => {
  it('should answer CORS for the listed origins only', async () => {
    const child = cli('serve', '--json', '--workers', '1', '--cors', 'http://127.0.0.1:4200, http://localhost:4200');
    try {
      const [first] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { url } = JSON.parse(first) as { url: string };
      const allowed = await fetch(`${url}/v2/submit`, { method: 'OPTIONS', headers: { origin: 'http://localhost:4200', 'access-control-request-method': 'POST' } });
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://localhost:4200');
      const other = await fetch(`${url}/v2/version`, { headers: { origin: 'http://localhost:9999' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('should refuse an entry that is not an origin, with one clear line and exit 1', async () => {
    const child = cli('serve', '--cors', 'http://localhost:4200/app');
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 1);
    assert.match(stderr, /^funcx-rx: Expected each `cors` entry to be an origin/);
  });
});
