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
-- The answer: one flat array of integers. First the billing cycle (calendar month, UTC) that
-- holds the batch's time: the microseconds until it ends, its length, its start. Then each
-- decision's integers, in the decisions' order, with no separator (the reader knows each
-- decision's length from its name and, for a request, its first integer):
--   request       0, failures, window left  (the address is blocked)
--                 1, admitted, remaining, next unit, events used
--   event         accepted, events used
--   auth_failure  failures, window left
-- Times are whole microseconds; Lua's doubles hold them exactly (below 2^53).
--
-- The state, one string per key: a rate's theoretical arrival time ("<tat>"), an address's
-- failures and the end of their window ("<n>:<end>"), an account's cycle start and events
-- counted ("<start>:<used>"). Every key of the batch is read by one MGET before the first
-- decision and parsed when a decision first needs it; each key a decision changed is written
-- by one SET (with its expiry) after the last. A hot key comes back many times in a batch,
-- and Redis's time per decision goes to what a decision does more than once: parsing and
-- formatting numbers, and the values of the answer (each is a reply element to write).
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local floor, min, max, find, sub, format = math.floor, math.min, math.max, string.find,
  string.sub, string.format
local keys, argv = KEYS, ARGV

local stored = {}
do
  local distinct, seen = {}, {}
  for i = 1, #keys do
    local key = keys[i]
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

-- Anything but a state in a key is an error, not a state to guess at.
local function unreadable(key)
  error({err = 'attractos-limits: ' .. key .. ' holds no limit state'})
end

-- Each key's state as numbers (a rate's "<a>", a pair's "<a>:<b>"), parsed once, when a
-- decision first reads the key; nil for none.
local parsed, first, second = {}, {}, {}

local function single(key)
  if not parsed[key] then
    parsed[key] = true
    local value = stored[key]
    if value then first[key] = tonumber(value) or unreadable(key) end
  end
  return first[key]
end

local function pair(key)
  if not parsed[key] then
    parsed[key] = true
    local value = stored[key]
    if value then
      local colon = find(value, ':', 1, true)
      local a = colon and tonumber(sub(value, 1, colon - 1))
      local b = colon and tonumber(sub(value, colon + 1))
      if not (a and b) then unreadable(key) end
      first[key], second[key] = a, b
    end
  end
  return first[key], second[key]
end

-- Keys expire a while after their state stops mattering (their state is then the same as
-- no key), plus a margin so a test clock that runs slower than the real one never sees a
-- key vanish early.
local MARGIN_MS = 10000
local written, lifetime = {}, {}
local function store(key, a, b, matters_us)
  if not lifetime[key] then written[#written + 1] = key end
  parsed[key], first[key], second[key] = true, a, b
  lifetime[key] = math.ceil(max(matters_us, 0) / 1000) + MARGIN_MS
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

-- The billing cycle holding `now`, the same for every decision of the batch.
local cycle_start, cycle_stop
do
  local y, m = civil_from_days(floor(now / 86400000000))
  cycle_start = days_from_civil(y, m, 1) * 86400000000
  if m == 12 then y, m = y + 1, 1 else m = m + 1 end
  cycle_stop = days_from_civil(y, m, 1) * 86400000000
end

-- The answer, and its length so far.
local out, n = {cycle_stop - now, cycle_stop - cycle_start, cycle_start}, 3

-- The failures of an address and the time left in their window, a window that has ended
-- counting as none; with `fail`, one more failure is counted (and stored).
local function auth(key, window_us, fail)
  local failures, e = pair(key)
  if not (failures and e and now < e) then
    failures = 0
    if fail then e = now + window_us else e = now end
  end
  if fail then
    failures = failures + 1
    store(key, failures, e, e - now)
  end
  return failures, e - now
end

-- The quota counter: {cycle start, used}, read as never under `qfloor` (another cycle's, or
-- none, as `qfloor`). Whether the event is accepted (1 without `consume`), and the events used.
local function quota(key, limit, qfloor, consume)
  local counted_start, counted = pair(key)
  local used = qfloor
  if counted_start == cycle_start then used = max(counted, qfloor) end
  local accepted = 1
  if consume then
    if used >= limit then
      accepted = 0
    else
      used = used + 1
      store(key, cycle_start, used, cycle_stop - now)
    end
  end
  return accepted, used
end

-- A request of a key: the address's failures, then GCRA, then a look at the quota.
local function request(address, rate, account, emission, burst, auth_limit, limit, qfloor)
  local failures, left = auth(address, 0, false)
  if failures > auth_limit then
    out[n + 1], out[n + 2], out[n + 3] = 0, failures, left
    n = n + 3
    return
  end
  local tat = single(rate) or now
  if tat < now then tat = now end
  local new_tat = tat + emission
  local admitted = 0
  if now >= new_tat - burst * emission then
    admitted = 1
    tat = new_tat
    store(rate, tat, nil, tat - now)
  end
  local credit = now - tat + burst * emission
  local remaining = min(max(floor(credit / emission), 0), burst)
  local next_unit = 0
  if remaining < burst then next_unit = (remaining + 1) * emission - credit end
  local _, used = quota(account, limit, qfloor, false)
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] =
    1, admitted, remaining, next_unit, used
  n = n + 5
end

-- ARGV's numbers repeat across a batch's decisions (one policy per plan): each string is
-- converted once.
local numbers = {}
local function number(i)
  local text = argv[i]
  local value = numbers[text]
  if not value then
    value = tonumber(text)
    numbers[text] = value
  end
  return value
end

-- The next decision's first key and its name in ARGV.
local k, a = 1, 2
while a <= #argv do
  local op = argv[a]
  if op == 'request' then
    request(keys[k], keys[k + 1], keys[k + 2], number(a + 1), number(a + 2), number(a + 3),
      number(a + 4), number(a + 5))
    k, a = k + 3, a + 6
  elseif op == 'event' then
    out[n + 1], out[n + 2] = quota(keys[k], number(a + 1), number(a + 2), true)
    n = n + 2
    k, a = k + 1, a + 3
  elseif op == 'auth_failure' then
    out[n + 1], out[n + 2] = auth(keys[k], number(a + 1), true)
    n = n + 2
    k, a = k + 1, a + 2
  else
    return redis.error_reply('attractos-limits: unknown decision ' .. tostring(op))
  end
end
for i = 1, #written do
  local key = written[i]
  local value
  if second[key] then
    value = format('%d:%d', first[key], second[key])
  else
    value = format('%d', first[key])
  end
  redis.call('SET', key, value, 'PX', lifetime[key])
end
return out
