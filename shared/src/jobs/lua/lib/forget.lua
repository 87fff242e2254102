-- Prelude shared by the scripts that finish tasks (prepended in scripts.rs).
-- The workers run apalis with `persist_results(false)`: apalis never acks a task, so the task's copies in
-- apalis' storage (the in-flight set of the worker that ran it, the queue's data hash, the task's meta
-- hash) are removed here, in the same call that records how the attempt ended.
-- The data and meta are deleted only for tasks still in that in-flight set: a task that apalis' orphan
-- recovery already put back on the queue (its worker was presumed dead) keeps them, so whoever fetches it
-- next still finds it.

-- Collects one finished task; `tasks` is grouped by in-flight set, so each set, data hash and the meta keys
-- take one variadic command per call.
local function note_finished(tasks, inflight, data, meta, task)
  local g = tasks[inflight]
  if not g then
    g = { data = data, ids = {}, metas = {} }
    tasks[inflight] = g
  end
  g.ids[#g.ids + 1] = task
  g.metas[#g.metas + 1] = meta
end

local function forget_finished(tasks)
  for inflight, g in pairs(tasks) do
    local held = redis.call('SMISMEMBER', inflight, unpack(g.ids))
    redis.call('SREM', inflight, unpack(g.ids))
    local ids, metas = {}, {}
    for j = 1, #g.ids do
      if held[j] == 1 then
        ids[#ids + 1] = g.ids[j]
        metas[#metas + 1] = g.metas[j]
      end
    end
    if #ids > 0 then
      redis.call('HDEL', g.data, unpack(ids))
      redis.call('DEL', unpack(metas))
    end
  end
end
