// `npx tsx bench/redisProfile.ts [label]`: the Redis scenario's setup (two `serve --redis`
// replicas on one redis-server, the client on A, the endpoint on B) with both replicas under
// `node --cpu-prof`; writes bench/results/profile-redis[-label].md: CPU per task of every
// process, the commands Redis runs per task, and each replica's self time by place and function.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FuncXClient, FuncXExecutor } from 'funcx-rx';
import { Redis } from 'ioredis';
import { runCli } from '../spec/support/cli.js';
import { startRedisServer } from '../spec/support/redisServer.js';
import { merge, summarize, topRows } from './profile/summarize.js';
import { processCpu } from './profile/threadCpu.js';
import { progress } from './support/progress.js';

const WARM_UP = 2_000;
const TASKS = 20_000;
// `--no-profile`: the replicas run without `--cpu-prof`, for CPU per task as it is (the profiler slows them).
const profiled = !process.argv.includes('--no-profile');
const label = process.argv.slice(2).find((a) => a !== '--no-profile');
const root = fileURLToPath(new URL('..', import.meta.url));
const noop = (x: number): number => x * 2;

/** A `funcx-rx` command from source, optionally profiled, with its first line of output. */
async function start(args: readonly string[], env: Record<string, string>, profileDir?: string): Promise<{ child: ChildProcess; first: string; stop(): Promise<void> }> {
  const flags = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const [first] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    child,
    first,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      // SIGTERM: the CLI exits normally, and node writes the profile.
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU time of a process's threads so far, in ms (Linux schedstat; 0 elsewhere). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined || !existsSync(`/proc/${pid}/task`)) return 0;
  const { mainNs, otherNs } = processCpu(pid);
  return (mainNs + otherNs) / 1e6;
}

const dir = await mkdtemp(join(tmpdir(), 'funcx-rx-redis-profile-'));
const redis = await startRedisServer();
const stops: (() => Promise<void>)[] = [];
try {
  const { token } = (await runCli(['token', 'create', '--redis', redis.url, '--json'])) as { token: string };
  const { endpoint_id: endpointId, secret } = (await runCli(['endpoint-register', '--redis', redis.url, '--json'], { FUNCX_TOKEN: token })) as { endpoint_id: string; secret: string };
  const replica = () => start(['serve', '--redis', redis.url, '--json', '--port', '0', '--ping-interval', '500'], {}, profiled ? dir : undefined);
  const [a, b] = await Promise.all([replica(), replica()]);
  stops.push(a.stop, b.stop);
  const urlOf = (first: string): string => (JSON.parse(first) as { url: string }).url;
  const endpoint = await start(['endpoint', '--service', urlOf(b.first), '--endpoint-id', endpointId, '--workers', '2'], { FUNCX_ENDPOINT_SECRET: secret });
  stops.unshift(endpoint.stop);
  const probe = new Redis(redis.url);
  probe.on('error', () => {});
  const fx = new FuncXExecutor(new FuncXClient({ serviceUrl: urlOf(a.first), token }), { endpointId, batchInterval: 10, batchSize: 2000 });
  let rate = 0;
  let commands = 0;
  const byCommand = new Map<string, number>();
  const cpu: [string, number][] = [];
  let window = { from: 0, to: 0 };
  try {
    progress(`redis profile: ${WARM_UP.toLocaleString('en')} warm-up tasks, then ${TASKS.toLocaleString('en')} profiled`);
    await Promise.all(Array.from({ length: WARM_UP }, (_, i) => fx.submit(noop, i)));
    const processes: [string, number | undefined][] = [['client', process.pid], ['replica A', a.child.pid], ['replica B', b.child.pid], ['endpoint', endpoint.child.pid], ['redis-server', redis.pid]];
    const before = processes.map(([, pid]) => cpuMs(pid));
    await probe.config('RESETSTAT');
    const from = Number(process.hrtime.bigint() / 1000n);
    const started = performance.now();
    const futures = Array.from({ length: TASKS }, (_, i) => fx.submit(noop, i));
    for (const future of futures) await future;
    rate = TASKS / ((performance.now() - started) / 1000);
    window = { from, to: Number(process.hrtime.bigint() / 1000n) };
    for (const [, name, n] of (await probe.info('commandstats')).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
      commands += Number(n);
      byCommand.set(name!, Number(n));
    }
    processes.forEach(([name, pid], i) => cpu.push([name, (cpuMs(pid) - before[i]!) / TASKS]));
  } finally {
    await fx.shutdown();
    probe.disconnect();
  }
  for (const stop of stops.splice(0)) await stop();
  const lines = [
    `# CPU profile: Redis mode${label ? ` (${label})` : ''}`,
    '',
    `${new Date().toISOString().slice(0, 10)}; \`npx tsx bench/redisProfile.ts${label ? ` ${label}` : ''}\`: two \`serve --redis\` replicas on one redis-server (client on A, endpoint with 2 workers on B), ${profiled ? 'both replicas under \`node --cpu-prof\`' : 'nothing profiled (\`--no-profile\`)'}; ${WARM_UP.toLocaleString('en')} warm-up tasks, then ${TASKS.toLocaleString('en')} no-op tasks through FuncXExecutor. This run: ${rate.toFixed(0)} tasks/s${profiled ? ' (profiling slows it)' : ''}.`,
    '',
    `CPU per task: ${cpu.map(([name, ms]) => `${name} ${(ms * 1000).toFixed(0)} µs`).join(', ')}. Commands Redis ran per task (each script, and each command in it): ${(commands / TASKS).toFixed(1)}.`,
  ];
  // Where Redis's commands go: per task, the busiest first (the probe's own INFO is one).
  lines.push('', '| command (run by a script or sent) | per task |', '|---|---:|', ...[...byCommand].sort((x, y) => y[1] - x[1]).filter(([, n]) => n / TASKS >= 0.005).map(([name, n]) => `| ${name} | ${(n / TASKS).toFixed(2)} |`));
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread.
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const profiledReplicas = profiled ? ([['replica A (HTTP and result sockets)', a.child.pid], ['replica B (endpoint socket)', b.child.pid]] as const) : [];
  for (const [name, pid] of profiledReplicas) {
    const main = files.filter((f) => f.split('.')[3] === String(pid) && f.split('.')[4] === '0');
    const t = merge(await Promise.all(main.map((f) => summarize(join(dir, f), window))));
    const busy = t.wallMs - t.idleMs;
    lines.push('', `## ${name}: main thread`, '', `busy ${busy.toFixed(0)} ms of ${t.wallMs.toFixed(0)} ms`, '');
    lines.push('| where | self ms | share |', '|---|---:|---:|', ...topRows(t.byPlace, busy, 10), '');
    lines.push('| function | self ms | share |', '|---|---:|---:|', ...topRows(t.byFunction, busy, 15));
  }
  const out = new URL(`./results/profile-redis${label ? `-${label}` : ''}.md`, import.meta.url);
  await writeFile(out, `${lines.join('\n')}\n`);
  progress(`wrote ${fileURLToPath(out)}`);
} finally {
  for (const stop of stops) await stop().catch(() => {});
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
