-- Records what an endpoint reported (or a cancel, or an expiry) in one step: live tasks moved
-- forward (never back, never out of an end, only by their own endpoint), then live tasks ended,
-- the first end winning. An ended task is marked undelivered in its group, so that a subscriber
-- that comes later drains it, and expires after the service's retention (ttlSeconds), a backstop
-- behind the sweep that deletes it on time. Its payload goes; its digest, stored at submit, stays.
-- KEYS: queued, ended, refs, then one task key per move, then one per end.
-- ARGV: ttlSeconds, number of moves, the moves' endpointId, the group keys' prefix ('' marks
-- nothing undelivered), then per move its status, then per end: status, completedAt, endpointId
-- ('' for any), hasResult, result, hasException, exception.
-- Returns (as JSON) [per move the task's row before or false, per end the same].
--- @include "rank"
--- @include "row"
--- @include "batch"
local moves, ends, unqueued, ended, refs, undelivered = {}, {}, {}, {}, {}, {}
local nMoves = tonumber(ARGV[2])
for m = 1, nMoves do
  local key, target = KEYS[3 + m], ARGV[4 + m]
  local before = row(key)
  local status = before[STATUS]
  local from, to = RANK[status or ''], RANK[target]
  if not status or before[ENDPOINT] ~= ARGV[3] or from == nil or to == nil or from == FINAL_RANK or to == FINAL_RANK or to <= from then
    moves[m] = false
  else
    moves[m] = before
    redis.call('HSET', key, 'status', target)
    if status == 'waiting-for-ep' then unqueued[#unqueued + 1] = before[ID] end
  end
end
for k = 4 + nMoves, #KEYS do
  local a = 4 + nMoves + 7 * (k - 4 - nMoves) + 1
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
    if before[PAYLOAD] then redis.call('HDEL', key, 'payload') end
    redis.call('HSET', key, unpack(fields))
    redis.call('EXPIRE', key, ARGV[1])
    if status == 'waiting-for-ep' then unqueued[#unqueued + 1] = id end
    ended[#ended + 1] = ARGV[a + 1]
    ended[#ended + 1] = id
    count(refs, before[FUNCTION], -1)
    count(refs, before[ENDPOINT], -1)
    if ARGV[4] ~= '' then
      local group = before[GROUP]
      undelivered[group] = undelivered[group] or {}
      table.insert(undelivered[group], id)
    end
  end
end
slices(unqueued, function(...) redis.call('ZREM', KEYS[1], ...) end)
slices(ended, function(...) redis.call('ZADD', KEYS[2], ...) end)
addRefs(KEYS[3], refs)
for group, ids in pairs(undelivered) do
  slices(ids, function(...) redis.call('SADD', ARGV[4] .. group .. ':undelivered', ...) end)
end
return cjson.encode({ moves, ends })
