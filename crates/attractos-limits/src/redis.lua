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
--
-- The state, one string per key: a rate's theoretical arrival time ("<tat>"), an address's
-- failures and the end of their window ("<n>:<end>"), an account's cycle start and events
-- counted ("<start>:<used>"). Every key of the batch is read by one MGET before the first
-- decision, and each key a decision changed is written by one SET (with its expiry) after the
-- last: Redis's time goes to its commands more than to this arithmetic, and a hot key comes
-- back many times in a batch.
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local floor, min, max, find, sub, format = math.floor, math.min, math.max, string.find,
  string.sub, string.format

local stored, written, lifetime = {}, {}, {}
do
  local distinct, seen = {}, {}
  for i = 1, #KEYS do
    local key = KEYS[i]
    if not seen[key] then
      seen[key] = true
      distinct[#distinct + 1] = key
    end
  end
  if #distinct > 0 then
    -- A key of another type reads as none here and is replaced on write.
    local values = redis.call('MGET', unpack(distinct))
    for i = 1, #distinct do stored[distinct[i]] = values[i] end
  end
end

-- Keys expire a while after their state stops mattering (their state is then the same as
-- no key), plus a margin so a test clock that runs slower than the real one never sees a
-- key vanish early.
local MARGIN_MS = 10000
local function store(key, value, matters_us)
  if not lifetime[key] then written[#written + 1] = key end
  stored[key] = value
  lifetime[key] = math.ceil(max(matters_us, 0) / 1000) + MARGIN_MS
end

-- Anything but a state in a key is an error, not a state to guess at.
local function unreadable(key)
  error({err = 'attractos-limits: ' .. key .. ' holds no limit state'})
end

-- A key's "<a>:<b>", or nothing.
local function pair(key)
  local value = stored[key]
  if not value then return nil, nil end
  local colon = find(value, ':', 1, true)
  local a = colon and tonumber(sub(value, 1, colon - 1))
  local b = colon and tonumber(sub(value, colon + 1))
  if not (a and b) then unreadable(key) end
  return a, b
end

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
  local n, e = pair(key)
  if not (n and e and now < e) then
    n = 0
    if fail then e = now + window_us else e = now end
  end
  if fail then
    n = n + 1
    store(key, format('%d:%d', n, e), e - now)
  end
  return n, e - now
end

-- The quota counter: {cycle start, used}; another cycle's counter starts again at `floor`.
local function quota(key, limit, qfloor, consume)
  local start, stop = cycle()
  local counted_start, counted = pair(key)
  local used = qfloor
  if counted_start == start then used = counted end
  local accepted = 1
  if consume then
    if used >= limit then
      accepted = 0
    else
      used = used + 1
      store(key, format('%d:%d', start, used), stop - now)
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
  local tat = now
  if stored[rate] then tat = tonumber(stored[rate]) or unreadable(rate) end
  if tat < now then tat = now end
  local new_tat = tat + emission
  local admitted = 0
  if now >= new_tat - burst * emission then
    admitted = 1
    tat = new_tat
    store(rate, format('%d', tat), tat - now)
  end
  local credit = now - tat + burst * emission
  local remaining = min(max(floor(credit / emission), 0), burst)
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
for i = 1, #written do
  local key = written[i]
  redis.call('SET', key, stored[key], 'PX', lifetime[key])
end
return answers
