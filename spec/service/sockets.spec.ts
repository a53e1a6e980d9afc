import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { v4 as uuidv4 } from 'uuid';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { serialize } from '../../lib/serialize/serialize.js';
import { FrameCollector, call, handshakeStatus, registerFunction, task } from '../support/rawApi.js';
import { reportedTogether } from '../support/reportedTogether.js';
import { until } from '../support/until.js';

describe('service sockets', () => {
  let service: FuncXService;
  let url: string;
  let wsUrl: string;
  let alice: { userId: string; token: string };
  let fn: string;
  let endpoint: { endpointId: string; secret: string };
  const open: FrameCollector[] = [];

  before(async () => {
    service = await FuncXService.start({ pingIntervalMs: 200 });
    url = service.url;
    wsUrl = url.replace('http', 'ws');
    alice = await service.issueToken();
    fn = await registerFunction(url, alice.token, (x: number) => x);
    endpoint = await service.registerEndpoint(alice.userId);
  });
  after(async () => {
    for (const socket of open) await socket.close();
    await service.close();
  });

  const resultSocket = async (token = alice.token): Promise<FrameCollector> => {
    const socket = await FrameCollector.open(`${wsUrl}/ws/v2/`, { authorization: `Bearer ${token}` });
    open.push(socket);
    return socket;
  };
  const endpointSocket = async (): Promise<FrameCollector> => {
    const socket = await FrameCollector.open(`${wsUrl}/ws/v2/endpoints/${endpoint.endpointId}`, { authorization: `Bearer ${endpoint.secret}` });
    open.push(socket);
    return socket;
  };
  const taskStatus = async (id: string): Promise<string> => (await call(url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).body.status;
  /**
   * Resolves once the service has read every frame sent on `socket` before: ws handles a
   * connection's frames in order and answers a ping after the messages ahead of it (on the memory
   * backend, what a subscribe frame does is done by then).
   */
  const handled = async (socket: FrameCollector): Promise<void> => {
    const pong = once(socket.socket, 'pong');
    socket.socket.ping();
    await pong;
  };
  const submit = async (ids: string[], group?: string): Promise<string> => {
    const answer = await call(url, 'POST', '/v2/submit', { token: alice.token, body: { ...(group ? { task_group_id: group } : {}), tasks: ids.map((id, i) => task(fn, endpoint.endpointId, [i], id)) } });
    assert.equal(answer.status, 200);
    return answer.body.task_group_id as string;
  };

  it('result socket handshake - 401 without a token or with a bad one, token in the query accepted', async () => {
    assert.equal(await handshakeStatus(`${wsUrl}/ws/v2/`), 401);
    assert.equal(await handshakeStatus(`${wsUrl}/ws/v2/`, { authorization: 'Bearer nope' }), 401);
    const viaQuery = await FrameCollector.open(`${wsUrl}/ws/v2/?access_token=${alice.token}`);
    await viaQuery.close();
  });

  it('endpoint handshake - 401 without a secret, 403 with a wrong one or a user token', async () => {
    assert.equal(await handshakeStatus(`${wsUrl}/ws/v2/endpoints/${endpoint.endpointId}`), 401);
    assert.equal(await handshakeStatus(`${wsUrl}/ws/v2/endpoints/${endpoint.endpointId}`, { authorization: 'Bearer wrong' }), 403);
    assert.equal(await handshakeStatus(`${wsUrl}/ws/v2/endpoints/${endpoint.endpointId}`, { authorization: `Bearer ${alice.token}` }), 403);
  });

  it('batch=1 (a funcx-rx client) - one frame per result, as a plain socket gets, the same results', async () => {
    const ep = await endpointSocket();
    const plain = await resultSocket();
    const rx = await FrameCollector.open(`${wsUrl}/ws/v2/?batch=1`, { authorization: `Bearer ${alice.token}` });
    open.push(rx);
    const group = uuidv4();
    plain.send(group);
    rx.send(group);
    const ids = Array.from({ length: 50 }, () => uuidv4());
    await submit(ids, group);
    await ep.until((frames) => ids.every((id) => frames.some((f) => f.task_id === id)));
    ep.send(ids.map((id, i) => ({ type: 'result', task_id: id, result: serialize(i) })));
    await plain.until((frames) => frames.length === 50);
    await rx.until((frames) => frames.length === 50);
    for (const socket of [plain, rx]) {
      assert.equal(socket.raw.length, 50);
      assert.ok(socket.raw.every((text) => text.startsWith('{')), 'one JSON object per frame');
    }
    assert.deepEqual(rx.frames.map((f) => f.task_id).sort(), [...ids].sort());
    assert.deepEqual(rx.frames.map((f) => f.result).sort(), plain.frames.map((f) => f.result).sort());
    await ep.close();
  });

  it('dispatch, statuses and results - an endpoint runs a task and the subscriber gets one JSON frame', async () => {
    const ep = await endpointSocket();
    const client = await resultSocket();
    const id = uuidv4();
    const group = uuidv4();
    client.send(group); // subscribed before the group exists
    await submit([id], group);
    await ep.until((frames) => frames.some((f) => f.type === 'task' && f.task_id === id));
    const dispatched = ep.frames.find((f) => f.task_id === id);
    assert.equal(dispatched.function_id, fn);
    assert.equal((await call(url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).body.status, 'waiting-for-nodes');
    ep.send([{ type: 'status', task_id: id, status: 'running' }]);
    ep.send({ type: 'result', task_id: id, result: serialize(42) });
    await client.until((frames) => frames.length === 1);
    assert.deepEqual(Object.keys(client.frames[0]).sort(), ['completion_t', 'exception', 'result', 'status', 'task_id']);
    assert.equal(client.frames[0].status, 'success');
    assert.equal(client.frames[0].result, '11\n42');
    assert.equal(client.frames[0].exception, null);
    ep.send({ type: 'result', task_id: id, result: serialize(43) });
    const record = await call(url, 'GET', `/v2/tasks/${id}`, { token: alice.token });
    assert.equal(record.body.result, '11\n42', 'the first result wins');
    await ep.close();
    await client.close();
  });

  it('undelivered results wait for the next subscriber of their group', async () => {
    const ep = await endpointSocket();
    const id = uuidv4();
    const group = await submit([id]);
    await ep.until((frames) => frames.some((f) => f.task_id === id));
    const succeeded = (await service.stats(alice.userId)).tasks_by_status.success;
    ep.send({ type: 'result', task_id: id, result: serialize('later') });
    // Recorded, and kept as undelivered, before anyone follows the group (the counters, not a
    // GET of the task: a result read by polling counts as delivered).
    await until(async () => (await service.stats(alice.userId)).tasks_by_status.success === succeeded + 1, 'the result recorded');
    const client = await resultSocket();
    client.send(group);
    await client.until((frames) => frames.some((f) => f.task_id === id));
    assert.equal(client.frames[0].result, '11\n"later"');
    await ep.close();
  });

  it('status frames only for clients that asked; malformed frames ignored', async () => {
    const ep = await endpointSocket();
    const plain = await resultSocket();
    const watching = await resultSocket();
    const id = uuidv4();
    const group = uuidv4();
    plain.send('not a uuid');
    plain.send('{"broken": ');
    plain.send(group);
    watching.send({ task_group_id: group, statuses: true });
    // Both subscriptions in place before the group exists.
    await Promise.all([handled(plain), handled(watching)]);
    await submit([id], group);
    await ep.until((frames) => frames.some((f) => f.task_id === id));
    ep.send({ type: 'status', task_id: id, status: 'running' });
    ep.send({ type: 'result', task_id: id, result: serialize(1) });
    await watching.until((frames) => frames.some((f) => f.status === 'success'));
    await plain.until((frames) => frames.some((f) => f.status === 'success'));
    assert.deepEqual(watching.frames.filter((f) => f.type === 'status').map((f) => f.status), ['waiting-for-nodes', 'running']);
    assert.equal(watching.frames.at(-1).status, 'success');
    assert.deepEqual(plain.frames.map((f) => f.type ?? f.status), ['success']);
    await ep.close();
  });

  it('statuses and results in one frame - every status on the way, then the first result', () => reportedTogether(service, service));

  it('endpoint loss - unfinished tasks are requeued and sent to the next connection', async () => {
    const first = await endpointSocket();
    const id = uuidv4();
    await submit([id]);
    await first.until((frames) => frames.some((f) => f.task_id === id));
    await first.close();
    await until(async () => (await taskStatus(id)) === 'waiting-for-ep', 'the task requeued once the service saw the connection close');
    assert.equal((await call(url, 'GET', `/v2/endpoints/${endpoint.endpointId}/status`, { token: alice.token })).body.status, 'offline');
    const second = await endpointSocket();
    await second.until((frames) => frames.some((f) => f.task_id === id));
    second.send({ type: 'result', task_id: id, result: serialize('done') });
    await until(async () => (await taskStatus(id)) === 'success', 'the requeued task\'s result recorded');
    await second.close();
  });

  it('cancel - the endpoint is told to stop a dispatched task', async () => {
    const ep = await endpointSocket();
    const [id, witness] = [uuidv4(), uuidv4()];
    await submit([id, witness]);
    await ep.until((frames) => [id, witness].every((t) => frames.some((f) => f.task_id === t)));
    await call(url, 'POST', `/v2/tasks/${id}/cancel`, { token: alice.token });
    await ep.until((frames) => frames.some((f) => f.type === 'cancel' && f.task_id === id));
    // One frame: the late result and another task's, recorded in the same report. Once the
    // witness has ended, the late result has been processed too.
    ep.send([{ type: 'result', task_id: id, result: serialize('too late') }, { type: 'result', task_id: witness, result: serialize('in time') }]);
    await until(async () => (await call(url, 'GET', `/v2/tasks/${witness}`, { token: alice.token })).body.status === 'success', 'the witness recorded');
    const cancelled = (await call(url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).body;
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.result, undefined, 'the late result was not kept');
    await ep.close();
  });

  it('stats - result sockets counted open and in total, exactly', async () => {
    const before = (await service.stats());
    const a = await resultSocket();
    const b = await resultSocket();
    assert.equal((await service.stats()).result_websockets_open, before.result_websockets_open + 2);
    await a.close();
    await b.close();
    // The service counts a socket closed when it sees the close, a moment after the client does.
    await until(async () => (await service.stats()).result_websockets_open === before.result_websockets_open, 'the service to count both sockets closed');
    const after = (await service.stats());
    assert.equal(after.result_websockets_open, before.result_websockets_open);
    assert.equal(after.result_websockets_total, before.result_websockets_total + 2);
  });

  it('a dead endpoint connection is dropped by ping', async () => {
    const ep = await endpointSocket();
    // Stop answering pings the way a frozen peer would: pause the socket's reading.
    (ep.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    await until(async () => (await call(url, 'GET', `/v2/endpoints/${endpoint.endpointId}/status`, { token: alice.token })).body.status !== 'online', 'the unanswered pings to drop the endpoint');
    await ep.close();
  });
});
