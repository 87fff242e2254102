-- Move due delayed tasks to their queue's active list, at most ARGV[2] per call (bounded unpack).
-- KEYS[1] delayed zset
-- ARGV[1] now (ms)  ARGV[2] limit  ARGV[3] apalis queue prefix ('{ns}:q:')  ARGV[4] notify prefix
-- ARGV[5] per-queue delayed prefix ('{ns}:delayed:')
-- Returns the number of tasks promoted.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local queues = {}
for _, member in ipairs(due) do
  local sep = string.find(member, '|', 1, true)
  if sep then
    local queue = string.sub(member, 1, sep - 1)
    local task = string.sub(member, sep + 1)
    redis.call('RPUSH', ARGV[3] .. queue .. ':active', task)
    redis.call('ZREM', ARGV[5] .. queue, task)
    queues[queue] = (queues[queue] or 0) + 1
  end
  redis.call('ZREM', KEYS[1], member)
end
for queue, n in pairs(queues) do
  redis.call('PUBLISH', ARGV[4] .. queue, n)
end
return #due
