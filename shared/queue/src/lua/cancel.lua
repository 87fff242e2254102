-- Cancel a job that has not started: waiting, scheduled, or waiting for its next attempt.
-- KEYS[1] job record  KEYS[2] apalis active list  KEYS[3] delayed zset  KEYS[4] the queue's delayed zset
-- KEYS[5] apalis data hash
-- ARGV[1] now (ms)  ARGV[2] queue name  ARGV[3] record ttl (s)
-- Returns 1 when cancelled, 0 when the job is in another state (or a worker already took it), -1 if unknown.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local state, task = unpack(redis.call('HMGET', KEYS[1], 'state', 'task_id'))
if state ~= 'waiting' and state ~= 'scheduled' and state ~= 'retrying' then return 0 end
local removed = redis.call('LREM', KEYS[2], 1, task)
removed = removed + redis.call('ZREM', KEYS[3], ARGV[2] .. '|' .. task)
redis.call('ZREM', KEYS[4], task)
if removed == 0 then return 0 end
-- Nobody holds the task any more: its envelope goes too.
redis.call('HDEL', KEYS[5], task)
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished_at', ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
