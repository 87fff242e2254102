-- Give a stopping worker's in-flight tasks back to the head of its queue (shutdown deadline passed).
-- KEYS[1] the worker's inflight set  KEYS[2] the queue's active list  KEYS[3] the queue's workers zset
-- ARGV[1] worker name  ARGV[2] notify channel
local moved = requeue_held(KEYS[1], KEYS[2], true)
redis.call('ZREM', KEYS[3], ARGV[1])
if moved > 0 then redis.call('PUBLISH', ARGV[2], moved) end
return moved
