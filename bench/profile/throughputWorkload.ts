// The workload `npm run profile` records: the throughput scenario's executor run, once, after a
// warm-up, with the client (this process), the service and the endpoint (the CLI, as
// startLocalService's child runs it) each in its own process, all under the `node --cpu-prof`
// flags given as argv[3]. It writes the processes' roles, the measured window (µs, monotonic clock) and the rate to the file named in argv[2].
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { FuncXClient, FuncXExecutor } from 'funcx-rx';
import { processCpu, type ProcessCpu } from './threadCpu.js';

const TASKS = 20_000;
const noop = (x: number): number => x * 2;
const [rolesFile, profileFlags = ''] = process.argv.slice(2) as [string, string?];

async function start(script: string, args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [...profileFlags.split(' ').filter(Boolean), '--import', 'tsx', new URL(script, import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, line };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const service = await start('./serviceProcess.ts', []);
const { url, token, endpointId, secret } = JSON.parse(service.line) as Record<string, string>;
const endpoint = await start('../../lib/cli/main.ts', ['endpoint', '--service', url!, '--endpoint-id', endpointId!, '--workers', '2'], { FUNCX_ENDPOINT_SECRET: secret! });
try {
  const fx = new FuncXExecutor(new FuncXClient({ serviceUrl: url!, token: token! }), { endpointId: endpointId!, batchInterval: 10, batchSize: 2000 });
  await Promise.all(Array.from({ length: 2000 }, (_, i) => fx.submit(noop, i))); // warm-up: JIT and workers
  const pids = { client: process.pid, service: service.child.pid!, endpoint: endpoint.child.pid! };
  const cpuNow = (): Record<string, ProcessCpu> => Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, processCpu(pid)]));
  const cpuBefore = cpuNow();
  const begin = process.hrtime.bigint();
  await Promise.all(Array.from({ length: TASKS }, (_, i) => fx.submit(noop, i)));
  const end = process.hrtime.bigint();
  const cpuAfter = cpuNow();
  // CPU µs per task, by process and thread kind, from schedstat (exact where the sampled profile is not).
  const cpu = Object.fromEntries(Object.keys(pids).map((role) => [role, {
    mainUs: (cpuAfter[role]!.mainNs - cpuBefore[role]!.mainNs) / 1000 / TASKS,
    otherUs: (cpuAfter[role]!.otherNs - cpuBefore[role]!.otherNs) / 1000 / TASKS,
  }]));
  const seconds = Number(end - begin) / 1e9;
  await fx.shutdown();
  await writeFile(rolesFile, JSON.stringify({ [process.pid]: 'client', [service.child.pid!]: 'service', [endpoint.child.pid!]: 'endpoint', tasksPerSecond: TASKS / seconds, cpu, from: Number(begin / 1000n), to: Number(end / 1000n) }));
} finally {
  await stop(endpoint.child);
  await stop(service.child);
}
