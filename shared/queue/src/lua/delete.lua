-- Delete a job that is not running: its record, errors, and any queued task or dead-letter entry.
-- KEYS[1] job record  KEYS[2] errors list  KEYS[3] apalis active list  KEYS[4] delayed zset
-- KEYS[5] the queue's delayed zset  KEYS[6] dead zset  KEYS[7] the queue's dead zset  KEYS[8] apalis data hash
-- ARGV[1] queue name  ARGV[2] job id
-- Returns 1 when deleted, 0 when running, -1 if unknown.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local state, task = unpack(redis.call('HMGET', KEYS[1], 'state', 'task_id'))
if state == 'running' then return 0 end
local queued = redis.call('LREM', KEYS[3], 1, task)
  + redis.call('ZREM', KEYS[4], ARGV[1] .. '|' .. task)
  + redis.call('ZREM', KEYS[5], task)
if queued > 0 then
  -- Nobody holds the task any more: its envelope goes too.
  redis.call('HDEL', KEYS[8], task)
end
redis.call('ZREM', KEYS[6], ARGV[2])
redis.call('ZREM', KEYS[7], ARGV[2])
redis.call('DEL', KEYS[1], KEYS[2])
return 1
