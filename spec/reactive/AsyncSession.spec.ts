import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { asyncScheduler, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SubmitRequest, SubmitResponse } from '../../lib/protocol/submit.js';
import type { BatchStatusResponse, TaskRecord } from '../../lib/protocol/task.js';
import { AsyncSession } from '../../lib/reactive/AsyncSession.js';
import type { ServiceApi } from '../../lib/reactive/ServiceApi.js';
import { serialize } from '../../lib/serialize/serialize.js';
import { FakeSocket } from './fakeSocket.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

/**
 * A promise that settles at once, inside the current frame: the session's calls go through
 * `.then`, so in virtual time the service answers in the frame it is asked, as a marble says.
 */
function now<T>(value: T): Promise<T> {
  const thenable = { then: (resolve: (v: T) => unknown) => (resolve(value), thenable) };
  return thenable as unknown as Promise<T>;
}

const atFrame = (frame: number, work: () => void): void => void asyncScheduler.schedule(work, frame);

/** A fake service: answers submits with Success, sweeps with what `ended` holds, partial reads with what `held` holds, and logs each call by kind. */
function fakeApi(calls: Subject<string>, ended: Map<string, TaskRecord>, held: Map<string, string[]> = new Map()): ServiceApi {
  return {
    submit: (request: SubmitRequest) => {
      calls.next('s');
      return now({ response: 'batch', task_group_id: request.task_group_id!, results: request.tasks.map((t) => ({ status: 'Success', task_uuid: t[3]!, http_status_code: 200 })) } as SubmitResponse);
    },
    partials: (taskId, from) => {
      calls.next('p');
      const values = held.get(taskId) ?? [];
      return now({ task_id: taskId, first: from, count: values.length, total: null, partials: values.slice(from) });
    },
    batchStatus: (ids) => {
      calls.next('b');
      return now({ response: 'batch', results: Object.fromEntries(ids.map((id) => [id, ended.get(id) ?? { task_id: id, status: 'running', completion_t: null }])) } as BatchStatusResponse);
    },
    cancel: (ids) => {
      calls.next('c');
      return now({ response: 'batch', results: Object.fromEntries(ids.map((id) => [id, { task_id: id, status: 'cancelled', completion_t: '1.000', exception: null }])) } as unknown as BatchStatusResponse);
    },
  };
}

function session(api: ServiceApi, idleSweepMs = 1000): AsyncSession {
  return new AsyncSession({
    taskGroupId: '00000000-0000-4000-8000-000000000000',
    resultSocketUrl: 'ws://service/ws/v2/',
    token: 't',
    makeWebSocket: () => new FakeSocket(),
    api,
    batchInterval: 2,
    batchSize: 100,
    retry: { deadlineMs: 100, attemptTimeoutMs: 50 },
    idleSweepMs,
  });
}

const success = (taskId: string, value: unknown) => ({ task_id: taskId, status: 'success', result: serialize(value), completion_t: '1.000', exception: null });

describe('AsyncSession', () => {
  beforeEach(() => FakeSocket.reset());

  it('should hold the result socket exactly while a task is outstanding, and settle it from its frame', () => {
    testScheduler().run(({ expectObservable }) => {
      const calls = new Subject<string>();
      const s = session(fakeApi(calls, new Map()));
      const values = new Subject<unknown>();
      let taskId = '';
      atFrame(1, () => {
        const task = s.submit('f', 'e', '11\n1');
        taskId = task.taskId;
        task.subscribe((v) => values.next(v));
      });
      atFrame(6, () => FakeSocket.made[0]!.receive(success(taskId, 42)));
      // The post goes when the batch interval ends (frame 3); the value arrives with its frame.
      expectObservable(calls).toBe('---s');
      expectObservable(values).toBe('------v', { v: 42 });
    });
    assert.deepEqual(FakeSocket.log, [
      { frame: 2, socket: 0, event: 'open' },
      { frame: 6, socket: 0, event: 'close' },
    ]);
  });

  /**
   * A task whose result frame was lost (only a sweep can find it ended), on a session with
   * idleSweepMs 10; a status frame comes at `frameAt` when given.
   */
  const lostResult = (frameAt: number | null) => {
    const calls = new Subject<string>();
    const ended = new Map<string, TaskRecord>();
    const s = session(fakeApi(calls, ended), 10);
    const values = new Subject<unknown>();
    atFrame(0, () => {
      const task = s.submit('f', 'e', '11\n1');
      ended.set(task.taskId, { task_id: task.taskId, status: 'success', completion_t: '1.000', result: serialize(7) });
      task.subscribe((v) => values.next(v));
      if (frameAt !== null) atFrame(frameAt, () => FakeSocket.made[0]!.receive({ type: 'status', task_id: task.taskId, status: 'running' }));
    });
    return { calls, values };
  };

  it('should sweep its waiting tasks when the socket has been quiet for idleSweepMs, and settle what the sweep finds ended', () => {
    testScheduler().run(({ expectObservable }) => {
      const { calls, values } = lostResult(null);
      // The post at 2; the first quiet sweep at 10 finds it ended.
      expectObservable(calls).toBe('--s-------b');
      expectObservable(values).toBe('----------v', { v: 7 });
    });
    assert.deepEqual(FakeSocket.log.map((e) => [e.frame, e.event]), [[1, 'open'], [10, 'close']]);
  });

  it('should sweep within a quarter of idleSweepMs past the quiet period that follows the last frame', () => {
    testScheduler().run(({ expectObservable }) => {
      // A frame at 3: quiet from then on, the sweep is due at 13 and comes at the next look, 14.
      const { calls, values } = lostResult(3);
      expectObservable(calls).toBe('--s-----------b');
      expectObservable(values).toBe('--------------v', { v: 7 });
    });
  });

  it('should emit a generator\'s partials in order, each once, read a gap back over HTTP, acknowledge what it took, and complete after the last one', () => {
    const held = new Map<string, string[]>();
    let sent: string[] = [];
    testScheduler().run(({ expectObservable }) => {
      const calls = new Subject<string>();
      const s = session(fakeApi(calls, new Map(), held));
      const values = new Subject<unknown>();
      const completed = new Subject<string>();
      const partial = (taskId: string, seq: number) => ({ type: 'partial', task_id: taskId, seq, value: serialize(seq * 10) });
      atFrame(0, () => {
        const task = s.submit('f', 'e', '11\n1');
        held.set(task.taskId, [0, 1, 2, 3].map((i) => serialize(i * 10)));
        task.subscribe({ next: (v) => values.next(v), complete: () => completed.next('c') });
        const socket = (): FakeSocket => FakeSocket.made[0]!;
        atFrame(4, () => socket().receive(partial(task.taskId, 0)));
        // A duplicate (a resubscribe sends unread ones again) is dropped.
        atFrame(5, () => socket().receive(partial(task.taskId, 0)));
        // seq 1 and 2 went into a dead socket: 3 shows the gap, which is read back (the p).
        atFrame(6, () => socket().receive(partial(task.taskId, 3)));
        atFrame(8, () => socket().receive({ ...success(task.taskId, 'returned'), partials: 4 }));
        atFrame(9, () => (sent = socket().sent));
      });
      expectObservable(calls).toBe('--s---p');
      expectObservable(values).toBe('----a-(bcd)', { a: 0, b: 10, c: 20, d: 30 });
      // The result at 8 says 4 were yielded: all are in, so it completes, without the return value.
      expectObservable(completed).toBe('--------c');
    });
    const acks = sent.filter((f) => f.includes('"ack"')).map((f) => (JSON.parse(f) as { acks: [string, number][] }).acks.map(([, seq]) => seq));
    assert.deepEqual(acks, [[0], [0], [3]], 'each take acknowledged, the duplicate again, the gap read up to 3');
  });

  it('should drop a task cancelled in the batch buffer without posting it, and release the socket', () => {
    testScheduler().run(({ expectObservable }) => {
      const calls = new Subject<string>();
      const s = session(fakeApi(calls, new Map()));
      const errors = new Subject<string>();
      atFrame(0, () => {
        const task = s.submit('f', 'e', '11\n1');
        task.subscribe({ error: (e: Error) => errors.next(e.name) });
        atFrame(1, () => task.cancel());
      });
      expectObservable(calls).toBe('');
      expectObservable(errors).toBe('-x', { x: 'TaskCancelled' });
    });
    assert.deepEqual(FakeSocket.log.map((e) => [e.frame, e.event]), [[1, 'open'], [1, 'close']]);
  });
});
