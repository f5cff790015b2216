"""The Lua scripts that make every Redis state transition atomic.

Every key of a namespace shares one hash tag (``{ns}``), so all of them live in one
Redis Cluster slot and a script may touch any of them. KEYS[1] always names a key of
the namespace so that cluster clients route the call.
"""

from __future__ import annotations

__all__ = [
    "ASIDE",
    "CANCEL",
    "CLAIM",
    "ENQUEUE",
    "FINISH",
    "MARK",
    "PURGE",
    "RENEW",
    "REQUEUE",
    "STATS",
]

_COMMON = r"""
local p = ARGV[1]
local function f(x) return string.format('%.6f', x) end
local function jobkey(id) return p .. ':job:' .. id end
local STATES = {queued = 1, scheduled = 1, running = 1, succeeded = 1, failed = 1,
  retrying = 1, dead = 1, cancelled = 1}
local function score(key)
  local v = redis.call('HMGET', key, 'priority', 'seq')
  return (100 - tonumber(v[1])) * 1e12 + tonumber(v[2])
end
-- Why the job hash at KEY cannot be used, or nil when it can.
local function unreadable(key)
  local v = redis.call('HMGET', key, 'state', 'queue', 'priority', 'seq', 'deliveries',
    'max_deliveries', 'attempts', 'max_attempts', 'token', 'due_at', 'enqueued_at')
  if not v[1] then return 'the job record is missing (its hash was deleted)' end
  if not STATES[v[1]] then return 'unknown state ' .. string.format('%q', v[1]) end
  if not v[2] then return 'the job record has no queue' end
  local names = {'priority', 'seq', 'deliveries', 'max_deliveries', 'attempts',
    'max_attempts', 'token', 'due_at', 'enqueued_at'}
  for i, name in ipairs(names) do
    local x = v[i + 2]
    if x == false or tonumber(x) == nil then
      return name .. ' is not a number: ' .. string.format('%q', tostring(x))
    end
  end
  return nil
end
-- Move an unreadable job out of every index into the visible corrupt list.
local function aside(id, reason, now)
  local key = jobkey(id)
  local queue = redis.call('HGET', key, 'queue')
  local queues = {queue}
  if not queue then queues = redis.call('SMEMBERS', p .. ':queues') end
  for _, q in ipairs(queues) do
    redis.call('ZREM', p .. ':ready:' .. q, id)
    redis.call('ZREM', p .. ':suspect:' .. q, id)
  end
  for _, name in ipairs({'running', 'scheduled', 'retrying', 'dead', 'done:succeeded',
      'done:failed', 'done:cancelled'}) do
    redis.call('ZREM', p .. ':' .. name, id)
  end
  if redis.call('EXISTS', key) == 1 then
    redis.call('RENAME', key, p .. ':corrupt:job:' .. id)
    redis.call('PERSIST', p .. ':corrupt:job:' .. id)
  end
  redis.call('ZADD', p .. ':corrupt', now, id)
  redis.call('HSET', p .. ':corrupt:reason', id, reason)
end
local function wake()
  if redis.call('RPUSH', p .. ':wake', '1') > 64 then
    redis.call('LTRIM', p .. ':wake', -64, -1)
  end
end
local function ready(id, key)
  local v = redis.call('HMGET', key, 'queue', 'suspect', 'seq')
  if v[2] == '1' then
    redis.call('ZADD', p .. ':suspect:' .. v[1], tonumber(v[3]), id)
  else
    redis.call('ZADD', p .. ':ready:' .. v[1], score(key), id)
  end
end
local function finalize(id, key, state, now)
  redis.call('HSET', key, 'state', state, 'finished_at', f(now))
  if state == 'dead' then
    redis.call('ZADD', p .. ':dead', now, id)
  else
    local ttl = tonumber(redis.call('HGET', key, 'result_ttl'))
    redis.call('ZADD', p .. ':done:' .. state, now + ttl, id)
    redis.call('PEXPIRE', key, math.max(1, math.floor(ttl * 1000)))
  end
end
"""

ENQUEUE = (
    _COMMON
    + r"""
local id = ARGV[2]
local key = KEYS[1]
local idem = ARGV[12]
if idem ~= '' then
  local existing = redis.call('GET', p .. ':idem:' .. idem)
  if existing then
    local st = redis.call('HGET', jobkey(existing), 'state')
    if st and st ~= 'succeeded' and st ~= 'failed' and st ~= 'dead' and st ~= 'cancelled' then
      return {0, redis.call('HGETALL', jobkey(existing))}
    end
  end
end
if redis.call('EXISTS', key) == 1 then
  return {-1, redis.call('HGET', key, 'state')}
end
local seq = redis.call('INCR', p .. ':seq')
local due = tonumber(ARGV[10])
local now = tonumber(ARGV[11])
local state = 'queued'
if due > now then state = 'scheduled' end
redis.call('HSET', key, 'id', id, 'name', ARGV[3], 'queue', ARGV[4], 'args', ARGV[5],
  'priority', ARGV[6], 'max_attempts', ARGV[7], 'max_deliveries', ARGV[8], 'state', state,
  'seq', seq, 'attempts', 0, 'deliveries', 0, 'token', 0, 'enqueued_at', ARGV[11],
  'due_at', ARGV[10], 'meta', ARGV[13], 'result_ttl', ARGV[14], 'cancel_requested', 0,
  'crashes', 0, 'suspect', 0, 'isolated', 0)
if ARGV[9] ~= '' then redis.call('HSET', key, 'timeout', ARGV[9]) end
if idem ~= '' then
  redis.call('HSET', key, 'idempotency_key', idem)
  redis.call('SET', p .. ':idem:' .. idem, id)
end
redis.call('SADD', p .. ':queues', ARGV[4])
if state == 'queued' then
  -- the score of ready(), from the values at hand
  redis.call('ZADD', p .. ':ready:' .. ARGV[4], (100 - tonumber(ARGV[6])) * 1e12 + seq, id)
else
  redis.call('ZADD', p .. ':scheduled', due, id)
end
wake()  -- a queued job wakes a worker; a delayed one makes idle workers recompute
return {1, seq}
"""
)

CLAIM = (
    _COMMON
    + r"""
local worker = ARGV[2]
local limit = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local nq = tonumber(ARGV[6])
local alone = ARGV[7] == '1'
if KEYS[2] then
  -- Sent right behind a blocking wait: ARGV[5] is the worker's clock when it sent the
  -- wait, and MARK stored the server's clock then; the wait's length, measured on the
  -- server alone, brings ``now`` up to date whatever the skew between the two clocks.
  local mark = redis.call('GET', KEYS[2])
  if mark then
    redis.call('DEL', KEYS[2])
    local t = redis.call('TIME')
    now = now + math.max(0, tonumber(t[1]) + tonumber(t[2]) / 1e6 - tonumber(mark))
  end
end
if redis.call('EXISTS', p .. ':delayed') == 1 then
  -- layout 1 (0.1) kept scheduled and retrying jobs in one set: split it
  local old = redis.call('ZRANGE', p .. ':delayed', 0, -1, 'WITHSCORES')
  for i = 1, #old, 2 do
    local st = redis.call('HGET', jobkey(old[i]), 'state')
    if st == 'retrying' then
      redis.call('ZADD', p .. ':retrying', old[i + 1], old[i])
    else
      redis.call('ZADD', p .. ':scheduled', old[i + 1], old[i])
    end
  end
  redis.call('DEL', p .. ':delayed')
end
local expired = redis.call('ZRANGEBYSCORE', p .. ':running', '-inf', now, 'LIMIT', 0, 200)
for _, id in ipairs(expired) do
  local key = jobkey(id)
  local bad = unreadable(key)
  if bad then
    aside(id, bad, now)
  else
    redis.call('ZREM', p .. ':running', id)
    -- poison isolation (see _isolation.py): only a job that ran alone is charged
    local v = redis.call('HMGET', key, 'isolated', 'crashes', 'max_deliveries')
    redis.call('HDEL', key, 'worker', 'lease_expires_at')
    local crashes = tonumber(v[2]) or 0
    if v[1] == '1' then crashes = crashes + 1 end
    redis.call('HSET', key, 'crashes', crashes, 'suspect', 1, 'isolated', 0)
    if crashes >= tonumber(v[3]) then
      redis.call('HSET', key, 'error', 'its worker was lost ' .. crashes ..
        ' times while the job ran alone (max_deliveries=' .. v[3] ..
        '): the job kills or freezes its worker')
      finalize(id, key, 'dead', now)
    else
      redis.call('HSET', key, 'state', 'queued')
      ready(id, key)
    end
  end
end
for _, set in ipairs({'scheduled', 'retrying'}) do
  local due = redis.call('ZRANGEBYSCORE', p .. ':' .. set, '-inf', now, 'LIMIT', 0, 200)
  for _, id in ipairs(due) do
    local bad = unreadable(jobkey(id))
    if bad then
      aside(id, bad, now)
    else
      redis.call('ZREM', p .. ':' .. set, id)
      redis.call('HSET', jobkey(id), 'state', 'queued')
      ready(id, jobkey(id))
    end
  end
end
for _, state in ipairs({'succeeded', 'failed', 'cancelled'}) do
  redis.call('ZREMRANGEBYSCORE', p .. ':done:' .. state, '-inf', now)
end
local out = {}
local function take(id, key, isolated)
  local token = redis.call('INCR', p .. ':token')
  redis.call('HINCRBY', key, 'deliveries', 1)
  redis.call('HSET', key, 'state', 'running', 'worker', worker, 'token', token,
    'lease_expires_at', f(now + lease), 'started_at', f(now), 'isolated', isolated)
  redis.call('ZADD', p .. ':running', now + lease, id)
  out[#out + 1] = redis.call('HGETALL', key)
end
-- Suspects of a lost worker go first, each alone to a worker that holds nothing; a
-- worker holding jobs gets nothing while suspects wait, so they are never starved.
for i = 1, nq do
  local skey = p .. ':suspect:' .. ARGV[7 + (i - 1) * 3 + 1]
  while true do
    local ids = redis.call('ZRANGE', skey, 0, 0)
    if #ids == 0 then break end
    local id = ids[1]
    local key = jobkey(id)
    local bad = unreadable(key)
    if bad then
      aside(id, bad, now)
    elseif redis.call('HGET', key, 'state') ~= 'queued' then
      redis.call('ZREM', skey, id)  -- a stale entry
    elseif not alone then
      return out
    else
      redis.call('ZREM', skey, id)
      take(id, key, 1)
      return out
    end
  end
end
local iso = 0
if alone and limit == 1 then iso = 1 end
for i = 1, nq do
  local want = limit - #out
  if want <= 0 then break end
  local queue = ARGV[7 + (i - 1) * 3 + 1]
  local rl = ARGV[7 + (i - 1) * 3 + 2]
  local period = ARGV[7 + (i - 1) * 3 + 3]
  local rkey = p .. ':ready:' .. queue
  local ids = {}
  while #ids < want do
    local got = redis.call('ZRANGE', rkey, 0, want - #ids - 1)
    if #got == 0 then break end
    for _, id in ipairs(got) do
      local key = jobkey(id)
      local bad = unreadable(key)
      if bad then
        aside(id, bad, now)
      else
        redis.call('ZREM', rkey, id)
        if redis.call('HGET', key, 'state') == 'queued' then ids[#ids + 1] = id end
      end
    end
  end
  if #ids > 0 and rl ~= '' then
    local cap = tonumber(rl)
    local rate = cap / tonumber(period)
    local bkey = p .. ':bucket:' .. queue
    local b = redis.call('HMGET', bkey, 'tokens', 'updated')
    local tokens = cap
    local updated = now
    if b[1] then
      local last = tonumber(b[2])
      tokens = math.min(cap, tonumber(b[1]) + math.max(0, now - last) * rate)
      updated = math.max(now, last)
    end
    local granted = math.max(0, math.min(#ids, math.floor(tokens + 1e-9)))
    redis.call('HSET', bkey, 'tokens', string.format('%.17g', math.max(0, tokens - granted)),
      'updated', f(updated))
    for j = granted + 1, #ids do
      redis.call('ZADD', rkey, score(jobkey(ids[j])), ids[j])  -- not granted: put back
      ids[j] = nil
    end
  end
  for _, id in ipairs(ids) do take(id, jobkey(id), iso) end
end
return out
"""
)

ASIDE = (
    _COMMON
    + r"""
aside(ARGV[2], ARGV[3], tonumber(ARGV[4]))
return 1
"""
)

MARK = r"""
local t = redis.call('TIME')
redis.call('SET', KEYS[1], t[1] .. '.' .. string.format('%06d', tonumber(t[2])), 'PX', ARGV[1])
return 1
"""

RENEW = (
    _COMMON
    + r"""
local until_ = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local lost = {}
local cancel = {}
for i = 1, n do
  local id = ARGV[3 + (i - 1) * 3 + 1]
  local token = ARGV[3 + (i - 1) * 3 + 2]
  local progress = ARGV[3 + (i - 1) * 3 + 3]
  local key = jobkey(id)
  local v = redis.call('HMGET', key, 'state', 'token', 'cancel_requested')
  if v[1] == 'running' and v[2] == token then
    redis.call('HSET', key, 'lease_expires_at', f(until_))
    redis.call('ZADD', p .. ':running', until_, id)
    if progress ~= '' then redis.call('HSET', key, 'progress', progress) end
    if v[3] == '1' then cancel[#cancel + 1] = id end
  else
    lost[#lost + 1] = id
  end
end
return {lost, cancel}
"""
)

FINISH = (
    _COMMON
    + r"""
local key = KEYS[1]
local id = ARGV[2]
local token = ARGV[3]
local event = ARGV[4]
local now = tonumber(ARGV[5])
local v = redis.call('HMGET', key, 'state', 'token')
if not v[1] then return {-1} end
if v[1] ~= 'running' or v[2] ~= token then return {-2, v[1], v[2]} end
redis.call('ZREM', p .. ':running', id)
redis.call('HDEL', key, 'lease_expires_at')
if event == 'release' then
  redis.call('HDEL', key, 'worker')
  local d = tonumber(redis.call('HGET', key, 'deliveries'))
  redis.call('HSET', key, 'state', 'queued', 'deliveries', math.max(0, d - 1),
    'cancel_requested', 0, 'isolated', 0)
  ready(id, key)
  wake()
  if ARGV[11] == 'brief' then return {1} end
  return {1, redis.call('HGETALL', key)}
end
if event ~= 'cancel' then redis.call('HINCRBY', key, 'attempts', 1) end
redis.call('HSET', key, 'suspect', 0, 'isolated', 0)  -- it ran to a report: cleared
if ARGV[7] ~= '' then redis.call('HSET', key, 'error', ARGV[7]) end
if ARGV[8] ~= '' then redis.call('HSET', key, 'traceback', ARGV[8]) end
if ARGV[10] ~= '' then redis.call('HSET', key, 'progress', ARGV[10]) end
if event == 'succeed' then
  if ARGV[6] ~= '' then redis.call('HSET', key, 'result', ARGV[6]) end
  local started = tonumber(redis.call('HGET', key, 'started_at'))
  local due = tonumber(redis.call('HGET', key, 'due_at'))
  redis.call('LPUSH', p .. ':latency', f(math.max(0, started - due)) .. ',' .. f(now - started))
  redis.call('LTRIM', p .. ':latency', 0, 999)
  local sec = p .. ':throughput:' .. math.floor(now)
  redis.call('INCR', sec)
  redis.call('EXPIRE', sec, 120)
  finalize(id, key, 'succeeded', now)
elseif event == 'retry' then
  local due = tonumber(ARGV[9])
  redis.call('HSET', key, 'state', 'retrying', 'due_at', ARGV[9])
  redis.call('HDEL', key, 'finished_at')
  redis.call('ZADD', p .. ':retrying', due, id)
elseif event == 'fail' then
  finalize(id, key, 'failed', now)
elseif event == 'bury' then
  finalize(id, key, 'dead', now)
else
  finalize(id, key, 'cancelled', now)
end
if ARGV[11] == 'brief' then return {1} end
return {1, redis.call('HGETALL', key)}
"""
)

CANCEL = (
    _COMMON
    + r"""
local key = KEYS[1]
local id = ARGV[2]
local now = tonumber(ARGV[3])
local v = redis.call('HMGET', key, 'state', 'queue')
if not v[1] then return {-1} end
local state = v[1]
if state == 'running' then
  redis.call('HSET', key, 'cancel_requested', 1)
elseif state == 'queued' then
  redis.call('ZREM', p .. ':ready:' .. v[2], id)
  redis.call('ZREM', p .. ':suspect:' .. v[2], id)
  finalize(id, key, 'cancelled', now)
elseif state == 'scheduled' or state == 'retrying' then
  redis.call('ZREM', p .. ':' .. state, id)
  finalize(id, key, 'cancelled', now)
else
  return {-3, state}
end
return {1, redis.call('HGETALL', key)}
"""
)

REQUEUE = (
    _COMMON
    + r"""
local now = tonumber(ARGV[2])
local ids = {}
if ARGV[3] == '*' then
  ids = redis.call('ZRANGE', p .. ':dead', 0, -1)
else
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
end
for _, id in ipairs(ids) do
  local state = redis.call('HGET', jobkey(id), 'state')
  if not state then return {-1, id} end
  if state ~= 'dead' and state ~= 'failed' then return {-3, id, state} end
end
for _, id in ipairs(ids) do
  local key = jobkey(id)
  redis.call('ZREM', p .. ':dead', id)
  redis.call('ZREM', p .. ':done:failed', id)
  redis.call('PERSIST', key)
  redis.call('HDEL', key, 'finished_at')
  redis.call('HSET', key, 'state', 'queued', 'attempts', 0, 'deliveries', 0, 'due_at', f(now),
    'seq', redis.call('INCR', p .. ':seq'), 'cancel_requested', 0, 'crashes', 0,
    'suspect', 0, 'isolated', 0)
  ready(id, key)
end
if #ids > 0 then wake() end
return {1, #ids}
"""
)

PURGE = (
    _COMMON
    + r"""
local ids = {}
if ARGV[2] == '*' then
  ids = redis.call('ZRANGE', p .. ':dead', 0, -1)
else
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local n = 0
for _, id in ipairs(ids) do
  if redis.call('HGET', jobkey(id), 'state') == 'dead' then
    redis.call('DEL', jobkey(id))
    redis.call('ZREM', p .. ':dead', id)
    n = n + 1
  end
end
return n
"""
)

STATS = (
    _COMMON
    + r"""
local now = tonumber(ARGV[2])
local counts = {}
local function add(queue, state)
  local k = queue .. '\0' .. state
  counts[k] = (counts[k] or 0) + 1
end
for _, queue in ipairs(redis.call('SMEMBERS', p .. ':queues')) do
  local n = redis.call('ZCARD', p .. ':ready:' .. queue)
  if n > 0 then counts[queue .. '\0queued'] = n end
end
local function scan(zkey, min)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', zkey, min, '+inf')) do
    local v = redis.call('HMGET', jobkey(id), 'queue', 'state')
    if v[1] and v[2] then add(v[1], v[2]) end
  end
end
scan(p .. ':scheduled', '-inf')
scan(p .. ':retrying', '-inf')
scan(p .. ':running', '-inf')
scan(p .. ':dead', '-inf')
for _, state in ipairs({'succeeded', 'failed', 'cancelled'}) do
  scan(p .. ':done:' .. state, '(' .. f(now))
end
for _, queue in ipairs(redis.call('SMEMBERS', p .. ':queues')) do
  local n = redis.call('ZCARD', p .. ':suspect:' .. queue)
  if n > 0 then counts[queue .. '\0queued'] = (counts[queue .. '\0queued'] or 0) + n end
end
local flat = {}
for k, n in pairs(counts) do
  flat[#flat + 1] = k
  flat[#flat + 1] = n
end
local finished = 0
for s = math.floor(now) - 59, math.floor(now) do
  local c = redis.call('GET', p .. ':throughput:' .. s)
  if c then finished = finished + tonumber(c) end
end
return {flat, finished, redis.call('LRANGE', p .. ':latency', 0, -1),
  redis.call('ZCARD', p .. ':corrupt')}
"""
)
