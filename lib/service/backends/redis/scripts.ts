/**
 * The Lua scripts that make the Redis backend's deciding operations atomic: each runs alone on
 * the server, so a check and its write cannot be split by another replica. Task records are
 * hashes; a field that is absent is null.
 */

/** Status ranks, as in lib/service/core/statusRank.ts. */
const RANKS = `local RANK = { ['waiting-for-ep'] = 0, ['waiting-for-nodes'] = 1, ['waiting-for-launch'] = 2, running = 3, success = 4, failed = 4, cancelled = 4 }`;

/** Lowers the live-reference counts of a task's function and endpoint. */
const UNREFERENCE = `
local function unreference(refs, fn, ep)
  for _, id in ipairs({ fn, ep }) do
    if redis.call('HINCRBY', refs, id, -1) <= 0 then redis.call('HDEL', refs, id) end
  end
end`;

export const SCRIPTS = {
  /** KEYS: task, queued, refs. ARGV: id, queuedAt, functionId, endpointId, then field/value pairs. */
  fxInsertTask: {
    numberOfKeys: 3,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGETALL', KEYS[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
return false`,
  },
  /** KEYS: task, queued. ARGV: id, endpointId, to. */
  fxAdvance: {
    numberOfKeys: 2,
    lua: `${RANKS}
local current = redis.call('HMGET', KEYS[1], 'status', 'endpointId')
if not current[1] or current[2] ~= ARGV[2] then return false end
local from, to = RANK[current[1]], RANK[ARGV[3]]
if from == nil or to == nil or from == 4 or to == 4 or to <= from then return false end
local before = redis.call('HGETALL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', ARGV[3])
if current[1] == 'waiting-for-ep' then redis.call('ZREM', KEYS[2], ARGV[1]) end
return before`,
  },
  /** KEYS: task, queued. ARGV: id, now. */
  fxRequeue: {
    numberOfKeys: 2,
    lua: `${RANKS}
local status = redis.call('HGET', KEYS[1], 'status')
if not status or RANK[status] == 4 then return false end
local before = redis.call('HGETALL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', 'waiting-for-ep', 'queuedAt', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return before`,
  },
  /**
   * KEYS: task, queued, ended, refs. ARGV: id, status, completedAt, endpointId ('' for any),
   * hasResult, result, hasException, exception, ttlSeconds.
   */
  fxComplete: {
    numberOfKeys: 4,
    lua: `${RANKS}${UNREFERENCE}
local current = redis.call('HMGET', KEYS[1], 'status', 'endpointId', 'functionId', 'payload')
if not current[1] or RANK[current[1]] == 4 then return false end
if ARGV[4] ~= '' and current[2] ~= ARGV[4] then return false end
local before = redis.call('HGETALL', KEYS[1])
if current[4] then
  redis.call('HSET', KEYS[1], 'payloadDigest', redis.sha1hex(current[4]))
  redis.call('HDEL', KEYS[1], 'payload')
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'completedAt', ARGV[3])
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'result', ARGV[6]) end
if ARGV[7] == '1' then redis.call('HSET', KEYS[1], 'exception', ARGV[8]) end
-- A backstop: the sweep deletes ended tasks on time; a record no sweep reached still goes.
redis.call('EXPIRE', KEYS[1], ARGV[9])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
unreference(KEYS[4], current[3], current[2])
return before`,
  },
  /** KEYS: task, queued, ended, refs. ARGV: id. */
  fxDeleteTask: {
    numberOfKeys: 4,
    lua: `${RANKS}${UNREFERENCE}
local before = redis.call('HGETALL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if #before == 0 then return false end
redis.call('DEL', KEYS[1])
local task = {}
for i = 1, #before, 2 do task[before[i]] = before[i + 1] end
if RANK[task.status] ~= 4 then unreference(KEYS[4], task.functionId, task.endpointId) end
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
  /** KEYS: group, group tasks. ARGV: task ids, in submit order. */
  fxAddTasks: {
    numberOfKeys: 2,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for _, id in ipairs(ARGV) do
  if not redis.call('ZSCORE', KEYS[2], id) then
    redis.call('ZADD', KEYS[2], redis.call('HINCRBY', KEYS[1], 'seq', 1), id)
  end
end
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
  /** KEYS: total hash, user hash. ARGV: from ('' for none), to ('' for none). */
  fxMoveTask: {
    numberOfKeys: 2,
    lua: `${RANKS}
local from, to = ARGV[1], ARGV[2]
local wasOpen = from ~= '' and RANK[from] ~= 4
local isOpen = to ~= '' and RANK[to] ~= 4
for _, key in ipairs(KEYS) do
  if from ~= '' then redis.call('HINCRBY', key, 'status:' .. from, -1) end
  if to ~= '' then redis.call('HINCRBY', key, 'status:' .. to, 1) end
  if wasOpen ~= isOpen then redis.call('HINCRBY', key, 'outstanding', isOpen and 1 or -1) end
end
return 1`,
  },
} as const;

/** The name of one script. */
export type ScriptName = keyof typeof SCRIPTS;
