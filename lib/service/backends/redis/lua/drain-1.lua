-- KEYS: undelivered set. Takes every member at once.
local ids = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return ids
