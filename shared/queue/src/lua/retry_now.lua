-- Run a scheduled or retrying job now: move its task from the delayed sets to the active list.
-- KEYS[1] job record  KEYS[2] apalis active list  KEYS[3] delayed zset  KEYS[4] the queue's delayed zset
-- ARGV[1] now (ms)  ARGV[2] queue name  ARGV[3] notify channel
-- Returns 1 when moved, 0 when the job is not delayed, -1 if unknown.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local state, task = unpack(redis.call('HMGET', KEYS[1], 'state', 'task_id'))
if state ~= 'scheduled' and state ~= 'retrying' then return 0 end
if redis.call('ZREM', KEYS[3], ARGV[2] .. '|' .. task) == 0 then return 0 end
redis.call('ZREM', KEYS[4], task)
redis.call('RPUSH', KEYS[2], task)
redis.call('HSET', KEYS[1], 'run_at', ARGV[1])
if state == 'scheduled' then redis.call('HSET', KEYS[1], 'state', 'waiting') end
redis.call('PUBLISH', ARGV[3], 1)
return 1
