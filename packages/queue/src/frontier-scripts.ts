import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | Buffer;

/**
 * Runs a Lua script by its SHA1 (EVALSHA: the script text is not sent per call), loading it
 * once when Redis does not know it (a restarted Redis, SCRIPT FLUSH). Replies come as Buffers
 * when `binary` (keys are binary), else as ioredis decodes them.
 */
export async function runScript(
  redis: Redis,
  script: Script,
  keys: Arg[],
  args: Arg[],
  binary = false,
): Promise<unknown> {
  const call = (cmd: string, first: string) =>
    binary
      ? redis.callBuffer(cmd, first, keys.length, ...keys, ...args)
      : redis.call(cmd, first, keys.length, ...keys, ...args);
  try {
    return await call('EVALSHA', script.sha);
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return call('EVAL', script.lua);
  }
}

export interface Script {
  lua: string;
  sha: string;
}
const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

/**
 * The frontier's Lua scripts. Addresses are keyed by `endpointKey` bytes (network id, address
 * length, address, port: 8 bytes for IPv4), which are also the key bytes of each entry of a
 * packed getaddr answer (PackedAddrs), so COMMIT admits a whole answer straight from the packed
 * buffer: one round trip per visit, no per-address strings in between.
 */

/** Lua that collects the entry keys of a packed list (a BIP155 addrv2 payload): `entry_keys(p)`. */
const WALK = `
local function csize(p, pos)
  local b = string.byte(p, pos)
  if b < 253 then return b, pos + 1 end
  local len = (b == 253) and 2 or ((b == 254) and 4 or 8)
  local v = 0
  for i = len, 1, -1 do v = v * 256 + string.byte(p, pos + i) end
  return v, pos + 1 + len
end
local function entry_keys(p)
  local ks = {}
  if #p == 0 then return ks end
  local count, pos = csize(p, 1)
  for i = 1, count do
    local _, at = csize(p, pos + 4)
    local len, addr = csize(p, at + 1)
    pos = addr + len + 2
    ks[i] = string.sub(p, at, pos - 1)
  end
  return ks
end
`;

/*
 * Admission of a list of keys, shared by ADMIT and COMMIT: those not yet seen this round and
 * due (or forced), each once. Batched: one SMISMEMBER, one ZMSCORE and one SADD per 1,000
 * keys, not three calls per key (a call from Lua costs about a microsecond; an answer has
 * 1,000 entries, a round 15 million). Returns the 1-based indices admitted and their keys.
 */
const ADMIT_LIST = `
local function admit_list(seen, due, ks, now)
  local idx, admitted, once = {}, {}, {}
  for from = 1, #ks, 1000 do
    local to = math.min(from + 999, #ks)
    local known = redis.call('SMISMEMBER', seen, unpack(ks, from, to))
    local fresh, at = {}, {}
    for j = 1, #known do
      local k = ks[from + j - 1]
      if known[j] == 0 and not once[k] then
        once[k] = true
        fresh[#fresh + 1] = k
        at[#at + 1] = from + j - 1
      end
    end
    if #fresh > 0 then
      local scores = redis.call('ZMSCORE', due, unpack(fresh))
      local add = {}
      for j = 1, #fresh do
        local nxt = scores[j]
        if (not nxt) or tonumber(nxt) <= now then
          add[#add + 1] = fresh[j]
          idx[#idx + 1] = at[j]
        end
      end
      if #add > 0 then
        redis.call('SADD', seen, unpack(add))
        for j = 1, #add do admitted[#admitted + 1] = add[j] end
      end
    end
  end
  return idx, admitted
end
`;

/*
 * Seeds. KEYS: seen, due. ARGV: now, ttl seconds, keys... Returns the 1-based indices admitted.
 */
export const ADMIT = script(`${ADMIT_LIST}
local ks = {}
for i = 3, #ARGV do ks[i - 2] = ARGV[i] end
local idx = admit_list(KEYS[1], KEYS[2], ks, tonumber(ARGV[1]))
if #idx > 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) end
return idx
`);

/* The outbox's members not yet visited (what a visit admitted and may not have enqueued). */
const UNFINISHED = `
local function unfinished(outbox, visited)
  local out = {}
  for _, a in ipairs(redis.call('SMEMBERS', outbox)) do
    if redis.call('SISMEMBER', visited, a) == 0 then out[#out + 1] = a end
  end
  return out
end
`;

/*
 * The start of a job. KEYS: visited, outbox. ARGV: key.
 * Returns {0} when the address is not recorded this round (visit it), else {1, unfinished...}:
 * recorded already, by an earlier attempt of this job or a twin; its admissions are handed back.
 */
export const BEGIN = script(`${UNFINISHED}
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return {0} end
local out = unfinished(KEYS[2], KEYS[1])
table.insert(out, 1, 1)
return out
`);

/*
 * The end of a visit, atomically: record it once per round (visited set, the stream entry, the
 * revisit time, the round's ok count) and admit its answer, keeping what it admitted in the
 * source's outbox until the caller has enqueued it (clearOutbox).
 * KEYS: visited, stream, due, fails, meta, outbox, seen.
 * ARGV: key, header json, packed addrs, ok, now, reachableMs, failBaseMs, failMaxMs, ttl seconds.
 * Returns {1, admitted indices (1-based)...} or, for an address already recorded,
 * {0, unfinished outbox keys...}.
 */
export const COMMIT = script(`${WALK}${ADMIT_LIST}${UNFINISHED}
local ttl = tonumber(ARGV[9])
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  local out = unfinished(KEYS[6], KEYS[1])
  table.insert(out, 1, 0)
  return out
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('XADD', KEYS[2], '*', 'obs', ARGV[2], 'addrs', ARGV[3])
local now = tonumber(ARGV[5])
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[6]), ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
  redis.call('HINCRBY', KEYS[5], 'ok', 1)
else
  local fails = redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
  local backoff = math.min(tonumber(ARGV[8]), tonumber(ARGV[7]) * (2 ^ (fails - 1)))
  redis.call('ZADD', KEYS[3], now + backoff, ARGV[1])
end
redis.call('EXPIRE', KEYS[5], ttl)
local idx, keys = admit_list(KEYS[7], KEYS[3], entry_keys(ARGV[3]), now)
if #keys > 0 then
  redis.call('EXPIRE', KEYS[7], ttl)
  for i = 1, #keys, 1000 do
    redis.call('SADD', KEYS[6], unpack(keys, i, math.min(i + 999, #keys)))
  end
  redis.call('EXPIRE', KEYS[6], ttl)
end
table.insert(idx, 1, 1)
return idx
`);

/*
 * KEYS: due, fails. ARGV: cutoff, limit. Forgets up to `limit` addresses whose next visit
 * was due before the cutoff (with their failure counts); returns how many.
 */
export const PRUNE = script(`
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #old == 0 then return 0 end
redis.call('ZREM', KEYS[1], unpack(old))
redis.call('HDEL', KEYS[2], unpack(old))
return #old
`);
