-- Forgets deleted tasks' partials. KEYS: the group's set of tasks with partials, then per task
-- its hash and its list. ARGV: the task ids.
for i = 2, #KEYS, 1000 do redis.call('DEL', unpack(KEYS, i, math.min(i + 999, #KEYS))) end
for i = 1, #ARGV, 1000 do redis.call('SREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
return 1
