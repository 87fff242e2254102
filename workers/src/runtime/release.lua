-- Give a stopping worker's in-flight tasks back to its queue (shutdown deadline passed).
-- KEYS[1] the worker's inflight set  KEYS[2] the queue's active list  KEYS[3] the queue's workers zset
-- ARGV[1] worker name  ARGV[2] notify channel
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do
  redis.call('LPUSH', KEYS[2], id)
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if #ids > 0 then redis.call('PUBLISH', ARGV[2], #ids) end
return #ids
