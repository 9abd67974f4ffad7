-- commentguard's shared rate limits: governor's GCRA, kept in Redis, one atomic call per
-- check (see src/ratelimit/redis.rs for how it is called, and governor's gcra.rs for the
-- arithmetic it mirrors).
--
-- Times are whole microseconds since the Unix epoch, from the calling instance's clock
-- (ARGV[1]), never Redis TIME: tests drive that clock, and every instance of one
-- deployment reads the same NTP time. Lua numbers are doubles: exact to 2^53 µs
-- (about 285 years), so the arithmetic below is exact.
--
-- A limit's state is one string key holding its theoretical arrival time (TAT). With
-- emission interval T (the time one cell takes to come back) and tolerance
-- tau = T * (burst - 1), a cell is allowed at `now` iff now >= TAT - tau, and then
-- TAT := max(TAT, now) + T; a missing key is a fresh limit (TAT = now). A refused cell
-- changes nothing; its wait is (TAT - tau) - now. Keys expire once TAT has passed (plus a
-- second of slack for clock skew between the instance and Redis), when they would read
-- as fresh anyway.
--
-- ARGV[2] is the mode:
--   "take":    KEYS[1..n] are limits checked in order, ARGV[3+2(i-1)] and ARGV[4+2(i-1)]
--              are T and tau of KEYS[i]. Each limit that allows the cell keeps it, even
--              when a later one refuses (a flood is a flood).
--              Returns {0, 0} when all allowed, or {i, wait_us} when KEYS[i] refused.
--   "lockout": the failed-authentication limit. KEYS[1] is the limit (T = ARGV[3],
--              tau = ARGV[4]); KEYS[2] holds the time until which the client is locked
--              out. Returns {0, 0} when the failure was within the limit, {1, wait_us}
--              when this failure went over it (now locked out for wait_us), and
--              {2, wait_us} when the client was already locked out.
local now = tonumber(ARGV[1])
local mode = ARGV[2]

local function store(key, value, expire_after_us)
  redis.call('SET', key, string.format('%.0f', value),
    'PX', math.floor(expire_after_us / 1000) + 1000)
end

-- One cell through the limit in `key`: nil when allowed, else the wait in µs.
local function take(key, t, tau)
  local tat = tonumber(redis.call('GET', key)) or now
  local earliest = tat - tau
  if now < earliest then
    return earliest - now
  end
  local next_tat = math.max(tat, now) + t
  store(key, next_tat, next_tat - now)
  return nil
end

if mode == 'take' then
  for i, key in ipairs(KEYS) do
    local wait = take(key, tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i]))
    if wait then
      return {i, wait}
    end
  end
  return {0, 0}
elseif mode == 'lockout' then
  local locked_until = tonumber(redis.call('GET', KEYS[2]))
  if locked_until and now < locked_until then
    -- Still counted; while locked out the limit refuses, so nothing changes.
    return {2, locked_until - now}
  end
  local wait = take(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]))
  if wait then
    store(KEYS[2], now + wait, wait)
    return {1, wait}
  end
  return {0, 0}
end
return redis.error_reply('commentguard gcra.lua: unknown mode ' .. tostring(mode))
