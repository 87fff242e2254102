-- Put a dead job back on its queue with a fresh attempt budget.
-- KEYS[1] job record  KEYS[2] dead zset  KEYS[3] apalis data hash  KEYS[4] apalis active list
-- KEYS[5] the queue's dead zset
-- ARGV[1] now (ms)  ARGV[2] job id  ARGV[3] new task id  ARGV[4] envelope  ARGV[5] notify channel
-- Returns 1 when requeued, 0 when the job is not dead, -1 when it does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'state') ~= 'dead' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[2])
redis.call('HSET', KEYS[1], 'state', 'waiting', 'attempts', 0, 'task_id', ARGV[3], 'run_at', ARGV[1],
  'requeued_at', ARGV[1])
redis.call('HDEL', KEYS[1], 'finished_at', 'started_at', 'result', 'progress_pct', 'progress_msg', 'progress_at')
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('RPUSH', KEYS[4], ARGV[3])
redis.call('PUBLISH', ARGV[5], 1)
return 1
