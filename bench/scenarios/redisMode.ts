import { FuncXClient, FuncXExecutor } from 'funcx-rx';
import { Redis } from 'ioredis';
import { startLocalService } from 'funcx-rx/service';
import type { CliProcess } from '../../spec/support/cli.js';
import { startReplicaSet, stopReplicaSet, type ReplicaSet } from '../../spec/support/replicaSet.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { repeat, summary } from '../support/stats.js';

const TASKS = 20_000;
const KILL_TASKS = 10_000;
/** Tasks of the run whose requests to Redis are counted (MONITOR slows Redis down: a short run). */
const COUNTED_TASKS = 2_000;
const noop = (x: number): number => x * 2;

/** Scenario 11's parts: a redis-server, two replicas (`serve --redis`), an endpoint process on B; `a` is replaced after its SIGKILL. */
type Cluster = Omit<ReplicaSet, 'a'> & { a: CliProcess };

/** The replica specs' set (spec/support/replicaSet.ts) with the bench's endpoint workers, pinged every 500 ms. */
async function cluster(workers: number): Promise<Cluster> {
  return { ...(await startReplicaSet({ name: 'bench', workers, serveArgs: ['--ping-interval', '500'] })) };
}

async function executorRun(serviceUrl: string, token: string, endpointId: string, tasks: number): Promise<number> {
  const fx = new FuncXExecutor(new FuncXClient({ serviceUrl, token }), { endpointId, batchInterval: 10, batchSize: 2000 });
  try {
    await fx.submit(noop, 0);
    const start = performance.now();
    const futures = Array.from({ length: tasks }, (_, i) => fx.submit(noop, i));
    for (const future of futures) await future;
    return tasks / ((performance.now() - start) / 1000);
  } finally {
    await fx.shutdown();
  }
}

/** 10,000 tasks through replica A; with `kill`, A is SIGKILLed at a third and restarted on its port. */
async function killRun(c: Cluster, kill: boolean): Promise<{ seconds: number; lost: number; duplicates: number }> {
  const fxc = new FuncXClient({ serviceUrl: c.a.info.url!, token: c.token, asynchronous: true, batchSize: 1000 });
  try {
    const functionId = await fxc.registerFunction(noop);
    const counts = new Map<number, number>();
    const start = performance.now();
    const all = Promise.allSettled(Array.from({ length: KILL_TASKS }, (_, i) => new Promise<void>((resolve, reject) => {
      fxc.run({ functionId, endpointId: c.endpoint.endpoint_id }, i).subscribe({ next: () => counts.set(i, (counts.get(i) ?? 0) + 1), error: reject, complete: resolve });
    })));
    if (kill) {
      while (counts.size < KILL_TASKS / 3) await new Promise((r) => setTimeout(r, 5));
      const port = new URL(c.a.info.url!).port;
      await c.a.stop('SIGKILL');
      c.a = await c.replica(port);
    }
    const outcomes = await all;
    const seconds = (performance.now() - start) / 1000;
    const lost = outcomes.filter((o) => o.status === 'rejected').length + (KILL_TASKS - counts.size);
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    return { seconds, lost, duplicates };
  } finally {
    await fxc.close();
  }
}

/**
 * Scenario 11 (Redis): throughput with two replicas on one Redis (client on one, endpoint on the
 * other) beside the in-memory embedded service in the same run; and a replica SIGKILLed and
 * restarted mid-run, against the same run without the kill.
 */
export async function redisMode(repeats: number, workers: number): Promise<Row[]> {
  progress(`redis: in-memory vs two replicas on Redis, ${TASKS.toLocaleString('en')} no-op tasks, ${repeats} runs each`);
  const memory = summary(await repeat(repeats, async () => {
    const local = await startLocalService({ workers });
    try {
      return await executorRun(local.url, local.token, local.endpointId, TASKS);
    } finally {
      await local.stop();
    }
  }));
  const c = await cluster(workers);
  const probe = new Redis(c.redis.url);
  probe.on('error', () => {});
  try {
    const executed = await commandsRun(probe);
    const redis = summary(await repeat(repeats, () => executorRun(c.a.info.url!, c.token, c.endpoint.endpoint_id, TASKS)));
    const commandsPerTask = (await executed()) / (repeats * TASKS);
    progress(`redis: ${COUNTED_TASKS.toLocaleString('en')} tasks with the requests to Redis counted`);
    const requestsPerTask = await requestsRun(probe, () => executorRun(c.a.info.url!, c.token, c.endpoint.endpoint_id, COUNTED_TASKS));
    progress(`redis: ${KILL_TASKS.toLocaleString('en')} tasks with and without a replica SIGKILLed and restarted`);
    const clean = await killRun(c, false);
    const killed = await killRun(c, true);
    return [
      { scenario: '11 redis', metric: 'executor, two replicas on one Redis (client on A, endpoint on B)', value: redis.median, unit: 'tasks/s', baseline: { name: 'in-memory, same run', value: memory.median }, note: `Redis: ${redis.range}; in-memory: ${memory.range}`, target: { text: '≥ 0.8× in-memory', met: redis.median >= 0.8 * memory.median } },
      { scenario: '11 redis', metric: 'requests to Redis per task (scripts and commands the replicas send)', value: requestsPerTask, unit: 'requests' },
      { scenario: '11 redis', metric: 'commands Redis runs per task (each script, and each command in it)', value: commandsPerTask, unit: 'commands', target: { text: '≤ 5', met: commandsPerTask <= 5 } },
      { scenario: '11 redis', metric: 'lost tasks with replica A SIGKILLed and restarted mid-run', value: killed.lost, unit: 'tasks', target: { text: '0', met: killed.lost === 0 } },
      { scenario: '11 redis', metric: 'tasks delivered twice to user code', value: killed.duplicates, unit: 'tasks', target: { text: '0', met: killed.duplicates === 0 } },
      { scenario: '11 redis', metric: 'wall time with the kill', value: killed.seconds, unit: 's', baseline: { name: 'no kill', value: clean.seconds } },
    ];
  } finally {
    probe.disconnect();
    await stopReplicaSet(c);
  }
}

/** Starts counting the commands Redis runs (INFO commandstats counts a script and each command it runs). @returns the count since */
async function commandsRun(probe: Redis): Promise<() => Promise<number>> {
  const total = async (): Promise<number> => {
    let calls = 0;
    for (const [, n] of (await probe.info('commandstats')).matchAll(/calls=(\d+)/g)) calls += Number(n);
    return calls;
  };
  const before = await total();
  // The probe's own INFO is one command.
  return async () => (await total()) - before - 1;
}

/** The requests the replicas send to Redis per task during `run`, seen by MONITOR (commands run by scripts are left out). */
async function requestsRun(probe: Redis, run: () => Promise<number>): Promise<number> {
  // A connection of its own, in monitor mode.
  const monitor = await probe.monitor();
  monitor.on('error', () => {});
  let requests = 0;
  monitor.on('monitor', (_time: string, _args: string[], source: string) => {
    if (source !== 'lua') requests++;
  });
  try {
    await run();
    return requests / COUNTED_TASKS;
  } finally {
    monitor.disconnect();
  }
}
