import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canMove, INITIAL_STATUS, luaRankTable, statusRank, TASK_STATUSES, WAITING_STATUS } from '../../lib/protocol/lifecycle.js';

test('lifecycle - waiting-for-deps comes first, before waiting-for-ep', () => {
  assert.deepEqual(TASK_STATUSES.slice(0, 2), [WAITING_STATUS, INITIAL_STATUS]);
  assert.ok(statusRank(WAITING_STATUS) < statusRank(INITIAL_STATUS));
});

test('canMove() - release is the one way out of waiting-for-deps but an end; a requeue never goes back there', () => {
  assert.equal(canMove('release', 'waiting-for-deps', 'waiting-for-ep'), true);
  assert.equal(canMove('release', 'waiting-for-ep', 'waiting-for-ep'), false);
  assert.equal(canMove('report', 'waiting-for-deps', 'running'), false, 'no endpoint holds a waiting task');
  assert.equal(canMove('dispatch', 'waiting-for-deps', 'waiting-for-nodes'), false);
  assert.equal(canMove('requeue', 'waiting-for-deps', 'waiting-for-ep'), false);
  assert.equal(canMove('requeue', 'running', 'waiting-for-ep'), true);
  assert.equal(canMove('requeue', 'running', 'waiting-for-deps'), false);
  assert.equal(canMove('end', 'waiting-for-deps', 'failed'), true);
});

test('luaRankTable() - the Lua scripts get the ranks and both first statuses from the table', () => {
  const lua = luaRankTable();
  assert.match(lua, /\['waiting-for-deps'\] = 0, \['waiting-for-ep'\] = 1/);
  assert.match(lua, /local WAITING, INITIAL = 'waiting-for-deps', 'waiting-for-ep'/);
});
