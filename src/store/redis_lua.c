/* The Lua scripts of the Redis store. Every operation that touches more than one key runs as one script,
 * which Redis executes atomically: that is what makes claims, releases and quarantines safe with several
 * schedulers. The layout they keep is described in docs/stores.md ("Redis store"); in short:
 *
 *   KEYS[1] T  hash   id -> record bytes
 *   KEYS[2] R  zset   unclaimed records, all scores 0, member = order key .. id
 *   KEYS[3] X  hash   id -> order key, then for a claimed record lease(16 hex) token(16 hex) owner
 *   KEYS[4] L  zset   claimed records, all scores 0, member = lease(16 hex) .. id
 *   KEYS[5] S  string the store's counter (seq values and fencing tokens)
 *   KEYS[6] Q  list   quarantined records, oldest first
 *
 * An order key is 33 bytes: 'a' and the biased next run time in 16 hex digits (paused: 'b' and 16 zeros),
 * then the seq in 16 hex digits. Members of a zset whose scores are all equal sort by their bytes, so R
 * lists records in the store's order (next run time, then seq; paused last by seq) and ZRANGEBYLEX finds
 * the due ones. All 64-bit arithmetic on times is done in C: Lua numbers are doubles. */
#ifdef ASYNCZ_WITH_REDIS

#include "store/redis.h"

/* Helpers every script shares. less() compares bytes: Lua's own string comparison uses strcoll, which
 * follows the server's locale. */
#define PRELUDE                                                                                              \
    "local T, R, X, L, S, Q = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]\n"                        \
    "local sub, byte = string.sub, string.byte\n"                                                            \
    "local function less(a, b)\n"                                                                            \
    "  for i = 1, math.min(#a, #b) do\n"                                                                     \
    "    local x, y = byte(a, i), byte(b, i)\n"                                                              \
    "    if x ~= y then return x < y end\n"                                                                  \
    "  end\n"                                                                                                \
    "  return #a < #b\n"                                                                                     \
    "end\n"                                                                                                  \
    "local function unlink(id, m)\n"                                                                         \
    "  if #m > 33 then redis.call('ZREM', L, sub(m, 34, 49) .. id)\n"                                        \
    "  else redis.call('ZREM', R, m .. id) end\n"                                                            \
    "end\n"                                                                                                  \
    "local function link(id, head)\n"                                                                        \
    "  local k = head .. string.format('%016x', redis.call('INCR', S))\n"                                    \
    "  redis.call('HSET', X, id, k)\n"                                                                       \
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
    "  table.sort(out, function(p, q) return less(p[2], q[2]) end)\n"                                        \
    "  for i = #out, maxn + 1, -1 do out[i] = nil end\n"                                                     \
    "  return out\n"                                                                                         \
    "end\n"

/* ARGV: id, bytes, head (order key without its seq), channel, sender. 1: the id exists. */
static const char insert_lua[] =
    PRELUDE "if redis.call('HSETNX', T, ARGV[1], ARGV[2]) == 0 then return 1 end\n"
            "link(ARGV[1], ARGV[3])\n"
            "redis.call('PUBLISH', ARGV[4], ARGV[5])\n"
            "return 0\n";

/* ARGV: id, bytes, head, channel, sender. Ends any claim. 1: no such record. */
static const char replace_lua[] = PRELUDE "local m = redis.call('HGET', X, ARGV[1])\n"
                                          "if not m then return 1 end\n"
                                          "unlink(ARGV[1], m)\n"
                                          "redis.call('HSET', T, ARGV[1], ARGV[2])\n"
                                          "link(ARGV[1], ARGV[3])\n"
                                          "redis.call('PUBLISH', ARGV[4], ARGV[5])\n"
                                          "return 0\n";

/* ARGV: id. 1: no such record. */
static const char remove_lua[] = PRELUDE "local m = redis.call('HGET', X, ARGV[1])\n"
                                         "if not m then return 1 end\n"
                                         "drop(ARGV[1], m)\n"
                                         "return 0\n";

/* ARGV: id. {order key, bytes}, or {} when there is no such record. */
static const char get_lua[] = PRELUDE "local m = redis.call('HGET', X, ARGV[1])\n"
                                      "if not m then return {} end\n"
                                      "return {sub(m, 1, 33), redis.call('HGET', T, ARGV[1])}\n";

/* {first member of R or '', first member of L or ''}. */
static const char earliest_lua[] = PRELUDE "local r = redis.call('ZRANGE', R, 0, 0)\n"
                                           "local l = redis.call('ZRANGE', L, 0, 0)\n"
                                           "return {r[1] or '', l[1] or ''}\n";

/* See DUE. {id, order key, bytes, ...}. */
static const char due_lua[] = PRELUDE DUE "local res = {}\n"
                                          "for _, p in ipairs(due()) do\n"
                                          "  res[#res + 1] = p[1]\n"
                                          "  res[#res + 1] = p[2]\n"
                                          "  res[#res + 1] = redis.call('HGET', T, p[1])\n"
                                          "end\n"
                                          "return res\n";

/* See DUE; ARGV[4]: the lease's end (16 hex), ARGV[5]: owner. Moves each due record from R (or its lapsed
 * claim in L) to L with a new token from the counter. {id, order key, token (16 hex), bytes, ...}. */
static const char claim_lua[] =
    PRELUDE DUE "local picked = due()\n"
                "local tok = redis.call('INCRBY', S, #picked) - #picked\n"
                "local res = {}\n"
                "for _, p in ipairs(picked) do\n"
                "  local id = p[1]\n"
                "  if p[3] then redis.call('ZREM', L, p[3]) else redis.call('ZREM', R, p[2] .. id) end\n"
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
 * this token. */
static const char release_lua[] = PRELUDE "local id = ARGV[1]\n"
                                          "local m = redis.call('HGET', X, id)\n"
                                          "if not m then return 1 end\n"
                                          "if #m <= 33 or sub(m, 50, 65) ~= ARGV[2] then return 2 end\n"
                                          "if ARGV[3] == '' then\n"
                                          "  drop(id, m)\n"
                                          "  return 0\n"
                                          "end\n"
                                          "unlink(id, m)\n"
                                          "redis.call('HSET', T, id, ARGV[4])\n"
                                          "link(id, ARGV[3])\n"
                                          "return 0\n";

/* ARGV: id, bytes, entry header (time 16 hex, id length 4 hex, reason length 4 hex), reason. Moves the
 * record to Q only if it still holds exactly these bytes. 2: changed or gone. */
static const char quarantine_lua[] =
    PRELUDE "local m = redis.call('HGET', X, ARGV[1])\n"
            "if not m or redis.call('HGET', T, ARGV[1]) ~= ARGV[2] then return 2 end\n"
            "drop(ARGV[1], m)\n"
            "redis.call('RPUSH', Q, ARGV[3] .. ARGV[1] .. ARGV[4] .. ARGV[2])\n"
            "return 0\n";

/* One page of every record in order. ARGV[1]: the last member of R of the previous page ('' at first),
 * ARGV[2]: page size. The claimed records whose place falls in this page are merged in; since a claim keeps
 * a record's order key, a record claimed or released between pages is listed once. {next cursor ('' at the
 * end), id, order key, bytes, ...}. */
static const char scan_lua[] =
    PRELUDE "local n = tonumber(ARGV[2])\n"
            "local lo = ARGV[1] == '' and '-' or '(' .. ARGV[1]\n"
            "local page = redis.call('ZRANGEBYLEX', R, lo, '+', 'LIMIT', 0, n)\n"
            "local hi = #page == n and page[n] or nil\n"
            "local out = {}\n"
            "for _, k in ipairs(page) do out[#out + 1] = {sub(k, 34), sub(k, 1, 33)} end\n"
            "local claimed = redis.call('ZRANGE', L, 0, -1)\n"
            "for _, k in ipairs(claimed) do\n"
            "  local id = sub(k, 17)\n"
            "  local m = redis.call('HGET', X, id)\n"
            "  if m then\n"
            "    local key = sub(m, 1, 33) .. id\n"
            "    if (ARGV[1] == '' or less(ARGV[1], key)) and (not hi or less(key, hi)) then\n"
            "      out[#out + 1] = {id, sub(m, 1, 33)}\n"
            "    end\n"
            "  end\n"
            "end\n"
            "if #claimed > 0 then table.sort(out, function(p, q) return less(p[2], q[2]) end) end\n"
            "local res = {hi or ''}\n"
            "for _, p in ipairs(out) do\n"
            "  res[#res + 1] = p[1]\n"
            "  res[#res + 1] = p[2]\n"
            "  res[#res + 1] = redis.call('HGET', T, p[1])\n"
            "end\n"
            "return res\n";

const az_redis_script az_redis_scripts[AZ_REDIS_N_SCRIPTS] = {
    [AZ_REDIS_INSERT] = {"insert", insert_lua},
    [AZ_REDIS_REPLACE] = {"replace", replace_lua},
    [AZ_REDIS_REMOVE] = {"remove", remove_lua},
    [AZ_REDIS_GET] = {"get", get_lua},
    [AZ_REDIS_EARLIEST] = {"earliest", earliest_lua},
    [AZ_REDIS_DUE] = {"due", due_lua},
    [AZ_REDIS_CLAIM] = {"claim", claim_lua},
    [AZ_REDIS_RELEASE] = {"release", release_lua},
    [AZ_REDIS_QUARANTINE] = {"quarantine", quarantine_lua},
    [AZ_REDIS_SCAN] = {"scan", scan_lua},
};

#endif
