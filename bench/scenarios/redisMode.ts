import { FuncXClient, FuncXExecutor } from 'funcx-rx';
import { startLocalService } from 'funcx-rx/service';
import { runCli, startCli, type CliProcess } from '../../spec/support/cli.js';
import { startRedisServer, type RedisServer } from '../../spec/support/redisServer.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { median, repeat } from '../support/stats.js';

const TASKS = 20_000;
const KILL_TASKS = 10_000;
const noop = (x: number): number => x * 2;

interface Cluster {
  readonly redis: RedisServer;
  readonly token: string;
  readonly endpointId: string;
  a: CliProcess;
  b: CliProcess;
  readonly endpoint: CliProcess;
  replica(port?: string): Promise<CliProcess>;
  stop(): Promise<void>;
}

/** A redis-server, two replicas (`serve --redis`), and an endpoint process on replica B. */
async function cluster(workers: number): Promise<Cluster> {
  const redis = await startRedisServer();
  const { token } = (await runCli(['token', 'create', '--redis', redis.url, '--json'])) as { token: string };
  const { endpoint_id: endpointId, secret } = (await runCli(['endpoint-register', '--redis', redis.url, '--json'], { FUNCX_TOKEN: token })) as { endpoint_id: string; secret: string };
  const replica = (port = '0') => startCli(['serve', '--redis', redis.url, '--json', '--port', port, '--ping-interval', '500']);
  const [a, b] = await Promise.all([replica(), replica()]);
  const endpoint = await startCli(['endpoint', '--service', b.info.url!, '--endpoint-id', endpointId, '--workers', String(workers)], { FUNCX_ENDPOINT_SECRET: secret });
  const self: Cluster = {
    redis, token, endpointId, a, b, endpoint, replica,
    stop: async () => {
      await endpoint.stop();
      await Promise.all([self.a.stop(), self.b.stop()]);
      await redis.stop();
    },
  };
  return self;
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
      fxc.run({ functionId, endpointId: c.endpointId }, i).subscribe({ next: () => counts.set(i, (counts.get(i) ?? 0) + 1), error: reject, complete: resolve });
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
  const memory = median(await repeat(repeats, async () => {
    const local = await startLocalService({ workers });
    try {
      return await executorRun(local.url, local.token, local.endpointId, TASKS);
    } finally {
      await local.stop();
    }
  }));
  const c = await cluster(workers);
  try {
    const redis = median(await repeat(repeats, () => executorRun(c.a.info.url!, c.token, c.endpointId, TASKS)));
    progress(`redis: ${KILL_TASKS.toLocaleString('en')} tasks with and without a replica SIGKILLed and restarted`);
    const clean = await killRun(c, false);
    const killed = await killRun(c, true);
    return [
      { scenario: '11 redis', metric: 'executor, two replicas on one Redis (client on A, endpoint on B)', value: redis, unit: 'tasks/s', baseline: { name: 'in-memory, same run', value: memory }, target: { text: '≥ 50 % of in-memory', met: redis >= memory / 2 } },
      { scenario: '11 redis', metric: 'lost tasks with replica A SIGKILLed and restarted mid-run', value: killed.lost, unit: 'tasks', target: { text: '0', met: killed.lost === 0 } },
      { scenario: '11 redis', metric: 'tasks delivered twice to user code', value: killed.duplicates, unit: 'tasks', target: { text: '0', met: killed.duplicates === 0 } },
      { scenario: '11 redis', metric: 'wall time with the kill', value: killed.seconds, unit: 's', baseline: { name: 'no kill', value: clean.seconds } },
    ];
  } finally {
    await c.stop();
  }
}
