-- Deletes tasks, in order, and the sets of tasks waiting on them (those find them gone: the
-- sweep fails them). KEYS (all one user's): queued, ended, refs, deps, counters
-- (includes/tally.lua), then one task key per task.
-- Returns (as JSON) per task its row before, or false when there was none.
--- @include "rank"
--- @include "row"
--- @include "batch"
--- @include "tally"
local out, refs, ids, T = {}, {}, {}, tallyOf(KEYS[5])
for k = 6, #KEYS do
  local before = row(KEYS[k])
  if not before[STATUS] then
    out[#out + 1] = false
  else
    out[#out + 1] = before
    ids[#ids + 1] = before[ID]
    redis.call('DEL', KEYS[k], KEYS[k] .. ':d')
    tallyTask(T, before[STATUS], false, -heldOf(before))
    if RANK[before[STATUS]] ~= FINAL_RANK then
      count(refs, before[FUNCTION], -1)
      count(refs, before[ENDPOINT], -1)
    end
  end
end
slices(ids, function(...) redis.call('ZREM', KEYS[1], ...) end)
slices(ids, function(...) redis.call('ZREM', KEYS[2], ...) end)
slices(ids, function(...) redis.call('ZREM', KEYS[4], ...) end)
addRefs(KEYS[3], refs)
tallyFlush(T)
return cjson.encode(out)
