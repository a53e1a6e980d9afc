import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EndpointConfigError } from '../../lib/endpoint/config/EndpointConfigError.js';
import { loadEndpointConfig, parseEndpointConfig } from '../../lib/endpoint/config/loadEndpointConfig.js';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { processesLeft } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const slurmYaml = `
service: http://127.0.0.1:8080
endpoint_id: 0b4c2a4e-9d3a-4a57-8a37-1b0c4a9f2e11
secret_file: secret.txt
engine:
  type: cluster
  workers_per_node: 4
  max_retries_on_system_failure: 2
  max_idletime: 30
  strategy_period: 2.5
  run_dir: runs
  provider:
    type: slurm
    partition: debug
    account: lab42
    walltime: "01:30:00"
    nodes_per_block: 2
    cores_per_node: 8
    init_blocks: 1
    max_blocks: 4
    parallelism: 0.5
    worker_init: module load nodejs
    scheduler_options: "#SBATCH --constraint=haswell"
`;

test('parseEndpointConfig() - YAML: Globus Compute style keys become the endpoint options', () => {
  const config = parseEndpointConfig(slurmYaml, '/etc/funcx/endpoint.yaml');
  assert.equal(config.service, 'http://127.0.0.1:8080');
  assert.equal(config.endpointId, '0b4c2a4e-9d3a-4a57-8a37-1b0c4a9f2e11');
  assert.equal(config.secretFile, '/etc/funcx/secret.txt', "relative to the file's folder");
  assert.deepEqual(config.options.cluster, {
    provider: { type: 'slurm', initBlocks: 1, maxBlocks: 4, parallelism: 0.5, walltimeMs: 5_400_000, workerInit: 'module load nodejs', partition: 'debug', account: 'lab42', nodesPerBlock: 2, coresPerNode: 8, schedulerOptions: '#SBATCH --constraint=haswell' },
    workersPerNode: 4,
    maxRetriesOnSystemFailure: 2,
    strategyPeriodMs: 2500,
    maxIdleTimeMs: 30_000,
    runDir: '/etc/funcx/runs',
  });
});

test('parseEndpointConfig() - JSON, and the local engine', () => {
  const config = parseEndpointConfig(JSON.stringify({ engine: { type: 'local', workers: 3, python_workers: 1 }, task_timeout_ms: 5000 }), 'endpoint.json');
  assert.deepEqual(config.options, { taskTimeoutMs: 5000, workers: 3, pythonWorkers: 1 });
});

test('parseEndpointConfig() - every problem is listed with the key at fault', () => {
  const bad = `
endpoint_id: not-a-uuid
engine:
  type: cluster
  max_idletime: -1
  provider:
    type: slurm
    max_blocks: 0
    walltime: "half an hour"
    parallelism: 2
    partiton: debug
`;
  assert.throws(
    () => parseEndpointConfig(bad, 'endpoint.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof EndpointConfigError);
      assert.equal(error.code, 'FX_ENDPOINT_CONFIG_INVALID');
      const problems = error.problems.join('\n');
      assert.match(problems, /^endpoint_id: Expected a UUID/m);
      assert.match(problems, /^engine\.max_idletime: Expected seconds from 0 and up/m);
      assert.match(problems, /^engine\.provider\.max_blocks: Expected a whole number from 1 and up/m);
      assert.match(problems, /^engine\.provider\.walltime: Expected a walltime/m);
      assert.match(problems, /^engine\.provider\.parallelism: Expected a number from 0 to 1/m);
      assert.match(problems, /^engine\.provider: Unrecognized key: "partiton"/m);
      assert.equal(error.problems.length, 6);
      return true;
    },
  );
  assert.throws(() => parseEndpointConfig('engine: {type: kubernetes}', 'e.yaml'), /engine\.type: Expected an engine of type `local` or `cluster`/);
  assert.throws(() => parseEndpointConfig('engine: [unclosed', 'e.yaml'), /is not valid YAML/);
  assert.throws(() => parseEndpointConfig('{"engine": ', 'e.json'), /is not valid JSON/);
});

test('loadEndpointConfig() - a missing file is an EndpointConfigError', async () => {
  await assert.rejects(loadEndpointConfig('/no/such/endpoint.yaml'), (e: unknown) => e instanceof EndpointConfigError && /cannot be read/.test(e.message));
});

describe('funcx-rx endpoint --config', () => {
  let service: FuncXService;
  let dir: string;
  before(async () => {
    service = await FuncXService.start();
    dir = await mkdtemp(join(tmpdir(), 'funcx-rx-config-'));
  });
  after(async () => {
    await service?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an invalid file before starting, listing its problems (exit 2)', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'engine:\n  type: cluster\n  provider: {type: local, max_blocks: 0}\n');
    const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'endpoint', '--config', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
    assert.match(stderr, /Invalid endpoint configuration .*bad\.yaml:\n {2}engine\.provider\.max_blocks: Expected a whole number from 1 and up/);
  });

  it('runs a cluster endpoint from the file: blocks on demand, printed; SIGTERM gives them back', async () => {
    const user = await service.issueToken();
    const { endpointId, secret } = await service.registerEndpoint(user.userId);
    await writeFile(join(dir, 'secret'), secret, { mode: 0o600 });
    const file = join(dir, 'endpoint.yaml');
    await writeFile(
      file,
      `service: ${service.url}\nendpoint_id: ${endpointId}\nsecret_file: secret\nengine:\n  type: cluster\n  workers_per_node: 1\n  strategy_period: 0.25\n  run_dir: runs\n  provider:\n    type: local\n    max_blocks: 1\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'endpoint', '--config', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FUNCX_ENDPOINT_SECRET: '' } });
    const exited = once(child, 'exit') as Promise<[number | null]>;
    const lines: string[] = [];
    const seen = (pattern: RegExp): Promise<string> =>
      new Promise((resolve, reject) => {
        const found = lines.find((l) => pattern.test(l));
        if (found) return resolve(found);
        const onLine = (line: string): void => {
          if (!pattern.test(line)) return;
          output.off('line', onLine);
          resolve(line);
        };
        output.on('line', onLine);
        void exited.then(() => reject(new Error(`exited before printing ${pattern}: ${lines.join('\n')}`)));
      });
    const output = createInterface({ input: child.stdout });
    output.on('line', (line) => lines.push(line));
    const fxc = new FuncXClient({ serviceUrl: service.url, token: user.token, asynchronous: true });
    try {
      await seen(/^engine: cluster, provider local$/);
      const functionId = await fxc.registerFunction((x: number) => x * 2);
      assert.equal(await fxc.run({ functionId, endpointId }, 21), 42);
      const running = await seen(/^block 0 \(local job (\d+)\): running on \S+, manager pid \d+$/);
      const pid = /local job (\d+)/.exec(running)![1]!;
      child.kill('SIGTERM');
      assert.equal((await exited)[0], 0, 'it exits 0');
      assert.deepEqual(processesLeft([pid]), [], 'its block was stopped with it');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await fxc.close();
    }
  });
});
