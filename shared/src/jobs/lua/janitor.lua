-- Forget apalis' copies of finished tasks (its done/dead sets, data hash and meta hashes would otherwise
-- grow forever); our job records carry the history.
-- KEYS[1] apalis done or dead set  KEYS[2] apalis data hash
-- ARGV[1] apalis meta prefix  ARGV[2] how many
local ids = redis.call('SPOP', KEYS[1], tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[2], id)
  redis.call('DEL', ARGV[1] .. ':' .. id)
end
return #ids
