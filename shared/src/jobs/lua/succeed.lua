-- KEYS[1] job record  KEYS[2] errors list  KEYS[3] running set  KEYS[4] this minute's stats hash
-- ARGV[1] now (ms)  ARGV[2] result json  ARGV[3] ttl (s)  ARGV[4] task id  ARGV[5] job id
if redis.call('HGET', KEYS[1], 'task_id') ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'succeeded', 'finished_at', ARGV[1], 'result', ARGV[2])
redis.call('HDEL', KEYS[1], 'worker')
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
redis.call('SREM', KEYS[3], ARGV[5])
redis.call('HINCRBY', KEYS[4], 'succeeded', 1)
redis.call('EXPIRE', KEYS[4], 7200)
return 1
