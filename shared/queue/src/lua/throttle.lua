-- Re-schedule a job held back by its rate-limit bucket as a new task, without counting an attempt: either
-- before it started (no token), or after a provider answered 429 (the attempt is handed back and the
-- bucket paused until the provider's Retry-After).
-- KEYS[1] job record  KEYS[2] apalis data hash  KEYS[3] delayed zset  KEYS[4] the queue's delayed zset
-- KEYS[5] running set  KEYS[6] bucket hash (pausing only)
-- ARGV[1] current task id  ARGV[2] due (ms)  ARGV[3] new task id  ARGV[4] envelope  ARGV[5] queue
-- ARGV[6] job id  ARGV[7] 1 if the attempt had started (hand it back)  ARGV[8] pause the bucket for this many ms from Redis' clock (0: no)
-- Returns 1, or 0 when the task is stale.
if redis.call('HGET', KEYS[1], 'task_id') ~= ARGV[1] then return 0 end
if ARGV[7] == '1' then
  redis.call('HINCRBY', KEYS[1], 'attempts', -1)
  redis.call('HINCRBY', KEYS[1], 'throttled', 1)
  redis.call('SREM', KEYS[5], ARGV[6])
end
local pause_ms = tonumber(ARGV[8])
if pause_ms > 0 then
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  local pause = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + pause_ms
  local current = tonumber(redis.call('HGET', KEYS[6], 'paused_until')) or 0
  if pause > current then redis.call('HSET', KEYS[6], 'paused_until', pause) end
  redis.call('HINCRBY', KEYS[6], 'provider_pauses', 1)
end
redis.call('HSET', KEYS[1], 'state', 'scheduled', 'run_at', ARGV[2], 'task_id', ARGV[3])
redis.call('HDEL', KEYS[1], 'worker', 'started_at')
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[5] .. '|' .. ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[3])
return 1
