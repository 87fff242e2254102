-- Record a transient failure and schedule the next attempt as a new apalis task (a fresh task id per
-- attempt, so apalis' own retry bookkeeping never applies).
-- KEYS[1] job record  KEYS[2] errors list  KEYS[3] apalis data hash  KEYS[4] delayed zset
-- KEYS[5] the queue's delayed zset  KEYS[6] running set  KEYS[7] this minute's stats hash
-- ARGV[1] now (ms)  ARGV[2] error entry json  ARGV[3] error text  ARGV[4] due (ms)  ARGV[5] new task id
-- ARGV[6] envelope  ARGV[7] queue  ARGV[8] current task id  ARGV[9] job id
if redis.call('HGET', KEYS[1], 'task_id') ~= ARGV[8] then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, 49)
redis.call('HSET', KEYS[1], 'state', 'retrying', 'last_error', ARGV[3], 'next_attempt_at', ARGV[4],
  'task_id', ARGV[5])
redis.call('HDEL', KEYS[1], 'worker')
redis.call('HSET', KEYS[3], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[7] .. '|' .. ARGV[5])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[5])
redis.call('SREM', KEYS[6], ARGV[9])
redis.call('HINCRBY', KEYS[7], 'failed', 1)
redis.call('EXPIRE', KEYS[7], 7200)
return 1
