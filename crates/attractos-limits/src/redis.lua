-- The limit decisions of attractos-limits: a batch of decisions, applied in order in one atomic
-- script (one EVALSHA) that answers each. The arithmetic is src/algorithm.rs's, line for line;
-- a property test holds the two to the same answers.
--
-- ARGV[1]: "now" in microseconds since the epoch, or "" for the server's own clock (TIME), read
--          once: every decision of the batch is taken at that time. Only tests pass a time, to
--          compare with the in-memory store on the same clock.
-- Then each decision, one after another: its name and arguments in ARGV, its keys in KEYS:
--   request       KEYS: address, rate, quota.  ARGV: emission_us, burst, auth_limit, quota, floor.
--   event         KEYS: quota.                 ARGV: quota, floor.
--   auth_failure  KEYS: address.               ARGV: window_us.
-- The answer: one array of integers per decision, in the decisions' order.
-- Times are whole microseconds; Lua's doubles hold them exactly (below 2^53).
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- Keys expire a while after their state stops mattering (their state is then the same as
-- no key), plus a margin so a test clock that runs slower than the real one never sees a
-- key vanish early.
local MARGIN_MS = 10000
local function ttl_ms(us)
  return math.ceil(math.max(us, 0) / 1000) + MARGIN_MS
end
local function expire_after(key, us)
  redis.call('PEXPIRE', key, ttl_ms(us))
end

local floor = math.floor

-- Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m > 2) and (m - 3) or (m + 9)
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local m = (mp < 10) and (mp + 3) or (mp - 9)
  if m <= 2 then y = y + 1 end
  return y, m
end

-- The billing cycle (calendar month, UTC) holding `now`: start and end in microseconds.
-- Worked out once per batch (every decision has the same `now`), when a decision first needs it.
local cycle_start, cycle_stop
local function cycle()
  if not cycle_start then
    local y, m = civil_from_days(floor(now / 86400000000))
    cycle_start = days_from_civil(y, m, 1) * 86400000000
    if m == 12 then y, m = y + 1, 1 else m = m + 1 end
    cycle_stop = days_from_civil(y, m, 1) * 86400000000
  end
  return cycle_start, cycle_stop
end

-- The failures of an address: {failures, window end}, a window that has ended counting as
-- none; with `fail`, one more failure is counted (and stored).
local function auth(key, window_us, fail)
  local stored = redis.call('HMGET', key, 'n', 'e')
  local n, e = tonumber(stored[1]), tonumber(stored[2])
  if not (n and e and now < e) then
    n = 0
    if fail then e = now + window_us else e = now end
  end
  if fail then
    n = n + 1
    redis.call('HSET', key, 'n', n, 'e', e)
    expire_after(key, e - now)
  end
  return n, e - now
end

-- The quota counter: {cycle start, used}; another cycle's counter starts again at `floor`.
local function quota(key, limit, qfloor, consume)
  local start, stop = cycle()
  local stored = redis.call('HMGET', key, 's', 'n')
  local used = qfloor
  if tonumber(stored[1]) == start then used = tonumber(stored[2]) end
  local accepted = 1
  if consume then
    if used >= limit then
      accepted = 0
    else
      used = used + 1
      redis.call('HSET', key, 's', start, 'n', used)
      expire_after(key, stop - now)
    end
  end
  return {accepted, used, stop - now, stop - start, start}
end

-- A request of a key: the address's failures, then GCRA, then a look at the quota.
local function request(address, rate, account, emission, burst, auth_limit, limit, qfloor)
  local n, left = auth(address, 0, false)
  if n > auth_limit then
    return {0, n, left}
  end
  local tat = tonumber(redis.call('GET', rate) or now)
  if tat < now then tat = now end
  local new_tat = tat + emission
  local admitted = 0
  if now >= new_tat - burst * emission then
    admitted = 1
    tat = new_tat
    -- One command: the value and its expiry (a hash, above, needs HSET then PEXPIRE).
    redis.call('SET', rate, tat, 'PX', ttl_ms(tat - now))
  end
  local credit = now - tat + burst * emission
  local remaining = math.min(math.max(floor(credit / emission), 0), burst)
  local next_unit = 0
  if remaining < burst then next_unit = (remaining + 1) * emission - credit end
  local q = quota(account, limit, qfloor, false)
  return {1, admitted, remaining, next_unit, q[1], q[2], q[3], q[4], q[5]}
end

local answers = {}
-- The next decision's first key and its name in ARGV.
local k, a = 1, 2
while a <= #ARGV do
  local op = ARGV[a]
  if op == 'request' then
    answers[#answers + 1] = request(KEYS[k], KEYS[k + 1], KEYS[k + 2], tonumber(ARGV[a + 1]),
      tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]))
    k, a = k + 3, a + 6
  elseif op == 'event' then
    answers[#answers + 1] = quota(KEYS[k], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), true)
    k, a = k + 1, a + 3
  elseif op == 'auth_failure' then
    local n, left = auth(KEYS[k], tonumber(ARGV[a + 1]), true)
    answers[#answers + 1] = {n, left}
    k, a = k + 1, a + 2
  else
    return redis.error_reply('attractos-limits: unknown decision ' .. tostring(op))
  end
end
return answers
