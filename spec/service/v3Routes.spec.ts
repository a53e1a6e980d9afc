import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { call } from '../support/rawApi.js';

describe('Globus Compute\'s v3 routes and the funcX SDK 0.3.4\'s request shapes: bad input gets funcX\'s envelope', () => {
  let service: FuncXService;
  let token: string;
  let endpointId: string;
  before(async () => {
    service = await FuncXService.start();
    const user = await service.issueToken();
    token = user.token;
    endpointId = (await service.registerEndpoint(user.userId)).endpointId;
  });
  after(async () => service?.close());

  it('POST /v2/functions - takes the nulls funcX 0.3.4 sends', async () => {
    const answer = await call(service.url, 'POST', '/v2/functions', {
      token,
      body: { function_name: 'f', function_code: '3\nst\n', function_source: '', container_uuid: null, entry_point: 'f', description: null, public: false, group: null, searchable: true },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.match(answer.body.function_uuid as string, /^[0-9a-f-]{36}$/);
  });

  it('POST /v3/functions - a body without function_code is 400 code 16, naming the key', async () => {
    const answer = await call(service.url, 'POST', '/v3/functions', { token, body: { function_name: 'f', meta: {} } });
    assert.equal(answer.status, 400);
    assert.deepEqual([answer.body.code, answer.body.error_args], [16, ['function_code']]);
  });

  it('POST /v3/endpoints/<id>/submit - tasks that are not a map of lists is 400 code 16', async () => {
    const answer = await call(service.url, 'POST', `/v3/endpoints/${endpointId}/submit`, { token, body: { tasks: [['a', 'b', 'c']] } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 16);
  });

  it('POST /v3/endpoints/<id>/submit - a malformed endpoint id is 400 code 22, an unknown one 404 code 4', async () => {
    const fn = (await call(service.url, 'POST', '/v3/functions', { token, body: { function_name: 'f', function_code: '3\nst\n' } })).body.function_uuid as string;
    const malformed = await call(service.url, 'POST', '/v3/endpoints/not-a-uuid/submit', { token, body: { tasks: { [fn]: ['7\n11\n[50]5\n11\n{}'] } } });
    assert.deepEqual([malformed.status, malformed.body.code], [400, 22]);
    const unknown = await call(service.url, 'POST', `/v3/endpoints/${randomUUID()}/submit`, { token, body: { tasks: { [fn]: ['7\n11\n[50]5\n11\n{}'] } } });
    assert.deepEqual([unknown.status, unknown.body.code], [404, 4]);
  });

  it('POST /v3/endpoints/<id>/submit - answers the task ids per function, the group and the endpoint', async () => {
    const fn = (await call(service.url, 'POST', '/v3/functions', { token, body: { function_name: 'f', function_code: '3\nst\n' } })).body.function_uuid as string;
    const answer = await call(service.url, 'POST', `/v3/endpoints/${endpointId}/submit`, { token, body: { create_queue: false, tasks: { [fn]: ['7\n11\n[50]5\n11\n{}', '7\n11\n[51]5\n11\n{}'] }, user_runtime: { python_version: '3.11' } } });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.endpoint_id, endpointId);
    assert.equal((answer.body.tasks as Record<string, string[]>)[fn]!.length, 2);
    const group = await call(service.url, 'GET', `/v2/task_groups/${answer.body.task_group_id as string}/tasks`, { token });
    assert.deepEqual(group.body.task_ids, (answer.body.tasks as Record<string, string[]>)[fn]);
  });

  it('GET /v2/get_amqp_result_connection_url - without an AMQP transport is 503 code 114', async () => {
    const answer = await call(service.url, 'GET', '/v2/get_amqp_result_connection_url', { token });
    assert.deepEqual([answer.status, answer.body.code], [503, 114]);
  });
});
