-- row(key): a task's row, its fields in TASK_FIELDS order (an absent field is false). FIELDS and
-- the places the scripts read (ID, FUNCTION, ...) are generated from TASK_FIELDS in luaScripts.ts.
local function row(key) return redis.call('HMGET', key, unpack(FIELDS)) end
