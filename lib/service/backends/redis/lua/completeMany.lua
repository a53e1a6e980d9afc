-- Ends live tasks, in order; the first end of a task wins. An ended task expires after the
-- service's retention (ttlSeconds), a backstop behind the sweep that deletes it on time. KEYS: queued, ended, refs, then one 
-- task key per end. ARGV: ttlSeconds, then per end: status, completedAt, endpointId ('' for any), 
-- hasResult, result, hasException, exception. Returns (as JSON) per end the task's row before, or 
-- false.
--- @include "rank"
--- @include "row"
--- @include "batch"
local out, unqueued, ended, refs = {}, {}, {}, {}
for k = 4, #KEYS do
  local a = 7 * (k - 4) + 1
  local key = KEYS[k]
  local before = row(key)
  local status, id = before[STATUS], before[ID]
  if not status or RANK[status] == FINAL_RANK or (ARGV[a + 3] ~= '' and before[ENDPOINT] ~= ARGV[a + 3]) then
    out[#out + 1] = false
  else
    out[#out + 1] = before
    local fields = { 'status', ARGV[a + 1], 'completedAt', ARGV[a + 2] }
    if ARGV[a + 4] == '1' then fields[#fields + 1] = 'result'; fields[#fields + 1] = ARGV[a + 5] end
    if ARGV[a + 6] == '1' then fields[#fields + 1] = 'exception'; fields[#fields + 1] = ARGV[a + 7] end
    -- The payload goes; its digest, stored at submit, stays for a retried submit to compare.
    if before[PAYLOAD] then redis.call('HDEL', key, 'payload') end
    redis.call('HSET', key, unpack(fields))
    -- A backstop: the sweep deletes ended tasks on time; a record no sweep reached still goes.
    redis.call('EXPIRE', key, ARGV[1])
    if status == 'waiting-for-ep' then unqueued[#unqueued + 1] = id end
    ended[#ended + 1] = ARGV[a + 2]
    ended[#ended + 1] = id
    count(refs, before[FUNCTION], -1)
    count(refs, before[ENDPOINT], -1)
  end
end
slices(unqueued, function(...) redis.call('ZREM', KEYS[1], ...) end)
slices(ended, function(...) redis.call('ZADD', KEYS[2], ...) end)
addRefs(KEYS[3], refs)
return cjson.encode(out)
