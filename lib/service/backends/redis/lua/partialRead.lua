-- Reads tasks' held partials. KEYS: per task its hash and its list. ARGV: limit in all, then per
-- task: from (a number) or 'unread' (from the first one not read yet; a task with none gives nothing).
-- Returns per task { first, count, acked, values }.
local left = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  local h, l = KEYS[2 * i - 1], KEYS[2 * i]
  local s = redis.call('HMGET', h, 'first', 'count', 'acked')
  local first, count, acked = tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3] or 0)
  local from = ARGV[1 + i] == 'unread' and acked or math.max(tonumber(ARGV[1 + i]), first)
  local values = {}
  if left > 0 and from < count and not (ARGV[1 + i] == 'unread' and acked >= count) then
    values = redis.call('LRANGE', l, from - first, from - first + left - 1)
    left = left - #values
  end
  out[i] = { from, count, acked, values }
end
return out
