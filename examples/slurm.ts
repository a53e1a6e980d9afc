// An endpoint that grows onto a Slurm cluster: the embedded service, and an endpoint whose tasks
// run on blocks of worker managers submitted with sbatch (min_blocks 0, max_blocks 2). 200 tasks
// make it ask for both blocks (`squeue` shows them while it runs); once the work is done and the
// blocks have been idle for max_idletime, it gives them back and exits.
//
//   sudo bash scripts/slurm-up.sh   # a one-node Slurm on this machine, if there is none
//   npx tsx examples/slurm.ts
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuncXClient } from 'funcx-rx';
import { ClusterEngine, Endpoint, FuncXService, type ClusterEvent } from 'funcx-rx/service';

/** A task: a short wait, then which block's manager ran it. */
async function work(x: number): Promise<{ x: number; pid: number }> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { x, pid: process.pid };
}

try {
  execFileSync('sinfo', ['-h'], { stdio: 'ignore', timeout: 10_000 });
} catch {
  console.error('slurm: no Slurm answers here; start one with `sudo bash scripts/slurm-up.sh`');
  process.exit(1);
}

const runDir = await mkdtemp(join(tmpdir(), 'funcx-rx-slurm-example-'));
const service = await FuncXService.start();
const { userId, token } = await service.issueToken();
const { endpointId, secret } = await service.registerEndpoint(userId, { name: 'slurm' });
const started = Date.now();
const endpoint = await Endpoint.start({
  serviceUrl: service.url,
  endpointId,
  secret,
  cluster: {
    // One CPU per block, so both blocks fit scripts/slurm-up.sh's one node.
    provider: { type: 'slurm', minBlocks: 0, maxBlocks: 2, coresPerNode: 1, walltimeMs: 10 * 60_000 },
    workersPerNode: 2,
    maxIdleTimeMs: 3000,
    strategyPeriodMs: 1000,
    runDir,
  },
});
const engine = endpoint.engine as ClusterEngine;
const jobs = new Set<string>();
let given = 0;
const allGivenBack = new Promise<void>((resolve) => {
  engine.events$.subscribe((event: ClusterEvent) => {
    if (event.type !== 'block') return;
    if (event.state === 'running' && event.jobId) jobs.add(event.jobId);
    if (event.state === 'ended' && ++given === jobs.size && jobs.size > 0) resolve();
  });
});
const fxc = new FuncXClient({ serviceUrl: service.url, token, asynchronous: true });
try {
  const functionId = await fxc.registerFunction(work);
  const results = await Promise.all(Array.from({ length: 200 }, (_, x) => fxc.run({ functionId, endpointId }, x)));
  const ok = results.every((r, x) => r.x === x);
  const managers = new Set(results.map((r) => r.pid)).size;
  const doneAt = Date.now();
  await allGivenBack;
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  const ids = [...jobs].sort((a, b) => Number(a) - Number(b)).join(', ');
  console.log(
    `slurm: 200 tasks ${ok ? 'done' : 'WRONG'} in ${seconds(doneAt - started)} s on ${jobs.size} block${jobs.size === 1 ? '' : 's'} (Slurm jobs ${ids}; ${managers} managers ran tasks), all given back ${seconds(Date.now() - doneAt)} s after the last result`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  await fxc.close();
  await endpoint.close();
  await service.close();
  await rm(runDir, { recursive: true, force: true });
}
