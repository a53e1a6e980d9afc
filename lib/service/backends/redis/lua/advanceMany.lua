-- Moves live tasks forward, in order. KEYS: queued, then one task key per move. ARGV: endpointId, 
-- then per move its status. Returns (as JSON) per move the task's row before, or false.
--- @include "rank"
--- @include "row"
--- @include "batch"
local out, unqueued = {}, {}
for k = 2, #KEYS do
  local target = ARGV[k]
  local before = row(KEYS[k])
  local status = before[STATUS]
  local from, to = RANK[status or ''], RANK[target]
  if not status or before[ENDPOINT] ~= ARGV[1] or from == nil or to == nil or from == FINAL_RANK or to == FINAL_RANK or to <= from then
    out[#out + 1] = false
  else
    out[#out + 1] = before
    redis.call('HSET', KEYS[k], 'status', target)
    if status == 'waiting-for-ep' then unqueued[#unqueued + 1] = before[ID] end
  end
end
slices(unqueued, function(...) redis.call('ZREM', KEYS[1], ...) end)
return cjson.encode(out)
