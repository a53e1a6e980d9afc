import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { createLogger } from '../../lib/service/log.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const silent = createLogger('silent');

async function get(url: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('operator views', () => {
  let local: LocalService;
  let idle: { endpointId: string };
  let groupId: string;
  let taskIds: string[];

  before(async () => {
    local = await startLocalService({ workers: 2, service: { logger: silent } });
    const registered = await fetch(`${local.url}/v2/endpoints`, { method: 'POST', headers: { authorization: `Bearer ${local.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ endpoint_name: 'a-idle' }) });
    idle = { endpointId: ((await registered.json()) as { endpoint_id: string }).endpoint_id };
    const client = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    const functionId = await client.registerFunction({ name: 'inc', source: '(x) => x + 1' });
    await Promise.all(Array.from({ length: 25 }, (_, i) => client.run({ functionId, endpointId: local.endpointId }, i)));
    groupId = client.taskGroupId;
    taskIds = ((await get(`${local.url}/v2/task_groups/${groupId}/tasks`, local.token)).body.task_ids as string[]);
    await client.close();
  });
  after(async () => {
    await local?.stop();
  });

  it('GET /v2/endpoints - lists the caller\'s endpoints by name, with status, workers and tasks held; another user sees none of them', async () => {
    const { status, body } = await get(`${local.url}/v2/endpoints`, local.token);
    assert.equal(status, 200);
    const endpoints = body.endpoints as { endpoint_id: string; name: string; status: string; workers: { total: number; free: number } | null; tasks_held: number; connections_here: number }[];
    assert.deepEqual(endpoints.map((e) => [e.name, e.endpoint_id, e.status, e.connections_here, e.tasks_held]), [
      ['a-idle', idle.endpointId, 'offline', 0, 0],
      ['local', local.endpointId, 'online', 1, 0],
    ]);
    assert.equal(endpoints[0]!.workers, null);
    assert.ok(endpoints[1]!.workers !== null && endpoints[1]!.workers.total >= 2 && endpoints[1]!.workers.free === endpoints[1]!.workers.total, JSON.stringify(endpoints[1]));
    const other = await local.service.issueToken();
    assert.deepEqual((await get(`${local.url}/v2/endpoints`, other.token)).body, { endpoints: [] });
  });

  it('GET /v2/task_groups/<id>/tasks?limit - pages through a group in submit order with statuses; without a limit, every id as funcX answered', async () => {
    assert.equal(taskIds.length, 25);
    const pages: { task_ids: string[]; tasks: { status: string }[]; total: number; next_offset: number | null }[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page = (await get(`${local.url}/v2/task_groups/${groupId}/tasks?limit=10&offset=${offset}`, local.token)).body as unknown as (typeof pages)[number];
      pages.push(page);
      offset = page.next_offset;
    }
    assert.deepEqual(pages.map((p) => [p.task_ids.length, p.total, p.next_offset]), [[10, 25, 10], [10, 25, 20], [5, 25, null]]);
    assert.deepEqual(pages.flatMap((p) => p.task_ids), taskIds);
    assert.ok(pages.every((p) => p.tasks.every((t) => t.status === 'success')));
    const bad = await get(`${local.url}/v2/task_groups/${groupId}/tasks?limit=0`, local.token);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.status, 'Failed');
    assert.match(String(bad.body.reason), /^Invalid query parameter `limit`: /);
  });

  it('funcx-rx status - prints the endpoints, tasks by status and rates', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'status', '--interval', '200'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FUNCX_SERVICE_URL: local.url, FUNCX_TOKEN: local.token } });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    const lines = stdout.split('\n');
    assert.equal(lines[0], `service ${local.url}`);
    assert.match(lines[3]!, new RegExp(`^${idle.endpointId}  a-idle\\s+offline  -\\s+0$`));
    assert.match(lines[4]!, new RegExp(`^${local.endpointId}  local\\s+online   0/\\d+\\s+0$`));
    assert.ok(stdout.includes('tasks: waiting-for-deps 0, waiting-for-ep 0, waiting-for-nodes 0, waiting-for-launch 0, running 0, success 25, failed 0, cancelled 0\n'), stdout);
    assert.match(stdout, /outstanding 0; submitted 0\/s, ended 0\/s \(over 0\.\d s\)\n$/);
  });
});

describe('GET /v2/endpoints on Redis', () => {
  let redis: RedisServer;
  let service: FuncXService;
  before(async () => {
    redis = await startRedisServer();
    service = await FuncXService.start({ redis: redis.url, logger: silent });
  });
  after(async () => {
    await service?.close();
    await redis?.stop();
  });

  it("should list a user's endpoints from the owner index, and forget one the sweep removed", async () => {
    const { userId, token } = await service.issueToken();
    const a = await service.registerEndpoint(userId, { name: 'b' });
    const b = await service.registerEndpoint(userId, { name: 'a' });
    const listed = (await get(`${service.url}/v2/endpoints`, token)).body.endpoints as { endpoint_id: string; name: string; status: string }[];
    assert.deepEqual(listed.map((e) => [e.name, e.endpoint_id, e.status]), [['a', b.endpointId, 'offline'], ['b', a.endpointId, 'offline']]);
    await service.sweep(Date.now() + 31 * 24 * 3600 * 1000);
    assert.deepEqual((await get(`${service.url}/v2/endpoints`, token)).body, { endpoints: [] });
  });
});
