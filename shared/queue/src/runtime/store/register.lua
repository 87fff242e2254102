-- Register a worker. A name seen within the last heartbeat belongs to a live worker and is refused; a
-- previous holder silent for longer has its in-flight tasks put back on the ready list first.
-- KEYS[1] the queue's workers zset  KEYS[2] the ready list  KEYS[3] this worker's in-flight set
-- ARGV[1] now (s)  ARGV[2] worker name  ARGV[3] heartbeat interval (s)  ARGV[4] notify channel
local seen = redis.call('ZSCORE', KEYS[1], ARGV[2])
if seen and tonumber(seen) > tonumber(ARGV[1]) - tonumber(ARGV[3]) then
  return redis.error_reply('worker name in use by a live worker')
end
local moved = requeue_held(KEYS[3], KEYS[2], false)
if moved > 0 then redis.call('PUBLISH', ARGV[4], moved) end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return moved
