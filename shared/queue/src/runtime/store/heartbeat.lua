-- A worker's heartbeat, then orphan recovery for its queue: every worker silent since ARGV[3] has its
-- in-flight tasks put back at the tail of the ready list (as apalis-redis does) and leaves the workers zset.
-- KEYS[1] the queue's workers zset  KEYS[2] the ready list
-- ARGV[1] now (s)  ARGV[2] worker name  ARGV[3] silent-since cutoff (s)  ARGV[4] in-flight set prefix
-- ARGV[5] notify channel
-- Returns the number of tasks recovered. A worker Redis does not know is refused (see fetch.lua).
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return redis.error_reply('worker not registered')
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local recovered = 0
for _, worker in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])) do
  recovered = recovered + requeue_held(ARGV[4] .. worker, KEYS[2], false)
  redis.call('ZREM', KEYS[1], worker)
end
if recovered > 0 then redis.call('PUBLISH', ARGV[5], recovered) end
return recovered
