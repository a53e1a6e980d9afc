import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { slurmHere } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const slurm = slurmHere();
if (!slurm.ok && process.env.CI) throw new Error(`CI runs the Slurm specs, but ${slurm.reason}`);

test('examples/slurm.ts - 200 tasks on Slurm blocks, given back when idle; it exits by itself', { skip: slurm.ok ? false : slurm.reason, timeout: 120_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/slurm.ts'], { cwd: root, timeout: 110_000 });
  assert.match(stdout, /^slurm: 200 tasks done in [\d.]+ s on 2 blocks \(Slurm jobs \d+, \d+; 2 managers ran tasks\), all given back [\d.]+ s after the last result$/m);
});
