-- Dependencies (docs/protocol-extensions.md §12). A waiting task's hash holds `pending` (how many
-- inputs have not succeeded); `<task key>:d` is the set of tasks waiting on a task, deleted when
-- that task ends or is deleted; the sorted set DEPS indexes waiting tasks by time, for the sweep.
-- Q is a table of the keys these functions write (queued, deps, the stream and wake prefixes),
-- of the endpoints to wake (`woken`), which wake(Q) wakes once each at the end of a script, and
-- of the script's counters (`tally`, includes/tally.lua).
-- release(Q, key, before, now): moves a waiting task (its row before) to waiting-for-ep and onto
-- its endpoint's queue.
--- @include "tally"
local function release(Q, key, before, now)
  local id, endpointId = before[ID], before[ENDPOINT]
  redis.call('HSET', key, 'status', INITIAL, 'queuedAt', now)
  tallyTask(Q.tally, WAITING, INITIAL, 0)
  redis.call('HDEL', key, 'pending')
  redis.call('ZREM', Q.deps, id)
  redis.call('ZADD', Q.queued, now, id)
  redis.call('XADD', Q.stream .. endpointId, '*', 't', id)
  Q.woken[endpointId] = true
end
local function wake(Q)
  for endpointId in pairs(Q.woken) do redis.call('PUBLISH', Q.wake .. endpointId, '') end
end
-- settle(Q, prefix, key, before, succeeded, now, released, doomed): for a task that just ended
-- (its row before), counts down (success) or dooms (any other end) each task still waiting on it,
-- appending the rows before to `released` or { row, input id } to `doomed`, and forgets its
-- dependants. A task no dependant ever registered on (no `dependants` mark) has nothing to settle.
local function settle(Q, prefix, key, before, succeeded, now, released, doomed)
  if not before[DEPENDANTS] then return end
  local id = before[ID]
  local dkey = key .. ':d'
  local dependants = redis.call('SMEMBERS', dkey)
  if #dependants == 0 then return end
  redis.call('DEL', dkey)
  for _, dep in ipairs(dependants) do
    local dk = prefix .. dep
    local before = row(dk)
    -- Ended meanwhile (cancelled, or doomed by another input): nothing to settle.
    if before[STATUS] == WAITING then
      if not succeeded then
        doomed[#doomed + 1] = { before, id }
      elseif redis.call('HINCRBY', dk, 'pending', -1) <= 0 then
        release(Q, dk, before, now)
        released[#released + 1] = before
      end
    end
  end
end
