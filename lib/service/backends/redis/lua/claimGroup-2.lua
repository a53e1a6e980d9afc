-- KEYS: group, groups index. ARGV: id, ownerId, now. Returns ownerId, touchedAt.
local owner = redis.call('HGET', KEYS[1], 'ownerId')
if not owner then
  redis.call('HSET', KEYS[1], 'ownerId', ARGV[2], 'touchedAt', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return { ARGV[2], ARGV[3] }
end
if owner == ARGV[2] then
  redis.call('HSET', KEYS[1], 'touchedAt', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return { owner, ARGV[3] }
end
return { owner, redis.call('HGET', KEYS[1], 'touchedAt') }
