-- Give a task back to its queue after its bookkeeping could not be written (Redis was unreachable for
-- longer than the executor waits): it leaves the worker's in-flight set and goes to the head of the queue.
-- KEYS[1] the worker's in-flight set  KEYS[2] the queue's apalis active list
-- ARGV[1] task id  ARGV[2] notify channel
-- Returns 1 when handed back, 0 when the task was no longer in flight there (already recovered).
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], 1)
return 1
