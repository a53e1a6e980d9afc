/**
 * The Lua scripts that make the Redis backend's deciding operations atomic: each runs alone on
 * the server, so a check and its write cannot be split by another replica. Task records are
 * hashes; a field that is absent is null. A script without `numberOfKeys` takes any number of
 * keys (RedisClient.script passes the count). The `...Many` scripts decide each item on its own,
 * in order, so a batch costs one round trip and one command instead of one per task.
 */

/** Status ranks, as in lib/service/core/statusRank.ts. */
const RANKS = `local RANK = { ['waiting-for-ep'] = 0, ['waiting-for-nodes'] = 1, ['waiting-for-launch'] = 2, running = 3, success = 4, failed = 4, cancelled = 4 }`;

/**
 * A task's fields in a fixed order, so that a script answers a task as a row of values rather
 * than field/value pairs (half the strings to send and decode). An absent field is false (null).
 */
export const TASK_FIELDS = ['id', 'ownerId', 'groupId', 'functionId', 'endpointId', 'payload', 'payloadDigest', 'status', 'result', 'exception', 'queuedAt', 'completedAt'] as const;

/**
 * `row(key)`: a task's row; and the places in it the scripts read. The batch scripts answer their
 * rows as one JSON string (cjson): a client decodes it natively, where a nested reply of twelve
 * strings per task costs it more than the rest of the task's handling.
 */
const ROW = `
local FIELDS = { ${TASK_FIELDS.map((f) => `'${f}'`).join(', ')} }
local ID, FUNCTION, ENDPOINT, PAYLOAD, STATUS = ${['id', 'functionId', 'endpointId', 'payload', 'status'].map((f) => TASK_FIELDS.indexOf(f as (typeof TASK_FIELDS)[number]) + 1).join(', ')}
local function row(key) return redis.call('HMGET', key, unpack(FIELDS)) end`;

/**
 * `slices(list, f)`: calls f with the list's values, at most 1,000 at a time (unpack has a
 * limit), so that a batch writes a sorted set in a few calls instead of one per task.
 * `addRefs(refs, deltas)`: adds to the live-reference counts of functions and endpoints (id →
 * delta), once per id for a whole batch, and drops the ones that reach zero.
 */
const BATCH = `
local function slices(list, f)
  for i = 1, #list, 1000 do f(unpack(list, i, math.min(i + 999, #list))) end
end
local function addRefs(refs, deltas)
  for id, delta in pairs(deltas) do
    if delta ~= 0 and redis.call('HINCRBY', refs, id, delta) <= 0 then redis.call('HDEL', refs, id) end
  end
end
local function count(deltas, id, delta) deltas[id] = (deltas[id] or 0) + delta end`;

export const SCRIPTS = {
  /**
   * Inserts tasks unless their ids exist, in order. KEYS: queued, refs, then one task key per task.
   * ARGV per task: which fields it has (a string of 1s and 0s in TASK_FIELDS order), then their
   * values. Returns (as JSON) per task false (inserted) or the existing task's row.
   */
  fxInsertMany: {
    lua: `${ROW}${BATCH}
local out, queued, refs, i = {}, {}, {}, 1
local QUEUED_AT = ${TASK_FIELDS.indexOf('queuedAt') + 1}
for k = 3, #KEYS do
  local has, fields, values = ARGV[i], {}, {}
  i = i + 1
  for f = 1, #FIELDS do
    if string.byte(has, f) == 49 then
      fields[#fields + 1] = FIELDS[f]
      fields[#fields + 1] = ARGV[i]
      values[f] = ARGV[i]
      i = i + 1
    end
  end
  if redis.call('EXISTS', KEYS[k]) == 1 then
    out[#out + 1] = row(KEYS[k])
  else
    redis.call('HSET', KEYS[k], unpack(fields))
    queued[#queued + 1] = values[QUEUED_AT]
    queued[#queued + 1] = values[ID]
    count(refs, values[FUNCTION], 1)
    count(refs, values[ENDPOINT], 1)
    out[#out + 1] = false
  end
end
slices(queued, function(...) redis.call('ZADD', KEYS[1], ...) end)
addRefs(KEYS[2], refs)
return cjson.encode(out)`,
  },
  /**
   * Moves live tasks forward, in order. KEYS: queued, then one task key per move. ARGV:
   * endpointId, then per move its status. Returns (as JSON) per move the task's row before, or false.
   */
  fxAdvanceMany: {
    lua: `${RANKS}${ROW}${BATCH}
local out, unqueued = {}, {}
for k = 2, #KEYS do
  local target = ARGV[k]
  local before = row(KEYS[k])
  local status = before[STATUS]
  local from, to = RANK[status or ''], RANK[target]
  if not status or before[ENDPOINT] ~= ARGV[1] or from == nil or to == nil or from == 4 or to == 4 or to <= from then
    out[#out + 1] = false
  else
    out[#out + 1] = before
    redis.call('HSET', KEYS[k], 'status', target)
    if status == 'waiting-for-ep' then unqueued[#unqueued + 1] = before[ID] end
  end
end
slices(unqueued, function(...) redis.call('ZREM', KEYS[1], ...) end)
return cjson.encode(out)`,
  },
  /**
   * Takes up to `max` entries of an endpoint's stream for a consumer (XREADGROUP) and claims each
   * task, as fxAdvanceMany to `waiting-for-nodes` would: if it waits for this endpoint. KEYS:
   * stream, queued. ARGV: consumer group, consumer, max, endpointId, the task keys' prefix.
   * Returns (as JSON) per entry [entry id, task id, the task's row before its claim or false].
   */
  fxTakeAndClaim: {
    numberOfKeys: 2,
    lua: `${ROW}${BATCH}
local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
local out, unqueued = {}, {}
for _, entry in ipairs(read and read[1][2] or {}) do
  local id = entry[2][2]
  local key = ARGV[5] .. id
  local before = row(key)
  if before[STATUS] == 'waiting-for-ep' and before[ENDPOINT] == ARGV[4] then
    redis.call('HSET', key, 'status', 'waiting-for-nodes')
    unqueued[#unqueued + 1] = id
    out[#out + 1] = { entry[1], id, before }
  else
    out[#out + 1] = { entry[1], id, false }
  end
end
slices(unqueued, function(...) redis.call('ZREM', KEYS[2], ...) end)
return cjson.encode(out)`,
  },
  /**
   * Gives back all a consumer holds, known to it or not (a take whose answer was lost): its
   * pending entries are acknowledged and deleted, and the consumer with them. KEYS: stream. ARGV:
   * consumer group, consumer. Returns the task ids.
   */
  fxRelease: {
    numberOfKeys: 1,
    lua: `
local ids = {}
repeat
  local refs = {}
  for _, pending in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000, ARGV[2])) do
    refs[#refs + 1] = pending[1]
    local entry = redis.call('XRANGE', KEYS[1], pending[1], pending[1])[1]
    if entry then ids[#ids + 1] = entry[2][2] end
  end
  if #refs > 0 then
    redis.call('XACK', KEYS[1], ARGV[1], unpack(refs))
    redis.call('XDEL', KEYS[1], unpack(refs))
  end
until #refs < 1000
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return ids`,
  },
  /** KEYS: task keys. Returns (as JSON) their rows (a row of falses for a task that does not exist). */
  fxRows: {
    lua: `${ROW}
local out = {}
for k = 1, #KEYS do out[k] = row(KEYS[k]) end
return cjson.encode(out)`,
  },
  /** KEYS: task, queued. ARGV: id, now. Returns the task's row before, or false. */
  fxRequeue: {
    numberOfKeys: 2,
    lua: `${RANKS}${ROW}
local before = row(KEYS[1])
if not before[STATUS] or RANK[before[STATUS]] == 4 then return false end
redis.call('HSET', KEYS[1], 'status', 'waiting-for-ep', 'queuedAt', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return before`,
  },
  /**
   * Ends live tasks, in order; the first end of a task wins. KEYS: queued, ended, refs, then one
   * task key per end. ARGV: ttlSeconds, then per end: status, completedAt, endpointId ('' for
   * any), hasResult, result, hasException, exception. Returns (as JSON) per end the task's row before, or false.
   */
  fxCompleteMany: {
    lua: `${RANKS}${ROW}${BATCH}
local out, unqueued, ended, refs = {}, {}, {}, {}
for k = 4, #KEYS do
  local a = 7 * (k - 4) + 1
  local key = KEYS[k]
  local before = row(key)
  local status, id = before[STATUS], before[ID]
  if not status or RANK[status] == 4 or (ARGV[a + 3] ~= '' and before[ENDPOINT] ~= ARGV[a + 3]) then
    out[#out + 1] = false
  else
    out[#out + 1] = before
    local fields = { 'status', ARGV[a + 1], 'completedAt', ARGV[a + 2] }
    if ARGV[a + 4] == '1' then fields[#fields + 1] = 'result'; fields[#fields + 1] = ARGV[a + 5] end
    if ARGV[a + 6] == '1' then fields[#fields + 1] = 'exception'; fields[#fields + 1] = ARGV[a + 7] end
    if before[PAYLOAD] then
      fields[#fields + 1] = 'payloadDigest'; fields[#fields + 1] = redis.sha1hex(before[PAYLOAD])
      redis.call('HDEL', key, 'payload')
    end
    redis.call('HSET', key, unpack(fields))
    -- A backstop: the sweep deletes ended tasks on time; a record no sweep reached still goes.
    redis.call('EXPIRE', key, ARGV[1])
    if status == 'waiting-for-ep' then unqueued[#unqueued + 1] = id end
    ended[#ended + 1] = ARGV[a + 2]
    ended[#ended + 1] = id
    count(refs, before[FUNCTION], -1)
    count(refs, before[ENDPOINT], -1)
  end
end
slices(unqueued, function(...) redis.call('ZREM', KEYS[1], ...) end)
slices(ended, function(...) redis.call('ZADD', KEYS[2], ...) end)
addRefs(KEYS[3], refs)
return cjson.encode(out)`,
  },
  /** KEYS: task, queued, ended, refs. ARGV: id. Returns the task's row before, or false. */
  fxDeleteTask: {
    numberOfKeys: 4,
    lua: `${RANKS}${ROW}${BATCH}
local before = row(KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if not before[STATUS] then return false end
redis.call('DEL', KEYS[1])
if RANK[before[STATUS]] ~= 4 then addRefs(KEYS[4], { [before[FUNCTION]] = -1, [before[ENDPOINT]] = -1 }) end
return before`,
  },
  /** KEYS: group, groups index. ARGV: id, ownerId, now. Returns ownerId, touchedAt. */
  fxClaimGroup: {
    numberOfKeys: 2,
    lua: `
local owner = redis.call('HGET', KEYS[1], 'ownerId')
if not owner then
  redis.call('HSET', KEYS[1], 'ownerId', ARGV[2], 'touchedAt', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return { ARGV[2], ARGV[3] }
end
if owner == ARGV[2] then
  redis.call('HSET', KEYS[1], 'touchedAt', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return { owner, ARGV[3] }
end
return { owner, redis.call('HGET', KEYS[1], 'touchedAt') }`,
  },
  /** KEYS: group, group tasks. ARGV: task ids, in submit order; one already there keeps its place. */
  fxAddTasks: {
    numberOfKeys: 2,
    lua: `${BATCH}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local base = redis.call('HINCRBY', KEYS[1], 'seq', #ARGV) - #ARGV
local scored = {}
for i, id in ipairs(ARGV) do
  scored[#scored + 1] = base + i
  scored[#scored + 1] = id
end
slices(scored, function(...) redis.call('ZADD', KEYS[2], 'NX', ...) end)
return 1`,
  },
  /** KEYS: undelivered set. Takes every member at once. */
  fxDrain: {
    numberOfKeys: 1,
    lua: `
local ids = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return ids`,
  },
  /** KEYS: entry hash, index. ARGV: id, field, now. Touches an entry that exists. */
  fxTouch: {
    numberOfKeys: 2,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`,
  },
  /**
   * Adds to counters. KEYS: counter hashes. ARGV per key, in order: n, then n field/delta pairs.
   */
  fxCount: {
    lua: `
local i = 1
for _, key in ipairs(KEYS) do
  local n = tonumber(ARGV[i])
  for j = i + 1, i + 2 * n, 2 do redis.call('HINCRBY', key, ARGV[j], ARGV[j + 1]) end
  i = i + 1 + 2 * n
end
return 1`,
  },
  /** KEYS: stream. ARGV: wake channel, then task ids. Queues them in order and wakes consumers once. */
  fxEnqueue: {
    numberOfKeys: 1,
    lua: `
for i = 2, #ARGV do redis.call('XADD', KEYS[1], '*', 't', ARGV[i]) end
redis.call('PUBLISH', ARGV[1], '')
return 1`,
  },
  /** KEYS: stream. ARGV: consumer group, then entry ids. Acknowledges and deletes them. */
  fxAck: {
    numberOfKeys: 1,
    lua: `
-- In slices: unpack has a limit on how many values it returns.
for i = 2, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, last))
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
end
return 1`,
  },
} as const;

/** The name of one script. */
export type ScriptName = keyof typeof SCRIPTS;
