-- Forget tasks whose attempt did not succeed (retry scheduled as a new task, dead-lettered, stale or
-- orphaned task skipped); successes are forgotten inside succeed_many.lua. See lib/forget.lua.
-- KEYS, per task i: KEYS[2i-1] the in-flight set of the worker that ran it, KEYS[2i] the queue's data hash
-- ARGV[i] task id
local tasks = {}
for i = 1, #ARGV do
  note_finished(tasks, KEYS[2 * i - 1], KEYS[2 * i], ARGV[i])
end
forget_finished(tasks)
return #ARGV
