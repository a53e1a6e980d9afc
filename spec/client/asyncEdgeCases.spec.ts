import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { ServiceError } from '../../lib/errors/ServiceError.js';
import { TaskSubmissionFailed } from '../../lib/errors/TaskSubmissionFailed.js';
import { ErrorCode } from '../../lib/protocol/errorCodes.js';
import { ScriptedService, accept, success } from '../support/scriptedService.js';
import { until } from '../support/until.js';

const target = { functionId: '11111111-1111-4111-8111-111111111111', endpointId: '22222222-2222-4222-8222-222222222222' };

describe('asynchronous client against a scripted service', () => {
  let service: ScriptedService;
  before(async () => (service = await ScriptedService.start()));
  after(() => service.close());

  const client = (options: { batchInterval?: number; token?: string } = {}): FuncXClient<true> =>
    new FuncXClient({ serviceUrl: service.url, token: options.token ?? 'good-token', asynchronous: true, batchInterval: options.batchInterval ?? 5, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });

  it('should resolve a task whose result frame arrives before the submit answer', async () => {
    service.onSubmit = (request) => ({ framesBeforeAnswer: request.tasks.map((t) => success(t[3]!, 'early')) });
    const fxc = client();
    const task = fxc.run(target, 1);
    assert.equal(await task, 'early');
    assert.equal(service.submits.at(-1)!.tasks[0]![3], task.taskId, 'the client chose the id and sent it');
  });

  it('should sweep a quiet socket\'s waiting tasks: a result whose event never came still settles (idleSweepMs)', async () => {
    const fxc = new FuncXClient({ serviceUrl: service.url, token: 'good-token', asynchronous: true, batchInterval: 5, idleSweepMs: 100, socketLingerMs: 10_000 });
    try {
      // A first task opens the socket (it lingers), so the second's post spans no reopen, whose sweep would cover it.
      service.onSubmit = (request) => ({ framesAfterAnswer: request.tasks.map((t) => success(t[3]!, 1)) });
      assert.equal(await fxc.run(target, 0), 1);
      // The service ends the second task, but its result frame is lost (a replica died before publishing it).
      service.onSubmit = (request) => ({ body: accept(request) });
      service.recordOf = (taskId) => ({ task_id: taskId, status: 'success', completion_t: '1.000', result: '11\n42' });
      const sweepsBefore = service.sweeps;
      const outcome = await Promise.race([fxc.run(target, 1), sleep(5000).then(() => 'hung')]);
      assert.equal(outcome, 42);
      assert.ok(service.sweeps > sweepsBefore, 'settled by a sweep');
    } finally {
      service.recordOf = (taskId) => ({ task_id: taskId, status: 'waiting-for-ep', completion_t: null });
      await fxc.close({ cancel: true });
    }
    await until(() => service.sockets.size === 0, 'the lingering socket closed by close()');
  });

  it('should resolve once when the same frame arrives twice', async () => {
    service.onSubmit = (request) => ({ framesAfterAnswer: request.tasks.flatMap((t) => [success(t[3]!, 7), success(t[3]!, 8)]) });
    const fxc = client();
    const values: unknown[] = [];
    let completions = 0;
    const task = fxc.run(target, 1);
    task.subscribe({ next: (v) => values.push(v), complete: () => completions++ });
    assert.equal(await task, 7);
    // The client is done with the socket (the duplicate, sent right behind, came in or never will)
    // once it has closed it.
    await until(() => service.sockets.size === 0, 'the socket closed after the task settled');
    assert.deepEqual(values, [7]);
    assert.equal(completions, 1);
  });

  it('should fail, not hang, a task the service calls unknown', async () => {
    service.onSubmit = (request) => ({ framesAfterAnswer: request.tasks.map((t) => ({ task_id: t[3]!, status: 'Failed' as const, reason: 'Unknown task id' })) });
    const fxc = client();
    await assert.rejects(Promise.resolve(fxc.run(target, 1)), (error: unknown) => error instanceof ServiceError && error.code === ErrorCode.TASK_NOT_FOUND);
  });

  it('should reject exactly the tasks of a refused post and go on', async () => {
    const before = service.submits.length;
    service.onSubmit = (request, index) =>
      index === before
        ? { status: 400, body: { status: 'Failed', code: 17, error_args: [], reason: 'scripted refusal', http_status_code: 400 } }
        : { framesAfterAnswer: request.tasks.map((t) => success(t[3]!, 'ok')) };
    const fxc = client({ batchInterval: 20 });
    const first = [fxc.run(target, 1), fxc.run(target, 2)];
    const firstOutcomes = await Promise.allSettled(first);
    const second = [fxc.run(target, 3), fxc.run(target, 4)];
    const secondOutcomes = await Promise.allSettled(second);
    assert.equal(service.submits.length - before, 2, 'one post per batch');
    for (const outcome of firstOutcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.ok(outcome.reason instanceof TaskSubmissionFailed);
      assert.equal(outcome.reason.code, 17);
    }
    assert.deepEqual(secondOutcomes.map((o) => o.status === 'fulfilled' && o.value), ['ok', 'ok']);
  });

  it('should retry a post that failed with a 5xx, with the same task ids', async () => {
    const before = service.submits.length;
    service.onSubmit = (request, index) =>
      index === before
        ? { status: 503, body: { status: 'Failed', code: 18, error_args: [], reason: 'try later', http_status_code: 503 } }
        : { framesAfterAnswer: request.tasks.map((t) => success(t[3]!, 'retried')) };
    const fxc = client();
    const task = fxc.run(target, 1);
    assert.equal(await task, 'retried');
    const posts = service.submits.slice(before);
    assert.equal(posts.length, 2);
    assert.deepEqual(posts[0], posts[1], 'the retry is the same request');
  });

  it('should wait for a 429\'s Retry-After before retrying a post', async () => {
    const before = service.submits.length;
    service.onSubmit = (request, index) =>
      index === before
        ? { status: 429, headers: { 'retry-after': '1' }, body: { status: 'Failed', code: 18, error_args: [], reason: 'slow down', http_status_code: 429 } }
        : { framesAfterAnswer: request.tasks.map((t) => success(t[3]!, 'after the wait')) };
    const fxc = client();
    assert.equal(await fxc.run(target, 1), 'after the wait');
    const [first, second] = service.submitTimes.slice(before);
    assert.equal(service.submits.length - before, 2);
    // The backoff alone would retry within ~20 ms; the service asked for a second.
    assert.ok(second! - first! >= 950, `retried after ${second! - first!} ms`);
  });

  it('should fail tasks, not hang them, when the result socket refuses the token', async () => {
    service.onSubmit = (request) => ({ body: accept(request) });
    const fxc = client({ token: 'bad-token' });
    await assert.rejects(Promise.resolve(fxc.run(target, 1)), (error: unknown) => error instanceof ServiceError && error.code === ErrorCode.USER_UNAUTHENTICATED);
  });

  it('should close the result socket when no task is outstanding, and reopen it for the next', async () => {
    service.onSubmit = (request) => ({ framesAfterAnswer: request.tasks.map((t) => success(t[3]!, 1)) });
    const fxc = client();
    const opened = service.socketsOpened;
    await fxc.run(target, 1);
    await until(() => service.sockets.size === 0, 'the socket closed after the last task settled');
    assert.equal(service.sockets.size, 0, 'closed after the last task settled');
    await fxc.run(target, 2);
    assert.equal(service.socketsOpened - opened, 2);
  });

  it('should leave a cancelled queued task out of its batch', async () => {
    service.onSubmit = (request) => ({ framesAfterAnswer: request.tasks.map((t) => success(t[3]!, 'ran')) });
    const fxc = client({ batchInterval: 30 });
    const kept = fxc.run(target, 1);
    const dropped = fxc.run(target, 2);
    dropped.cancel();
    await kept;
    const ids = service.submits.at(-1)!.tasks.map((t) => t[3]);
    assert.deepEqual(ids, [kept.taskId]);
    await assert.rejects(Promise.resolve(dropped), { name: 'TaskCancelled' });
  });
});
