--- @include "rank"
--- @include "row"
-- The task counters (lib/service/core/Counters.ts), kept by the scripts that change tasks, in the
-- same step as the change, so that a failed call, a lost answer or a retry never skews them (the
-- memory backend counts the same way: ServiceStats.taskChanged). Into the owner's counters hash
-- (every task of one script is one user's, under that user's hash tag; the service's totals are
-- the sum over users, RedisCounters): tasks by status (`status:<s>`), outstanding (not ended),
-- bytes held (a live task's payload, an ended one's result or exception), submitted and invocations.
-- Bytes here are Lua's `#`, UTF-8 bytes; the memory backend counts JavaScript's `length`, UTF-16
-- units: the same for the ASCII that serialized payloads mostly are, a little more here otherwise.
-- T = tallyOf(key) collects a script's changes; tallyTask(T, from, to, bytes) counts one (from
-- false: a new task; to false: deleted); tallyFlush(T) writes them: a few HINCRBY for a whole batch.
local function tallyOf(key) return { key = key, d = {} } end
local function heldOf(r)
  return (r[PAYLOAD] and #r[PAYLOAD] or 0) + (r[RESULT] and #r[RESULT] or 0) + (r[EXCEPTION] and #r[EXCEPTION] or 0)
end
local function tallyAdd(d, field, n) if n ~= 0 then d[field] = (d[field] or 0) + n end end
local function tallyTask(T, from, to, bytes)
  if from == to then return end
  local d = T.d
  if from then tallyAdd(d, 'status:' .. from, -1) else
    tallyAdd(d, 'tasksSubmitted', 1)
    tallyAdd(d, 'invocations', 1)
  end
  if to then tallyAdd(d, 'status:' .. to, 1) end
  tallyAdd(d, 'outstanding', ((to and RANK[to] ~= FINAL_RANK) and 1 or 0) - ((from and RANK[from] ~= FINAL_RANK) and 1 or 0))
  tallyAdd(d, 'bytesHeld', bytes)
end
local function tallyFlush(T)
  for field, n in pairs(T.d) do
    if n ~= 0 then redis.call('HINCRBY', T.key, field, n) end
  end
end
