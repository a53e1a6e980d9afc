import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { filter, firstValueFrom } from 'rxjs';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { DependencyFailed } from '../../lib/errors/DependencyFailed.js';
import { TaskSubmissionFailed } from '../../lib/errors/TaskSubmissionFailed.js';
import { ErrorCode } from '../../lib/protocol/errorCodes.js';
import { taskRef } from '../../lib/reactive/taskRef.js';
import { call } from '../support/rawApi.js';
import { runCli, type CliProcess } from '../support/cli.js';
import type { RedisServer } from '../support/redisServer.js';
import { startReplicaSet, stopReplicaSet } from '../support/replicaSet.js';
import { until } from '../support/until.js';

const PING_MS = '300';

/**
 * Dependencies across replicas: two `funcx-rx serve --redis` processes on one real redis-server,
 * the client on replica A, the endpoint on replica B, so that inputs end (and release their
 * dependants) on the other replica from the one that accepted them.
 */
describe('tasks that wait for tasks, replicas on one Redis', () => {
  let redis: RedisServer;
  let user: { token: string };
  let endpoint: { endpoint_id: string; secret: string };
  let a: CliProcess;
  let b: CliProcess;
  let ep: CliProcess;
  let fxc: FuncXClient<true>;
  let replica: (port?: string) => Promise<CliProcess>;
  const online = async (url: string) => (await call(url, 'GET', `/v2/endpoints/${endpoint.endpoint_id}/status`, { token: user.token })).body?.status === 'online';

  before(async () => {
    let token: string;
    ({ redis, token, endpoint, a, b, ep, replica } = await startReplicaSet({ name: 'spec', serveArgs: ['--ping-interval', PING_MS] }));
    user = { token };
    await until(() => online(a.info.url!), 'the endpoint online as seen from replica A');
    fxc = new FuncXClient({ serviceUrl: a.info.url!, token: user.token, asynchronous: true, batchSize: 1000 });
  });
  after(async () => {
    await fxc?.close();
    await stopReplicaSet({ ep, a, b, redis });
  });

  it('should run double(double(double(1))) = 8 and a diamond, released on the other replica', async () => {
    const double = await fxc.registerFunction((x: number) => x * 2);
    const add = await fxc.registerFunction((x: number, y: number) => x + y);
    const target = { functionId: double, endpointId: endpoint.endpoint_id };
    const chain = fxc.run(target, fxc.run(target, fxc.run(target, 1)));
    const top = fxc.run(target, 1);
    const diamond = fxc.run({ functionId: add, endpointId: endpoint.endpoint_id }, fxc.run(target, top), fxc.run(target, top));
    assert.deepEqual(await Promise.all([chain, diamond]), [8, 8]);
  });

  it('should fail dependants recursively and refuse another user\'s input', async () => {
    const boom = await fxc.registerFunction((): number => {
      throw new Error('boom');
    });
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const first = fxc.run({ functionId: boom, endpointId: endpoint.endpoint_id });
    const second = fxc.run({ functionId: inc, endpointId: endpoint.endpoint_id }, first);
    const third = fxc.run({ functionId: inc, endpointId: endpoint.endpoint_id }, second);
    await assert.rejects(third.asPromise(), (e: unknown) => e instanceof DependencyFailed && e.inputTaskId === second.taskId);
    await assert.rejects(second.asPromise(), (e: unknown) => e instanceof DependencyFailed && e.inputTaskId === first.taskId);

    const mallory = (await runCli(['token', 'create', '--redis', redis.url, '--json'])) as { token: string };
    const theirs = new FuncXClient({ serviceUrl: b.info.url!, token: mallory.token });
    const fn = await theirs.registerFunction((x: number) => x);
    await assert.rejects(theirs.run({ functionId: fn, endpointId: endpoint.endpoint_id }, taskRef(first.taskId)), (e: unknown) => e instanceof TaskSubmissionFailed && e.code === ErrorCode.DEPENDENCY_NOT_FOUND);
  });

  it('should fan out one input to 10,000 dependants and fan them into one', async () => {
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const sum = await fxc.registerFunction((xs: number[]) => xs.reduce((s, x) => s + x, 0));
    const started = Date.now();
    const root = fxc.run({ functionId: inc, endpointId: endpoint.endpoint_id }, 0);
    const fanned = Array.from({ length: 10_000 }, () => fxc.run({ functionId: inc, endpointId: endpoint.endpoint_id }, root));
    const total = fxc.run({ functionId: sum, endpointId: endpoint.endpoint_id }, fanned);
    assert.equal(await total, 20_000);
    // As long as 10,000 tasks without inputs take on this setup (the endpoint's two workers): waiting costs nothing measurable.
    console.log(`redis: fan-out/fan-in of 10,002 tasks over two replicas: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('should still run a waiting dependant after the replica that would release it is SIGKILLed', async () => {
    // The input runs long enough for the kill to fall between its start and its end.
    const slow = await fxc.registerFunction(async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return x * 2;
    });
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const input = fxc.run({ functionId: slow, endpointId: endpoint.endpoint_id }, 20);
    const dependant = fxc.run({ functionId: inc, endpointId: endpoint.endpoint_id }, input);
    await firstValueFrom(input.status$.pipe(filter((s) => s === 'running')));
    await firstValueFrom(dependant.status$.pipe(filter((s) => s === 'waiting-for-deps')));
    // Replica B holds the endpoint's connection: the input's result, and so the release, would go through it.
    const portB = new URL(b.info.url!).port;
    await b.stop('SIGKILL');
    b = await replica(portB);
    assert.equal(await dependant, 41, 'released by the restarted replica once the endpoint reported its input');
    assert.equal(await input, 40);
  });
});
