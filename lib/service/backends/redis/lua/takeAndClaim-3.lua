-- Takes up to `max` entries of an endpoint's stream for a consumer (XREADGROUP) and claims each 
-- task, as fxAdvanceMany to `waiting-for-nodes` would: if it waits for this endpoint. KEYS: 
-- stream, queued, counters (includes/tally.lua), all one user's. ARGV: consumer group, consumer,
-- max, endpointId, the task keys' prefix (the same user's). Returns 
-- (as JSON) per entry [entry id, task id, the task's row before its claim or false].
--- @include "row"
--- @include "batch"
--- @include "tally"
local T = tallyOf(KEYS[3])
local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
local out, unqueued = {}, {}
for _, entry in ipairs(read and read[1][2] or {}) do
  local id = entry[2][2]
  local key = ARGV[5] .. id
  local before = row(key)
  if before[STATUS] == 'waiting-for-ep' and before[ENDPOINT] == ARGV[4] then
    redis.call('HSET', key, 'status', 'waiting-for-nodes')
    tallyTask(T, before[STATUS], 'waiting-for-nodes', 0)
    unqueued[#unqueued + 1] = id
    out[#out + 1] = { entry[1], id, before }
  else
    out[#out + 1] = { entry[1], id, false }
  end
end
slices(unqueued, function(...) redis.call('ZREM', KEYS[2], ...) end)
tallyFlush(T)
return cjson.encode(out)
