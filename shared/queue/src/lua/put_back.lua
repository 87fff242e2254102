-- Give tasks a worker holds back to the head of their queue, in the given order: tasks a stopping worker
-- fetched but never started, or a task whose bookkeeping could not be written while Redis was away. Only
-- tasks still in the worker's in-flight set move (one orphan recovery already requeued stays where it is).
-- KEYS[1] the worker's in-flight set  KEYS[2] the queue's ready list
-- ARGV[1] notify channel; ARGV[2..] task ids, the first to run first
-- Returns the number of tasks given back.
local n = 0
for i = #ARGV, 2, -1 do
  if redis.call('SREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('LPUSH', KEYS[2], ARGV[i])
    n = n + 1
  end
end
if n > 0 then redis.call('PUBLISH', ARGV[1], n) end
return n
