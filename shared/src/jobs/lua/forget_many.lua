-- Forget tasks whose attempt did not succeed (retry scheduled as a new task, dead-lettered, stale or
-- orphaned task skipped); successes are forgotten inside succeed_many.lua. See lib/forget.lua.
-- KEYS, per task i: KEYS[3i-2] the in-flight set of the worker that ran it, KEYS[3i-1] the queue's data
--   hash, KEYS[3i] the task's meta hash
-- ARGV[i] task id
local tasks = {}
for i = 1, #ARGV do
  note_finished(tasks, KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i], ARGV[i])
end
forget_finished(tasks)
return #ARGV
