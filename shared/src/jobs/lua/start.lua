-- Mark a job as running and count the attempt.
-- KEYS[1] job record  KEYS[2] the queue's running set
-- ARGV[1] now (ms)  ARGV[2] worker id  ARGV[3] task id  ARGV[4] job id
-- Returns {attempt number, created_at ms}; attempt is -1 if the record is gone, -2 if the task is stale (a
-- newer attempt exists or the job already finished), which happens when a crashed worker's task is
-- recovered late.
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local state, task, created = unpack(redis.call('HMGET', KEYS[1], 'state', 'task_id', 'created_at'))
if task ~= ARGV[3] or state == 'succeeded' or state == 'dead' or state == 'cancelled' then return {-2, 0} end
local attempt = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'state', 'running', 'started_at', ARGV[1], 'worker', ARGV[2])
redis.call('HDEL', KEYS[1], 'next_attempt_at')
redis.call('SADD', KEYS[2], ARGV[4])
return {attempt, tonumber(created) or 0}
