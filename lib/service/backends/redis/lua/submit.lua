-- Accepts a submit's tasks for one endpoint in one step: each task whose id is new is stored,
-- joins its group (keeping submit order) and goes on its endpoint's queue; the endpoint's
-- consumers are woken once. A task whose id exists is left as it is (the caller compares it:
-- a retried submit names the same task again). Nothing is half done: a retry finds every task
-- either absent or stored, grouped and queued.
-- KEYS: queued, refs, group, group tasks, stream, then one task key per task.
-- ARGV: the wake channel, then per task: which fields it has (a string of 1s and 0s in
-- TASK_FIELDS order), then their values.
-- Returns (as JSON) per task false (accepted) or the existing task's row.
--- @include "row"
--- @include "batch"
if redis.call('HEXISTS', KEYS[3], 'ownerId') == 0 then return redis.error_reply('FXGROUPGONE the task group no longer exists') end
local out, queued, refs, ids, i = {}, {}, {}, {}, 2
for k = 6, #KEYS do
  local has, fields, values = ARGV[i], {}, {}
  i = i + 1
  for f = 1, #FIELDS do
    if string.byte(has, f) == 49 then
      fields[#fields + 1] = FIELDS[f]
      fields[#fields + 1] = ARGV[i]
      values[f] = ARGV[i]
      i = i + 1
    end
  end
  if redis.call('EXISTS', KEYS[k]) == 1 then
    out[#out + 1] = row(KEYS[k])
  else
    redis.call('HSET', KEYS[k], unpack(fields))
    queued[#queued + 1] = values[QUEUED_AT]
    queued[#queued + 1] = values[ID]
    ids[#ids + 1] = values[ID]
    count(refs, values[FUNCTION], 1)
    count(refs, values[ENDPOINT], 1)
    out[#out + 1] = false
  end
end
if #ids > 0 then
  slices(queued, function(...) redis.call('ZADD', KEYS[1], ...) end)
  addRefs(KEYS[2], refs)
  local base = redis.call('HINCRBY', KEYS[3], 'seq', #ids) - #ids
  local scored = {}
  for n, id in ipairs(ids) do
    scored[#scored + 1] = base + n
    scored[#scored + 1] = id
    redis.call('XADD', KEYS[5], '*', 't', id)
  end
  slices(scored, function(...) redis.call('ZADD', KEYS[4], 'NX', ...) end)
  redis.call('PUBLISH', ARGV[1], '')
end
return cjson.encode(out)
