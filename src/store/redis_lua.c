/* The Lua scripts of the Redis store (the records', then the journals'). Every operation that touches more
 * than one key runs as one script, which Redis executes atomically: that is what makes claims, releases and
 * quarantines safe with several schedulers. The layout they keep is described in docs/stores.md ("Redis
 * store"); in short:
 *
 *   KEYS[1] T  hash   id -> record bytes
 *   KEYS[2] R  zset   unclaimed records, all scores 0, member = order key .. id
 *   KEYS[3] X  hash   id -> order key, then for a claimed record lease(16 hex) token(16 hex) owner, for
 *                     a record its owner released token(16 hex) (so that a repeated release can tell)
 *   KEYS[4] L  zset   claimed records by lease, all scores 0, member = lease(16 hex) .. id
 *   KEYS[5] S  string the store's counter (seq values and fencing tokens)
 *   KEYS[6] Q  list   quarantined records, oldest first
 *   KEYS[7] C  zset   claimed records in order, all scores 0, member = order key .. id
 *
 * An order key is 33 bytes: 'a' and the biased next run time in 16 hex digits (paused: 'b' and 16 zeros),
 * then the seq in 16 hex digits. Members of a zset whose scores are all equal sort by their bytes, so R
 * lists records in the store's order (next run time, then seq; paused last by seq) and ZRANGEBYLEX finds
 * the due ones. All 64-bit arithmetic on times is done in C: Lua numbers are doubles. */
#ifdef ASYNCZ_WITH_REDIS

#include "store/redis.h"

/* The scripts are laid out as Lua, one line per string. */
// clang-format off

/* Helpers every script shares. Lua's own string comparison uses strcoll, which follows the server's
 * locale: less() compares bytes instead, and rank() turns an order key into numbers (each 32-bit piece is
 * exact in a double) for sorting many keys cheaply. */
#define PRELUDE                                                                                              \
    "local T, R, X, L, S, Q, C = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]\n"            \
    "local sub, byte = string.sub, string.byte\n"                                                            \
    "local function less(a, b)\n"                                                                            \
    "  for i = 1, math.min(#a, #b) do\n"                                                                     \
    "    local x, y = byte(a, i), byte(b, i)\n"                                                              \
    "    if x ~= y then return x < y end\n"                                                                  \
    "  end\n"                                                                                                \
    "  return #a < #b\n"                                                                                     \
    "end\n"                                                                                                  \
    "local function rank(k)\n"                                                                               \
    "  return {byte(k, 1), tonumber(sub(k, 2, 9), 16), tonumber(sub(k, 10, 17), 16),\n"                      \
    "          tonumber(sub(k, 18, 25), 16), tonumber(sub(k, 26, 33), 16)}\n"                                \
    "end\n"                                                                                                  \
    "local function before(p, q)\n"                                                                          \
    "  for i = 1, 5 do if p[i] ~= q[i] then return p[i] < q[i] end end\n"                                    \
    "  return false\n"                                                                                       \
    "end\n"                                                                                                  \
    "local function unlink(id, m)\n"                                                                         \
    "  if #m < 50 then return redis.call('ZREM', R, sub(m, 1, 33) .. id) end\n"                              \
    "  redis.call('ZREM', L, sub(m, 34, 49) .. id)\n"                                                        \
    "  redis.call('ZREM', C, sub(m, 1, 33) .. id)\n"                                                         \
    "end\n"                                                                                                  \
    "local function link(id, head, released)\n"                                                              \
    "  local k = head .. string.format('%016x', redis.call('INCR', S))\n"                                    \
    "  redis.call('HSET', X, id, k .. (released or ''))\n"                                                   \
    "  redis.call('ZADD', R, 0, k .. id)\n"                                                                  \
    "end\n"                                                                                                  \
    "local function drop(id, m)\n"                                                                           \
    "  unlink(id, m)\n"                                                                                      \
    "  redis.call('HDEL', T, id)\n"                                                                          \
    "  redis.call('HDEL', X, id)\n"                                                                          \
    "end\n"

/* The due records: unclaimed ones from R below the bound, and claims whose lease ran out (from L), merged
 * in order. ARGV[1]: order keys below it are due; ARGV[2]: leases below it ran out; ARGV[3]: at most. */
#define DUE                                                                                                  \
    "local function due()\n"                                                                                 \
    "  local maxn = tonumber(ARGV[3])\n"                                                                     \
    "  local out = {}\n"                                                                                     \
    "  for _, k in ipairs(redis.call('ZRANGEBYLEX', R, '-', '(' .. ARGV[1], 'LIMIT', 0, maxn)) do\n"         \
    "    out[#out + 1] = {sub(k, 34), sub(k, 1, 33), false}\n"                                               \
    "  end\n"                                                                                                \
    "  local lapsed = redis.call('ZRANGEBYLEX', L, '-', '(' .. ARGV[2])\n"                                   \
    "  if #lapsed == 0 then return out end\n"                                                                \
    "  for _, k in ipairs(lapsed) do\n"                                                                      \
    "    local id = sub(k, 17)\n"                                                                            \
    "    local m = redis.call('HGET', X, id)\n"                                                              \
    "    if m and less(sub(m, 1, 17), ARGV[1]) then out[#out + 1] = {id, sub(m, 1, 33), k} end\n"            \
    "  end\n"                                                                                                \
    "  for _, p in ipairs(out) do p[4] = rank(p[2]) end\n"                                                   \
    "  table.sort(out, function(p, q) return before(p[4], q[4]) end)\n"                                      \
    "  for i = #out, maxn + 1, -1 do out[i] = nil end\n"                                                     \
    "  return out\n"                                                                                         \
    "end\n"

/* ARGV: id, bytes, head (order key without its seq), channel, sender. 1: the id exists. */
static const char insert_lua[] = PRELUDE
    "if redis.call('HSETNX', T, ARGV[1], ARGV[2]) == 0 then return 1 end\n"
    "link(ARGV[1], ARGV[3])\n"
    "redis.call('PUBLISH', ARGV[4], ARGV[5])\n"
    "return 0\n";

/* ARGV: channel, sender, then (id, bytes, head) per record. Checks every id before writing any, so that a
 * taken one leaves everything as it was: 0, or the 1-based position of the first taken id. One wake-up. */
static const char insert_many_lua[] = PRELUDE
    "for i = 3, #ARGV, 3 do\n"
    "  if redis.call('HEXISTS', T, ARGV[i]) == 1 then return (i - 3) / 3 + 1 end\n"
    "end\n"
    "for i = 3, #ARGV, 3 do\n"
    "  redis.call('HSET', T, ARGV[i], ARGV[i + 1])\n"
    "  link(ARGV[i], ARGV[i + 2])\n"
    "end\n"
    "redis.call('PUBLISH', ARGV[1], ARGV[2])\n"
    "return 0\n";

/* ARGV: id, bytes, head, channel, sender. Ends any claim. 1: no such record. */
static const char replace_lua[] = PRELUDE
    "local m = redis.call('HGET', X, ARGV[1])\n"
    "if not m then return 1 end\n"
    "unlink(ARGV[1], m)\n"
    "redis.call('HSET', T, ARGV[1], ARGV[2])\n"
    "link(ARGV[1], ARGV[3])\n"
    "redis.call('PUBLISH', ARGV[4], ARGV[5])\n"
    "return 0\n";

/* ARGV: id. 1: no such record. */
static const char remove_lua[] = PRELUDE
    "local m = redis.call('HGET', X, ARGV[1])\n"
    "if not m then return 1 end\n"
    "drop(ARGV[1], m)\n"
    "return 0\n";

/* ARGV: id. {order key, bytes}, or {} when there is no such record. */
static const char get_lua[] = PRELUDE
    "local m = redis.call('HGET', X, ARGV[1])\n"
    "if not m then return {} end\n"
    "return {sub(m, 1, 33), redis.call('HGET', T, ARGV[1])}\n";

/* {first member of R or '', first member of L or ''}. */
static const char earliest_lua[] = PRELUDE
    "local r = redis.call('ZRANGE', R, 0, 0)\n"
    "local l = redis.call('ZRANGE', L, 0, 0)\n"
    "return {r[1] or '', l[1] or ''}\n";

/* See DUE. {id, order key, bytes, ...}. */
static const char due_lua[] = PRELUDE DUE
    "local res = {}\n"
    "for _, p in ipairs(due()) do\n"
    "  res[#res + 1] = p[1]\n"
    "  res[#res + 1] = p[2]\n"
    "  res[#res + 1] = redis.call('HGET', T, p[1])\n"
    "end\n"
    "return res\n";

/* See DUE; ARGV[4]: the lease's end (16 hex), ARGV[5]: owner. Moves each due record from R to C and L (or
 * renews its lapsed claim in L) with a new token from the counter. {id, order key, token (16 hex), bytes,
 * ...}. */
static const char claim_lua[] = PRELUDE DUE
    "local picked = due()\n"
    "local tok = redis.call('INCRBY', S, #picked) - #picked\n"
    "local res = {}\n"
    "for _, p in ipairs(picked) do\n"
    "  local id = p[1]\n"
    "  if p[3] then\n"
    "    redis.call('ZREM', L, p[3])\n"
    "  else\n"
    "    redis.call('ZREM', R, p[2] .. id)\n"
    "    redis.call('ZADD', C, 0, p[2] .. id)\n"
    "  end\n"
    "  tok = tok + 1\n"
    "  local t = string.format('%016x', tok)\n"
    "  redis.call('HSET', X, id, p[2] .. ARGV[4] .. t .. ARGV[5])\n"
    "  redis.call('ZADD', L, 0, ARGV[4] .. id)\n"
    "  res[#res + 1] = id\n"
    "  res[#res + 1] = p[2]\n"
    "  res[#res + 1] = t\n"
    "  res[#res + 1] = redis.call('HGET', T, id)\n"
    "end\n"
    "return res\n";

/* ARGV: id, token (16 hex), head ('' to remove the record), bytes. 1: no such record; 2: not claimed with
 * this token; 0 also when this token's release already took effect (unclaimed, X ends with the token). */
static const char release_lua[] = PRELUDE
    "local id = ARGV[1]\n"
    "local m = redis.call('HGET', X, id)\n"
    "if not m then return 1 end\n"
    "if #m < 50 then return sub(m, 34) == ARGV[2] and 0 or 2 end\n"
    "if sub(m, 50, 65) ~= ARGV[2] then return 2 end\n"
    "if ARGV[3] == '' then\n"
    "  drop(id, m)\n"
    "  return 0\n"
    "end\n"
    "unlink(id, m)\n"
    "redis.call('HSET', T, id, ARGV[4])\n"
    "link(id, ARGV[3], ARGV[2])\n"
    "return 0\n";

/* ARGV: id, bytes, entry header (time 16 hex, id length 4 hex, reason length 4 hex), reason. Moves the
 * record to Q only if it still holds exactly these bytes. 2: changed or gone. */
static const char quarantine_lua[] = PRELUDE
    "local m = redis.call('HGET', X, ARGV[1])\n"
    "if not m or redis.call('HGET', T, ARGV[1]) ~= ARGV[2] then return 2 end\n"
    "drop(ARGV[1], m)\n"
    "redis.call('RPUSH', Q, ARGV[3] .. ARGV[1] .. ARGV[4] .. ARGV[2])\n"
    "return 0\n";

/* ARGV: id, entry time (16 hex, as the header holds it; '' for every time). Removes the matching entries of
 * Q (LREM of each exact entry, so identical entries all go). The number removed. */
static const char quarantine_drop_lua[] = PRELUDE
    "local n = 0\n"
    "for _, e in ipairs(redis.call('LRANGE', Q, 0, -1)) do\n"
    "  local idlen = tonumber(sub(e, 17, 20), 16)\n"
    "  if idlen and sub(e, 25, 24 + idlen) == ARGV[1] and (ARGV[2] == '' or sub(e, 1, 16) == ARGV[2]) then\n"
    "    n = n + redis.call('LREM', Q, 1, e)\n"
    "  end\n"
    "end\n"
    "return n\n";

/* One page of every record in order. ARGV[1]: the last member of the previous page ('' at first), ARGV[2]:
 * page size. The page merges the next unclaimed records (R) with the next claimed ones (C); a claim keeps a
 * record's order key, so a record claimed or released between pages is listed once. {next cursor ('' at
 * the end), id, order key, bytes, ...}. */
static const char scan_lua[] = PRELUDE
    "local n = tonumber(ARGV[2])\n"
    "local lo = ARGV[1] == '' and '-' or '(' .. ARGV[1]\n"
    "local page = redis.call('ZRANGEBYLEX', R, lo, '+', 'LIMIT', 0, n)\n"
    "local claimed = redis.call('ZRANGEBYLEX', C, lo, '+', 'LIMIT', 0, n)\n"
    "if #claimed > 0 then\n"
    "  local merged, i, j = {}, 1, 1\n"
    "  while #merged < n and (page[i] or claimed[j]) do\n"
    "    if not claimed[j] or (page[i] and before(rank(page[i]), rank(claimed[j]))) then\n"
    "      merged[#merged + 1] = page[i]\n"
    "      i = i + 1\n"
    "    else\n"
    "      merged[#merged + 1] = claimed[j]\n"
    "      j = j + 1\n"
    "    end\n"
    "  end\n"
    "  page = merged\n"
    "end\n"
    "local res = {#page == n and page[n] or ''}\n"
    "for _, k in ipairs(page) do\n"
    "  local id = sub(k, 34)\n"
    "  res[#res + 1] = id\n"
    "  res[#res + 1] = sub(k, 1, 33)\n"
    "  res[#res + 1] = redis.call('HGET', T, id)\n"
    "end\n"
    "return res\n";

/* ---- journals ----------------------------------------------------------------------------------------
 *
 * Each journal has six keys (docs/stores.md, "Journals"): D hash id -> bytes, M hash id -> columns, and
 * four sorted sets whose scores are all 0, so that they sort by their members' bytes: A the ids, K task
 * prefix .. id, S status .. id, E end .. id. The columns are fixed-width at the front:
 *
 *   1-16 at (16 hex, biased), 17-32 end_at (same), 33-34 status (2 hex), 35-36 task length (2 hex),
 *   then the task id and, to the end, who.
 *
 * A task prefix is the task's length in 2 hex digits and the task id: no task's prefix is the start of
 * another's, so the members of one task are exactly those from prefix to prefix .. "\255" (ids are
 * ASCII). The scripts read and write many entries with one command per key (bulk, mget: in slices, as Lua
 * passes a bounded number of arguments), which costs the server far less than a command per entry. drop()
 * removes entries (ids, with their columns from M; false for one that is not there) and their members but
 * those of `done`, the index the caller already took them out of. */
#define JPRELUDE                                                                                             \
    "local D, M, A, K, S, E = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]\n"                        \
    "local sub, byte, unpack = string.sub, string.byte, unpack\n"                                            \
    "local function tpre(m) return sub(m, 35, 36 + tonumber(sub(m, 35, 36), 16)) end\n"                      \
    "local function bulk(cmd, key, t)\n"                                                                     \
    "  for i = 1, #t, 2000 do redis.call(cmd, key, unpack(t, i, math.min(i + 1999, #t))) end\n"              \
    "end\n"                                                                                                  \
    "local function mget(key, ids)\n"                                                                        \
    "  local out = {}\n"                                                                                     \
    "  for i = 1, #ids, 2000 do\n"                                                                           \
    "    for _, v in ipairs(redis.call('HMGET', key, unpack(ids, i, math.min(i + 1999, #ids)))) do\n"        \
    "      out[#out + 1] = v\n"                                                                              \
    "    end\n"                                                                                              \
    "  end\n"                                                                                                \
    "  return out\n"                                                                                         \
    "end\n"                                                                                                  \
    "local function drop(ids, metas, done)\n"                                                                \
    "  local a, k, s, e = {}, {}, {}, {}\n"                                                                  \
    "  for i, id in ipairs(ids) do\n"                                                                        \
    "    local m = metas[i]\n"                                                                               \
    "    if m then\n"                                                                                        \
    "      a[#a + 1], k[#k + 1] = id, tpre(m) .. id\n"                                                       \
    "      s[#s + 1], e[#e + 1] = sub(m, 33, 34) .. id, sub(m, 17, 32) .. id\n"                              \
    "    end\n"                                                                                              \
    "  end\n"                                                                                                \
    "  bulk('ZREM', A, a)\n"                                                                                 \
    "  if done ~= K then bulk('ZREM', K, k) end\n"                                                           \
    "  bulk('ZREM', S, s)\n"                                                                                 \
    "  if done ~= E then bulk('ZREM', E, e) end\n"                                                           \
    "  bulk('HDEL', D, ids)\n"                                                                               \
    "  bulk('HDEL', M, ids)\n"                                                                               \
    "end\n"

/* ARGV: (id, columns, bytes) per entry. Each entry replaces any entry with its id: members of its old
 * columns that changed go, then every key is written. The number of entries. */
static const char journal_put_lua[] = JPRELUDE
    "local ids = {}\n"
    "for i = 1, #ARGV, 3 do ids[#ids + 1] = ARGV[i] end\n"
    "local olds = mget(M, ids)\n"
    "local gone_k, gone_s, gone_e = {}, {}, {}\n"
    "local a, k, s, e, d, m = {}, {}, {}, {}, {}, {}\n"
    "for n, id in ipairs(ids) do\n"
    "  local new, old = ARGV[3 * n - 1], olds[n]\n"
    "  if old then\n"
    "    if sub(old, 33, 34) ~= sub(new, 33, 34) then gone_s[#gone_s + 1] = sub(old, 33, 34) .. id end\n"
    "    if sub(old, 17, 32) ~= sub(new, 17, 32) then gone_e[#gone_e + 1] = sub(old, 17, 32) .. id end\n"
    "    if tpre(old) ~= tpre(new) then gone_k[#gone_k + 1] = tpre(old) .. id end\n"
    "  end\n"
    "  local j = 2 * n\n"
    "  a[j - 1], a[j] = 0, id\n"
    "  k[j - 1], k[j] = 0, tpre(new) .. id\n"
    "  s[j - 1], s[j] = 0, sub(new, 33, 34) .. id\n"
    "  e[j - 1], e[j] = 0, sub(new, 17, 32) .. id\n"
    "  d[j - 1], d[j] = id, ARGV[3 * n]\n"
    "  m[j - 1], m[j] = id, new\n"
    "end\n"
    "bulk('ZREM', K, gone_k)\n"
    "bulk('ZREM', S, gone_s)\n"
    "bulk('ZREM', E, gone_e)\n"
    "bulk('HSET', D, d)\n"
    "bulk('HSET', M, m)\n"
    "bulk('ZADD', A, a)\n"
    "bulk('ZADD', K, k)\n"
    "bulk('ZADD', S, s)\n"
    "bulk('ZADD', E, e)\n"
    "return #ids\n";

/* One call of a listing: walks one index newest first below a cursor, a page at a time, and keeps the
 * entries whose columns pass the filters. ARGV: 1 the index ('a' ids, 'k' a task's, 's' a status's), 2 its
 * prefix ('' for 'a'), 3 ids below this ('' from the newest), 4 entries wanted, 5 members to look at at
 * most, 6 status flags ('' any, else 32 characters, '1' for each status wanted), 7 since and 8 until (16 hex
 * biased, or ''), 9 who ('' anyone, else '=' .. who), 10 bytes to return before stopping (at least one entry
 * goes). {cursor, id, columns, bytes, ...}: the cursor is '' when the index has nothing more below the last
 * member looked at, else that member's id (the next call carries on below it). */
static const char journal_list_lua[] = JPRELUDE
    "local idx = ({a = A, k = K, s = S})[ARGV[1]]\n"
    "local p, want, budget, room = ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[10])\n"
    "local flags, since, till, who = ARGV[6], ARGV[7], ARGV[8], sub(ARGV[9], 2)\n"
    "local any_who = ARGV[9] == ''\n"
    "local function halves(t) return tonumber(sub(t, 1, 8), 16), tonumber(sub(t, 9, 16), 16) end\n"
    "local sh, sl, uh, ul\n"
    "if since ~= '' then sh, sl = halves(since) end\n"
    "if till ~= '' then uh, ul = halves(till) end\n"
    "local function match(m)\n"
    "  if flags ~= '' and byte(flags, tonumber(sub(m, 33, 34), 16) + 1) ~= 49 then return false end\n"
    "  if sh or uh then\n"
    "    local ah, al = halves(m)\n"
    "    if sh and (ah < sh or (ah == sh and al < sl)) then return false end\n"
    "    if uh and (ah > uh or (ah == uh and al >= ul)) then return false end\n"
    "  end\n"
    "  return any_who or sub(m, 37 + tonumber(sub(m, 35, 36), 16)) == who\n"
    "end\n"
    "local filtered = flags ~= '' or sh or uh or not any_who\n"
    "local lo = p == '' and '-' or '[' .. p\n"
    "local hi = ARGV[3] ~= '' and '(' .. p .. ARGV[3] or (p == '' and '+' or '(' .. p .. '\\255')\n"
    "local out, found, seen = {''}, 0, 0\n"
    "while true do\n"
    "  local page = want - found\n"
    "  if filtered then page = math.max(page * 2, 200) end\n"
    "  page = math.min(page, budget - seen)\n"
    "  local ids = redis.call('ZREVRANGEBYLEX', idx, hi, lo, 'LIMIT', 0, page)\n"
    "  for i = 1, #ids do ids[i] = sub(ids[i], #p + 1) end\n"
    "  local metas = mget(M, ids)\n"
    "  for i, id in ipairs(ids) do\n"
    "    local m = metas[i]\n"
    "    if m and match(m) then\n"
    "      local d = redis.call('HGET', D, id)\n"
    "      if d then\n"
    "        out[#out + 1], out[#out + 2], out[#out + 3] = id, m, d\n"
    "        found, room = found + 1, room - #d\n"
    "        if found == want or room <= 0 then out[1] = id return out end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  seen = seen + #ids\n"
    "  if #ids < page then return out end\n"
    "  if seen >= budget then out[1] = ids[#ids] return out end\n"
    "  hi = '(' .. p .. ids[#ids]\n"
    "end\n";

/* ARGV: id. {columns, bytes}, or {} when there is no such entry. */
static const char journal_get_lua[] = JPRELUDE
    "local m = redis.call('HGET', M, ARGV[1])\n"
    "local d = m and redis.call('HGET', D, ARGV[1])\n"
    "if not d then return {} end\n"
    "return {m, d}\n";

/* ARGV: cutoff (16 hex biased), max. Drops up to max entries whose end is below the cutoff, oldest end
 * first (ties by id). The number dropped. */
static const char journal_prune_lua[] = JPRELUDE
    "local ms = redis.call('ZRANGEBYLEX', E, '-', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))\n"
    "local ids = {}\n"
    "for i, mem in ipairs(ms) do ids[i] = sub(mem, 17) end\n"
    "local metas = mget(M, ids)\n"
    "bulk('ZREM', E, ms)\n"
    "drop(ids, metas, E)\n"
    "return #ms\n";

/* ARGV: task prefix, keep, max. Drops up to max of the task's oldest entries beyond its newest `keep`.
 * The number dropped. */
static const char journal_trim_lua[] = JPRELUDE
    "local p = ARGV[1]\n"
    "local lo, hi = '[' .. p, '(' .. p .. '\\255'\n"
    "local n = math.min(redis.call('ZLEXCOUNT', K, lo, hi) - tonumber(ARGV[2]), tonumber(ARGV[3]))\n"
    "if n <= 0 then return 0 end\n"
    "local ms = redis.call('ZRANGEBYLEX', K, lo, hi, 'LIMIT', 0, n)\n"
    "local ids = {}\n"
    "for i, mem in ipairs(ms) do ids[i] = sub(mem, #p + 1) end\n"
    "local metas = mget(M, ids)\n"
    "bulk('ZREM', K, ms)\n"
    "drop(ids, metas, K)\n"
    "return #ms\n";

// clang-format on

const az_redis_script az_redis_scripts[AZ_REDIS_N_SCRIPTS] = {
    [AZ_REDIS_INSERT] = {"insert", insert_lua},
    [AZ_REDIS_INSERT_MANY] = {"insert_many", insert_many_lua},
    [AZ_REDIS_REPLACE] = {"replace", replace_lua},
    [AZ_REDIS_REMOVE] = {"remove", remove_lua},
    [AZ_REDIS_GET] = {"get", get_lua},
    [AZ_REDIS_EARLIEST] = {"earliest", earliest_lua},
    [AZ_REDIS_DUE] = {"due", due_lua},
    [AZ_REDIS_CLAIM] = {"claim", claim_lua},
    [AZ_REDIS_RELEASE] = {"release", release_lua},
    [AZ_REDIS_QUARANTINE] = {"quarantine", quarantine_lua},
    [AZ_REDIS_QUARANTINE_DROP] = {"quarantine_drop", quarantine_drop_lua},
    [AZ_REDIS_SCAN] = {"scan", scan_lua},
    [AZ_REDIS_JOURNAL_PUT] = {"journal_put", journal_put_lua},
    [AZ_REDIS_JOURNAL_LIST] = {"journal_list", journal_list_lua},
    [AZ_REDIS_JOURNAL_GET] = {"journal_get", journal_get_lua},
    [AZ_REDIS_JOURNAL_PRUNE] = {"journal_prune", journal_prune_lua},
    [AZ_REDIS_JOURNAL_TRIM] = {"journal_trim", journal_trim_lua},
};

#endif
