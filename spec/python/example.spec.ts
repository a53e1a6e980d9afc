import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('examples/python.ts - prints what the seed shows, on real CPython, and exits by itself', { timeout: 120_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/python.ts'], { cwd: root, timeout: 110_000 });
  const lines = stdout.trim().split('\n');
  assert.match(lines[0]!, /^\(endpoint runs Python 3\.\d+/);
  const section = (title: string): string[] => {
    const start = lines.findIndex((line) => line.startsWith(`== ${title}`));
    assert.ok(start >= 0, `no "${title}" section in:\n${stdout}`);
    const end = lines.findIndex((line, i) => i > start && line.startsWith('=='));
    return lines.slice(start + 1, end < 0 ? undefined : end).filter((line) => line !== '');
  };
  const polling = section('Existing funcX model');
  assert.ok(polling.length >= 2 && polling.slice(0, -1).every((line) => line === 'Task pending'), polling.join('\n'));
  assert.equal(polling.at(-1), '100');
  assert.deepEqual(section('Async API'), ['100', '100']);
  assert.deepEqual(section('FuncXExecutor,'), ['100']);
  const batch = section('FuncXExecutor with batching');
  assert.equal(batch.length, 51);
  for (const line of batch.slice(0, 50)) {
    const value = Number(/^Result: (\d+)$/.exec(line)?.[1]);
    assert.ok(value % 2 === 0 && value >= 0 && value <= 200, line);
  }
  assert.match(batch[50]!, /^Time: \d+\.\d{2}s$/);
});
