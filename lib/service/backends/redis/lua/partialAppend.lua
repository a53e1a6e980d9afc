-- Appends a generator's partials (docs/protocol-extensions.md §11), in order, each decided on its
-- own as MemoryPartialRepo decides it: a seq heard before is a duplicate (the first value wins), a
-- seq past the next one a gap, one past the task's window (unread count or bytes) over; else it is
-- stored. Every key carries the group's hash tag.
-- KEYS: the group's set of tasks with partials, then per item the task's hash and its list.
-- ARGV: maxUnread, maxUnreadBytes, ttlMs, then per item: task id, seq, value.
-- Returns per item its verdict.
local maxUnread, maxBytes, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local out = {}
for i = 1, (#KEYS - 1) / 2 do
  local h, l = KEYS[2 * i], KEYS[2 * i + 1]
  local a = 3 + 3 * (i - 1)
  local id, seq, value = ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3]
  local s = redis.call('HMGET', h, 'count', 'acked', 'unreadBytes')
  local count, acked, unreadBytes = tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3] or 0)
  if seq < count then
    out[i] = 'duplicate'
  elseif seq > count then
    out[i] = 'gap'
  elseif count - acked >= maxUnread or (count - acked > 0 and unreadBytes + #value > maxBytes) then
    out[i] = 'over'
  else
    redis.call('RPUSH', l, value)
    redis.call('HSET', h, 'count', count + 1, 'unreadBytes', unreadBytes + #value)
    if count == 0 then redis.call('SADD', KEYS[1], id) end
    redis.call('PEXPIRE', h, ttl)
    redis.call('PEXPIRE', l, ttl)
    redis.call('PEXPIRE', KEYS[1], ttl)
    out[i] = 'stored'
  end
end
return out
