import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SubmitRequest, SubmitResponse } from '../../lib/protocol/submit.js';
import { SubmissionQueue, type Submission, type SubmissionOwner } from '../../lib/reactive/SubmissionQueue.js';
import { TaskState } from '../../lib/reactive/TaskState.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

const answer = (request: SubmitRequest): SubmitResponse => ({
  response: 'batch',
  task_group_id: request.task_group_id!,
  results: request.tasks.map((t) => ({ status: 'Success', task_uuid: t[3]!, http_status_code: 200 })),
}) as SubmitResponse;

/** An owner that lets every task out and records the answers, as marbles: 'p' per post started, 'a' per answer, 'e' per failed post. */
function recordingOwner(events: Subject<string>, keep: (s: Submission) => boolean = () => true): SubmissionOwner {
  return {
    startPost: (batch) => {
      const sent = batch.filter(keep);
      events.next(`p${sent.length}`);
      return sent;
    },
    finishPost: (sent, outcome) => events.next('response' in outcome ? `a${sent.length}` : `e${sent.length}`),
  };
}

const submission = (id: string): Submission => ({ state: new TaskState(id, 'g'), functionId: 'f', endpointId: 'e', payload: '11\n1' });

const dependant = (id: string, inputs: string[]): Submission => ({ state: new TaskState(id, 'g', 'queued', inputs), functionId: 'f', endpointId: 'e', payload: '11\n1' });

describe('SubmissionQueue', () => {
  it('should post a dependant after its input\'s post is answered, and name its inputs in dependencies', () => {
    const posted: { at: number; ids: string[]; dependencies: SubmitRequest['dependencies'] }[] = [];
    const scheduler = testScheduler();
    scheduler.run(({ cold, hot, expectObservable }) => {
      const events = new Subject<string>();
      const post = (request: SubmitRequest): Observable<SubmitResponse> => {
        posted.push({ at: scheduler.now(), ids: request.tasks.map((t) => t[3]!), dependencies: request.dependencies });
        return cold('-----r|', { r: answer(request) });
      };
      // Batches of one: a's post is in flight when b (which takes a) is batched; c takes nothing.
      const queue = new SubmissionQueue('g', { interval: 1, size: 1, post }, recordingOwner(events));
      hot('-a-b-c').subscribe((id) => queue.enqueue(id === 'b' ? dependant('b', ['a']) : submission(id)));
      // b leaves the buffer at frame 3 but its post waits for a's answer (frame 6, completed at 7),
      // so b is answered at 12, after c (posted at 5, answered at 10).
      const expected = '  -x-y-zw---v-u';
      expectObservable(events).toBe(expected, { x: 'p1', y: 'p1', z: 'p1', w: 'a1', v: 'a1', u: 'a1' });
    });
    assert.deepEqual(posted.map((p) => [p.ids[0], p.at]), [['a', 1], ['c', 5], ['b', 7]], 'b posted once a was answered');
    assert.deepEqual(posted.find((p) => p.ids[0] === 'b')!.dependencies, { b: ['a'] });
    assert.equal(posted.find((p) => p.ids[0] === 'a')!.dependencies, undefined, 'a request without inputs has no dependencies');
  });

  it('should post what one interval gathered as one request, and hand the owner its answer', () => {
    const posted: string[][] = [];
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const events = new Subject<string>();
      const post = (request: SubmitRequest): Observable<SubmitResponse> => {
        posted.push(request.tasks.map((t) => t[3]!));
        return cold('--r|', { r: answer(request) });
      };
      const queue = new SubmissionQueue('g', { interval: 3, size: 100, post }, recordingOwner(events));
      const enqueue = hot(' -a-b------c---', { a: 'a', b: 'b', c: 'c' });
      // a and b go in one post when the interval ends; c, alone in a later interval, in its own.
      const expected = '    ----x-y------z-w';
      enqueue.subscribe((id) => queue.enqueue(submission(id)));
      expectObservable(events).toBe(expected, { x: 'p2', y: 'a2', z: 'p1', w: 'a1' });
    });
    assert.deepEqual(posted, [['a', 'b'], ['c']], 'the task ids of each post, in order');
  });

  it('should hold its pipeline (and timer) only while submissions wait for their answer', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const active = new Subject<boolean>();
      const post = (request: SubmitRequest): Observable<SubmitResponse> => cold('---r|', { r: answer(request) });
      const queue = new SubmissionQueue('g', { interval: 2, size: 100, post }, recordingOwner(new Subject()));
      // Sampled each frame: held from the enqueue (frame 1) until the answer (2 + 3 frames later), then idle.
      scheduler.schedule(() => queue.enqueue(submission('a')), 1);
      for (let t = 1; t <= 8; t++) scheduler.schedule(() => active.next(queue.active), t);
      expectObservable(active).toBe('-ttttttff', { t: true, f: false });
    });
  });

  it('should fail exactly the batch whose post failed, and go on posting', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const events = new Subject<string>();
      let n = 0;
      const post = (request: SubmitRequest): Observable<SubmitResponse> => (n++ === 0 ? cold('-#', undefined, new Error('refused')) : cold('-r|', { r: answer(request) }));
      const queue = new SubmissionQueue('g', { interval: 2, size: 100, post }, recordingOwner(events));
      cold('a---b').subscribe((id) => queue.enqueue(submission(id)));
      expectObservable(events).toBe('--xy--zw', { x: 'p1', y: 'e1', z: 'p1', w: 'a1' });
    });
  });

  it('should not post a batch whose tasks were all cancelled in the buffer, and still release its hold', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const events = new Subject<string>();
      const post = (): Observable<SubmitResponse> => assert.fail('nothing to post');
      const queue = new SubmissionQueue('g', { interval: 2, size: 100, post }, recordingOwner(events, () => false));
      scheduler.schedule(() => queue.enqueue(submission('a')), 0);
      const active = new Subject<boolean>();
      scheduler.schedule(() => active.next(queue.active), 3);
      expectObservable(events).toBe('--x', { x: 'p0' });
      expectObservable(active).toBe('---f', { f: false });
      assert.equal(queue.posts, 0);
    });
  });
});
