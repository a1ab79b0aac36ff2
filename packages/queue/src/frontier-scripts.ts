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
 * The layout, chosen for memory (about 130 bytes of Redis per tracked address, measured):
 * - the round's HASH `addrs`: endpoint key -> '0' admitted, '1' recorded (one entry, not a
 *   member of two sets);
 * - the global HASH `revisit`: endpoint key -> next visit (ms) * 16 + consecutive failures
 *   (capped at 15, past which the back-off no longer grows): one value, not a ZSET entry plus a
 *   failure-count entry. Integers up to 2^53, exact in Lua's doubles.
 */
const REVISIT = `
local function next_visit(v) return math.floor(tonumber(v) / 16) end
local function fail_count(v) return tonumber(v) % 16 end
`;

/*
 * Admission of a list of keys, shared by ADMIT and COMMIT: those not yet in the round and due
 * (or forced), each once. Batched: one HMGET per 1,000 keys on each hash and one HSET, not
 * three calls per key (a call from Lua costs about a microsecond; an answer has 1,000 entries,
 * a round 15 million). Returns the 1-based indices admitted and their keys.
 */
const ADMIT_LIST = `${REVISIT}
local function admit_list(round, revisit, ks, now, cap)
  local idx, admitted, once = {}, {}, {}
  -- The per-source cap (cap > 0): past it nothing more is admitted; what was left out is counted.
  local capped = 0
  for from = 1, #ks, 1000 do
    local to = math.min(from + 999, #ks)
    local known = redis.call('HMGET', round, unpack(ks, from, to))
    local fresh, at = {}, {}
    for j = 1, to - from + 1 do
      local k = ks[from + j - 1]
      if not known[j] and not once[k] then
        once[k] = true
        fresh[#fresh + 1] = k
        at[#at + 1] = from + j - 1
      end
    end
    if #fresh > 0 then
      local nexts = redis.call('HMGET', revisit, unpack(fresh))
      local add = {}
      for j = 1, #fresh do
        local v = nexts[j]
        if (not v) or next_visit(v) <= now then
          if cap and cap > 0 and #idx >= cap then
            capped = capped + 1
          else
            add[#add + 1] = fresh[j]
            add[#add + 1] = '0'
            idx[#idx + 1] = at[j]
            admitted[#admitted + 1] = fresh[j]
          end
        end
      end
      if #add > 0 then redis.call('HSET', round, unpack(add)) end
    end
  end
  return idx, admitted, capped
end
`;

/*
 * Seeds. KEYS: round, revisit. ARGV: now, ttl seconds, keys... Returns the 1-based indices admitted.
 */
export const ADMIT = script(`${ADMIT_LIST}
local ks = {}
for i = 3, #ARGV do ks[i - 2] = ARGV[i] end
local idx = admit_list(KEYS[1], KEYS[2], ks, tonumber(ARGV[1]))
if #idx > 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) end
return idx
`);

/*
 * The outbox's keys not yet recorded (what a visit admitted and may not have enqueued). The
 * outbox is one string, the admitted keys back to back (each says its length: id, length,
 * address, port), not a set of members: it lives for one job.
 */
const UNFINISHED = `
local function unfinished(outbox, round)
  local out = {}
  local blob = redis.call('GET', outbox)
  if not blob then return out end
  local ks, pos = {}, 1
  while pos < #blob do
    local len = string.byte(blob, pos + 1)
    ks[#ks + 1] = string.sub(blob, pos, pos + len + 3)
    pos = pos + len + 4
  end
  for from = 1, #ks, 1000 do
    local to = math.min(from + 999, #ks)
    local state = redis.call('HMGET', round, unpack(ks, from, to))
    for j = 1, to - from + 1 do
      if state[j] ~= '1' then out[#out + 1] = ks[from + j - 1] end
    end
  end
  return out
end
`;

/*
 * The per-IP cap (MAX_ENDPOINTS_PER_IP), at visit time: whether an endpoint may take one of its
 * host's slots this round. The round's hosts hash maps a host (endpoint key without its port)
 * to the ports that took a slot, 2 bytes each; a port already there passes again (a
 * redelivered job). Returns 1 (may) or 0.
 */
const CLAIM = `
local function claim(hosts, host, port, per_host, ttl)
  local ports = redis.call('HGET', hosts, host) or ''
  for i = 1, #ports, 2 do
    if string.sub(ports, i, i + 1) == port then return 1 end
  end
  if #ports / 2 >= per_host then return 0 end
  redis.call('HSET', hosts, host, ports .. port)
  redis.call('EXPIRE', hosts, ttl)
  return 1
end
`;

/*
 * The starts of jobs, batched: every begin one worker issues in a turn goes in one call (a
 * burst of fetched jobs starts hundreds at once, and a call each cost the loop tens of ms in
 * a row). KEYS: round, hosts, then each target's outbox. ARGV: per-host slots, ttl seconds,
 * then per target its key and '1' to claim a slot of the per-IP cap (see CLAIM) or '0'.
 * Returns, per target in order: 0, claimed (1 when no claim was asked) when the address is not
 * recorded this round (visit it); else 1, n, then n unfinished keys: recorded already, by an
 * earlier attempt of this job or a twin; its admissions are handed back. One call for both:
 * each is a round trip of every job.
 */
export const BEGIN = script(`${UNFINISHED}${CLAIM}
local per_host, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS - 2 do
  local key = ARGV[2 * i + 1]
  if redis.call('HGET', KEYS[1], key) ~= '1' then
    out[#out + 1] = 0
    if ARGV[2 * i + 2] == '1' then
      out[#out + 1] = claim(KEYS[2], string.sub(key, 1, -3), string.sub(key, -2), per_host, ttl)
    else
      out[#out + 1] = 1
    end
  else
    local ks = unfinished(KEYS[i + 2], KEYS[1])
    out[#out + 1] = 1
    out[#out + 1] = #ks
    for j = 1, #ks do out[#out + 1] = ks[j] end
  end
end
return out
`);

/*
 * The end of a visit, atomically: record it once per round (the round hash, the stream entry,
 * the revisit time, the round's counts) and admit its answer, keeping what it admitted in the
 * source's outbox until the caller has enqueued it (clearOutbox).
 * KEYS: round, stream, revisit, meta, outbox.
 * ARGV: key, header json, packed addrs, ok, now, reachableMs, failBaseMs, failMaxMs, ttl seconds,
 * the candidates (the entries of the answer this worker has not asked about yet, packed),
 * new addresses one source may add (0: no cap).
 * Returns {1, admitted indices into the candidates (1-based)..., [-capped]} or, for an address already recorded,
 * {0, unfinished outbox keys...}.
 */
export const COMMIT = script(`${WALK}${ADMIT_LIST}${UNFINISHED}
local ttl = tonumber(ARGV[9])
if redis.call('HGET', KEYS[1], ARGV[1]) == '1' then
  local out = unfinished(KEYS[5], KEYS[1])
  table.insert(out, 1, 0)
  return out
end
redis.call('HSET', KEYS[1], ARGV[1], '1')
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('XADD', KEYS[2], '*', 'obs', ARGV[2], 'addrs', ARGV[3])
local now = tonumber(ARGV[5])
redis.call('HINCRBY', KEYS[4], 'visited', 1)
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[3], ARGV[1], string.format('%.0f', (now + tonumber(ARGV[6])) * 16))
  redis.call('HINCRBY', KEYS[4], 'ok', 1)
else
  local prev = redis.call('HGET', KEYS[3], ARGV[1])
  local fails = math.min(15, (prev and fail_count(prev) or 0) + 1)
  local backoff = math.min(tonumber(ARGV[8]), tonumber(ARGV[7]) * (2 ^ (fails - 1)))
  redis.call('HSET', KEYS[3], ARGV[1], string.format('%.0f', (now + backoff) * 16 + fails))
end
redis.call('EXPIRE', KEYS[4], ttl)
local idx, keys, capped = admit_list(KEYS[1], KEYS[3], entry_keys(ARGV[10]), now, tonumber(ARGV[11]))
if #keys > 0 then redis.call('SET', KEYS[5], table.concat(keys), 'EX', ttl) end
table.insert(idx, 1, 1)
if capped > 0 then idx[#idx + 1] = -capped end
return idx
`);

/*
 * KEYS: revisit. ARGV: cutoff, cursor, count. One HSCAN step: forgets the addresses in it whose
 * next visit was due before the cutoff. Returns {next cursor, how many were forgotten}.
 */
export const PRUNE = script(`${REVISIT}
local r = redis.call('HSCAN', KEYS[1], ARGV[2], 'COUNT', tonumber(ARGV[3]))
local cutoff = tonumber(ARGV[1])
local old = {}
local kv = r[2]
for i = 1, #kv, 2 do
  if next_visit(kv[i + 1]) < cutoff then old[#old + 1] = kv[i] end
end
if #old > 0 then redis.call('HDEL', KEYS[1], unpack(old)) end
return {r[1], #old}
`);
