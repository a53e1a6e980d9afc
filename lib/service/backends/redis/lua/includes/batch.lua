-- slices(list, f): calls f with the list's values, at most 1,000 at a time (unpack has a limit).
-- addRefs(refs, deltas): adds to the live-reference counts of functions and endpoints (id → delta),
-- once per id for a whole batch, and drops the ones that reach zero.
local function slices(list, f)
  for i = 1, #list, 1000 do f(unpack(list, i, math.min(i + 999, #list))) end
end
local function addRefs(refs, deltas)
  for id, delta in pairs(deltas) do
    if delta ~= 0 and redis.call('HINCRBY', refs, id, delta) <= 0 then redis.call('HDEL', refs, id) end
  end
end
local function count(deltas, id, delta) deltas[id] = (deltas[id] or 0) + delta end
