import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { findPython } from '../../lib/endpoint/python/findPython.js';
import { serialize } from '../../lib/serialize/serialize.js';

// A seeded generator, so a failure is the same on every run.
let seed = 7;
const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const CHARS = ['a', 'é', '😀', '"', '\\', '\n', '\u0001', '\u007f', ',', ':', ' ', '1', '.', 'e', '\u2028', '\ud800'];
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function anyValue(depth: number): unknown {
  const r = random();
  if (depth > 3 || r < 0.4) {
    const k = random();
    if (k < 0.2) return Math.floor(random() * 1e6) - 5e5;
    if (k < 0.45) return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    if (k < 0.55) return pick([true, false, null]);
    return Array.from({ length: Math.floor(random() * 6) }, () => pick(CHARS)).join('');
  }
  if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => anyValue(depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}${pick(CHARS)}`, anyValue(depth + 1)]));
}

test('serialize() - JSONData byte for byte as CPython\'s json.dumps writes the same data (2,000 seeded values)', async () => {
  const { runtime, tried } = await findPython();
  assert.ok(runtime, `this spec needs CPython 3 (tried: ${tried.join('; ')})`);
  const values = Array.from({ length: 2000 }, () => anyValue(0));
  const ours = values.map((value) => serialize(value));
  // json.dumps escapes every newline, so each value is one line.
  const script = 'import json, sys\nfor line in sys.stdin:\n    print(json.dumps(json.loads(line)))';
  const input = `${values.map((value) => JSON.stringify(value)).join('\n')}\n`;
  const theirs = execFileSync(runtime.executable, ['-c', script], { input, encoding: 'utf8' }).split('\n');
  const differ = ours.map((text, i) => [text, `11\n${theirs[i]}`] as const).filter(([a, b]) => a !== b);
  assert.deepEqual(differ.slice(0, 3), [], `${differ.length} of ${values.length} differ`);
});
