-- Record successes: one call for all the jobs a worker process finished together.
-- KEYS, per job i: KEYS[4i-3] job record, KEYS[4i-2] its errors list, KEYS[4i-1] its queue's running set,
--   KEYS[4i] this minute's stats hash of its queue
-- ARGV[1] now (ms)  ARGV[2] record ttl (s); per job i: ARGV[4i-1] task id, ARGV[4i] job id,
--   ARGV[4i+1] result json, ARGV[4i+2] attempt number (the errors list exists only after a failed attempt)
-- Returns, per job, 1 when recorded or 0 when the task is stale (the job moved on meanwhile).
-- The `worker` field stays: it names the process that ran the job last.
local ttl = tonumber(ARGV[2])
local out = {}
local per_minute = {}
local running_ids = {}
for i = 1, #KEYS / 4 do
  local rec, errors, running, stats = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local task, job, result, attempt = ARGV[4 * i - 1], ARGV[4 * i], ARGV[4 * i + 1], tonumber(ARGV[4 * i + 2])
  if redis.call('HGET', rec, 'task_id') ~= task then
    out[i] = 0
  else
    redis.call('HSET', rec, 'state', 'succeeded', 'finished_at', ARGV[1], 'result', result)
    redis.call('EXPIRE', rec, ttl)
    if attempt > 1 then redis.call('EXPIRE', errors, ttl) end
    local ids = running_ids[running]
    if not ids then
      ids = {}
      running_ids[running] = ids
    end
    ids[#ids + 1] = job
    per_minute[stats] = (per_minute[stats] or 0) + 1
    out[i] = 1
  end
end
for running, ids in pairs(running_ids) do
  redis.call('SREM', running, unpack(ids))
end
for stats, n in pairs(per_minute) do
  redis.call('HINCRBY', stats, 'succeeded', n)
  redis.call('EXPIRE', stats, 7200)
end
return out
