-- Prelude of the scripts that give a worker's whole in-flight set back (prepended in persistence.rs).

-- Moves every task of the in-flight set `set` to the ready list `ready` (at the tail, or at the head when
-- `at_head`) and empties the set; returns how many tasks moved. Pushes go 1,000 ids at a time, below Lua's
-- unpack limit.
local function requeue_held(set, ready, at_head)
  local held = redis.call('SMEMBERS', set)
  local push = at_head and 'LPUSH' or 'RPUSH'
  for i = 1, #held, 1000 do
    redis.call(push, ready, unpack(held, i, math.min(i + 999, #held)))
  end
  redis.call('DEL', set)
  return #held
end
