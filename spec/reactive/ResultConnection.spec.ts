import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { asyncScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ResultConnection } from '../../lib/reactive/ResultConnection.js';
import { FakeSocket } from './fakeSocket.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

function connection(sweeps: string[][] = [], posted: string[] = []): ResultConnection {
  return new ResultConnection({
    url: 'ws://service/ws/v2/',
    token: 't',
    makeWebSocket: () => new FakeSocket(),
    // The owner sweeps its posted tasks when told of a reopen.
    onReopen: () => sweeps.push([...posted]),
    reconnect: { initialDelayMs: 2, maxDelayMs: 2 },
  });
}

describe('ResultConnection', () => {
  beforeEach(() => FakeSocket.reset());

  it('should open one socket at the first subscriber and close it after the last', () => {
    testScheduler().run(() => {
      const conn = connection();
      const a = conn.frames$.subscribe();
      atFrame(3, () => {
        const b = conn.frames$.subscribe();
        atFrame(5, () => b.unsubscribe());
      });
      atFrame(5, () => a.unsubscribe());
    });
    assert.deepEqual(FakeSocket.log, [
      { frame: 1, socket: 0, event: 'open' },
      { frame: 8, socket: 0, event: 'close' },
    ]);
  });

  it('should open a new socket for the next subscriber after closing', () => {
    testScheduler().run(() => {
      const conn = connection();
      const a = conn.frames$.subscribe();
      atFrame(4, () => a.unsubscribe());
      atFrame(10, () => {
        const b = conn.frames$.subscribe();
        atFrame(3, () => b.unsubscribe());
      });
    });
    assert.deepEqual(FakeSocket.log, [
      { frame: 1, socket: 0, event: 'open' },
      { frame: 4, socket: 0, event: 'close' },
      { frame: 11, socket: 1, event: 'open' },
      { frame: 13, socket: 1, event: 'close' },
    ]);
  });

  it('should subscribe every group on open, and new groups on the open socket', () => {
    testScheduler().run(() => {
      const conn = connection();
      conn.addGroup('g1');
      const a = conn.frames$.subscribe();
      atFrame(3, () => conn.addGroup('g2'));
      atFrame(4, () => conn.enableStatuses());
      atFrame(6, () => a.unsubscribe());
    });
    // Always with partials (a generator's yields, §11); with statuses once asked.
    assert.deepEqual(FakeSocket.made[0]!.sent, [
      JSON.stringify({ task_group_id: 'g1', partials: true }),
      JSON.stringify({ task_group_id: 'g2', partials: true }),
      JSON.stringify({ task_group_id: 'g1', statuses: true, partials: true }),
      JSON.stringify({ task_group_id: 'g2', statuses: true, partials: true }),
    ]);
  });

  it('should reconnect after an abnormal close, resubscribe its groups, and sweep', () => {
    const sweeps: string[][] = [];
    testScheduler().run(() => {
      const conn = connection(sweeps, ['t1', 't2']);
      conn.addGroup('g1');
      const a = conn.frames$.subscribe();
      atFrame(3, () => FakeSocket.made[0]!.drop());
      atFrame(20, () => a.unsubscribe());
    });
    assert.deepEqual(
      FakeSocket.log.map((e) => [e.socket, e.event]),
      [
        [0, 'open'],
        [0, 'dropped'],
        [1, 'open'],
        [1, 'close'],
      ],
    );
    assert.deepEqual(FakeSocket.made[1]!.sent, [JSON.stringify({ task_group_id: 'g1', partials: true })]);
    assert.deepEqual(sweeps, [['t1', 't2']], 'the reopened socket sweeps the posted tasks once');
  });

  it('should deliver parsed frames and drop malformed ones', () => {
    const seen: unknown[] = [];
    testScheduler().run(() => {
      const conn = connection();
      const a = conn.frames$.subscribe((frame) => seen.push(frame));
      atFrame(2, () => {
        const socket = FakeSocket.made[0]!;
        socket.receive('not json');
        socket.receive({ no: 'task id' });
        socket.receive({ task_id: 't1', status: 'success', result: '11\n1', exception: null, completion_t: '1' });
      });
      atFrame(3, () => a.unsubscribe());
    });
    assert.deepEqual(seen, [{ task_id: 't1', status: 'success', result: '11\n1', exception: null, completion_t: '1' }]);
  });
});

/** Schedules on the virtual clock: TestScheduler.run virtualises asyncScheduler, not setTimeout. */
function atFrame(delay: number, work: () => void): void {
  asyncScheduler.schedule(work, delay);
}

describe('ResultConnection linger', () => {
  beforeEach(() => FakeSocket.reset());

  it('should keep the socket for lingerMs after the last subscriber, and reuse it for one that comes sooner', () => {
    new TestScheduler((a, b) => assert.deepEqual(a, b)).run(() => {
      const conn = new ResultConnection({
        url: 'ws://service/ws/v2/',
        token: 't',
        makeWebSocket: () => new FakeSocket(),
        onReopen: () => assert.fail('no socket dropped'),
        lingerMs: 5,
      });
      const a = conn.frames$.subscribe();
      atFrame(3, () => a.unsubscribe());
      atFrame(6, () => {
        const b = conn.frames$.subscribe();
        atFrame(2, () => b.unsubscribe());
      });
    });
    assert.deepEqual(FakeSocket.log, [
      { frame: 1, socket: 0, event: 'open' },
      { frame: 13, socket: 0, event: 'close' },
    ]);
  });
});
