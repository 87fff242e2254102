-- Set aside tasks whose envelope a worker cannot decode (written by hand or by another release): they leave
-- the worker's in-flight set and the data hash, and their raw envelope is kept in the queue's malformed
-- hash (task id -> envelope) for an operator to inspect. Running them again would only fail again.
-- KEYS[1] the worker's in-flight set  KEYS[2] the queue's data hash  KEYS[3] the queue's malformed hash
-- ARGV task ids
for _, id in ipairs(ARGV) do
  local raw = redis.call('HGET', KEYS[2], id)
  if raw then
    redis.call('HSET', KEYS[3], id, raw)
    redis.call('HDEL', KEYS[2], id)
  end
  redis.call('SREM', KEYS[1], id)
end
return #ARGV
