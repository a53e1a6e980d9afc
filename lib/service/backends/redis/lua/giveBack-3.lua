-- Gives back everything one consumer of an endpoint's queue holds, known to it or not (a take
-- whose answer was lost), in one step: each of its pending entries is acknowledged and deleted,
-- and its task, if still live, goes back to waiting-for-ep and onto the queue again as a new
-- entry; then the consumer is deleted and the endpoint's consumers are woken. Used when a
-- connection closes (its own consumer) and when a replica died (a consumer whose heartbeat
-- expired): nothing is out of the queue and not requeued in between.
-- KEYS: stream, queued, counters (includes/tally.lua), all one user's. ARGV: consumer group,
-- consumer, the task keys' prefix (the same user's), now, wake channel.
-- Returns (as JSON) the rows before of the tasks put back.
--- @include "rank"
--- @include "row"
--- @include "tally"
local out, T = {}, tallyOf(KEYS[3])
repeat
  local refs = {}
  for _, pending in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000, ARGV[2])) do
    refs[#refs + 1] = pending[1]
    local entry = redis.call('XRANGE', KEYS[1], pending[1], pending[1])[1]
    if entry then
      local id = entry[2][2]
      local key = ARGV[3] .. id
      local before = row(key)
      local status = before[STATUS]
      if status and status ~= WAITING and RANK[status] ~= nil and RANK[status] < FINAL_RANK then
        redis.call('HSET', key, 'status', 'waiting-for-ep', 'queuedAt', ARGV[4])
        tallyTask(T, status, 'waiting-for-ep', 0)
        redis.call('ZADD', KEYS[2], ARGV[4], id)
        redis.call('XADD', KEYS[1], '*', 't', id)
        out[#out + 1] = before
      end
    end
  end
  if #refs > 0 then
    redis.call('XACK', KEYS[1], ARGV[1], unpack(refs))
    redis.call('XDEL', KEYS[1], unpack(refs))
  end
until #refs < 1000
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
if #out > 0 then redis.call('PUBLISH', ARGV[5], '') end
tallyFlush(T)
return cjson.encode(out)
