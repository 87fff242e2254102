-- Fetch up to ARGV[1] ready tasks for one worker: they leave the ready list, enter the worker's in-flight
-- set, and come back with their envelopes (apalis-redis' layout, without its per-task meta hash).
-- KEYS[1] the queue's workers zset  KEYS[2] the ready list  KEYS[3] this worker's in-flight set
-- KEYS[4] the queue's data hash
-- ARGV[1] most tasks to take  ARGV[2] worker name
-- Returns {task ids, envelopes, number of ids dropped because their envelope is gone}.
-- A worker Redis does not know (Redis restarted and lost its registration) is refused: it ends and is
-- restarted under a new name, instead of fetching into an in-flight set orphan recovery never visits.
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return redis.error_reply('worker not registered')
end
local ids = redis.call('LPOP', KEYS[2], ARGV[1])
if not ids then return { {}, {}, 0 } end
local envelopes = redis.call('HMGET', KEYS[4], unpack(ids))
local kept, data, gone = {}, {}, 0
for i = 1, #ids do
  if envelopes[i] then
    kept[#kept + 1] = ids[i]
    data[#data + 1] = envelopes[i]
  else
    gone = gone + 1
  end
end
if #kept > 0 then redis.call('SADD', KEYS[3], unpack(kept)) end
return { kept, data, gone }
