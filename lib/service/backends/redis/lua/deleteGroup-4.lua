-- Deletes a group that is still empty and idle (a submit may have used it since the sweep looked).
-- KEYS (all the owner's): the group's hash, its tasks, its undelivered set, the owner's groups
-- index. ARGV: id, idle before (epoch ms). Returns 1 when deleted (0 when it was gone already).
-- Gone already (deleted by a racing sweep): only its index entry, should one be left, goes.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[4], ARGV[1])
  return 0
end
local touched = tonumber(redis.call('HGET', KEYS[1], 'touchedAt') or '0')
if touched >= tonumber(ARGV[2]) or redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
