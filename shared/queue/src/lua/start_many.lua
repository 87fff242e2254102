-- Mark jobs as running and count their attempts: one call for all the tasks a worker process started
-- together (a single job is a batch of one).
-- KEYS[g] the running set of group g (a batch has one group per queue)
-- ARGV[1] now (ms)  ARGV[2] worker id  ARGV[3] job record prefix; then per job (3 each, from j = 4):
--   ARGV[j] task id, ARGV[j+1] job id, ARGV[j+2] its group g
-- Returns, per job, {attempt number, created_at ms} flattened; attempt is -1 if the record is gone, -2 if
-- the task is stale (a newer attempt exists or the job already finished), which happens when a crashed
-- worker's task is recovered late.
-- `next_attempt_at` is left as it is: readers show it only while the job is retrying.
local out = {}
local running_ids = {}
for j = 4, #ARGV, 3 do
  local task, job, g = ARGV[j], ARGV[j + 1], tonumber(ARGV[j + 2])
  local rec = ARGV[3] .. job
  local state, owner, created, attempts =
    unpack(redis.call('HMGET', rec, 'state', 'task_id', 'created_at', 'attempts'))
  if not state then
    out[#out + 1] = -1
    out[#out + 1] = 0
  elseif owner ~= task or state == 'succeeded' or state == 'dead' or state == 'cancelled' then
    out[#out + 1] = -2
    out[#out + 1] = 0
  else
    local attempt = (tonumber(attempts) or 0) + 1
    redis.call('HSET', rec, 'state', 'running', 'started_at', ARGV[1], 'worker', ARGV[2], 'attempts', attempt)
    local ids = running_ids[g]
    if not ids then
      ids = {}
      running_ids[g] = ids
    end
    ids[#ids + 1] = job
    out[#out + 1] = attempt
    out[#out + 1] = tonumber(created) or 0
  end
end
-- One SADD per queue's running set (a batch holds at most a few hundred jobs).
for g, ids in pairs(running_ids) do
  redis.call('SADD', KEYS[g], unpack(ids))
end
return out
