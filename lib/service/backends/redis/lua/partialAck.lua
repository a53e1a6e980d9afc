-- Marks tasks' partials read up to and including a seq (cumulative, never past what was heard),
-- keeps at most `history` read ones of at most maxUnreadBytes in all, and answers each task's new credit when it grew (as
-- MemoryPartialRepo does). Every key carries the group's hash tag.
-- KEYS: per item the task's hash and its list. ARGV: maxUnread, maxUnreadBytes, history, then per item its seq.
-- Returns per item { count, bytes } of the new credit, or false.
local maxUnread, maxBytes, history = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 1, #KEYS / 2 do
  local h, l = KEYS[2 * i - 1], KEYS[2 * i]
  local seq = tonumber(ARGV[3 + i])
  local s = redis.call('HMGET', h, 'first', 'count', 'acked', 'ackedBytes', 'unreadBytes', 'historyBytes')
  out[i] = false
  if s[2] then
    local first, count, acked, ackedBytes, unreadBytes, historyBytes = tonumber(s[1] or 0), tonumber(s[2]), tonumber(s[3] or 0), tonumber(s[4] or 0), tonumber(s[5] or 0), tonumber(s[6] or 0)
    local to = math.min(count, seq + 1)
    if to > acked then
      local bytes = 0
      for _, v in ipairs(redis.call('LRANGE', l, acked - first, to - first - 1)) do bytes = bytes + #v end
      ackedBytes, unreadBytes, historyBytes, acked = ackedBytes + bytes, unreadBytes - bytes, historyBytes + bytes, to
      while acked > first and (acked - first > history or historyBytes > maxBytes) do
        historyBytes = historyBytes - #redis.call('LPOP', l)
        first = first + 1
      end
      redis.call('HSET', h, 'first', first, 'acked', acked, 'ackedBytes', ackedBytes, 'unreadBytes', unreadBytes, 'historyBytes', historyBytes)
      out[i] = { acked + maxUnread, ackedBytes + maxBytes }
    end
  end
end
return out
