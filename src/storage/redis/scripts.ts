// Over 400 lines: every Lua script of the Redis adapter in one place, as storage/redis/keys.ts has every key shape.
/**
 * @module
 * Lua scripts of the Redis adapter. Each is registered once in client.ts with ioredis
 * `defineCommand`, which handles EVALSHA caching. Every key a script touches is declared in KEYS
 * and the keys of one call share a hash tag, so the scripts run on Redis Cluster too. Numbers that
 * may exceed 2^31 are passed and returned as integers (Lua doubles are exact up to 2^53).
 */

/** A script and the number of KEYS it takes (undefined: the caller passes numkeys first). */
export interface ScriptDefinition {
  numberOfKeys?: number
  lua: string
}

/**
 * Admission check of one request (LimitsRepository.admit). Nothing is written on rejection,
 * except that expired leases are pruned.
 *
 * KEYS[1] key lease ZSET, KEYS[2] key window HASH, KEYS[3] sticky key (read only when ARGV[10]=1),
 * KEYS[4..] key-scope usage counter HASH of each cost cap, in cap order.
 */
export const ADMIT = `
--[[
  Admits one request.
  Input:
    KEYS[1] lease zset           KEYS[2] window hash         KEYS[3] sticky string
    KEYS[3+i] usage counter hash of cost cap i
    ARGV[1] now (ms)             ARGV[2] lease id
    ARGV[3] concurrency limit (-1 = no concurrency check)   ARGV[4] lease ms
    ARGV[5] window length ms (0 = no window)
    ARGV[6] max requests  ARGV[7] max tokens  ARGV[8] max cost nanos (0 = unlimited)
    ARGV[9] number of cost caps  ARGV[10] 1 when the sticky mapping is read
    ARGV[11+3(i-1)..] per cap: name, limit nanos, reset at ('' = never)
  Returns:
    {1, stickyAccountId|false, windowStart, concurrency} when admitted
    {0, reason, limit, current, resetAt|false} when refused
]]
local rcall = redis.call
local now = tonumber(ARGV[1])
local concLimit = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
local winLen = tonumber(ARGV[5])

local active = 0
if concLimit >= 0 then
  rcall('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  active = rcall('ZCARD', KEYS[1])
  if active >= concLimit then
    return {0, 'concurrency', concLimit, active, false}
  end
end

local winStart = 0
local fresh = false
if winLen > 0 then
  local w = rcall('HMGET', KEYS[2], 'start', 'requests', 'tokens', 'costNanos')
  local start = tonumber(w[1])
  if start == nil or now - start >= winLen then
    winStart = now
    fresh = true
  else
    winStart = start
    local resetAt = start + winLen
    local requests = tonumber(w[2]) or 0
    local tokens = tonumber(w[3]) or 0
    local cost = tonumber(w[4]) or 0
    local maxRequests = tonumber(ARGV[6])
    local maxTokens = tonumber(ARGV[7])
    local maxCost = tonumber(ARGV[8])
    if maxRequests > 0 and requests >= maxRequests then
      return {0, 'window-requests', maxRequests, requests, resetAt}
    end
    if maxTokens > 0 and tokens >= maxTokens then
      return {0, 'window-tokens', maxTokens, tokens, resetAt}
    end
    if maxCost > 0 and cost >= maxCost then
      return {0, 'window-cost', maxCost, cost, resetAt}
    end
  end
end

local caps = tonumber(ARGV[9])
for i = 1, caps do
  local base = 11 + (i - 1) * 3
  local limit = tonumber(ARGV[base + 1])
  local current = tonumber(rcall('HGET', KEYS[3 + i], 'costNanos')) or 0
  if current >= limit then
    local resetAt = false
    if ARGV[base + 2] ~= '' then resetAt = tonumber(ARGV[base + 2]) end
    return {0, ARGV[base], limit, current, resetAt}
  end
end

if winLen > 0 then
  if fresh then
    rcall('HSET', KEYS[2], 'start', winStart, 'requests', 0, 'tokens', 0, 'costNanos', 0)
  end
  rcall('HINCRBY', KEYS[2], 'requests', 1)
  -- A relative TTL keeps working when the caller's clock differs from the server's.
  local ttl = winStart + winLen - now
  if ttl < 1 then ttl = 1 end
  rcall('PEXPIRE', KEYS[2], ttl)
end

local concurrency = 0
if concLimit >= 0 then
  rcall('ZADD', KEYS[1], now + leaseMs, ARGV[2])
  rcall('PEXPIRE', KEYS[1], leaseMs + 60000)
  concurrency = rcall('ZCARD', KEYS[1])
end

local sticky = false
if ARGV[10] == '1' then
  sticky = rcall('GET', KEYS[3])
end
return {1, sticky, winStart, concurrency}
`

/** Pushes one live lease to a new expiry. */
export const RENEW_LEASE = `
--[[
  Renews a lease if it is still alive.
  Input:
    KEYS[1] lease zset
    ARGV[1] lease id   ARGV[2] now (ms)   ARGV[3] lease ms
  Returns: 1 when renewed, 0 when the lease was gone or expired.
]]
local rcall = redis.call
local now = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
local score = tonumber(rcall('ZSCORE', KEYS[1], ARGV[1]))
if score == nil or score <= now then return 0 end
rcall('ZADD', KEYS[1], now + leaseMs, ARGV[1])
rcall('PEXPIRE', KEYS[1], leaseMs + 60000)
return 1
`

/** Adds a finished request's tokens and cost to the window that admitted it. */
export const ADD_WINDOW_USAGE = `
--[[
  Adds usage to a rate window, only while it is the window that admitted the request, and once per
  usage batch: the window keeps the ids of the last 8 batches it took (field 'batches'), so a retry
  after a lost reply changes nothing.
  Input:
    KEYS[1] window hash
    ARGV[1] window start (ms)   ARGV[2] tokens   ARGV[3] cost nanos   ARGV[4] batch id ('' = none)
  Returns: 1 when added, 0 when the window has changed or is gone, 2 when the batch was taken before.
]]
local rcall = redis.call
local start = tonumber(rcall('HGET', KEYS[1], 'start'))
if start == nil or start ~= tonumber(ARGV[1]) then return 0 end
local batch = ARGV[4]
local seen = ''
if batch ~= '' then
  seen = rcall('HGET', KEYS[1], 'batches') or ''
  if string.find(',' .. seen .. ',', ',' .. batch .. ',', 1, true) then return 2 end
end
rcall('HINCRBY', KEYS[1], 'tokens', ARGV[2])
rcall('HINCRBY', KEYS[1], 'costNanos', ARGV[3])
if batch ~= '' then
  local kept = { batch }
  for id in string.gmatch(seen, '[^,]+') do
    if #kept >= 8 then break end
    kept[#kept + 1] = id
  end
  rcall('HSET', KEYS[1], 'batches', table.concat(kept, ','))
end
return 1
`

/** Takes an account lease when fewer than the limit are alive. */
export const ACQUIRE_ACCOUNT_LEASE = `
--[[
  Acquires an account lease.
  Input:
    KEYS[1] account lease zset
    ARGV[1] lease id   ARGV[2] limit   ARGV[3] lease ms   ARGV[4] now (ms)
  Returns: 1 when acquired, 0 when the limit is reached.
]]
local rcall = redis.call
local now = tonumber(ARGV[4])
local leaseMs = tonumber(ARGV[3])
rcall('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if rcall('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
rcall('ZADD', KEYS[1], now + leaseMs, ARGV[1])
rcall('PEXPIRE', KEYS[1], leaseMs + 60000)
return 1
`

/** Deletes a lock only when its owner still holds it. */
export const RELEASE_LOCK = `
--[[
  Compare-and-delete of a lock.
  Input:
    KEYS[1] lock key
    ARGV[1] owner
  Returns: 1 when released, 0 when the lock is held by someone else or gone.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

/** Increments a temp counter, starting its expiry on the first increment. */
export const INCREMENT_TEMP = `
--[[
  Fixed-window counter.
  Input:
    KEYS[1] counter key
    ARGV[1] ttl ms
  Returns: the new value.
]]
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`

/** Replaces or deletes one history record with its indexes, byte total and hourly aggregates. */
export const HISTORY_SWAP = `
--[[
  Compare-and-swap of one history record. Applies only while the stored summary is still the one
  the caller read, so a concurrent rewrite or delete never counts a record twice in the hourly
  aggregates. Aggregate fields that drop to 0 are removed, so the hash of an emptied hour
  disappears. The record hash is not under the {h} tag: standalone Redis only (like the MULTI
  this replaced); KEYS[2..] share {h}.
  Input (numkeys first):
    KEYS[1] record hash {s, b, z}        KEYS[2] stored-bytes counter
    then ARGV[4] index zsets of the old record (ZREM)
    then ARGV[5] index zsets of the new record (ZADD)
    then ARGV[6] aggregate hashes of the old record (field deltas A)
    then ARGV[7] aggregate hashes of the new record (field deltas B)
    ARGV[1] record id   ARGV[2] expected summary JSON ('' = no summary stored)
    ARGV[3] new summary JSON ('' = delete the record)
    ARGV[4..7] the four key counts above
    ARGV[8] new bodies JSON   ARGV[9] new stored bytes   ARGV[10] new score (startTime)
    ARGV[11] number of A pairs, then A as field, signed delta; then the number of B pairs and B
  Returns: {applied (0 = the record changed since it was read), existed (1 = a hash was there)}
]]
local rcall = redis.call
local cur = rcall('HGET', KEYS[1], 's')
if cur == false then cur = '' end
if cur ~= ARGV[2] then return {0, 0} end
local existed = rcall('EXISTS', KEYS[1])
local oldBytes = tonumber(rcall('HGET', KEYS[1], 'z')) or 0
local nOldIdx = tonumber(ARGV[4])
local nNewIdx = tonumber(ARGV[5])
local nOldAgg = tonumber(ARGV[6])
local nNewAgg = tonumber(ARGV[7])
local k = 3
for _ = 1, nOldIdx do
  rcall('ZREM', KEYS[k], ARGV[1])
  k = k + 1
end
local newIdx = k
local oldAgg = newIdx + nNewIdx
local newAgg = oldAgg + nOldAgg

local function apply(first, count, a)
  local n = tonumber(ARGV[a])
  for j = first, first + count - 1 do
    for p = 0, n - 1 do
      local field = ARGV[a + 1 + 2 * p]
      if rcall('HINCRBY', KEYS[j], field, ARGV[a + 2 + 2 * p]) == 0 then
        rcall('HDEL', KEYS[j], field)
      end
    end
  end
  return a + 1 + 2 * n
end

local a = apply(oldAgg, nOldAgg, 11)
if existed == 1 then
  rcall('DEL', KEYS[1])
  if oldBytes ~= 0 then rcall('DECRBY', KEYS[2], oldBytes) end
end
if ARGV[3] ~= '' then
  rcall('HSET', KEYS[1], 's', ARGV[3], 'b', ARGV[8], 'z', ARGV[9])
  rcall('INCRBY', KEYS[2], ARGV[9])
  for j = newIdx, newIdx + nNewIdx - 1 do
    rcall('ZADD', KEYS[j], ARGV[10], ARGV[1])
  end
  apply(newAgg, nNewAgg, a)
end
return {1, existed}
`

/** Every script by its ioredis command name. */
/**
 * Sums one field of every subject's counter over several periods, server side (a ranking reads a
 * hundred numbers back instead of thousands of hashes).
 * KEYS[i]   usage index SET of period i (its members are subject ids)
 * ARGV[1]   counter field
 * ARGV[2]   counter key text before the subject id
 * ARGV[3]   counter key text between the id and the period
 * ARGV[4]   counter key text after the period
 * ARGV[4+i] period i
 * Returns   flat array: id, sum (integer as a string), id, sum, …
 * The counter keys are derived from the index members, so this script is for single-node Redis
 * (as are the adapter's multi-key pipelines).
 */
const SUM_FIELD = `
local sums = {}
local order = {}
for i = 1, #KEYS do
  local period = ARGV[4 + i]
  local ids = redis.call('SMEMBERS', KEYS[i])
  for _, id in ipairs(ids) do
    local v = redis.call('HGET', ARGV[2] .. id .. ARGV[3] .. period .. ARGV[4], ARGV[1])
    if v then
      if not sums[id] then
        sums[id] = 0
        order[#order + 1] = id
      end
      sums[id] = sums[id] + tonumber(v)
    end
  end
end
local out = {}
for _, id in ipairs(order) do
  out[#out + 1] = id
  out[#out + 1] = string.format('%.0f', sums[id])
end
return out
`

/**
 * Pins a sticky session unless it is pinned already (LimitsRepository.claimSticky).
 * KEYS[1] sticky string; ARGV[1] account id, ARGV[2] ttl ms. Returns the pinned account id.
 */
const CLAIM_STICKY = `
local owner = redis.call('GET', KEYS[1])
if owner then return owner end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`

/**
 * Adds a batch of new history records in one call, with their indexes, the byte total and the
 * hourly aggregates, when none of them is stored yet (else writes nothing and names the stored
 * ones, which the caller then swaps one by one). The caller merges the batch: one multi-member
 * ZADD per index and one HINCRBY per aggregate field, where HISTORY_SWAP makes ~70 HINCRBYs per
 * record (measured 221 µs of Redis time per record, during which no admission script runs).
 */
export const HISTORY_ADD_BATCH = `
--[[
  Input (numkeys first):
    KEYS[1] stored-bytes counter   KEYS[2 .. n+1] record hashes
    then ARGV[2] index zsets, then ARGV[3] aggregate hashes
    ARGV[1] n   ARGV[2] index count   ARGV[3] aggregate count   ARGV[4] stored bytes of the batch
    then per record: summary JSON, bodies JSON, stored bytes
    then per index: member count m, then m pairs score, id
    then per aggregate: field count f, then f pairs field, delta
  Returns: {1} when written; {0, i...} (1-based positions of records already stored) when not.
]]
local rcall = redis.call
local n = tonumber(ARGV[1])
local nIdx = tonumber(ARGV[2])
local nAgg = tonumber(ARGV[3])
local found = {}
for i = 1, n do
  if rcall('EXISTS', KEYS[1 + i]) == 1 then found[#found + 1] = i end
end
if #found > 0 then return {0, unpack(found)} end
local a = 5
for i = 1, n do
  rcall('HSET', KEYS[1 + i], 's', ARGV[a], 'b', ARGV[a + 1], 'z', ARGV[a + 2])
  a = a + 3
end
rcall('INCRBY', KEYS[1], ARGV[4])
local k = n + 2
for _ = 1, nIdx do
  local m = tonumber(ARGV[a])
  rcall('ZADD', KEYS[k], unpack(ARGV, a + 1, a + 2 * m))
  a = a + 1 + 2 * m
  k = k + 1
end
for _ = 1, nAgg do
  local f = tonumber(ARGV[a])
  for p = 0, f - 1 do
    rcall('HINCRBY', KEYS[k], ARGV[a + 1 + 2 * p], ARGV[a + 2 + 2 * p])
  end
  a = a + 1 + 2 * f
  k = k + 1
end
return {1}
`

/** Raises last-use times in a hash (KEYS[1]); ARGV = id, ms, id, ms… Only later times are kept. */
export const RAISE_LAST_USED = `
local rcall = redis.call
for i = 1, #ARGV, 2 do
  local cur = tonumber(rcall('HGET', KEYS[1], ARGV[i]))
  if not cur or cur < tonumber(ARGV[i + 1]) then rcall('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 0
`

export const SCRIPTS = {
  crsSumField: { lua: SUM_FIELD },
  crsAdmit: { lua: ADMIT },
  crsRenewLease: { numberOfKeys: 1, lua: RENEW_LEASE },
  crsAddWindowUsage: { numberOfKeys: 1, lua: ADD_WINDOW_USAGE },
  crsAcquireAccountLease: { numberOfKeys: 1, lua: ACQUIRE_ACCOUNT_LEASE },
  crsReleaseLock: { numberOfKeys: 1, lua: RELEASE_LOCK },
  crsClaimSticky: { numberOfKeys: 1, lua: CLAIM_STICKY },
  crsIncrementTemp: { numberOfKeys: 1, lua: INCREMENT_TEMP },
  crsHistorySwap: { lua: HISTORY_SWAP },
  crsHistoryAddBatch: { lua: HISTORY_ADD_BATCH },
  crsRaiseLastUsed: { numberOfKeys: 1, lua: RAISE_LAST_USED },
} satisfies Record<string, ScriptDefinition>
