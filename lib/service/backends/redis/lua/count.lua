-- Adds to counters. KEYS: counter hashes. ARGV per key, in order: n, then n field/delta pairs.
local i = 1
for _, key in ipairs(KEYS) do
  local n = tonumber(ARGV[i])
  for j = i + 1, i + 2 * n, 2 do redis.call('HINCRBY', key, ARGV[j], ARGV[j + 1]) end
  i = i + 1 + 2 * n
end
return 1
