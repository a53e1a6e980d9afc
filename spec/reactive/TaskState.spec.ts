import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PHASE_MOVES, TaskState } from '../../lib/reactive/TaskState.js';

describe('TaskState', () => {
  it('should move queued → posting → posted → settled, and report waiting-for-ep when posted', () => {
    const state = new TaskState<number>('t', 'g');
    assert.equal(state.phase, 'queued');
    assert.equal(state.moveTo('posting'), true);
    assert.equal(state.moveTo('posted'), true);
    assert.equal(state.status, 'waiting-for-ep');
    assert.equal(state.settle({ value: 1 }, 'success'), true);
    assert.equal(state.phase, 'settled');
  });

  it('should refuse moves the table does not allow, and settle only once', () => {
    const state = new TaskState<number>('t', 'g');
    assert.equal(state.moveTo('posted'), false, 'queued cannot skip posting');
    state.moveTo('posting');
    state.settle({ error: new Error('first') }, 'failed');
    assert.equal(state.moveTo('posted'), false, 'a late submit answer does not revive a settled task');
    assert.equal(state.settle({ value: 2 }, 'success'), false);
    assert.equal(state.status, 'failed');
    assert.deepEqual(PHASE_MOVES.settled, []);
  });

  it('should start posted when learnt of from the service (watch, reattach)', () => {
    assert.equal(new TaskState('t', 'g', 'running').phase, 'posted');
  });

  it('should take the service\'s first status for a task it follows by id, even behind its guess, then only forward moves', () => {
    const state = TaskState.followed('t', 'g');
    const seen: string[] = [];
    state.status$.subscribe((s) => seen.push(s));
    assert.equal(state.phase, 'posted');
    state.setStatus('waiting-for-deps'); // the sweep's answer: it waits for its inputs
    state.setStatus('waiting-for-ep');
    state.setStatus('waiting-for-deps'); // late: behind
    assert.deepEqual(seen, ['waiting-for-ep', 'waiting-for-deps', 'waiting-for-ep']);
    const same = TaskState.followed('u', 'g');
    const sameSeen: string[] = [];
    same.status$.subscribe((s) => sameSeen.push(s));
    same.setStatus('waiting-for-ep');
    same.setStatus('waiting-for-deps'); // behind the status the service gave
    assert.deepEqual(sameSeen, ['waiting-for-ep']);
  });

  it('should be accepted waiting-for-deps when it has inputs, then move on as the service releases it', () => {
    const state = new TaskState('t', 'g', 'queued', ['input']);
    const seen: string[] = [];
    state.status$.subscribe((s) => seen.push(s));
    state.moveTo('posting');
    state.moveTo('posted');
    state.setStatus('waiting-for-ep');
    state.setStatus('waiting-for-deps'); // late: behind
    state.setStatus('running');
    assert.deepEqual(seen, ['queued', 'waiting-for-deps', 'waiting-for-ep', 'running']);
    assert.equal(new TaskState('u', 'g').inputs.length, 0);
  });
});
