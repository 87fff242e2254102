-- Forget tasks whose attempt did not succeed (retry scheduled as a new task, dead-lettered, stale or
-- orphaned task skipped); successes are forgotten inside succeed_many.lua. See lib/forget.lua.
-- KEYS, per group g (a worker of a queue): KEYS[2g-1] the worker's in-flight set, KEYS[2g] the queue's
--   data hash
-- ARGV, per task i: ARGV[2i-1] task id, ARGV[2i] its group g
local tasks = {}
for i = 1, #ARGV, 2 do
  local g = tonumber(ARGV[i + 1])
  note_finished(tasks, KEYS[2 * g - 1], KEYS[2 * g], ARGV[i])
end
forget_finished(tasks)
return #ARGV / 2
