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
 * epoch ms, oldest first, that expires when its newest event leaves the window.
 *
 * `countAll` records this event in every window and checks each rule: push the event, drop from
 * the head the events that left the window (amortized O(1), whatever the limit), and compare what
 * was already inside with the limit. If any rule is over, it takes every pushed event back (RPOP)
 * before returning, so nothing was counted: the script runs alone, so nobody can observe the
 * pushed-then-popped events, and the hits are all-or-nothing. Returns nil when every rule had
 * room, else the index of the rule that refuses for longest and how long.
 */
const windows = `
local function countAll(first, argAt, nowArg)
  local now = tonumber(nowArg)
  local worstIndex, worstRetry = nil, -1
  local created = {}
  for i = first, #KEYS do
    local at = argAt + (i - first) * 2
    local limit, window = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
    local length = redis.call('RPUSH', KEYS[i], nowArg)
    created[i] = length == 1
    local stale = 0
    if length > 1 then
      -- (Never past our own event, the newest.)
      while stale < length - 1 and tonumber(redis.call('LINDEX', KEYS[i], 0)) <= now - window do
        redis.call('LPOP', KEYS[i])
        stale = stale + 1
      end
    end
    local before = length - stale - 1
    if before >= limit then
      -- The oldest event inside the window leaves it first: that frees one slot.
      local retry = tonumber(redis.call('LINDEX', KEYS[i], before - limit)) + window - now
      if retry > worstRetry then worstIndex, worstRetry = i - first + 1, retry end
    end
  end
  for i = first, #KEYS do
    if worstIndex then
      redis.call('RPOP', KEYS[i])
    elseif created[i] then
      redis.call('PEXPIRE', KEYS[i], ARGV[argAt + (i - first) * 2 + 1])
    else
      -- GT: never shorten a longer TTL that a longer rule on the same key gave the list.
      redis.call('PEXPIRE', KEYS[i], ARGV[argAt + (i - first) * 2 + 1], 'GT')
    end
  end
  return worstIndex, worstRetry
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
local refused, retryAfter = countAll(2, 13, ARGV[1])
if refused then return {'limited', refused, retryAfter} end
-- Every field is written (linkHash "" = none), so nothing of the replaced record survives.
redis.call('HSET', KEYS[1], 'id', ARGV[6], 'hash', ARGV[7], 'linkHash', ARGV[8], 'expiresAt', ARGV[9],
  'attempts', ARGV[10], 'maxAttempts', ARGV[11], 'data', ARGV[12], 'retainUntil', ARGV[3])
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
-- characters): sums the XOR of every byte pair (zero only when all are equal) and looks at the sum
-- once, never stopping at the first difference.
local bxor, byte = bit.bxor, string.byte
local function equal(a, b)
  if #a ~= #b then return false end
  local x, y = {byte(a, 1, -1)}, {byte(b, 1, -1)}
  local diff = 0
  for i = 1, #x do diff = diff + bxor(x[i], y[i]) end
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
  local linkMatches = r[3] and r[3] ~= '' and equal(ARGV[i], r[3])
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
local refused, retryAfter = countAll(1, 2, ARGV[1])
if refused then return {'limited', refused, retryAfter} end
return {'ok'}
`;

/**
 * delete — KEYS[1]: the record. ARGV: hasId ("1"/"0"), id. Reply: 1 when a record was removed, else 0.
 */
export const deleteScript = `
if ARGV[1] == '1' and redis.call('HGET', KEYS[1], 'id') ~= ARGV[2] then return 0 end
return redis.call('DEL', KEYS[1])
`;
