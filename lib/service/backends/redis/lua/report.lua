-- Records what an endpoint reported (or a cancel, or an expiry) in one step: live tasks moved
-- forward (never back, never out of an end, never out of waiting-for-deps, only by their own
-- endpoint), then live tasks ended, the first end winning. An ended task is marked undelivered in
-- its group, so that a subscriber that comes later drains it, and expires after the service's
-- retention (ttlSeconds), a backstop behind the sweep that deletes it on time. Its payload goes;
-- its digest, stored at submit, stays. Each ended task settles the tasks waiting on it
-- (includes/deps.lua): a success releases those with no input left onto their endpoints' queues;
-- another end answers them as doomed, for the caller to fail.
-- Every key is one user's (one hash tag: one Redis Cluster slot); the group sets, dependants and
-- queues it finds from the tasks are built from that user's prefixes, as BullMQ builds job keys.
-- KEYS: queued, ended, refs, deps, counters (includes/tally.lua), then one task key per move, then
-- one per end.
-- ARGV: ttlSeconds, number of moves, the moves' endpointId, the group keys' prefix ('' marks
-- nothing undelivered), the task keys' prefix, the stream keys' prefix, the wake channels'
-- prefix, now, then per move its status, then per end: status, completedAt, endpointId ('' for
-- any), hasResult, result, hasException, exception, partials ('' for a plain function).
-- Returns (as JSON) [per move the task's row before or false, per end the same, the released
-- dependants' rows before, doomed { row, input id }].
--- @include "rank"
--- @include "row"
--- @include "batch"
--- @include "deps"
local FIXED_KEYS, FIXED_ARGS = 5, 8
local T = tallyOf(KEYS[5])
local Q = { queued = KEYS[1], deps = KEYS[4], stream = ARGV[6], wake = ARGV[7], woken = {}, tally = T }
local moves, ends, unqueued, unwaited, ended, refs, undelivered, released, doomed = {}, {}, {}, {}, {}, {}, {}, {}, {}
local nMoves = tonumber(ARGV[2])
for m = 1, nMoves do
  local key, target = KEYS[FIXED_KEYS + m], ARGV[FIXED_ARGS + m]
  local before = row(key)
  local status = before[STATUS]
  local from, to = RANK[status or ''], RANK[target]
  if not status or status == WAITING or before[ENDPOINT] ~= ARGV[3] or from == nil or to == nil or from == FINAL_RANK or to == FINAL_RANK or to <= from then
    moves[m] = false
  else
    moves[m] = before
    redis.call('HSET', key, 'status', target)
    tallyTask(T, status, target, 0)
    if status == INITIAL then unqueued[#unqueued + 1] = before[ID] end
  end
end
for k = FIXED_KEYS + 1 + nMoves, #KEYS do
  local a = FIXED_ARGS + nMoves + 8 * (k - FIXED_KEYS - 1 - nMoves) + 1
  local key = KEYS[k]
  local before = row(key)
  local status, id = before[STATUS], before[ID]
  if not status or RANK[status] == FINAL_RANK or (ARGV[a + 2] ~= '' and before[ENDPOINT] ~= ARGV[a + 2]) then
    ends[#ends + 1] = false
  else
    ends[#ends + 1] = before
    local fields = { 'status', ARGV[a], 'completedAt', ARGV[a + 1] }
    if ARGV[a + 3] == '1' then fields[#fields + 1] = 'result'; fields[#fields + 1] = ARGV[a + 4] end
    if ARGV[a + 5] == '1' then fields[#fields + 1] = 'exception'; fields[#fields + 1] = ARGV[a + 6] end
    if ARGV[a + 7] ~= '' then fields[#fields + 1] = 'partials'; fields[#fields + 1] = ARGV[a + 7] end
    -- The payload goes (an ended task's row reads it as null, RedisTaskRepo's taskOf): emptied in
    -- the same write, not deleted by another command.
    if before[PAYLOAD] then
      fields[#fields + 1] = 'payload'
      fields[#fields + 1] = ''
    end
    redis.call('HSET', key, unpack(fields))
    redis.call('EXPIRE', key, ARGV[1])
    tallyTask(T, status, ARGV[a], (ARGV[a + 3] == '1' and #ARGV[a + 4] or 0) + (ARGV[a + 5] == '1' and #ARGV[a + 6] or 0) - heldOf(before))
    if status == INITIAL then unqueued[#unqueued + 1] = id end
    if status == WAITING then
      unwaited[#unwaited + 1] = id
      redis.call('HDEL', key, 'pending')
    end
    ended[#ended + 1] = ARGV[a + 1]
    ended[#ended + 1] = id
    count(refs, before[FUNCTION], -1)
    count(refs, before[ENDPOINT], -1)
    if ARGV[4] ~= '' then
      local group = before[GROUP]
      undelivered[group] = undelivered[group] or {}
      table.insert(undelivered[group], id)
    end
    settle(Q, ARGV[5], key, before, ARGV[a] == 'success', ARGV[8], released, doomed)
  end
end
slices(unqueued, function(...) redis.call('ZREM', KEYS[1], ...) end)
slices(unwaited, function(...) redis.call('ZREM', KEYS[4], ...) end)
slices(ended, function(...) redis.call('ZADD', KEYS[2], ...) end)
addRefs(KEYS[3], refs)
for group, ids in pairs(undelivered) do
  slices(ids, function(...) redis.call('SADD', ARGV[4] .. group .. ':undelivered', ...) end)
end
wake(Q)
tallyFlush(T)
return cjson.encode({ moves, ends, released, doomed })
