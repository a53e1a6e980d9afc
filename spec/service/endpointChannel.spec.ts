import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { v4 as uuidv4 } from 'uuid';
import WebSocket from 'ws';
import { FRAME_LIMIT_BYTES } from '../../lib/protocol/endpointChannel.js';
import { pack } from '../../lib/serialize/pack.js';
import { deserializeError, serialize, serializeFunction } from '../../lib/serialize/serialize.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { resolveServiceOptions } from '../../lib/service/FuncXServiceOptions.js';
import { call, registerFunction, task } from '../support/rawApi.js';
import { RawEndpoint } from '../support/rawEndpoint.js';
import { until } from '../support/until.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('service - the endpoint channel', () => {
  let service: FuncXService;
  let alice: { userId: string; token: string };
  before(async () => {
    service = await FuncXService.start();
    alice = await service.issueToken();
  });
  after(() => service.close());

  const status = async (id: string): Promise<any> => (await call(service.url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).body;

  it('a 1 MB function and 200 tasks: the tasks travel without its code, which goes once, on request', async () => {
    const { endpointId, secret } = await service.registerEndpoint(alice.userId);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const big = new Function('x', `/*${'-'.repeat(1_000_000)}*/ return x;`) as (x: number) => number;
    const functionCode = pack([serializeFunction(big)]);
    const answer = await call(service.url, 'POST', '/v2/functions', { token: alice.token, body: { function_name: 'big', entry_point: 'big', function_code: functionCode, function_source: '', description: '' } });
    assert.equal(answer.status, 200);
    const fn = answer.body.function_uuid as string;
    const other = await registerFunction(service.url, alice.token, (x: number) => x);
    const ids = Array.from({ length: 200 }, () => uuidv4());
    await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: ids.map((id, i) => task(fn, endpointId, [i], id)) } });
    const endpoint = await RawEndpoint.open(service.url, endpointId, secret);
    try {
      await until(() => endpoint.tasks().length === 200, 'the 200 tasks');
      assert.ok(endpoint.tasks().every((m) => m.function_id === fn && !('function_code' in m)), 'no task carries code');
      assert.ok(Math.max(...endpoint.frameSizes) < 100_000, `small frames: ${Math.max(...endpoint.frameSizes)} bytes at most`);

      endpoint.send([{ type: 'get_function', function_id: fn }, { type: 'get_function', function_id: other }]);
      await until(() => endpoint.messages.filter((m) => m.type === 'function').length === 2, 'both answers');
      const [given, refused] = [fn, other].map((id) => endpoint.messages.find((m) => m.type === 'function' && m.function_id === id));
      assert.equal(given.function_code, functionCode);
      assert.equal(refused.function_code, undefined, 'no task of this endpoint uses the other function');
      assert.match(refused.error, /is unknown, or no task sent to this endpoint uses it/);

      endpoint.send(ids.map((id, i) => ({ type: 'result', task_id: id, result: serialize(i) })));
      await until(async () => (await status(ids[199]!)).status === 'success', 'the tasks to end');
    } finally {
      await endpoint.close();
    }
  });

  it('splits a backlog into frames of at most FRAME_LIMIT_BYTES, each task sent once', async () => {
    const { endpointId, secret } = await service.registerEndpoint(alice.userId);
    const fn = await registerFunction(service.url, alice.token, (s: string) => s.length);
    const ids: string[] = [];
    // 40 tasks of 0.5 MB: 20 MB waiting for the endpoint, in 5 submits under the body limit.
    for (let post = 0; post < 5; post++) {
      const batch = Array.from({ length: 8 }, () => uuidv4());
      ids.push(...batch);
      const answer = await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: batch.map((id) => task(fn, endpointId, ['p'.repeat(500_000)], id)) } });
      assert.equal(answer.status, 200);
    }
    const endpoint = await RawEndpoint.open(service.url, endpointId, secret);
    try {
      await until(() => endpoint.tasks().length >= 40, 'the 40 tasks');
      assert.deepEqual(endpoint.tasks().map((m) => m.task_id).sort(), [...ids].sort());
      assert.ok(endpoint.frameSizes.length >= 2, `split: ${endpoint.frameSizes.join(', ')}`);
      assert.ok(endpoint.frameSizes.every((size) => size <= FRAME_LIMIT_BYTES), `frame sizes ${endpoint.frameSizes.join(', ')}`);
    } finally {
      await endpoint.close();
    }
  });

  it('an endpoint that keeps sending a frame over the limit for a running task: the task fails with ResultTooLarge', async () => {
    const { endpointId, secret } = await service.registerEndpoint(alice.userId);
    const fn = await registerFunction(service.url, alice.token, (x: number) => x);
    const id = uuidv4();
    await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1], id)] } });
    const { maxEndpointFrameBytes } = resolveServiceOptions({});
    const oversized = JSON.stringify([{ type: 'result', task_id: id, result: serialize('z'.repeat(maxEndpointFrameBytes)) }]);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const endpoint = await RawEndpoint.open(service.url, endpointId, secret);
      await until(() => endpoint.tasks().some((m) => m.task_id === id), `the task, sent on connection ${attempt}`);
      endpoint.send([{ type: 'status', task_id: id, status: 'running' }]);
      await until(async () => (await status(id)).status === 'running', 'running');
      endpoint.socket.send(oversized);
      await endpoint.closed; // the service closes a connection that sends an oversized frame
    }
    await until(async () => (await status(id)).status === 'failed', 'the task to fail');
    const error = deserializeError((await status(id)).exception);
    assert.equal(error.name, 'ResultTooLarge');
    assert.match(error.message, new RegExp(`over the limit of ${maxEndpointFrameBytes} bytes: the endpoint's connection was closed 2 times`));
  });

  it('a result over the service\'s result limit, in a frame it accepts: the task fails with ResultTooLarge', async () => {
    const { endpointId, secret } = await service.registerEndpoint(alice.userId);
    const fn = await registerFunction(service.url, alice.token, (x: number) => x);
    const id = uuidv4();
    await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1], id)] } });
    const endpoint = await RawEndpoint.open(service.url, endpointId, secret);
    try {
      await until(() => endpoint.tasks().some((m) => m.task_id === id), 'the task');
      const { maxResultBytes } = resolveServiceOptions({});
      endpoint.send([{ type: 'result', task_id: id, result: serialize('z'.repeat(maxResultBytes)) }]);
      await until(async () => (await status(id)).status === 'failed', 'the task to fail');
      const error = deserializeError((await status(id)).exception);
      assert.equal(error.name, 'ResultTooLarge');
      assert.equal(error.message, `The task's result is ${maxResultBytes + 5} bytes serialized, over the result limit of ${maxResultBytes} bytes`);
      assert.equal(endpoint.socket.readyState, WebSocket.OPEN, 'the connection goes on');
    } finally {
      await endpoint.close();
    }
  });
});
