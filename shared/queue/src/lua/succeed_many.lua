-- Record successes: one call for all the jobs a worker process finished together, which also forgets the
-- finished tasks in the queue's storage (see lib/forget.lua).
-- KEYS, per group g (4 each, from k = 4(g-1); a group is the jobs one worker of one queue ran): k+1 the
--   queue's running set, k+2 this minute's stats hash of the queue, k+3 the worker's in-flight set,
--   k+4 the queue's data hash
-- ARGV[1] now (ms)  ARGV[2] record ttl (s)  ARGV[3] job record prefix; then per job (5 each, from j = 4):
--   ARGV[j] task id, ARGV[j+1] job id, ARGV[j+2] result json, ARGV[j+3] attempt number (the errors list
--   exists only after a failed attempt), ARGV[j+4] its group g
-- Returns, per job, 1 when recorded or 0 when the task is stale (the job moved on meanwhile); a stale
-- task is forgotten all the same.
-- The `worker` field stays: it names the process that ran the job last.
-- The ttl stays a string: a Lua number would be formatted with sprintf on every call.
local ttl = ARGV[2]
local out = {}
-- Per group: job ids leaving its running set (one SREM per set; a batch holds at most a few hundred jobs,
-- far below Lua's unpack limit) and the number of successes.
local leaving, succeeded = {}, {}
local finished = {}
for j = 4, #ARGV, 5 do
  local task, job, result = ARGV[j], ARGV[j + 1], ARGV[j + 2]
  local attempt, g = tonumber(ARGV[j + 3]), tonumber(ARGV[j + 4])
  local rec = ARGV[3] .. job
  local k = 4 * (g - 1)
  if redis.call('HGET', rec, 'task_id') ~= task then
    out[#out + 1] = 0
  else
    redis.call('HSET', rec, 'state', 'succeeded', 'finished_at', ARGV[1], 'result', result)
    redis.call('EXPIRE', rec, ttl)
    if attempt > 1 then redis.call('EXPIRE', rec .. ':errors', ttl) end
    local ids = leaving[g]
    if not ids then
      ids = {}
      leaving[g] = ids
    end
    ids[#ids + 1] = job
    succeeded[g] = (succeeded[g] or 0) + 1
    out[#out + 1] = 1
  end
  note_finished(finished, KEYS[k + 3], KEYS[k + 4], task)
end
for g, ids in pairs(leaving) do redis.call('SREM', KEYS[4 * (g - 1) + 1], unpack(ids)) end
forget_finished(finished)
for g, n in pairs(succeeded) do
  local stats = KEYS[4 * (g - 1) + 2]
  redis.call('HINCRBY', stats, 'succeeded', n)
  redis.call('EXPIRE', stats, 7200)
end
return out
