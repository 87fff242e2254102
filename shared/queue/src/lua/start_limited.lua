-- Start one job through a global rate-limit bucket (GCRA), atomically: the token is taken and the job
-- marked running in the same call, both at Redis' clock, so the start times in job records honour the
-- limit whichever worker process started them.
-- KEYS[1] job record  KEYS[2] running set  KEYS[3] bucket hash  KEYS[4] bucket index set
-- ARGV[1] task id  ARGV[2] worker id  ARGV[3] limit  ARGV[4] period (ms)  ARGV[5] burst  ARGV[6] bucket name
-- ARGV[7] job id
-- Returns {attempt, created_at ms, wait ms, in place}: attempt > 0 started; -1 record gone; -2 stale task;
-- 0 throttled: the caller re-schedules the task `wait` ms from now (no attempt counted), or, when `in place`
-- is 1, waits `wait` ms itself and asks again.
-- Throttled jobs take turns: each gets the next free "wake" slot (one interval apart), so a backlog wakes
-- one by one instead of all at once at every token. A job woken from its slot that finds the token less
-- than one interval (and 2 s) away (the previous start was a little late) waits for it in place instead of taking a
-- new slot at the back of the line: otherwise every late wake-up would waste a slot and the observed rate
-- would fall well under the limit. Only woken jobs (throttled before) do this, one per slot, so no herd
-- forms.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state, owner, created, attempts, throttled =
  unpack(redis.call('HMGET', KEYS[1], 'state', 'task_id', 'created_at', 'attempts', 'throttled'))
if not state then return {-1, 0, 0, 0} end
if owner ~= ARGV[1] or state == 'succeeded' or state == 'dead' or state == 'cancelled' then
  return {-2, 0, 0, 0}
end
local limit, period, burst = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local interval = period / limit
local tat, paused, wake = unpack(redis.call('HMGET', KEYS[3], 'tat', 'paused_until', 'wake'))
tat = math.max(tonumber(tat) or 0, now)
paused = tonumber(paused) or 0
local wait = 0
if paused > now then
  wait = paused - now
else
  -- GCRA: the start is allowed when the theoretical arrival time after it stays within the burst.
  local allowed_at = tat + interval - burst * interval
  if allowed_at > now then wait = allowed_at - now end
end
redis.call('HSET', KEYS[3], 'limit', limit, 'period_ms', period, 'burst', burst)
redis.call('SADD', KEYS[4], ARGV[6])
-- The bucket outlives its last use by a day (per-host buckets must not pile up forever).
local horizon = math.max(tat, paused, tonumber(wake) or 0) - now + period + 86400000
if wait > 0 and paused <= now and (tonumber(throttled) or 0) > 0
    and wait <= math.min(interval, 2000) then
  return {0, 0, math.ceil(wait), 1}
end
if wait > 0 then
  local due = math.max(now + wait, tonumber(wake) or 0)
  redis.call('HSET', KEYS[3], 'wake', due + interval)
  redis.call('HINCRBY', KEYS[3], 'throttled', 1)
  redis.call('HINCRBY', KEYS[1], 'throttled', 1)
  redis.call('PEXPIRE', KEYS[3], math.ceil(horizon + (due - now)))
  return {0, 0, math.ceil(due - now), 0}
end
redis.call('HSET', KEYS[3], 'tat', tat + interval)
redis.call('HINCRBY', KEYS[3], 'granted', 1)
redis.call('PEXPIRE', KEYS[3], math.ceil(horizon))
local attempt = (tonumber(attempts) or 0) + 1
redis.call('HSET', KEYS[1], 'state', 'running', 'started_at', now, 'worker', ARGV[2], 'attempts', attempt)
redis.call('SADD', KEYS[2], ARGV[7])
return {attempt, tonumber(created) or 0, 0, 0}
