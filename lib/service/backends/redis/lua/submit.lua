-- Accepts a submit's tasks for one endpoint in one step: each task whose id is new is stored,
-- joins its group (keeping submit order) and goes on its endpoint's queue; the endpoint's
-- consumers are woken once. A task whose id exists is left as it is (the caller compares it:
-- a retried submit names the same task again). Nothing is half done: a retry finds every task
-- either absent or stored, grouped and queued.
-- A task with inputs (stored waiting-for-deps) is instead registered on each live input in the
-- same step, so an input that ends at that moment settles it (lua/report.lua); with every input
-- succeeded already it is released (queued) at once; with an input ended otherwise, or gone, it
-- stays waiting and is answered as doomed, for the caller to fail (the sweep too, if it cannot).
-- Every key is the owner's (one hash tag: one Redis Cluster slot), the input tasks' included.
-- KEYS: queued, refs, group, group tasks, stream, deps, counters (includes/tally.lua), then one
-- task key per task.
-- ARGV: the wake channel, the task keys' prefix, then per task: which fields it has (a string of
-- 1s and 0s in TASK_FIELDS order), then their values.
-- Returns (as JSON) [per task false (accepted) or the existing task's row, released ids,
-- doomed { id, input id }].
--- @include "rank"
--- @include "row"
--- @include "batch"
--- @include "tally"
if redis.call('HEXISTS', KEYS[3], 'touchedAt') == 0 then return redis.error_reply('FXGROUPGONE the task group no longer exists') end
local out, queued, refs, ids, enqueue, released, doomed, waiting, i = {}, {}, {}, {}, {}, {}, {}, {}, 3
local T = tallyOf(KEYS[7])
for k = 8, #KEYS do
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
    local id = values[ID]
    ids[#ids + 1] = id
    count(refs, values[FUNCTION], 1)
    count(refs, values[ENDPOINT], 1)
    out[#out + 1] = false
    local ready = true
    if values[INPUTS] then
      local pending, doomedBy = 0, nil
      for input in string.gmatch(values[INPUTS], '[^,]+') do
        local ikey = ARGV[2] .. input
        local status = redis.call('HGET', ikey, 'status')
        if status == 'success' then
          -- counted as done
        elseif not status or RANK[status] == FINAL_RANK then
          doomedBy = doomedBy or input
        else
          pending = pending + 1
          redis.call('SADD', ikey .. ':d', id)
          redis.call('HSET', ikey, 'dependants', '1')
        end
      end
      if doomedBy or pending > 0 then
        ready = false
        waiting[#waiting + 1] = values[QUEUED_AT]
        waiting[#waiting + 1] = id
        if doomedBy then doomed[#doomed + 1] = { id, doomedBy } else redis.call('HSET', KEYS[k], 'pending', pending) end
      else
        redis.call('HSET', KEYS[k], 'status', INITIAL)
        released[#released + 1] = id
      end
    end
    -- Counted as it is now: queued, waiting for its inputs, or released at once.
    tallyTask(T, false, (values[INPUTS] and ready) and INITIAL or values[STATUS], #(values[PAYLOAD] or ''))
    if ready then
      queued[#queued + 1] = values[QUEUED_AT]
      queued[#queued + 1] = id
      enqueue[#enqueue + 1] = id
    end
  end
end
if #ids > 0 then
  slices(queued, function(...) redis.call('ZADD', KEYS[1], ...) end)
  slices(waiting, function(...) redis.call('ZADD', KEYS[6], ...) end)
  addRefs(KEYS[2], refs)
  local base = redis.call('HINCRBY', KEYS[3], 'seq', #ids) - #ids
  local scored = {}
  for n, id in ipairs(ids) do
    scored[#scored + 1] = base + n
    scored[#scored + 1] = id
  end
  for _, id in ipairs(enqueue) do redis.call('XADD', KEYS[5], '*', 't', id) end
  slices(scored, function(...) redis.call('ZADD', KEYS[4], 'NX', ...) end)
  if #enqueue > 0 then redis.call('PUBLISH', ARGV[1], '') end
end
tallyFlush(T)
return cjson.encode({ out, released, doomed })
