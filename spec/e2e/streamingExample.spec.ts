import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('examples/streaming.ts - prints the partials, the result and the chain, in order, and exits by itself', { timeout: 60_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/streaming.ts'], { cwd: root, timeout: 55_000 });
  assert.equal(stdout, 'partial 1\npartial 2\npartial 3\nresult 6\nchain 8\n');
});
