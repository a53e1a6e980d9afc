import assert from 'node:assert/strict';
import { v4 as uuidv4 } from 'uuid';
import type { FuncXService } from '../../lib/service/FuncXService.js';
import { serialize } from '../../lib/serialize/serialize.js';
import { FrameCollector, call, registerFunction, task } from './rawApi.js';

/**
 * An endpoint reports statuses and results for two tasks in one frame, as a fast task's
 * `running` and its result often come: the watcher hears every status that took a task forward,
 * in order, then its result; the first result wins; and the store and the statistics show each
 * task's latest status. `front` takes the submit and the result socket, `back` the endpoint (the
 * same service, or two replicas on one Redis).
 *
 * @param front - the service the client talks to
 * @param back - the service the endpoint is connected to
 */
export async function reportedTogether(front: FuncXService, back: FuncXService): Promise<void> {
  const user = await front.issueToken();
  const fn = await registerFunction(front.url, user.token, (x: number) => x);
  const endpoint = await front.registerEndpoint(user.userId);
  const ws = (service: FuncXService): string => service.url.replace('http', 'ws');
  const watching = await FrameCollector.open(`${ws(front)}/ws/v2/`, { authorization: `Bearer ${user.token}` });
  let ep: FrameCollector | undefined;
  try {
    const [done, later] = [uuidv4(), uuidv4()];
    const group = uuidv4();
    // Submitted while the endpoint is away, so the tasks wait: the subscribe's replay of their
    // status comes once the service hears the group's events (on Redis, once its SUBSCRIBE is
    // acknowledged), and only then does the endpoint connect and take them forward.
    const answer = await call(front.url, 'POST', '/v2/submit', { token: user.token, body: { task_group_id: group, tasks: [task(fn, endpoint.endpointId, [1], done), task(fn, endpoint.endpointId, [2], later)] } });
    assert.equal(answer.status, 200);
    watching.send({ task_group_id: group, statuses: true });
    await watching.until((frames) => frames.filter((f) => f.status === 'waiting-for-ep').length === 2);
    ep = await FrameCollector.open(`${ws(back)}/ws/v2/endpoints/${endpoint.endpointId}`, { authorization: `Bearer ${endpoint.secret}` });
    await ep.until((frames) => [done, later].every((id) => frames.some((f) => f.type === 'task' && f.task_id === id)));
    await watching.until((frames) => frames.filter((f) => f.status === 'waiting-for-nodes').length === 2);
    ep.send([
      { type: 'status', task_id: done, status: 'waiting-for-launch' },
      { type: 'status', task_id: later, status: 'running' },
      { type: 'status', task_id: done, status: 'running' },
      { type: 'result', task_id: done, result: serialize('first') },
      { type: 'result', task_id: done, result: serialize('second') },
      { type: 'status', task_id: later, status: 'waiting-for-launch' },
    ]);
    await watching.until((frames) => frames.some((f) => f.task_id === done && f.status === 'success') && frames.some((f) => f.task_id === later && f.status === 'running'));
    const heard = (id: string): string[] => watching.frames.filter((f) => f.task_id === id).map((f) => (f.type === 'status' ? f.status : `end:${f.status}:${f.result}`));
    assert.deepEqual(heard(done), ['waiting-for-ep', 'waiting-for-nodes', 'waiting-for-launch', 'running', 'end:success:11\n"first"'], 'every status on the way, then the first result');
    assert.deepEqual(heard(later), ['waiting-for-ep', 'waiting-for-nodes', 'running'], 'a status behind the latest is not told');
    const record = async (id: string) => (await call(front.url, 'GET', `/v2/tasks/${id}`, { token: user.token })).body;
    assert.equal((await record(done)).result, '11\n"first"');
    assert.equal((await record(later)).status, 'running');
    const stats = (await call(front.url, 'GET', '/v2/stats', { token: user.token })).body;
    assert.deepEqual(stats.tasks_by_status, { 'waiting-for-deps': 0, 'waiting-for-ep': 0, 'waiting-for-nodes': 0, 'waiting-for-launch': 0, running: 1, success: 1, failed: 0, cancelled: 0 });
    assert.equal(stats.tasks_outstanding, 1);
  } finally {
    await ep?.close();
    await watching.close();
  }
}
