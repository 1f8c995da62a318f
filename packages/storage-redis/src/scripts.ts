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
 * `countAll` judges the windows KEYS[first..last], then counts this event in every one — or in none.
 * Its arguments start at `argAt`: first the options of every window, then two per window (limit,
 * windowMs). The options are "" when every window counts one event and has no tripwire (the common
 * case: nothing to parse), else a comma list of four per window: weight (events this operation
 * counts), ratioKey (the KEYS index of the verified-events window of a conversion tripwire, 0 for
 * none), minEvents and minRatio. (Two arguments per window instead of six: every argument costs
 * the client its encoding and the server its parsing, on every send.) It drops from each head the events that left the window (amortized O(1),
 * and invisible: they no longer count), refuses when the live events plus the weight would pass
 * the limit, or when a tripwire window holds at least minEvents with fewer than minRatio as many
 * verified ones; only when nothing refuses does it push the events. The script runs alone, so the
 * decision and the counting are one step. A shared log (several rules on one key, `RateHit.also`)
 * passes its limits and windows as comma lists in its two arguments: it is trimmed by its
 * longest window and each rule judges the events inside its own. Returns nil when every rule had
 * room, else the index of the rule that refuses for longest and how long.
 */
const windows = `
local function trimmed(key, now, window)
  local length = redis.call('LLEN', key)
  while length > 0 and tonumber(redis.call('LINDEX', key, 0)) <= now - window do
    redis.call('LPOP', key)
    length = length - 1
  end
  return length
end
local function countAll(first, last, argAt, nowArg)
  local now = tonumber(nowArg)
  local worstIndex, worstRetry = nil, -1
  local existed, longest, weights = {}, {}, {}
  local options = nil
  if ARGV[argAt] ~= '' then
    options = {}
    for value in string.gmatch(ARGV[argAt], '[^,]+') do options[#options + 1] = value end
  end
  for i = first, last do
    local at = argAt + 1 + (i - first) * 2
    local weight, ratioKey, minEvents, minRatio = 1, 0, 0, 0
    if options then
      local o = (i - first) * 4
      weight, ratioKey = tonumber(options[o + 1]), tonumber(options[o + 2])
      minEvents, minRatio = tonumber(options[o + 3]), tonumber(options[o + 4])
    end
    weights[i] = weight
    local limit, window, live
    local retry = -1
    local shared = string.find(ARGV[at + 1], ',', 1, true)
    if shared then
      -- A shared log: several rules, comma lists of limits and windows. The log keeps the longest
      -- window's events; each rule judges the newest ones, inside its own window.
      local limits, windows = {}, {}
      for value in string.gmatch(ARGV[at], '%d+') do limits[#limits + 1] = tonumber(value) end
      window = 0
      for value in string.gmatch(ARGV[at + 1], '%d+') do
        local each = tonumber(value)
        windows[#windows + 1] = each
        if each > window then window = each end
      end
      live = trimmed(KEYS[i], now, window)
      local times = live > 0 and redis.call('LRANGE', KEYS[i], 0, -1) or {}
      for r = 1, #limits do
        -- times[1 .. outside] left this rule's window; the rest are inside it.
        local outside = live
        while outside > 0 and tonumber(times[outside]) > now - windows[r] do outside = outside - 1 end
        local inside = live - outside
        if inside + weight > limits[r] then
          local mustLeave = inside + weight - limits[r]
          local wait = windows[r]
          if mustLeave <= inside then wait = tonumber(times[outside + mustLeave]) + windows[r] - now end
          if wait > retry then retry = wait end
        end
      end
      limit = limits[1]
      longest[i] = string.format('%d', window)
    else
      limit, window = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
      live = trimmed(KEYS[i], now, window)
      longest[i] = ARGV[at + 1]
    end
    existed[i] = live > 0
    if not shared and live + weight > limit then
      -- The oldest events inside the window leave it first; enough must leave for the weight to fit.
      local mustLeave = live + weight - limit
      if mustLeave <= live then
        retry = tonumber(redis.call('LINDEX', KEYS[i], mustLeave - 1)) + window - now
      else
        retry = window
      end
    end
    if ratioKey > 0 and live >= minEvents then
      local verified = trimmed(KEYS[ratioKey], now, window)
      if verified < minRatio * live then
        local wait = tonumber(redis.call('LINDEX', KEYS[i], 0)) + window - now
        if wait > retry then retry = wait end
      end
    end
    if retry >= 0 and retry > worstRetry then worstIndex, worstRetry = i - first + 1, retry end
  end
  if worstIndex then return worstIndex, worstRetry end
  for i = first, last do
    for _ = 1, weights[i] do redis.call('RPUSH', KEYS[i], nowArg) end
    if existed[i] then
      -- GT: never shorten a longer TTL that a longer rule on the same key gave the list.
      redis.call('PEXPIRE', KEYS[i], longest[i], 'GT')
    else
      redis.call('PEXPIRE', KEYS[i], longest[i])
    end
  end
  return nil, nil
end
`;

/**
 * A record is one string: a header of seven lines, then the opaque data —
 * `retainUntil \n expiresAt \n attempts \n maxAttempts \n id \n hash \n linkHash ("" = none) \n data`.
 * One GET reads it and one SET writes it (cheaper in Redis than a hash's eight fields); the
 * numbers come first so a script can read them with one pattern match.
 */
const header = String.raw`^(%d+)\n(%d+)\n(%d+)\n(%d+)\n([^\n]*)\n([^\n]*)\n([^\n]*)\n`;

// Replies are as small as the answer allows (a bulk string or an integer parses faster than an
// array of status strings), and an optional id travels as one argument: "" for none, else "=" and
// the id — ids are never empty, but the marker keeps "no id" and "empty id" apart regardless.

/**
 * put — KEYS[1]: the record; KEYS[2 .. 1+n]: the rate windows counted with this write; then the
 * tripwires' verified-events windows.
 * ARGV: now, ifId marker, carry ("1" or ""), n, the encoded record (its TTL is its retainUntil -
 * now), then the windows' options and two arguments per window (see countAll).
 * Reply: 0 (written, nothing was pending) | the previous encoded record (still pending: written over,
 * or kept when ifId did not match) | {ruleIndex (1-based), retryAfterMs} when a window refused.
 * With carry, a new record over a live previous one (not expired, not exhausted) takes over its
 * attempts and its expiry when sooner: a resend never buys more guesses or time.
 */
export const putScript = `${windows}
local now = tonumber(ARGV[1])
local previous = redis.call('GET', KEYS[1])
local previousId = nil
if previous then
  local retainUntil, id = string.match(previous, '^(%d+)\\n%d+\\n%d+\\n%d+\\n([^\\n]*)\\n')
  -- A record kept past its retention is gone, whatever the server's TTL says (the core's clock rules).
  if tonumber(retainUntil) <= now then previous = nil else previousId = id end
end
local reply = previous or 0
if ARGV[2] ~= '' and previousId ~= string.sub(ARGV[2], 2) then return reply end
local windowCount = tonumber(ARGV[4])
if windowCount > 0 then
  local refused, retryAfter = countAll(2, 1 + windowCount, 6, ARGV[1])
  if refused then return {refused, retryAfter} end
end
local value = ARGV[5]
if ARGV[3] ~= '' and previous then
  local _, _, oldExpires, oldAttempts, oldMax = string.find(previous, '^%d+\\n(%d+)\\n(%d+)\\n(%d+)\\n')
  if now < tonumber(oldExpires) and tonumber(oldAttempts) < tonumber(oldMax) then
    local retain, expires, _, rest = string.match(value, '^(%d+)\\n(%d+)\\n(%d+)\\n(.*)$')
    if tonumber(oldExpires) < tonumber(expires) then expires = oldExpires end
    value = retain .. '\\n' .. expires .. '\\n' .. oldAttempts .. '\\n' .. rest
  end
end
local ttl = tonumber(string.match(value, '^%d+')) - now
if ttl > 0 then
  redis.call('SET', KEYS[1], value, 'PX', ttl)
else
  redis.call('DEL', KEYS[1]) -- replaced by a record that is already past its retention
end
return reply
`;

/** What `check` answers when it does not approve (an approval is the record itself, a string). */
export const checkReply = {
  notFound: -1,
  expired: -2,
  tooManyAttempts: -3,
  locked: -4,
  limited: -5,
} as const;

/**
 * The body of both check scripts, after their own prologue has set `hashAt` (the ARGV index of the
 * first candidate hash) and `counterAt` (the counters are KEYS[counterAt + 1 ..]). The order of the
 * tests is the contract's: counters, gone or superseded, expired, exhausted, compare.
 * A counter is one string `count:lockedUntil:expiresAt` that expires with its retention.
 */
const checkBody = `
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
local hashCount = tonumber(ARGV[3])
local counters = #KEYS - counterAt
local counterArgs = hashAt + hashCount - 1
local counts = {}
local refusing = 0
for i = 1, counters do
  local stored = redis.call('GET', KEYS[counterAt + i])
  local count = 0
  if stored then
    local c, lockedUntil, expiresAt = string.match(stored, '^(%d+):(%d+):(%d+)$')
    if c and tonumber(expiresAt) > now then
      count = tonumber(c)
      local wait = tonumber(lockedUntil) - now
      if wait > refusing then refusing = wait end
    end
  end
  counts[i] = count
end
if refusing > 0 then return {${checkReply.locked}, refusing} end

local value = redis.call('GET', KEYS[1])
if not value then return ${checkReply.notFound} end
local _, _, retainUntil, expiresAt, attempts, maxAttempts, id, hash, linkHash =
  string.find(value, '${header}')
if tonumber(retainUntil) <= now then
  redis.call('DEL', KEYS[1])
  return ${checkReply.notFound}
end
if ARGV[2] ~= '' and id ~= string.sub(ARGV[2], 2) then return ${checkReply.notFound} end
if now >= tonumber(expiresAt) then return ${checkReply.expired} end
attempts, maxAttempts = tonumber(attempts), tonumber(maxAttempts)
if attempts >= maxAttempts then return ${checkReply.tooManyAttempts} end
local match = false
for i = hashAt, counterArgs do
  -- Both comparisons run for every candidate, matched or not.
  local codeMatches = equal(ARGV[i], hash)
  local linkMatches = linkHash ~= '' and equal(ARGV[i], linkHash)
  match = codeMatches or linkMatches or match
end
if match then
  redis.call('DEL', KEYS[1])
  for i = 1, counters do redis.call('DEL', KEYS[counterAt + i]) end
  return value
end
-- A wrong code: one more consecutive failure on every counter (refusing from its threshold on,
-- the backoff doubling per failure up to its maximum).
for i = 1, counters do
  -- One argument per counter, read only here (a right code never needs it).
  local t, b, m, r = string.match(ARGV[counterArgs + i], '^([^,]*),([^,]*),([^,]*),([^,]*)$')
  local threshold, backoff, maxBackoff, retain = tonumber(t), tonumber(b), tonumber(m), tonumber(r)
  local count = counts[i] + 1
  local lockedUntil = 0
  if count >= threshold then
    local doublings = count - threshold
    if doublings > 40 then doublings = 40 end
    local wait = backoff * (2 ^ doublings)
    if wait > maxBackoff then wait = maxBackoff end
    lockedUntil = now + wait
  end
  local until_ = now + retain
  if lockedUntil > until_ then until_ = lockedUntil end
  redis.call('SET', KEYS[counterAt + i], string.format('%d:%d:%d', count, lockedUntil, until_),
    'PX', string.format('%d', until_ - now))
end
-- Count the attempt: the same record with attempts + 1, keeping its TTL.
redis.call('SET', KEYS[1], retainUntil .. '\\n' .. expiresAt .. '\\n' .. (attempts + 1) .. '\\n' ..
  string.sub(value, #retainUntil + #expiresAt + #tostring(attempts) + 4), 'KEEPTTL')
local left = maxAttempts - attempts - 1
if left > 0 then return left end
return ${checkReply.tooManyAttempts}
`;

/**
 * check — KEYS[1]: the record; KEYS[2..]: consecutive-failure counters.
 * ARGV: now, id marker, the number of candidate hashes, the hashes, then one per counter: its
 * threshold, backoffMs, maxBackoffMs and retainMs as a comma list.
 * Reply: the encoded record (approved, now consumed; counters deleted) | attemptsLeft > 0 (invalid;
 * every counter counted) | -1 not found | -2 expired | -3 too many attempts | {-4, retryAfterMs}
 * (a counter is refusing: nothing looked at).
 */
export const checkScript = `
local hashAt, counterAt = 4, 1
${checkBody}`;

/**
 * check with rate hits (`CheckInput.hits`): the same check, after the hits were judged and counted
 * in the same script — one round trip where a separate hit would take two, and atomic with the
 * check (no other command runs in between).
 * KEYS[1]: the record; KEYS[2 .. 1+n]: the hits' windows, then the tripwires' verified-events
 * windows (w keys of windows in all); then the consecutive-failure counters.
 * ARGV: now, id marker, the number of candidate hashes, n, w, the windows' options and two
 * arguments per window (see countAll), the hashes, then one per counter (as in check).
 * Reply: as check's, or {-5, ruleIndex (1-based), retryAfterMs} when a window refused: then
 * nothing was counted (countAll is all or nothing) and nothing else looked at. Otherwise every
 * window has counted this check before the counters are even read: a locked, wrong, expired or
 * missing code spends the requester's budget too (the contract: hits are judged first).
 */
export const checkHitsScript = `${windows}
local hitCount, windowKeys = tonumber(ARGV[4]), tonumber(ARGV[5])
local refused, retryAfter = countAll(2, 1 + hitCount, 6, ARGV[1])
if refused then return {${checkReply.limited}, refused, retryAfter} end
local hashAt, counterAt = 7 + 2 * hitCount, 1 + windowKeys
${checkBody}`;

/**
 * hit — KEYS[1..n]: the rate windows, then the tripwires' verified-events windows.
 * ARGV: now, n, then the windows' options and two arguments per window (see countAll).
 * Reply: 0 | {ruleIndex (1-based), retryAfterMs}.
 */
export const hitScript = `${windows}
local refused, retryAfter = countAll(1, tonumber(ARGV[2]), 3, ARGV[1])
if refused then return {refused, retryAfter} end
return 0
`;

/**
 * read — KEYS[1]: the record. ARGV: now. Reply: the encoded record, or 0 when there is none or it
 * is past its retention. Changes nothing.
 */
export const readScript = `
local value = redis.call('GET', KEYS[1])
if not value or tonumber(string.match(value, '^%d+')) <= tonumber(ARGV[1]) then return 0 end
return value
`;

/**
 * delete — KEYS[1]: the record. ARGV: id marker. Reply: 1 when a record was removed, else 0.
 */
export const deleteScript = `
if ARGV[1] ~= '' then
  local value = redis.call('GET', KEYS[1])
  if not value or string.match(value, '^%d+\\n%d+\\n%d+\\n%d+\\n([^\\n]*)\\n') ~= string.sub(ARGV[1], 2) then return 0 end
end
return redis.call('DEL', KEYS[1])
`;

/**
 * release — KEYS: the rate windows. ARGV[1]: the instant whose events to give back; ARGV[1 + i]:
 * how many (the weight counted) for window i.
 * Removes that many events recorded at exactly that instant from each window (the newest such:
 * LREM with a negative count searches from the tail). An emptied list disappears, as Redis does.
 * Reply: 0.
 */
export const releaseScript = `
for i = 1, #KEYS do redis.call('LREM', KEYS[i], -tonumber(ARGV[1 + i]), ARGV[1]) end
return 0
`;
