-- KEYS: entry hash. ARGV: field, now. Touches an entry that exists (RedisRegistry moves it in its
-- index after, with ZADD XX: an index on another Redis Cluster slot).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
