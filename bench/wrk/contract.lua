-- wrk script for bench/load.sh: sends one scenario's request and checks every response
-- against the scenario's allowed answers; at the end writes one JSON record (see
-- attractos_bench::report::LoadRecord) to $OUT.
--
-- Configured by environment variables (wrk hands setup() and done() no arguments):
--   METHOD, REQ_PATH    the request
--   API_KEY             sent as `Authorization: Bearer <key>` when set
--   BODY_BYTES          when set, a JSON body of that many bytes, as application/json: an
--                       invalid one, or with BODY_VALID=1 a valid event for site_pro
--   EXPECT              allowed answers, space-separated STATUS:CODE; CODE `-` is a JSON success
--   FRAMEWORK, SCENARIO, REQUEST, OUT   labels and the result file

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function json_body(n, valid)
  -- Invalid: a trailing comma, so the document is valid up to its last bytes, then refused.
  local head = '{"site_id":"site_demo","name":"pageview","url":"/'
  local tail = '",}'
  if valid then
    head = '{"site_id":"site_pro","name":"pageview","url":"/'
    tail = '"}'
  end
  return head .. string.rep("x", n - #head - #tail) .. tail
end

function init(args)
  statuses = {}
  unexpected = 0
  sample = ""
  expect = {}
  for status, code in string.gmatch(os.getenv("EXPECT"), "(%d+):(%S+)") do
    expect[tonumber(status)] = code
  end
  local headers = {}
  local key = os.getenv("API_KEY")
  if key and key ~= "" then
    headers["Authorization"] = "Bearer " .. key
  end
  local body = nil
  local bytes = tonumber(os.getenv("BODY_BYTES") or "")
  if bytes then
    body = json_body(bytes, os.getenv("BODY_VALID") == "1")
    headers["Content-Type"] = "application/json"
  end
  req = wrk.format(os.getenv("METHOD"), os.getenv("REQ_PATH"), headers, body)
end

function request()
  return req
end

local function header(headers, name)
  return headers[name] or headers[string.lower(name)]
end

-- Whether a response is one the scenario allows, in the contract's form.
local function allowed(status, headers, body)
  local code = expect[status]
  if code == nil then
    return false
  end
  local content_type = header(headers, "Content-Type")
  if content_type == nil or not string.find(content_type, "application/json", 1, true) then
    return false
  end
  if code == "-" then
    return true
  end
  if string.sub(body, 1, 10) ~= '{"error":"' then
    return false
  end
  if not string.find(body, '"code":"' .. code .. '"', 1, true) then
    return false
  end
  if status == 429 then
    return header(headers, "Retry-After") ~= nil and string.find(body, '"retry_after":', 1, true) ~= nil
  end
  return string.find(body, '"retry_after"', 1, true) == nil
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if not allowed(status, headers, body) then
    unexpected = unexpected + 1
    if sample == "" then
      sample = status .. " " .. tostring(header(headers, "Content-Type")) .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

local function json_string(s)
  s = string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local totals = {}
  local bad = 0
  local first = ""
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
    bad = bad + thread:get("unexpected")
    if first == "" then
      first = thread:get("sample")
    end
  end
  local parts = {}
  for status, n in pairs(totals) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local e = summary.errors
  local out = io.open(os.getenv("OUT"), "w")
  out:write(string.format(
    '{"framework":%s,"scenario":%s,"request":%s,"expected":%s,"requests":%d,"duration_us":%d,'
      .. '"p50_us":%f,"p99_us":%f,"socket_errors":%d,"status_over_399":%d,"statuses":{%s},'
      .. '"unexpected":%d,"unexpected_sample":%s}\n',
    json_string(os.getenv("FRAMEWORK")), json_string(os.getenv("SCENARIO")),
    json_string(os.getenv("REQUEST")), json_string(os.getenv("EXPECT")),
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, table.concat(parts, ","),
    bad, json_string(first)))
  out:close()
end
