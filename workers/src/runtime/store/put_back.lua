-- Give back the tasks a stopping worker fetched but never started: those still in its in-flight set go to
-- the head of the ready list, in the order they were fetched.
-- KEYS[1] the worker's in-flight set  KEYS[2] the ready list
-- ARGV[1] notify channel; ARGV[2..] task ids in fetch order
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
