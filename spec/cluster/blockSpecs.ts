import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import type { ClusterEvent } from '../../lib/endpoint/engine/ClusterEngine.js';
import type { BlockOptions, ClusterOptions } from '../../lib/endpoint/engine/ClusterOptions.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { deserialize } from '../../lib/serialize/serialize.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { call } from '../support/rawApi.js';
import { markerRuns, runDir, startClusterEndpoint, within } from './support.js';

/** What the shared specs need to know of one provider. */
export interface ProviderUnderTest {
  readonly name: 'local' | 'slurm';
  /** The provider's options with the blocks' options. */
  provider(blocks: BlockOptions): ClusterOptions['provider'];
  /** A provider whose blocks cannot start, and what its failure says. */
  readonly cannotStart: { readonly provider: ClusterOptions['provider']; readonly says: RegExp };
  /** Ends a block from outside, as an operator or the machine would (scancel; kill -9 of the manager). */
  kill(jobId: string): Promise<void>;
  /** The jobs among these still pending or running. */
  jobsLeft(jobIds: readonly string[]): Promise<string[]>;
}

/** Each run writes its marker and its process to a file, then takes `ms`. */
async function marked(marker: string, file: string, ms: number): Promise<string> {
  const { appendFileSync } = await import('node:fs');
  appendFileSync(file, `${marker} ${process.pid}\n`);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return marker;
}

/** Writes its marker, then kills the worker manager it runs in (a worker thread shares its process). */
async function killsItsManager(file: string): Promise<never> {
  const { appendFileSync } = await import('node:fs');
  appendFileSync(file, `killer ${process.pid}\n`);
  process.kill(process.pid, 'SIGKILL');
  return new Promise<never>(() => {});
}

const isBlock = (state: string, blockId?: string) => (e: ClusterEvent): e is Extract<ClusterEvent, { type: 'block' }> => e.type === 'block' && e.state === state && (blockId === undefined || e.blockId === blockId);
const blockEvents = (events: readonly ClusterEvent[], state: string) => events.filter(isBlock(state));
const jobIdsOf = (events: readonly ClusterEvent[]) => [...new Set(blockEvents(events, 'pending').map((e) => e.jobId!))];

/**
 * The scaling and fault specs, the same for every provider: real blocks (child processes, Slurm
 * jobs) with real worker managers, a real service and client, on ephemeral ports.
 *
 * @param under - the provider under test
 */
export function describeBlocks(under: ProviderUnderTest): void {
  describe(`cluster engine on the ${under.name} provider`, { timeout: 180_000 }, () => {
    let service: FuncXService;
    let user: { userId: string; token: string };
    let fxc: FuncXClient<true>;
    let dir: Awaited<ReturnType<typeof runDir>>;
    let markedId: string;
    before(async () => {
      service = await FuncXService.start();
      user = await service.issueToken();
      fxc = new FuncXClient({ serviceUrl: service.url, token: user.token, asynchronous: true });
      dir = await runDir();
      markedId = await fxc.registerFunction(marked);
    });
    after(async () => {
      await fxc?.close();
      await service?.close();
      await dir?.remove();
    });

    /** Cluster options for a spec: quick strategy and heartbeat, this spec's run directory. */
    const options = (blocks: BlockOptions, more: Partial<ClusterOptions> = {}): ClusterOptions => ({
      provider: under.provider(blocks),
      workersPerNode: 2,
      pythonWorkersPerNode: 1,
      strategyPeriodMs: 250,
      heartbeatMs: 1000,
      maxIdleTimeMs: 1500,
      runDir: join(dir.path, `${Math.random().toString(36).slice(2)}`),
      ...more,
    });
    const runMarked = (endpointId: string, markers: readonly string[], file: string, ms: number) => Promise.all(markers.map((m) => Promise.resolve(fxc.run({ functionId: markedId, endpointId }, m, file, ms)) as Promise<string>));

    it('scales out from 0 blocks to max_blocks under load, and back to min_blocks after max_idletime', async () => {
      const ep = await startClusterEndpoint(service, user.userId, options({ minBlocks: 0, maxBlocks: 2 }));
      try {
        assert.deepEqual(ep.engine.report().blocks, { pending: 0, running: 0, draining: 0, failed: 0 }, 'no block before work comes');
        const markers = Array.from({ length: 16 }, (_, i) => `scale-${i}`);
        const done = runMarked(ep.endpointId, markers, join(dir.path, 'scale'), 300);
        await ep.waitFor(() => blockEvents(ep.events, 'running').length === 2, 'both blocks to run');
        const jobs = jobIdsOf(ep.events);
        assert.equal(jobs.length, 2, 'two blocks asked for, no more');
        assert.deepEqual((await under.jobsLeft(jobs)).sort(), [...jobs].sort(), 'both jobs are in the scheduler');
        await within(5000, 'the service to show both blocks', async () => (await call(service.url, 'GET', `/v2/endpoints/${ep.endpointId}/status`, { token: user.token })).body.engine?.blocks.running === 2);
        assert.deepEqual(await done, markers);
        const lastResultAt = Date.now();
        const firstEnd = await ep.waitFor(isBlock('ended'), 'a block to be given back');
        const idleFor = Date.now() - lastResultAt;
        assert.ok(idleFor >= 1000, `given back after ${idleFor} ms idle, not before max_idletime (1500 ms)`);
        await ep.waitFor(() => blockEvents(ep.events, 'ended').length === 2, 'both blocks to be given back');
        assert.match(firstEnd.message ?? '', /given back/);
        assert.equal(jobIdsOf(ep.events).length, 2, 'no block asked for after the work ended');
        assert.deepEqual(ep.engine.report().blocks, { pending: 0, running: 0, draining: 0, failed: 0 });
        await within(20_000, 'the jobs to end', async () => (await under.jobsLeft(jobs)).length === 0);
      } finally {
        await ep.close();
      }
    });

    it('a block killed mid-run loses no task, and runs none more than once again (max_retries_on_system_failure 1)', async () => {
      const ep = await startClusterEndpoint(service, user.userId, options({ maxBlocks: 2 }, { maxRetriesOnSystemFailure: 1 }));
      try {
        const file = join(dir.path, 'killed');
        const markers = Array.from({ length: 12 }, (_, i) => `killed-${i}`);
        const done = runMarked(ep.endpointId, markers, file, 800);
        await ep.waitFor(() => blockEvents(ep.events, 'running').length === 2, 'both blocks to run');
        const victim = blockEvents(ep.events, 'running')[1]!;
        const victimPid = victim.manager!.pid;
        await within(10_000, 'the second block to start tasks', async () => [...(await markerRuns(file)).values()].some((pids) => pids.includes(victimPid)));
        await under.kill(victim.jobId!);
        const requeued = await ep.waitFor((e): e is Extract<ClusterEvent, { type: 'requeued' }> => e.type === 'requeued' && e.blockId === victim.blockId, "the killed block's tasks to be sent again");
        assert.deepEqual(await done, markers, 'every task ended with its own result');
        // Which markers the requeued tasks carried: their results say.
        const again = await Promise.all(requeued.taskIds.map(async (id) => deserialize((await call(service.url, 'GET', `/v2/tasks/${id}`, { token: user.token })).body.result) as string));
        const runs = await markerRuns(file);
        let cutOff = 0;
        for (const marker of markers) {
          const pids = runs.get(marker) ?? [];
          const onVictim = pids.filter((pid) => pid === victimPid).length;
          // Started on the killed block: it was sent again, and ran once more elsewhere. Any other: once.
          if (onVictim > 0) {
            cutOff++;
            assert.ok(again.includes(marker), `${marker} ran on the killed block and was sent again`);
            assert.deepEqual(pids.length, 2, `${marker} ran ${pids.length} times: ${pids.join(', ')}`);
            assert.notEqual(pids[1], victimPid);
          } else {
            assert.equal(pids.length, 1, `${marker} ran ${pids.length} times: ${pids.join(', ')}`);
          }
        }
        assert.ok(cutOff >= 1, 'a task was cut off by the kill');
        assert.equal(ep.events.filter((e) => e.type === 'lost').length, 0, 'no task failed');
      } finally {
        await ep.close();
      }
    });

    it('a task that keeps killing its worker manager fails with WorkerManagerLost after one retry', async () => {
      const ep = await startClusterEndpoint(service, user.userId, options({ maxBlocks: 1 }, { maxRetriesOnSystemFailure: 1 }));
      try {
        const file = join(dir.path, 'killer');
        const killer = await fxc.registerFunction(killsItsManager);
        const error = await Promise.resolve(fxc.run({ functionId: killer, endpointId: ep.endpointId }, file)).then(
          () => assert.fail('the killer task succeeded'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof TaskExecutionFailed, String(error));
        assert.equal(error.remoteName, 'WorkerManagerLost');
        assert.match(error.remoteMessage, /lost 2 times.*max_retries_on_system_failure is 1/);
        const pids = (await markerRuns(file)).get('killer') ?? [];
        assert.equal(pids.length, 2, 'it ran twice: once, and once again');
        assert.notEqual(pids[0], pids[1], 'on two managers');
        // The endpoint goes on: a new block runs the next task.
        assert.deepEqual(await runMarked(ep.endpointId, ['after-killer'], join(dir.path, 'after-killer'), 0), ['after-killer']);
        assert.equal(blockEvents(ep.events, 'running').length, 3);
      } finally {
        await ep.close();
      }
    });

    it('a block that cannot start is reported, and its tasks fail with BlocksUnavailable instead of waiting', async () => {
      const ep = await startClusterEndpoint(service, user.userId, { ...options({}), provider: under.cannotStart.provider, blockErrorThreshold: 2 });
      try {
        const outcomes = await Promise.allSettled(['never-1', 'never-2'].map((m) => Promise.resolve(fxc.run({ functionId: markedId, endpointId: ep.endpointId }, m, join(dir.path, 'never'), 0))));
        for (const outcome of outcomes) {
          assert.equal(outcome.status, 'rejected');
          const error = (outcome as PromiseRejectedResult).reason as TaskExecutionFailed;
          assert.equal(error.remoteName, 'BlocksUnavailable');
          assert.match(error.remoteMessage, under.cannotStart.says);
        }
        const report = ep.engine.report();
        assert.equal(report.state, 'failed');
        assert.equal(report.blocks.failed, 2);
        assert.match(report.last_failure ?? '', under.cannotStart.says);
        assert.equal((await markerRuns(join(dir.path, 'never'))).size, 0, 'nothing ran');
        await within(5000, 'the service to show the failure', async () => (await call(service.url, 'GET', `/v2/endpoints/${ep.endpointId}/status`, { token: user.token })).body.engine?.state === 'failed');
      } finally {
        await ep.close();
      }
    });

    it('walltime ends blocks cleanly: a manager near its walltime takes no new task, and another block finishes the work', async () => {
      const ep = await startClusterEndpoint(service, user.userId, options({ maxBlocks: 1, walltimeMs: 5000 }));
      try {
        const file = join(dir.path, 'walltime');
        // 30 tasks of 300 ms on 2 workers are 4.5 s of work; a block takes new tasks for at most
        // 3.75 s (walltime less its 1250 ms drain), 25 at the very most: a second block must take over.
        const markers = Array.from({ length: 30 }, (_, i) => `walltime-${i}`);
        assert.deepEqual(await runMarked(ep.endpointId, markers, file, 300), markers);
        const draining = ep.events.find(isBlock('draining'));
        assert.match(draining?.message ?? '', /walltime of 5000 ms ends in 1250 ms/);
        assert.ok(blockEvents(ep.events, 'running').length >= 2, 'a second block took over');
        assert.equal(ep.events.filter((e) => e.type === 'requeued' || e.type === 'lost').length, 0, 'no task was cut off');
        const runs = await markerRuns(file);
        assert.equal(runs.size, markers.length);
        for (const [marker, pids] of runs) assert.equal(pids.length, 1, `${marker} ran ${pids.length} times`);
        const ended = ep.events.filter(isBlock('ended'));
        assert.match(ended[0]?.message ?? '', /drained before its walltime/);
      } finally {
        await ep.close();
      }
    });

    it('close() gives every block back: no job or process is left', async () => {
      const ep = await startClusterEndpoint(service, user.userId, options({ initBlocks: 2, minBlocks: 2, maxBlocks: 2 }));
      let jobs: string[] = [];
      try {
        await within(30_000, 'both initial blocks to run', () => ep.engine.report().blocks.running === 2);
        jobs = ep.engine.blocks().map((b) => b.jobId!);
        assert.equal(jobs.length, 2);
        assert.equal((await under.jobsLeft(jobs)).length, 2);
      } finally {
        await ep.close();
      }
      assert.deepEqual(await under.jobsLeft(jobs), [], 'every block ended by the time close() returned');
      assert.deepEqual(ep.engine.blocks(), []);
    });
  });
}
