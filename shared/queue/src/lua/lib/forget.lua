-- Prelude shared by the scripts that finish tasks (prepended in scripts.rs).
-- apalis never acks a task (the workers' store has no ack): the task's copies in the queue's storage (the
-- in-flight set of the worker that ran it, the envelope in the queue's data hash) are removed here, in the
-- same call that records how the attempt ended.
-- The envelope is deleted only for tasks still in that in-flight set: a task that orphan recovery already
-- put back on the queue (its worker was presumed dead) keeps it, so whoever fetches it next still finds it.

-- Collects one finished task; `tasks` is grouped by in-flight set, so each set and its data hash take one
-- variadic command per call.
local function note_finished(tasks, inflight, data, task)
  local g = tasks[inflight]
  if not g then
    g = { data = data, ids = {} }
    tasks[inflight] = g
  end
  g.ids[#g.ids + 1] = task
end

local function forget_finished(tasks)
  for inflight, g in pairs(tasks) do
    local held = redis.call('SMISMEMBER', inflight, unpack(g.ids))
    redis.call('SREM', inflight, unpack(g.ids))
    local ids = {}
    for j = 1, #g.ids do
      if held[j] == 1 then ids[#ids + 1] = g.ids[j] end
    end
    if #ids > 0 then redis.call('HDEL', g.data, unpack(ids)) end
  end
end
