import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { v4 as uuidv4 } from 'uuid';
import WebSocket from 'ws';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { MemoryBackend } from '../../lib/service/backends/memory/MemoryBackend.js';
import { secretHash } from '../../lib/service/auth/secretHash.js';
import { FrameCollector, call, handshakeStatus, registerFunction, task } from '../support/rawApi.js';
import { rawExchange, upgradeRequest, type RawAnswer } from '../support/rawHttp.js';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess.js';
import { until } from '../support/until.js';

/** Asserts a raw answer is funcX's error envelope with a 4xx status that matches its body. */
function assertEnvelope(answer: RawAnswer, status?: number, code?: number): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `a 4xx answer, got ${answer.status}: ${answer.body}`);
  if (status !== undefined) assert.equal(answer.status, status, answer.body);
  assert.match(answer.headers['content-type'] ?? '', /application\/json/);
  const body = JSON.parse(answer.body);
  assert.equal(body.status, 'Failed');
  assert.equal(typeof body.code, 'number');
  assert.equal(typeof body.reason, 'string');
  assert.ok(Array.isArray(body.error_args));
  assert.equal(body.http_status_code, answer.status);
  if (code !== undefined) assert.equal(body.code, code, body.reason);
}

const get = (path: string, headers: Record<string, string> = {}): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`;

describe('service hardening - crash vectors, in a process of its own', () => {
  let service: ServiceProcess;
  before(async () => {
    service = await startServiceProcess({ headersTimeoutMs: 300, rateLimit: false }, { socketEvents: true });
  });
  after(async () => {
    assert.ok(service.alive(), `the service survived every vector; stderr: ${service.stderr()}`);
    await service.stop();
  });

  it('upgrade - a malformed percent-encoding or an unparsable URL is refused with an envelope', async () => {
    for (const path of ['/ws/v2/endpoints/%E0%A4%A', '/ws/v2/endpoints/%', '/ws/v2/endpoints/%zz', 'http://[bad/ws/v2', '//[::1/ws/v2/', '/ws/v2/endpoints/not-a-uuid']) {
      assertEnvelope(await rawExchange(service.url, upgradeRequest(path, { Authorization: 'Bearer x' })));
    }
    assert.ok(service.alive());
  });

  it('upgrade - a refusal written to a client that reset at once does not stop the service', async () => {
    const { hostname, port } = new URL(service.url);
    const connections = await service.watchConnections();
    for (let i = 0; i < 200; i++) {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(upgradeRequest(i % 2 ? '/ws/v2/' : `/ws/v2/endpoints/${service.endpointId}`, { Authorization: 'Bearer wrong' }));
      socket.resetAndDestroy();
    }
    // Nothing else connects meanwhile: the service's next 200 connections are these. It is done
    // with each once it has closed its side (after writing its refusal, or on reading the reset);
    // with the in-memory store a refusal is written in the same turn as its request is read, so
    // none is still to come. Rejects if the process died.
    await connections.closed(200);
    assert.ok(service.alive(), service.stderr());
    assert.equal((await call(service.url, 'GET', '/v2/health')).status, 200);
  });

  it('upgrade - bad handshakes get envelopes, not ws\'s text/html, and a bad token is 401', async () => {
    assertEnvelope(await rawExchange(service.url, upgradeRequest('/ws/v2/').replace('GET', 'POST')), 405, 105);
    const auth = { Authorization: `Bearer ${service.token}` };
    assertEnvelope(await rawExchange(service.url, upgradeRequest('/ws/v2/', { ...auth, 'Sec-WebSocket-Key': 'short' })), 400, 17);
    const version = await rawExchange(service.url, upgradeRequest('/ws/v2/', { ...auth, 'Sec-WebSocket-Version': '99' }));
    assertEnvelope(version, 400, 17);
    assert.equal(version.headers['sec-websocket-version'], '13');
    assertEnvelope(await rawExchange(service.url, upgradeRequest('/ws/v2/', { Authorization: 'Bearer wrong' })), 401, 1);
    assertEnvelope(await rawExchange(service.url, upgradeRequest('/ws/v2/nowhere')), 404, 102);
    assertEnvelope(await rawExchange(service.url, upgradeRequest(`/ws/v2/endpoints/${service.endpointId}`, { Authorization: 'Bearer wrong' })), 403, 9);
  });

  it('HTTP - Node\'s parser errors (400, 431, 408) and the framework\'s (400, 404, 405, 414, 415) are envelopes', async () => {
    assertEnvelope(await rawExchange(service.url, 'GARBAGE\r\n\r\n'), 400, 17);
    assertEnvelope(await rawExchange(service.url, get('/v2/health', { 'X-Big': 'x'.repeat(20_000) })), 431, 107);
    assertEnvelope(await rawExchange(service.url, get(`/v2/tasks/${'a'.repeat(5000)}`, { Authorization: `Bearer ${service.token}` })), 414, 106);
    assertEnvelope(await rawExchange(service.url, get('/v2/tasks/%zz', { Authorization: `Bearer ${service.token}` })), 400);
    assertEnvelope(await rawExchange(service.url, get('/v2/nothing', { Authorization: `Bearer ${service.token}` })), 404, 102);
    const wrongMethod = await rawExchange(service.url, `DELETE /v2/submit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${service.token}\r\nConnection: close\r\n\r\n`);
    assertEnvelope(wrongMethod, 405, 105);
    assert.equal(wrongMethod.headers.allow, 'POST');
    const text = '<tasks/>';
    assertEnvelope(await rawExchange(service.url, `POST /v2/submit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${service.token}\r\nContent-Type: application/xml\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`), 415, 109);
    const json = '{"tasks": [';
    assertEnvelope(await rawExchange(service.url, `POST /v2/submit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${service.token}\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\nConnection: close\r\n\r\n${json}`), 400, 17);
    // Headers that never end: answered 408 once headersTimeoutMs (300 ms here) passes, not kept forever.
    assertEnvelope(await rawExchange(service.url, 'GET /v2/health HTTP/1.1\r\nHost: x\r\n', 5000), 408, 108);
  });
});

describe('service limits - every size and count has a limit with a clear error', () => {
  let service: FuncXService;
  let alice: { userId: string; token: string };
  let fn: string;
  let endpointId: string;
  before(async () => {
    service = await FuncXService.start({
      maxTasksPerSubmit: 10,
      maxPayloadBytes: 1000,
      maxFunctionBytes: 4000,
      maxIdsPerRequest: 10,
      maxOutstandingTasksPerUser: 15,
      maxBytesPerUser: 12_000,
      maxFunctionsPerUser: 3,
      maxEndpointsPerUser: 2,
      rateLimit: false,
    });
    alice = await service.issueToken();
    fn = await registerFunction(service.url, alice.token, (x: number) => x);
    endpointId = (await service.registerEndpoint(alice.userId)).endpointId;
  });
  after(() => service.close());

  const tasks = (n: number, size = 1): string[][] => Array.from({ length: n }, () => task(fn, endpointId, ['x'.repeat(size)]));

  it('tasks per submit - refused with 413 code 111 before any per-task work', async () => {
    const answer = await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: tasks(11) } });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.code, 111);
    assert.deepEqual(answer.body.error_args, ['tasks', 11, 10]);
  });

  it('a 5 MB submit of tiny invalid tasks is answered with one short envelope', async () => {
    const big = await FuncXService.start({ rateLimit: false });
    try {
      const bob = await big.issueToken();
      const invalid = Array.from({ length: 200_000 }, () => ['f', 'e', 'p']);
      const response = await fetch(`${big.url}/v2/submit`, { method: 'POST', headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ tasks: invalid }) });
      const text = await response.text();
      assert.equal(response.status, 413);
      assert.ok(text.length < 1000, `a short answer, not one envelope per task (${text.length} bytes)`);
      assert.equal(JSON.parse(text).code, 111);
    } finally {
      await big.close();
    }
  });

  it('payload per task - that task is refused in the 207 answer with code 111, the others run', async () => {
    const answer = await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [...tasks(1), ...tasks(1, 2000)] } });
    assert.equal(answer.status, 207);
    assert.equal(answer.body.results[0].status, 'Success');
    assert.equal(answer.body.results[1].code, 111);
    assert.match(answer.body.results[1].reason, /^The arguments of task [0-9a-f-]{36} \(its payload\) are \d+ bytes; the limit is 1000 \(the service's maxPayloadBytes: funcx-rx serve --max-payload-bytes\)$/);
    await call(service.url, 'POST', '/v2/cancel', { token: alice.token, body: { task_ids: [answer.body.results[0].task_uuid] } });
  });

  it('function size and functions per user - 413 code 111, then 429 code 104', async () => {
    const large = await call(service.url, 'POST', '/v2/functions', { token: alice.token, body: { function_name: 'f', function_code: 'x'.repeat(5000) } });
    assert.equal(large.status, 413);
    assert.equal(large.body.code, 111);
    const bob = await service.issueToken();
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await call(service.url, 'POST', '/v2/functions', { token: bob.token, body: { function_name: 'f', function_code: '10\nx' } })).status);
    assert.deepEqual(codes, [200, 200, 200, 429]);
  });

  it('endpoints per user - 429 code 104 over the quota', async () => {
    const first = await call(service.url, 'POST', '/v2/endpoints', { token: alice.token, body: { endpoint_name: 'a' } });
    assert.equal(first.status, 200);
    const second = await call(service.url, 'POST', '/v2/endpoints', { token: alice.token, body: { endpoint_name: 'b' } });
    assert.equal(second.status, 429);
    assert.equal(second.body.code, 104);
  });

  it('ids per batch_status and cancel request - 413 code 111', async () => {
    const ids = Array.from({ length: 11 }, () => uuidv4());
    for (const path of ['/v2/batch_status', '/v2/cancel']) {
      const answer = await call(service.url, 'POST', path, { token: alice.token, body: { task_ids: ids } });
      assert.equal(answer.status, 413, path);
      assert.equal(answer.body.code, 111);
    }
  });

  it('outstanding tasks per user - the whole submit is answered 429 code 104 with Retry-After, and frees as tasks end', async () => {
    const carol = await service.issueToken();
    const carolFn = await registerFunction(service.url, carol.token, (x: number) => x);
    const carolEp = (await service.registerEndpoint(carol.userId)).endpointId;
    const submit = (n: number) => fetch(`${service.url}/v2/submit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${carol.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tasks: Array.from({ length: n }, () => task(carolFn, carolEp, [1])) }),
    });
    const first = await submit(10);
    const accepted = ((await first.json()) as { results: { task_uuid: string }[] }).results.map((r) => r.task_uuid);
    const over = await submit(6);
    assert.equal(over.status, 429);
    assert.equal(over.headers.get('retry-after'), '1');
    const body = (await over.json()) as { code: number; reason: string };
    assert.equal(body.code, 104);
    assert.match(body.reason, /outstanding tasks would be 16; the limit per user is 15/);
    await call(service.url, 'POST', '/v2/cancel', { token: carol.token, body: { task_ids: accepted.slice(0, 5) } });
    assert.equal((await submit(10)).status, 200, '5 outstanding + 10 = 15 fits');
    assert.equal((await submit(1)).status, 429, '16 > 15');
  });

  it('bytes held per user - 429 code 104, counted from payloads and results', async () => {
    const dave = await service.issueToken();
    const daveFn = await registerFunction(service.url, dave.token, (x: string) => x);
    const daveEp = (await service.registerEndpoint(dave.userId)).endpointId;
    const body = (n: number) => ({ tasks: Array.from({ length: n }, () => task(daveFn, daveEp, ['y'.repeat(900)])) });
    assert.equal((await call(service.url, 'POST', '/v2/submit', { token: dave.token, body: body(10) })).status, 200);
    const over = await call(service.url, 'POST', '/v2/submit', { token: dave.token, body: body(5) });
    assert.equal(over.status, 429);
    assert.equal(over.body.code, 104);
    assert.match(over.body.reason, /bytes held/);
    assert.ok((await service.stats(dave.userId)).bytes_held > 9000);
  });
});

describe('service rate limits', () => {
  it('answers 429 code 103 with Retry-After past the per-user rate, and other users go on', async () => {
    const service = await FuncXService.start({ rateLimit: { max: 5, windowMs: 60_000 } });
    try {
      const alice = await service.issueToken();
      const bob = await service.issueToken();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await call(service.url, 'GET', '/v2/authenticate', { token: alice.token })).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
      const response = await fetch(`${service.url}/v2/authenticate`, { headers: { authorization: `Bearer ${alice.token}` } });
      assert.equal(response.status, 429);
      assert.ok(Number(response.headers.get('retry-after')) > 0);
      const body = (await response.json()) as { code: number; http_status_code: number };
      assert.equal(body.code, 103);
      assert.equal(body.http_status_code, 429);
      assert.equal((await call(service.url, 'GET', '/v2/authenticate', { token: bob.token })).status, 200, 'the limit is per user');
      assert.equal((await call(service.url, 'GET', '/v2/health')).status, 200, 'health is never limited');
    } finally {
      await service.close();
    }
  });
});

describe('service memory stays bounded - everything expires', () => {
  let service: FuncXService;
  let alice: { userId: string; token: string };
  before(async () => {
    service = await FuncXService.start({ retentionMs: 60_000, maxWaitMs: 60_000, groupIdleMs: 60_000, registrationIdleMs: 120_000, rateLimit: false });
    alice = await service.issueToken();
  });
  after(() => service.close());

  it('tasks that never reach their endpoint fail after maxWaitMs, then go after retentionMs, with their bytes', async () => {
    const fn = await registerFunction(service.url, alice.token, (x: number) => x);
    const { endpointId } = await service.registerEndpoint(alice.userId); // never connected
    const id = uuidv4();
    const group = uuidv4();
    await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { task_group_id: group, tasks: [task(fn, endpointId, ['z'.repeat(500)], id)] } });
    assert.ok((await service.stats(alice.userId)).bytes_held >= 500);
    assert.equal((await service.sweep(Date.now() + 30_000)).tasksExpired, 0, 'not yet');
    assert.equal((await service.sweep(Date.now() + 61_000)).tasksExpired, 1);
    const record = await call(service.url, 'GET', `/v2/tasks/${id}`, { token: alice.token });
    assert.equal(record.body.status, 'failed');
    assert.match(record.body.exception, /EndpointUnavailable/);
    assert.equal((await service.stats(alice.userId)).tasks_outstanding, 0);
    assert.ok((await service.stats(alice.userId)).bytes_held < 500, 'the payload is dropped when the task ends');
    const swept = (await service.sweep(Date.now() + 200_000));
    assert.equal(swept.tasksDeleted, 1);
    assert.equal(swept.groupsDeleted, 1, 'its group, empty now, goes too');
    assert.equal(swept.functionsDeleted, 1, 'an unused function goes after registrationIdleMs');
    assert.equal(swept.endpointsDeleted, 1, 'an endpoint that never connects goes after registrationIdleMs');
    assert.equal((await call(service.url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).status, 404);
    assert.equal((await call(service.url, 'GET', `/v2/task_groups/${group}`, { token: alice.token })).status, 404);
    assert.equal((await service.stats(alice.userId)).bytes_held, 0);
  });

  it('a connected endpoint and a function a live task needs are kept', async () => {
    const fn = await registerFunction(service.url, alice.token, (x: number) => x);
    const endpoint = await service.registerEndpoint(alice.userId);
    const ep = await FrameCollector.open(`${service.url.replace('http', 'ws')}/ws/v2/endpoints/${endpoint.endpointId}`, { authorization: `Bearer ${endpoint.secret}` });
    try {
      await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpoint.endpointId, [1])] } });
      await ep.until((frames) => frames.some((f) => f.type === 'task'));
      const swept = (await service.sweep(Date.now() + 200_000));
      assert.equal(swept.functionsDeleted, 0);
      assert.equal(swept.endpointsDeleted, 0);
      assert.equal((await call(service.url, 'GET', `/v2/endpoints/${endpoint.endpointId}/status`, { token: alice.token })).body.status, 'online');
    } finally {
      await ep.close();
    }
  });

  it('the subscriptions of a closed result socket go with it', async () => {
    const before = service.subscribedGroups;
    const socket = await FrameCollector.open(`${service.url.replace('http', 'ws')}/ws/v2/`, { authorization: `Bearer ${alice.token}` });
    for (let i = 0; i < 5000; i++) socket.send(uuidv4());
    await until(() => service.subscribedGroups === before + 5000, '5000 subscriptions');
    await socket.close();
    await until(() => service.subscribedGroups === before, 'the subscriptions to be dropped');
  });
});

describe('service result sockets - caps, frame limit, pings', () => {
  let service: FuncXService;
  let alice: { userId: string; token: string };
  let wsUrl: string;
  before(async () => {
    service = await FuncXService.start({ maxResultSocketsPerUser: 2, maxSubscriptionsPerSocket: 3, pingIntervalMs: 100, rateLimit: false });
    alice = await service.issueToken();
    wsUrl = `${service.url.replace('http', 'ws')}/ws/v2/`;
  });
  after(() => service.close());

  it('per-user cap - the third socket is refused 429 code 110; another user is not', async () => {
    const a = await FrameCollector.open(wsUrl, { authorization: `Bearer ${alice.token}` });
    const b = await FrameCollector.open(wsUrl, { authorization: `Bearer ${alice.token}` });
    try {
      assertEnvelope(await rawExchange(service.url, upgradeRequest('/ws/v2/', { Authorization: `Bearer ${alice.token}` })), 429, 110);
      const bob = await service.issueToken();
      const c = await FrameCollector.open(wsUrl, { authorization: `Bearer ${bob.token}` });
      await c.close();
    } finally {
      await a.close();
      await b.close();
    }
    await until(async () => (await service.stats(alice.userId)).result_websockets_open === 0, 'sockets counted closed');
    const again = await FrameCollector.open(wsUrl, { authorization: `Bearer ${alice.token}` });
    await again.close();
  });

  it('subscriptions per socket - one more closes the socket with 1008', async () => {
    const socket = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${alice.token}` } });
    await once(socket, 'open');
    for (let i = 0; i < 4; i++) socket.send(uuidv4());
    const [code] = (await once(socket, 'close')) as [number];
    assert.equal(code, 1008);
  });

  it('frame limit - a frame larger than a subscribe needs closes the socket with 1009', async () => {
    const socket = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${alice.token}` } });
    socket.on('error', () => {});
    await once(socket, 'open');
    socket.send('x'.repeat(10_000));
    const [code] = (await once(socket, 'close')) as [number];
    assert.equal(code, 1009);
  });

  it('pings - a socket that stops answering is dropped', async () => {
    const socket = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${alice.token}` }, autoPong: false });
    socket.on('error', () => {});
    await once(socket, 'open');
    const [code] = (await once(socket, 'close')) as [number];
    assert.equal(code, 1006, 'terminated by the service');
  });
});

describe('service secrets', () => {
  it('keeps only hashes of tokens and endpoint secrets; a revoked token is refused', async () => {
    const backend = new MemoryBackend();
    const service = await FuncXService.start({ backend, rateLimit: false });
    try {
      const alice = await service.issueToken();
      const { endpointId, secret } = await service.registerEndpoint(alice.userId);
      const stored = (await backend.endpoints.get(endpointId))!;
      assert.equal(stored.secretHash, secretHash(secret));
      assert.ok(!JSON.stringify(stored).includes(secret), 'no plaintext secret in the store');
      assert.equal(await backend.identity.holder(alice.token), undefined, 'tokens are not kept as they are');
      assert.deepEqual(await backend.identity.holder(secretHash(alice.token)), { userId: alice.userId, operator: false }, 'only their hashes');
      assert.equal(await handshakeStatus(`${service.url.replace('http', 'ws')}/ws/v2/endpoints/${endpointId}`, { authorization: `Bearer ${secret}x` }), 403);
      const ep = await FrameCollector.open(`${service.url.replace('http', 'ws')}/ws/v2/endpoints/${endpointId}`, { authorization: `Bearer ${secret}` });
      await ep.close();
      assert.equal((await call(service.url, 'GET', '/v2/authenticate', { token: alice.token })).status, 200);
      assert.ok(await service.revokeToken(alice.token));
      assert.equal((await call(service.url, 'GET', '/v2/authenticate', { token: alice.token })).status, 401);
    } finally {
      await service.close();
    }
  });
});
