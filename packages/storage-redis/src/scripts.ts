/**
 * The Lua scripts, one per store operation. Redis runs a script alone: no other command interleaves
 * between its reads and its writes, which is what makes every operation atomic — and one script
 * is one round trip.
 *
 * Numbers arrive as decimal strings and are written back as the same strings: Lua 5.1 numbers are
 * doubles, and formatting one (`tostring`) could turn an epoch-ms into `1.7e+12`.
 */

/**
 * Sliding-log rate windows (exact, not approximate): each window key is a list of event times in
 * epoch ms, oldest first. `refusal` drops the events that left each window and returns the index
 * of the rule that refuses for longest (and how long), or nil when every rule has room; `count`
 * then records the event in every window. Callers run `count` only when `refusal` returned nil,
 * inside the same script, which makes the hits all-or-nothing.
 */
const windows = `
local function refusal(first, argAt, now)
  local worstIndex, worstRetry = nil, -1
  for i = first, #KEYS do
    local at = argAt + (i - first) * 2
    local limit, window = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
    local times = redis.call('LRANGE', KEYS[i], 0, -1)
    local stale = 0
    while stale < #times and tonumber(times[stale + 1]) <= now - window do stale = stale + 1 end
    if stale > 0 then redis.call('LTRIM', KEYS[i], stale, -1) end
    local live = #times - stale
    if live >= limit then
      -- The oldest event inside the window leaves it first: that frees one slot.
      local retry = tonumber(times[stale + live - limit + 1]) + window - now
      if retry > worstRetry then worstIndex, worstRetry = i - first + 1, retry end
    end
  end
  return worstIndex, worstRetry
end

local function count(first, argAt, nowArg)
  for i = first, #KEYS do
    local window = tonumber(ARGV[argAt + (i - first) * 2 + 1])
    redis.call('RPUSH', KEYS[i], nowArg)
    -- The list may vanish once its newest event left the window (never shorten a longer TTL).
    if redis.call('PTTL', KEYS[i]) < window then redis.call('PEXPIRE', KEYS[i], window) end
  end
end
`;

/** The record hash's fields, in the order every script reads and replies them. */
const recordFields = `'id', 'hash', 'linkHash', 'expiresAt', 'attempts', 'maxAttempts', 'data', 'retainUntil'`;

/**
 * put — KEYS[1]: the record (a hash); KEYS[2..]: the rate windows counted with this write.
 * ARGV: now, ttlMs, retainUntil, hasIfId ("1"/"0"), ifId, id, hash, linkHash ("" = none),
 * expiresAt, attempts, maxAttempts, data, then a limit and windowMs per window.
 * Reply: {"ok"} | {"ok", id, hash, linkHash, expiresAt, attempts, maxAttempts, data} (the previous
 * record) | {"limited", ruleIndex (1-based), retryAfterMs}.
 */
export const putScript = `${windows}
local now = tonumber(ARGV[1])
local previous = redis.call('HMGET', KEYS[1], ${recordFields})
-- A record kept past its retention is gone, whatever the server's TTL says (the core's clock rules).
if previous[1] and tonumber(previous[8]) <= now then previous = {} end
local reply = {'ok'}
if previous[1] then
  reply = {'ok', previous[1], previous[2], previous[3] or '', previous[4], previous[5], previous[6], previous[7]}
end
if ARGV[4] == '1' and previous[1] ~= ARGV[5] then return reply end
local refused, retryAfter = refusal(2, 13, now)
if refused then return {'limited', refused, retryAfter} end
count(2, 13, ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[6], 'hash', ARGV[7], 'expiresAt', ARGV[9], 'attempts', ARGV[10],
  'maxAttempts', ARGV[11], 'data', ARGV[12], 'retainUntil', ARGV[3])
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'linkHash', ARGV[8]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return reply
`;

/**
 * check — KEYS[1]: the record. ARGV: now, hasId ("1"/"0"), id, then the candidate hashes.
 * Reply: {"approved", id, hash, linkHash, expiresAt, attempts, maxAttempts, data} |
 * {"invalid", attemptsLeft} | {"too_many_attempts"} | {"expired"} | {"not_found"}.
 * The order of the tests is the contract's: gone or superseded, expired, exhausted, then compare.
 */
export const checkScript = `
-- Runs in time that depends only on the lengths, which are public (every HMAC here has 43
-- characters): XOR every byte pair and look at the sum once, never stopping at the first difference.
local function equal(a, b)
  if #a ~= #b then return false end
  local diff = 0
  for i = 1, #a do diff = bit.bor(diff, bit.bxor(string.byte(a, i), string.byte(b, i))) end
  return diff == 0
end

local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[1], ${recordFields})
if not r[1] then return {'not_found'} end
if tonumber(r[8]) <= now then
  redis.call('DEL', KEYS[1])
  return {'not_found'}
end
if ARGV[2] == '1' and r[1] ~= ARGV[3] then return {'not_found'} end
if now >= tonumber(r[4]) then return {'expired'} end
local attempts, maxAttempts = tonumber(r[5]), tonumber(r[6])
if attempts >= maxAttempts then return {'too_many_attempts'} end
local match = false
for i = 4, #ARGV do
  -- Both comparisons run for every candidate, matched or not.
  local codeMatches = equal(ARGV[i], r[2])
  local linkMatches = r[3] and equal(ARGV[i], r[3])
  match = codeMatches or linkMatches or match
end
if match then
  redis.call('DEL', KEYS[1])
  return {'approved', r[1], r[2], r[3] or '', r[4], r[5], r[6], r[7]}
end
local left = maxAttempts - redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if left > 0 then return {'invalid', left} end
return {'too_many_attempts'}
`;

/**
 * hit — KEYS: the rate windows. ARGV: now, then a limit and windowMs per window.
 * Reply: {"ok"} | {"limited", ruleIndex (1-based), retryAfterMs}.
 */
export const hitScript = `${windows}
local refused, retryAfter = refusal(1, 2, tonumber(ARGV[1]))
if refused then return {'limited', refused, retryAfter} end
count(1, 2, ARGV[1])
return {'ok'}
`;

/**
 * delete — KEYS[1]: the record. ARGV: hasId ("1"/"0"), id. Reply: 1 when a record was removed, else 0.
 */
export const deleteScript = `
if ARGV[1] == '1' and redis.call('HGET', KEYS[1], 'id') ~= ARGV[2] then return 0 end
return redis.call('DEL', KEYS[1])
`;
