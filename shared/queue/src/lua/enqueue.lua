-- Enqueue jobs of one queue, atomically per call.
-- Ready jobs go straight to apalis' active list (never through its scheduled set, whose promotion
-- unpacks every due job at once and breaks past ~8,000); delayed jobs go to our own delayed set,
-- promoted in bounded chunks by promote.lua.
-- KEYS[1] apalis data hash   KEYS[2] apalis active list   KEYS[3] our delayed zset
-- KEYS[4] the queue's own delayed zset (task ids)
-- ARGV[1] job record prefix  ARGV[2] idempotency prefix  ARGV[3] queue name  ARGV[4] now (ms)
-- ARGV[5] idempotency ttl (s)  ARGV[6] notify channel
-- then groups of 9: job_id, envelope, job name, max_attempts, run_at ms (0 = now), idempotency key, payload,
-- actor (`system` or `user:<id>`), resource (`platform`, `email_account:<id>`, ...)
-- Returns a flat list: job_id, duplicate(0|1) for each job.
local now = tonumber(ARGV[4])
local out = {}
local pushed = 0
-- The envelopes and the ids to push are written with one variadic HSET and RPUSH per chunk.
local data, ready = {}, {}
local function flush()
  if #ready > 0 then
    redis.call('HSET', KEYS[1], unpack(data))
    redis.call('RPUSH', KEYS[2], unpack(ready))
    data, ready = {}, {}
  end
end
for i = 7, #ARGV, 9 do
  local id, envelope, name = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local max_attempts, run_at = ARGV[i + 3], tonumber(ARGV[i + 4])
  local idem, payload = ARGV[i + 5], ARGV[i + 6]
  local actor, resource = ARGV[i + 7], ARGV[i + 8]
  local existing = false
  if idem ~= '' then
    local prev = redis.call('GET', ARGV[2] .. idem)
    if prev then
      existing = prev
    else
      redis.call('SET', ARGV[2] .. idem, id, 'EX', tonumber(ARGV[5]))
    end
  end
  if existing then
    table.insert(out, existing)
    table.insert(out, 1)
  else
    local delayed = run_at > now
    -- Values go to Redis as the strings they came as: a Lua number would be formatted with sprintf.
    local run_at_text = delayed and ARGV[i + 4] or ARGV[4]
    local rec = ARGV[1] .. id
    redis.call('HSET', rec, 'job', name, 'queue', ARGV[3], 'state', delayed and 'scheduled' or 'waiting',
      'attempts', '0', 'max_attempts', max_attempts, 'payload', payload, 'created_at', ARGV[4],
      'run_at', run_at_text, 'task_id', id, 'idempotency_key', idem, 'actor', actor, 'resource', resource)
    if delayed then
      redis.call('HSET', KEYS[1], id, envelope)
      redis.call('ZADD', KEYS[3], run_at_text, ARGV[3] .. '|' .. id)
      redis.call('ZADD', KEYS[4], run_at_text, id)
    else
      data[#data + 1] = id
      data[#data + 1] = envelope
      ready[#ready + 1] = id
      pushed = pushed + 1
      if #ready >= 500 then flush() end
    end
    table.insert(out, id)
    table.insert(out, 0)
  end
end
flush()
if pushed > 0 then
  redis.call('PUBLISH', ARGV[6], pushed)
end
return out
