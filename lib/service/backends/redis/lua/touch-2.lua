-- KEYS: entry hash, index. ARGV: id, field, now. Touches an entry that exists.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
