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
