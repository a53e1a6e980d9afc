-- Marks a group used, under its owner's hash tag (the group's owner is decided before, by
-- RedisGroupRepo.claim's SET NX of the group's id): its hash (what a submit checks exists) and
-- the owner's index of groups by last use. KEYS: the group's hash, the owner's groups index.
-- ARGV: id, now.
redis.call('HSET', KEYS[1], 'touchedAt', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
