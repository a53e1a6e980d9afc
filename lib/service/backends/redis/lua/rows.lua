-- KEYS: task keys. Returns (as JSON) their rows (a row of falses for a task that does not exist).
--- @include "row"
local out = {}
for k = 1, #KEYS do out[k] = row(KEYS[k]) end
return cjson.encode(out)
