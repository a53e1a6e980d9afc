import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { Interchange, type ManagerEvent } from '../../lib/endpoint/interchange/Interchange.js';
import { ProviderError } from '../../lib/endpoint/providers/ProviderError.js';
import type { CommandResult, RunCommand } from '../../lib/endpoint/providers/runCommand.js';
import { SlurmProvider } from '../../lib/endpoint/providers/SlurmProvider.js';
import { slurmScript } from '../../lib/endpoint/providers/slurmScript.js';
import { formatWalltime, parseWalltime } from '../../lib/endpoint/providers/walltime.js';

test('parseWalltime() and formatWalltime() - as sbatch --time writes them', () => {
  assert.equal(parseWalltime('00:30:00'), 1_800_000);
  assert.equal(parseWalltime('1-12:00:00'), 129_600_000);
  assert.equal(parseWalltime('90'), 5_400_000, 'one number: minutes');
  assert.equal(parseWalltime('2:30'), 150_000, 'minutes:seconds');
  assert.equal(parseWalltime(45), 45_000, 'a number: seconds');
  assert.equal(parseWalltime('half an hour'), undefined);
  assert.equal(parseWalltime('00:00:00'), undefined);
  assert.equal(formatWalltime(90_000), '00:01:30');
  assert.equal(formatWalltime(129_600_000), '36:00:00');
  assert.equal(formatWalltime(1), '00:00:01', 'rounded up to a second');
});

test('slurmScript() - resources, scheduler options and worker_init; one manager per node', () => {
  const request = { blockId: '7', command: ['/usr/bin/node', '/opt/funcx rx/main.js', 'worker-manager'], env: { FUNCX_MANAGER_SECRET: 's3cret' } };
  const one = slurmScript(request, { partition: 'debug', account: 'lab', qos: 'high', walltimeMs: 5_400_000, coresPerNode: 8, memPerNodeGb: 16, exclusive: true, schedulerOptions: '#SBATCH --constraint=haswell', workerInit: 'module load nodejs', output: '/runs/block-7.out' });
  for (const line of ['#SBATCH --job-name=funcx-rx-7', '#SBATCH --output=/runs/block-7.out', '#SBATCH --nodes=1', '#SBATCH --time=01:30:00', '#SBATCH --partition=debug', '#SBATCH --account=lab', '#SBATCH --qos=high', '#SBATCH --cpus-per-task=8', '#SBATCH --mem=16G', '#SBATCH --exclusive', '#SBATCH --constraint=haswell', 'module load nodejs', "exec /usr/bin/node '/opt/funcx rx/main.js' worker-manager"]) {
    assert.ok(one.split('\n').includes(line), `has ${line}:\n${one}`);
  }
  assert.ok(one.indexOf('export FUNCX_BLOCK_START_MS') < one.indexOf('module load nodejs'), 'the walltime clock starts before worker_init');
  assert.doesNotMatch(one, /s3cret/, 'the secret is never in the script');
  const two = slurmScript(request, { nodesPerBlock: 2, output: '/runs/b.out' });
  assert.match(two, /^srun --ntasks=2 --ntasks-per-node=1 \/usr\/bin\/node/m);
  assert.match(two, /^#SBATCH --time=00:10:00$/m, "Parsl's default walltime");
});

/** A fake scheduler: answers each command from a table, and records the calls. */
function fakeSlurm(answers: Record<string, CommandResult | ((args: readonly string[]) => CommandResult)>) {
  const calls: { command: string; args: readonly string[]; env?: NodeJS.ProcessEnv }[] = [];
  const run: RunCommand = async (command, args, options = {}) => {
    calls.push({ command, args, ...(options.env ? { env: options.env } : {}) });
    const answer = answers[command];
    if (answer === undefined) throw new Error(`unexpected ${command}`);
    return typeof answer === 'function' ? answer(args) : answer;
  };
  return { run, calls };
}

test('SlurmProvider - sbatch gets the secret in its environment; sacct states where accounting exists', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'funcx-rx-slurm-'));
  try {
    const slurm = fakeSlurm({
      sbatch: { code: 0, stdout: '41;cluster\n', stderr: '' },
      sacct: { code: 0, stdout: '41|PENDING|0:0|Priority\n42|CANCELLED by 0|0:15|None\n43|TIMEOUT|0:0|None\n44|NODE_FAIL|1:0|None\n', stderr: '' },
    });
    const provider = new SlurmProvider({ runDir: dir, partition: 'debug', runCommand: slurm.run });
    assert.equal(await provider.submit({ blockId: '0', command: ['funcx-rx', 'worker-manager'], env: { FUNCX_MANAGER_SECRET: 's3cret' } }), '41');
    const sbatch = slurm.calls[0]!;
    assert.equal(sbatch.env?.FUNCX_MANAGER_SECRET, 's3cret');
    assert.deepEqual(sbatch.args.slice(0, 2), ['--parsable', '--export=ALL']);
    assert.doesNotMatch(await readFile(sbatch.args[2]!, 'utf8'), /s3cret/);
    const statuses = await provider.status(['41', '42', '43', '44', '45']);
    assert.deepEqual(statuses.get('41'), { state: 'pending', message: 'Priority' });
    assert.equal(statuses.get('42')?.state, 'cancelled');
    assert.equal(statuses.get('43')?.state, 'timeout');
    assert.match(statuses.get('44')?.message ?? '', /exit code 1:0/);
    assert.equal(statuses.get('45')?.state, 'pending', 'not in accounting yet');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('SlurmProvider - without accounting, squeue; a job gone from the queue has ended; scancel of an ended job is not an error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'funcx-rx-slurm-'));
  try {
    let queue = '7|RUNNING|None\n';
    const slurm = fakeSlurm({
      sbatch: { code: 0, stdout: '7\n', stderr: '' },
      sacct: { code: 1, stdout: '', stderr: 'Slurm accounting storage is disabled\n' },
      squeue: () => (queue === '' ? { code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified\n' } : { code: 0, stdout: queue, stderr: '' }),
      scancel: { code: 1, stdout: '', stderr: 'scancel: error: Kill job error on job id 7: Job/step already completing or completed\n' },
    });
    const provider = new SlurmProvider({ runDir: dir, runCommand: slurm.run });
    await provider.submit({ blockId: '3', command: ['funcx-rx'], env: {} });
    assert.equal((await provider.status(['7'])).get('7')?.state, 'running');
    queue = '';
    const ended = (await provider.status(['7'])).get('7')!;
    assert.equal(ended.state, 'completed');
    assert.match(ended.message ?? '', /left the queue; its output: .*block-3\.out/);
    assert.equal(slurm.calls.filter((c) => c.command === 'sacct').length, 1, 'sacct asked once, then no more');
    assert.deepEqual(await readdir(dir), [], 'its script is gone once it ended');
    await provider.cancel(['7']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('SlurmProvider - a refused sbatch is a ProviderError with what sbatch said', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'funcx-rx-slurm-'));
  try {
    const slurm = fakeSlurm({ sbatch: { code: 1, stdout: '', stderr: 'sbatch: error: invalid partition specified: nope\n' } });
    const provider = new SlurmProvider({ runDir: dir, partition: 'nope', runCommand: slurm.run });
    await assert.rejects(provider.submit({ blockId: '0', command: ['x'], env: {} }), (e: unknown) => e instanceof ProviderError && e.code === 'FX_PROVIDER_COMMAND_FAILED' && e.exitCode === 1 && /invalid partition specified: nope/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Interchange - refuses a wrong manager secret (403) and a manager of an unknown block', async () => {
  const events: ManagerEvent[] = [];
  const interchange = await Interchange.listen({ host: '127.0.0.1', port: 0, advertise: '127.0.0.1', secret: 'right', maxRetries: 1, heartbeatMs: 10_000, admit: (id) => id === 'known', onManager: (e) => events.push(e) });
  try {
    const wrong = new WebSocket(interchange.url, { headers: { authorization: 'Bearer wrong' } });
    wrong.on('error', () => {});
    const response = await new Promise<{ statusCode?: number; resume(): void }>((resolve) => wrong.once('unexpected-response', (_request, answer) => resolve(answer)));
    response.resume();
    assert.equal(response.statusCode, 403);
    const stranger = new WebSocket(interchange.url, { headers: { authorization: 'Bearer right' } });
    await new Promise((resolve) => stranger.once('open', resolve));
    const told = new Promise<string>((resolve) => stranger.once('message', (data) => resolve(String(data))));
    const closed = new Promise<number>((resolve) => stranger.once('close', (code) => resolve(code)));
    stranger.send(JSON.stringify([{ type: 'register', block_id: 'unknown', manager_id: 'm', host: 'h', pid: 1, languages: { javascript: { version: 'v', workers: 2 }, python: { available: false, reason: 'none' } } }]));
    assert.deepEqual(JSON.parse(await told), [{ type: 'shutdown' }]);
    assert.equal(await closed, 1008);
    assert.equal(interchange.managers, 0);
    assert.deepEqual(events, []);
  } finally {
    await interchange.close();
  }
});
