-- KEYS: stream. ARGV: consumer group, then entry ids. Acknowledges and deletes them.
-- In slices: unpack has a limit on how many values it returns.
for i = 2, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, last))
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
end
return 1
