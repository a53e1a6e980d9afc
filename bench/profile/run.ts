// `npm run profile`: records CPU profiles (`node --cpu-prof`) of every process and thread while
// the throughput scenario's executor runs, and writes a self-time summary per process to
// bench/results/profile-throughput.md (`npm run profile -- <name>` writes profile-<name>.md, to
// keep a before and an after).
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progress } from '../support/progress.js';
import { merge, summarize, topRows, type ThreadProfile } from './summarize.js';

const label = process.argv[2] ?? 'throughput';
const TASKS = 20_000;
const dir = await mkdtemp(join(tmpdir(), 'funcx-rx-profile-'));
try {
  const roles = join(dir, 'roles.json');
  progress(`profiling the throughput workload into ${dir}`);
  // First without the profiler: the rate and each process's CPU per task as they are (exact, from
  // schedstat); then under it, for where the time goes.
  const plainRoles = join(dir, 'plain.json');
  const plain = spawnSync(process.execPath, ['--import', 'tsx', new URL('./throughputWorkload.ts', import.meta.url).pathname, plainRoles, ''], { stdio: 'inherit' });
  if (plain.status !== 0) throw new Error(`The workload failed without the profiler (exit ${plain.status})`);
  const unprofiled = JSON.parse(await readFile(plainRoles, 'utf8')) as { tasksPerSecond: number; cpu: Record<string, { mainUs: number; otherUs: number }> };
  const flags = `--cpu-prof --cpu-prof-dir=${dir}`;
  const run = spawnSync(process.execPath, [...flags.split(' '), '--import', 'tsx', new URL('./throughputWorkload.ts', import.meta.url).pathname, roles, flags], { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`The workload failed (exit ${run.status})`);
  const role = JSON.parse(await readFile(roles, 'utf8')) as Record<string, string | number>;
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile
  const byProcess = new Map<string, { main: ThreadProfile[]; workers: ThreadProfile[] }>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))) {
    const [, , , pid, thread] = file.split('.');
    const name = typeof role[pid!] === 'string' ? (role[pid!] as string) : null;
    if (name === null) continue; // tsx's own helper processes, if any
    const entry = byProcess.get(name) ?? { main: [], workers: [] };
    (thread === '0' ? entry.main : entry.workers).push(await summarize(join(dir, file), { from: Number(role.from), to: Number(role.to) }));
    byProcess.set(name, entry);
  }
  const lines = [
    `# CPU profile: throughput workload (${label})`,
    '',
    `${new Date().toISOString().slice(0, 10)}; \`npm run profile${label === 'throughput' ? '' : ` -- ${label}`}\`: 2,000 warm-up tasks then 20,000 no-op tasks through FuncXExecutor with client, service and endpoint (2 workers) each in its own process, every one under \`node --cpu-prof\`. This run: ${Number(role.tasksPerSecond).toFixed(0)} tasks/s (profiling slows it). Self time in ms during the 20,000 tasks (${((Number(role.to) - Number(role.from)) / 1000).toFixed(0)} ms), and share of the thread's busy (non-idle) time; busy time of several threads is summed.`,
  ];
  const cpuRows = Object.entries(unprofiled.cpu).map(([name, { mainUs, otherUs }]) => `| ${name} | ${mainUs.toFixed(1)} | ${otherUs.toFixed(1)} | ${(mainUs + otherUs).toFixed(1)} |`);
  const totalUs = Object.values(unprofiled.cpu).reduce((sum, { mainUs, otherUs }) => sum + mainUs + otherUs, 0);
  lines.push(
    '',
    `## CPU per task without the profiler`,
    '',
    `The same workload first ran without \`--cpu-prof\`: ${unprofiled.tasksPerSecond.toFixed(0)} tasks/s. CPU time each process's threads ran during the 20,000 tasks (Linux schedstat, exact: a thread descheduled on this loaded machine counts nothing), in µs per task. Other threads: worker threads, libuv's pool, V8's GC and compiler helpers.`,
    '',
    '| process | main thread µs | other threads µs | all µs |',
    '|---|---:|---:|---:|',
    ...cpuRows,
    `| all | | | ${totalUs.toFixed(1)} |`,
  );
  for (const [name, { main, workers }] of byProcess) {
    for (const [title, threads] of [[`${name}: main thread`, main], [`${name}: other threads (${workers.length}: workers, or tsx's loader)`, workers]] as const) {
      if (threads.length === 0) continue;
      const t = merge(threads);
      const busy = t.wallMs - t.idleMs;
      if (busy < 1) continue; // tsx's loader thread, idle by then
      lines.push('', `## ${title}`, '', `busy ${busy.toFixed(0)} ms of ${t.wallMs.toFixed(0)} ms: ${((1000 * busy) / TASKS).toFixed(1)} µs per task (wall-clock samples: time descheduled inside a call counts too)`, '');
      lines.push('| where | self ms | share |', '|---|---:|---:|', ...topRows(t.byPlace, busy, 12), '');
      lines.push('| function | self ms | share |', '|---|---:|---:|', ...topRows(t.byFunction, busy, 20));
    }
  }
  const out = new URL(`../results/profile-${label}.md`, import.meta.url);
  await writeFile(out, `${lines.join('\n')}\n`);
  progress(`wrote ${out.pathname}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
