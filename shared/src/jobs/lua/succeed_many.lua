-- Record successes: one call for all the jobs a worker process finished together, which also forgets the
-- finished tasks in apalis' storage (see lib/forget.lua).
-- KEYS, per job i (6 each, from k = 6(i-1)): k+1 job record, k+2 its errors list, k+3 its queue's running
--   set, k+4 this minute's stats hash of its queue, k+5 the in-flight set of the worker that ran it,
--   k+6 the queue's data hash
-- ARGV[1] now (ms)  ARGV[2] record ttl (s); per job i: ARGV[4i-1] task id, ARGV[4i] job id,
--   ARGV[4i+1] result json, ARGV[4i+2] attempt number (the errors list exists only after a failed attempt)
-- Returns, per job, 1 when recorded or 0 when the task is stale (the job moved on meanwhile); a stale
-- task is forgotten all the same.
-- The `worker` field stays: it names the process that ran the job last.
-- The ttl stays a string: a Lua number would be formatted with sprintf on every call.
local ttl = ARGV[2]
local out = {}
local per_minute = {}
-- Job ids leaving each running set (one SREM per set; a batch holds at most a few hundred jobs, far below
-- Lua's unpack limit) and the finished tasks.
local leaving, finished = {}, {}
for i = 1, #KEYS / 6 do
  local k = 6 * (i - 1)
  local rec, errors, running, stats = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local task, job, result, attempt = ARGV[4 * i - 1], ARGV[4 * i], ARGV[4 * i + 1], tonumber(ARGV[4 * i + 2])
  if redis.call('HGET', rec, 'task_id') ~= task then
    out[i] = 0
  else
    redis.call('HSET', rec, 'state', 'succeeded', 'finished_at', ARGV[1], 'result', result)
    redis.call('EXPIRE', rec, ttl)
    if attempt > 1 then redis.call('EXPIRE', errors, ttl) end
    local ids = leaving[running]
    if not ids then
      ids = {}
      leaving[running] = ids
    end
    ids[#ids + 1] = job
    per_minute[stats] = (per_minute[stats] or 0) + 1
    out[i] = 1
  end
  note_finished(finished, KEYS[k + 5], KEYS[k + 6], task)
end
for running, ids in pairs(leaving) do redis.call('SREM', running, unpack(ids)) end
forget_finished(finished)
for stats, n in pairs(per_minute) do
  redis.call('HINCRBY', stats, 'succeeded', n)
  redis.call('EXPIRE', stats, 7200)
end
return out
