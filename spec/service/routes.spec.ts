import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { v4 as uuidv4 } from 'uuid';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { call, registerFunction, task } from '../support/rawApi.js';
import { until } from '../support/until.js';

describe('service REST routes', () => {
  let service: FuncXService;
  let url: string;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  let fn: string;
  let endpointId: string;

  before(async () => {
    service = await FuncXService.start({ maxBodyBytes: 64 * 1024 });
    url = service.url;
    alice = await service.issueToken();
    bob = await service.issueToken();
    fn = await registerFunction(url, alice.token, (x: number) => x * 2);
    endpointId = (await service.registerEndpoint(alice.userId)).endpointId;
  });
  after(() => service.close());

  const envelope = (code: number, status: number) => (answer: { status: number; body: any }) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'Failed');
    assert.equal(answer.body.code, code);
    assert.equal(answer.body.http_status_code, status);
    assert.equal(typeof answer.body.reason, 'string');
    assert.ok(Array.isArray(answer.body.error_args));
  };

  it('GET /v2/version and /v2/health - open without a token', async () => {
    const version = await call(url, 'GET', '/v2/version');
    assert.equal(version.status, 200);
    assert.deepEqual(Object.keys(version.body).sort(), ['api', 'min_ep_version', 'min_sdk_version']);
    assert.equal((await call(url, 'GET', '/v2/health')).status, 200);
  });

  it('auth - 401 code 1 without a token or with a wrong one', async () => {
    envelope(1, 401)(await call(url, 'GET', '/v2/authenticate'));
    envelope(1, 401)(await call(url, 'GET', '/v2/authenticate', { token: 'wrong' }));
    const ok = await call(url, 'GET', '/v2/authenticate', { token: alice.token });
    assert.deepEqual({ status: ok.status, body: ok.body }, { status: 200, body: 'OK' });
  });

  it('auth - an endpoint secret is not a user token', async () => {
    const { secret } = await service.registerEndpoint(alice.userId);
    envelope(1, 401)(await call(url, 'GET', '/v2/authenticate', { token: secret }));
  });

  it('POST /v2/functions - registers, and refuses missing keys with code 16', async () => {
    assert.match(fn, /^[0-9a-f-]{36}$/);
    const missing = await call(url, 'POST', '/v2/functions', { token: alice.token, body: { function_name: 'f' } });
    envelope(16, 400)(missing);
    assert.deepEqual(missing.body.error_args, ['function_code']);
  });

  it('POST /v2/submit - 200 when every task is accepted, results in task order', async () => {
    const answer = await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1]), task(fn, endpointId, [2])] } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.response, 'batch');
    assert.match(answer.body.task_group_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(answer.body.results.map((r: { status: string }) => r.status), ['Success', 'Success']);
  });

  it('POST /v2/submit - 207 with each refused task\'s envelope in place', async () => {
    const unknownFn = uuidv4();
    const unknownEp = uuidv4();
    const bobsFn = await registerFunction(url, bob.token, () => 1);
    const bobsEp = (await service.registerEndpoint(bob.userId)).endpointId;
    const answer = await call(url, 'POST', '/v2/submit', {
      token: alice.token,
      body: { tasks: [task(fn, endpointId, [1]), task(unknownFn, endpointId, [1]), task(fn, unknownEp, [1]), task(bobsFn, endpointId, [1]), task(fn, bobsEp, [1]), task(fn, endpointId, [1], 'not-a-uuid')] },
    });
    assert.equal(answer.status, 207);
    assert.deepEqual(answer.body.results.map((r: { status: string; code?: number }) => r.code ?? r.status), ['Success', 3, 4, 8, 9, 22]);
    assert.equal(answer.body.results[2].http_status_code, 404);
    assert.equal(answer.body.results[3].http_status_code, 403);
  });

  it('POST /v2/submit - malformed JSON is code 17, missing keys code 16, bad group id code 22, another\'s group 403 code 21', async () => {
    envelope(17, 400)(await call(url, 'POST', '/v2/submit', { token: alice.token, rawBody: '{"tasks": [' }));
    envelope(16, 400)(await call(url, 'POST', '/v2/submit', { token: alice.token, body: {} }));
    envelope(16, 400)(await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [['only-one']] } }));
    envelope(22, 400)(await call(url, 'POST', '/v2/submit', { token: alice.token, body: { task_group_id: 'nope', tasks: [] } }));
    const bobs = await call(url, 'POST', '/v2/submit', { token: bob.token, body: { tasks: [] } });
    envelope(21, 403)(await call(url, 'POST', '/v2/submit', { token: alice.token, body: { task_group_id: bobs.body.task_group_id, tasks: [] } }));
  });

  it('POST /v2/submit - a retry with the same client ids is the same tasks; a different task under a used id is code 100', async () => {
    const id = uuidv4();
    const body = { tasks: [task(fn, endpointId, [5], id)] };
    const first = await call(url, 'POST', '/v2/submit', { token: alice.token, body });
    const again = await call(url, 'POST', '/v2/submit', { token: alice.token, body });
    assert.deepEqual([first.status, again.status], [200, 200]);
    assert.equal(again.body.results[0].task_uuid, id);
    const submitted = (await service.stats()).tasks_submitted;
    await call(url, 'POST', '/v2/submit', { token: alice.token, body });
    assert.equal((await service.stats()).tasks_submitted, submitted, 'a retried task is not submitted again');
    const conflict = await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [6], id)] } });
    assert.equal(conflict.status, 207);
    assert.equal(conflict.body.results[0].code, 100);
    assert.equal(conflict.body.results[0].http_status_code, 409);
  });

  it('GET /v2/tasks/<id> - pending record without result keys; bad UUID 22; another user\'s or unknown task 404 code 6', async () => {
    const id = uuidv4();
    await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1], id)] } });
    const record = await call(url, 'GET', `/v2/tasks/${id}`, { token: alice.token });
    assert.deepEqual(record.body, { task_id: id, status: 'waiting-for-ep', completion_t: null });
    envelope(22, 400)(await call(url, 'GET', '/v2/tasks/xyz', { token: alice.token }));
    envelope(6, 404)(await call(url, 'GET', `/v2/tasks/${id}`, { token: bob.token }));
    envelope(6, 404)(await call(url, 'GET', `/v2/tasks/${uuidv4()}`, { token: alice.token }));
  });

  it('POST /v2/batch_status - answers every id: the caller\'s tasks, and "Unknown task id" for unknown or invisible ones; missing task_ids is code 16', async () => {
    const id = uuidv4();
    const unknown = uuidv4();
    await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1], id)] } });
    const mine = await call(url, 'POST', '/v2/batch_status', { token: alice.token, body: { task_ids: [id, unknown] } });
    assert.deepEqual(Object.keys(mine.body.results).sort(), [id, unknown].sort());
    assert.deepEqual(mine.body.results[id], { task_id: id, status: 'waiting-for-ep', completion_t: null });
    assert.deepEqual(mine.body.results[unknown], { task_id: unknown, status: 'Failed', reason: 'Unknown task id' });
    const theirs = await call(url, 'POST', '/v2/batch_status', { token: bob.token, body: { task_ids: [id] } });
    assert.deepEqual(theirs.body.results, { [id]: { task_id: id, status: 'Failed', reason: 'Unknown task id' } }, 'another user\'s task is unknown to bob');
    envelope(16, 400)(await call(url, 'POST', '/v2/batch_status', { token: alice.token, body: { ids: [] } }));
  });

  it('POST /v2/submit - a task id sent in upper case is stored in lower case and found in either case', async () => {
    const id = uuidv4();
    const upper = id.toUpperCase();
    const submitted = await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1], upper)] } });
    assert.equal(submitted.body.results[0].task_uuid, id);
    assert.equal((await call(url, 'GET', `/v2/tasks/${upper}`, { token: alice.token })).body.task_id, id);
    assert.equal((await call(url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).body.task_id, id);
    const status = await call(url, 'POST', '/v2/batch_status', { token: alice.token, body: { task_ids: [upper] } });
    assert.equal(status.body.results[upper].status, 'waiting-for-ep');
    const again = await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1], upper)] } });
    assert.equal(again.status, 200, 'a retry in upper case names the same task');
  });

  it('cancel routes - a waiting task becomes cancelled with a TaskCancelled exception; an ended one is left alone', async () => {
    const id = uuidv4();
    const other = uuidv4();
    await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1], id), task(fn, endpointId, [1], other)] } });
    const cancelled = await call(url, 'POST', `/v2/tasks/${id}/cancel`, { token: alice.token });
    assert.equal(cancelled.body.status, 'cancelled');
    assert.match(cancelled.body.exception, /^je\n.*TaskCancelled/);
    assert.equal(typeof cancelled.body.completion_t, 'string');
    const again = await call(url, 'POST', `/v2/tasks/${id}/cancel`, { token: alice.token });
    assert.equal(again.body.completion_t, cancelled.body.completion_t);
    envelope(6, 404)(await call(url, 'POST', `/v2/tasks/${other}/cancel`, { token: bob.token }));
    const batch = await call(url, 'POST', '/v2/cancel', { token: alice.token, body: { task_ids: [other, uuidv4()] } });
    assert.deepEqual(Object.keys(batch.body.results), [other]);
    assert.equal(batch.body.results[other].status, 'cancelled');
  });

  it('task groups - authorized, listed in submit order; 404 code 20 and 403 code 21', async () => {
    const ids = [uuidv4(), uuidv4(), uuidv4()];
    const answer = await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: ids.map((id, i) => task(fn, endpointId, [i], id)) } });
    const group = answer.body.task_group_id as string;
    assert.deepEqual((await call(url, 'GET', `/v2/task_groups/${group}`, { token: alice.token })).body, { authorized: true });
    assert.deepEqual((await call(url, 'GET', `/v2/task_groups/${group}/tasks`, { token: alice.token })).body, { task_group_id: group, task_ids: ids });
    envelope(21, 403)(await call(url, 'GET', `/v2/task_groups/${group}`, { token: bob.token }));
    envelope(20, 404)(await call(url, 'GET', `/v2/task_groups/${uuidv4()}/tasks`, { token: alice.token }));
  });

  it('endpoints - register with a secret, status offline without a connection, 404 code 4, 403 code 9', async () => {
    const registered = await call(url, 'POST', '/v2/endpoints', { token: alice.token, body: { endpoint_name: 'lab' } });
    assert.match(registered.body.endpoint_id, /^[0-9a-f-]{36}$/);
    assert.equal(typeof registered.body.secret, 'string');
    assert.deepEqual((await call(url, 'GET', `/v2/endpoints/${registered.body.endpoint_id}/status`, { token: alice.token })).body, { status: 'offline', logs: [], languages: null, engine: null });
    envelope(4, 404)(await call(url, 'GET', `/v2/endpoints/${uuidv4()}/status`, { token: alice.token }));
    envelope(9, 403)(await call(url, 'GET', `/v2/endpoints/${registered.body.endpoint_id}/status`, { token: bob.token }));
    envelope(16, 400)(await call(url, 'POST', '/v2/endpoints', { token: alice.token, body: {} }));
  });

  it('limits and unknown routes - 413 code 101 for a large body, 404 code 102 for no route', async () => {
    envelope(101, 413)(await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, ['x'.repeat(100 * 1024)])] } }));
    envelope(102, 404)(await call(url, 'GET', '/v2/nothing-here', { token: alice.token }));
  });

  it('GET /v2/stats - counts submits and tasks by status, a user\'s own for users, totals for operators', async () => {
    const before = (await service.stats(alice.userId));
    const totalBefore = (await service.stats());
    await call(url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [1])] } });
    const stats = (await call(url, 'GET', '/v2/stats', { token: alice.token })).body;
    assert.equal(stats.submit_requests, before.submit_requests + 1);
    assert.equal(stats.tasks_by_status['waiting-for-ep'], before.tasks_by_status['waiting-for-ep'] + 1);
    assert.equal(stats.total_function_invocations, before.total_function_invocations + 1);
    assert.equal(stats.tasks_outstanding, before.tasks_outstanding + 1);
    const bobs = (await call(url, 'GET', '/v2/stats', { token: bob.token })).body;
    assert.equal(bobs.total_function_invocations, 0, "bob does not see alice's counts");
    assert.equal(bobs.tasks_outstanding, 0);
    const operator = await service.issueToken({ operator: true });
    const totals = (await call(url, 'GET', '/v2/stats', { token: operator.token })).body;
    assert.equal(totals.total_function_invocations, totalBefore.total_function_invocations + 1);
    assert.ok(totals.total_function_invocations >= stats.total_function_invocations);
  });
});

describe('service retention', () => {
  it('should keep ended tasks for retentionMs after they end, then forget them', async () => {
    const service = await FuncXService.start({ retentionMs: 150 });
    try {
      const alice = await service.issueToken();
      const fn = await registerFunction(service.url, alice.token, () => 1);
      const { endpointId } = await service.registerEndpoint(alice.userId);
      const id = uuidv4();
      await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [], id)] } });
      await call(service.url, 'POST', `/v2/tasks/${id}/cancel`, { token: alice.token });
      assert.equal((await call(service.url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).status, 200, 'read once');
      assert.equal((await call(service.url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).status, 200, 'and again: reading does not delete');
      await until(async () => (await call(service.url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).status === 404, 'the sweep deleting the ended task after its retention');
      assert.equal((await service.stats()).tasks_by_status.cancelled, 0);
    } finally {
      await service.close();
    }
  });
});
