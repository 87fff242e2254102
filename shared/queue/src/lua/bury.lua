-- Move a job to the dead-letter set with its reason.
-- KEYS[1] job record  KEYS[2] errors list  KEYS[3] dead zset  KEYS[4] the queue's dead zset
-- KEYS[5] running set  KEYS[6] this minute's stats hash
-- ARGV[1] now (ms)  ARGV[2] error entry json  ARGV[3] error text  ARGV[4] job id  ARGV[5] current task id
if redis.call('HGET', KEYS[1], 'task_id') ~= ARGV[5] then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, 49)
redis.call('HSET', KEYS[1], 'state', 'dead', 'finished_at', ARGV[1], 'last_error', ARGV[3])
redis.call('HDEL', KEYS[1], 'worker')
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[4])
redis.call('SREM', KEYS[5], ARGV[4])
redis.call('HINCRBY', KEYS[6], 'failed', 1)
redis.call('HINCRBY', KEYS[6], 'dead', 1)
redis.call('EXPIRE', KEYS[6], 7200)
return 1
