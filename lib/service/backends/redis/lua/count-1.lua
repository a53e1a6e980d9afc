-- Adds to counters. KEYS: one counters hash. ARGV: field/delta pairs.
for j = 1, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[j], ARGV[j + 1]) end
return 1
