--- @include "rank"
--- @include "row"
-- The task counters (lib/service/core/Counters.ts), kept by the scripts that change tasks, in the
-- same step as the change, so that a failed call, a lost answer or a retry never skews them (the
-- memory backend counts the same way: ServiceStats.taskChanged). Per owner (`<prefix>u:<owner>`)
-- and in total (`<prefix>total`): tasks by status (`status:<s>`), outstanding (not ended), bytes
-- held (a live task's payload, an ended one's result or exception), submitted and invocations.
-- Bytes here are Lua's `#`, UTF-8 bytes; the memory backend counts JavaScript's `length`, UTF-16
-- units: the same for the ASCII that serialized payloads mostly are, a little more here otherwise.
-- T = tallyOf(prefix) collects a script's changes; tallyTask(T, owner, from, to, bytes) counts one
-- (from false: a new task; to false: deleted); tallyFlush(T) writes them: a few HINCRBY per owner
-- for a whole batch.
local function tallyOf(prefix) return { prefix = prefix, owners = {} } end
local function heldOf(r)
  return (r[PAYLOAD] and #r[PAYLOAD] or 0) + (r[RESULT] and #r[RESULT] or 0) + (r[EXCEPTION] and #r[EXCEPTION] or 0)
end
local function tallyAdd(d, field, n) if n ~= 0 then d[field] = (d[field] or 0) + n end end
local function tallyTask(T, owner, from, to, bytes)
  if from == to then return end
  local d = T.owners[owner]
  if not d then
    d = {}
    T.owners[owner] = d
  end
  if from then tallyAdd(d, 'status:' .. from, -1) else
    tallyAdd(d, 'tasksSubmitted', 1)
    tallyAdd(d, 'invocations', 1)
  end
  if to then tallyAdd(d, 'status:' .. to, 1) end
  tallyAdd(d, 'outstanding', ((to and RANK[to] ~= FINAL_RANK) and 1 or 0) - ((from and RANK[from] ~= FINAL_RANK) and 1 or 0))
  tallyAdd(d, 'bytesHeld', bytes)
end
local function tallyFlush(T)
  local total = {}
  for owner, d in pairs(T.owners) do
    for field, n in pairs(d) do
      if n ~= 0 then
        redis.call('HINCRBY', T.prefix .. 'u:' .. owner, field, n)
        total[field] = (total[field] or 0) + n
      end
    end
  end
  for field, n in pairs(total) do
    if n ~= 0 then redis.call('HINCRBY', T.prefix .. 'total', field, n) end
  end
end
