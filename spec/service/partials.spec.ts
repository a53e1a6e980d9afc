import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { serialize } from '../../lib/serialize/serialize.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { call } from '../support/rawApi.js';
import { RawEndpoint } from '../support/rawEndpoint.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';
import { until } from '../support/until.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The service and client side of streaming results (docs/protocol-extensions.md §11), with a raw
 * endpoint connection playing the generator, so that each partial, credit and ack is seen: a real
 * service and a real client on ephemeral ports.
 */
for (const backend of ['memory', 'redis'] as const) describe(`service - partial results (generators), the service and client side (${backend})`, () => {
  const WINDOW = 5;
  let redis: RedisServer | null = null;
  let service: FuncXService;
  let alice: { userId: string; token: string };
  let endpointId: string;
  let endpoint: RawEndpoint;
  let fxc: FuncXClient<true>;
  let functionId: string;
  before(async () => {
    if (backend === 'redis') redis = await startRedisServer();
    service = await FuncXService.start({ maxUnreadPartials: WINDOW, partialHistory: 20, ...(redis === null ? {} : { redis: redis.url }) });
    alice = await service.issueToken();
    const registered = await service.registerEndpoint(alice.userId);
    endpointId = registered.endpointId;
    endpoint = await RawEndpoint.open(service.url, endpointId, registered.secret);
    fxc = new FuncXClient({ serviceUrl: service.url, token: alice.token, asynchronous: true, batchInterval: 1 });
    functionId = await fxc.registerFunction(function* counting(n: number) {
      for (let i = 0; i < n; i++) yield i;
      return n;
    });
  });
  after(async () => {
    await fxc?.close({ cancel: true });
    await endpoint?.close();
    await service?.close();
    await redis?.stop();
  });

  /** The task message the raw endpoint was sent for a task. */
  const sentTask = async (taskId: string): Promise<any> => {
    await until(() => endpoint.tasks().some((m) => m.task_id === taskId), `task ${taskId} to reach the endpoint`);
    return endpoint.tasks().find((m) => m.task_id === taskId);
  };
  const credits = (taskId: string): any[] => endpoint.messages.filter((m) => m.type === 'credit' && m.task_id === taskId);
  const partial = (taskId: string, seq: number, value: unknown) => ({ type: 'partial', task_id: taskId, seq, value: serialize(value) });
  const partialsOf = async (taskId: string, query = ''): Promise<any> => (await call(service.url, 'GET', `/v2/tasks/${taskId}/partials${query}`, { token: alice.token })).body;

  it('a pulling reader sets the pace: the service holds at most its window unread, and each take gives the endpoint credit', async () => {
    const task = fxc.run({ functionId, endpointId }, 12);
    const message = await sentTask(task.taskId);
    assert.deepEqual(message.credit, { count: WINDOW, bytes: 16 * 1024 * 1024 }, 'the first credit is the window');
    const reader = task.partials();
    endpoint.send(Array.from({ length: WINDOW + 2 }, (_, seq) => partial(task.taskId, seq, seq * 10)));
    // Past the credit: seqs 5 and 6 are dropped; the endpoint broke the protocol.
    await until(async () => (await partialsOf(task.taskId, '?limit=1&from=999')).count === WINDOW, 'the window to be stored');
    assert.equal(credits(task.taskId).length, 0, 'nothing read: no credit');
    assert.deepEqual(await reader.next(), { done: false, value: 0 });
    assert.deepEqual(await reader.next(), { done: false, value: 10 });
    await until(() => credits(task.taskId).some((c) => c.count === WINDOW + 2), 'a credit for the two taken');
    endpoint.send([5, 6, 7, 8, 9, 10, 11].map((seq) => partial(task.taskId, seq, seq * 10)).slice(0, 2));
    const values: unknown[] = [];
    for (let i = 0; i < 5; i++) values.push((await reader.next()).value);
    assert.deepEqual(values, [20, 30, 40, 50, 60]);
    await until(() => credits(task.taskId).some((c) => c.count === 7 + WINDOW), 'credit for all seven');
    endpoint.send([7, 8, 9, 10, 11].map((seq) => partial(task.taskId, seq, seq * 10)));
    endpoint.send([{ type: 'result', task_id: task.taskId, result: serialize(12), partials: 12 }]);
    const rest: unknown[] = [];
    for await (const value of reader) rest.push(value);
    assert.deepEqual(rest, [70, 80, 90, 100, 110]);
    assert.equal(await task, 12, 'awaiting gives the return value');
    assert.equal(task.status, 'success');
  });

  it('the Observable emits every partial in order, then completes without the return value; a plain task still emits its one value', async () => {
    const streaming = fxc.run({ functionId, endpointId }, 3);
    const seen: unknown[] = [];
    const completed = new Promise<void>((resolve, reject) => streaming.subscribe({ next: (v) => seen.push(v), error: reject, complete: resolve }));
    await sentTask(streaming.taskId);
    endpoint.send([partial(streaming.taskId, 0, 'a'), partial(streaming.taskId, 1, 'b'), partial(streaming.taskId, 2, 'c'), { type: 'result', task_id: streaming.taskId, result: serialize(3), partials: 3 }]);
    await completed;
    assert.deepEqual(seen, ['a', 'b', 'c']);

    const plain = fxc.run({ functionId, endpointId }, 0);
    const plainSeen: unknown[] = [];
    const plainDone = new Promise<void>((resolve, reject) => plain.subscribe({ next: (v) => plainSeen.push(v), error: reject, complete: resolve }));
    await sentTask(plain.taskId);
    endpoint.send([{ type: 'result', task_id: plain.taskId, result: serialize('one value') }]);
    await plainDone;
    assert.deepEqual(plainSeen, ['one value']);
  });

  it('partials sent into a dead result socket are read back: each once, in order, and the task completes after the last', async () => {
    const task = fxc.run({ functionId, endpointId }, 8);
    const seen: unknown[] = [];
    const completed = new Promise<void>((resolve, reject) => task.subscribe({ next: (v) => seen.push(v), error: reject, complete: resolve }));
    await sentTask(task.taskId);
    endpoint.send([partial(task.taskId, 0, 0), partial(task.taskId, 1, 1)]);
    await until(() => seen.length === 2, 'the first two');
    // Dropped: the next partials go into no socket, or a dying one; the client reads them back.
    service.dropResultSockets();
    endpoint.send([partial(task.taskId, 2, 2), partial(task.taskId, 3, 3), partial(task.taskId, 4, 4)]);
    await until(() => seen.length === 5, 'the three sent while the socket was down, after the reopen');
    // As an endpoint does: no partial past the credit (the window past what was read).
    await until(() => credits(task.taskId).some((c) => c.count >= 8), 'credit for the rest');
    endpoint.send([partial(task.taskId, 5, 5), partial(task.taskId, 6, 6), partial(task.taskId, 7, 7), { type: 'result', task_id: task.taskId, result: serialize(8), partials: 8 }]);
    await completed;
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a result that comes before its last partials holds the task until they are read (the count says how many)', async () => {
    const task = fxc.run({ functionId, endpointId }, 3);
    const seen: unknown[] = [];
    const completed = new Promise<void>((resolve, reject) => task.subscribe({ next: (v) => seen.push(v), error: reject, complete: resolve }));
    await sentTask(task.taskId);
    endpoint.send([partial(task.taskId, 0, 'x')]);
    await until(() => seen.length === 1, 'the first');
    service.dropResultSockets();
    endpoint.send([partial(task.taskId, 1, 'y'), partial(task.taskId, 2, 'z'), { type: 'result', task_id: task.taskId, result: serialize(3), partials: 3 }]);
    await completed;
    assert.deepEqual(seen, ['x', 'y', 'z']);
    assert.equal(await task, 3);
  });

  it('polling: partials by index, a page at a time, with the total once the task ended; bad queries and other users\' tasks are refused', async () => {
    const task = fxc.run({ functionId, endpointId }, 4);
    await sentTask(task.taskId);
    endpoint.send([0, 1, 2, 3].map((seq) => partial(task.taskId, seq, `p${seq}`)));
    await until(async () => (await partialsOf(task.taskId)).count === 4, 'four stored');
    const page = await partialsOf(task.taskId, '?from=1&limit=2');
    assert.deepEqual({ ...page, partials: page.partials.length }, { task_id: task.taskId, first: 1, count: 4, total: null, partials: 2 });
    endpoint.send([{ type: 'result', task_id: task.taskId, result: serialize(4), partials: 4 }]);
    assert.equal(await task, 4);
    assert.equal((await partialsOf(task.taskId)).total, 4);
    const polling = new FuncXClient({ serviceUrl: service.url, token: alice.token });
    assert.deepEqual(await polling.getPartials(task.taskId, { from: 2 }), { first: 2, count: 4, total: 4, values: ['p2', 'p3'] });
    const bad = await call(service.url, 'GET', `/v2/tasks/${task.taskId}/partials?from=-1`, { token: alice.token });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 17);
    assert.match(bad.body.reason, /`from` to be a whole number/);
    const bob = await service.issueToken();
    const foreign = await call(service.url, 'GET', `/v2/tasks/${task.taskId}/partials`, { token: bob.token });
    assert.equal(foreign.status, 404);
  });
});
