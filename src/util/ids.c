/* Random bytes and ids (see ids.h).
 *
 * The source: each thread keeps a ChaCha key drawn from getrandom() and expands it into a buffer of key
 * stream, taking the first 32 bytes of every expansion as its next key ("fast key erasure", as OpenBSD's
 * arc4random and the Linux kernel's own CSPRNG do: bytes already handed out cannot be recomputed from the
 * state left behind). The key is drawn afresh from the kernel every AZ_RANDOM_RESEED expansions, after a
 * fork, and whenever no key is held yet. Why not a plain buffer of getrandom() output: on this kind of
 * machine a 4 KiB getrandom() costs ~11 us, i.e. ~45 ns per 16-byte id, at the 50 ns target by itself;
 * ChaCha12 in user space, four blocks per step in vector lanes, costs ~10 ns per 16 bytes, with the cipher
 * the kernel uses (at 12 rounds rather than 20: see CHACHA_ROUNDS). */
#define _GNU_SOURCE
#include "util/ids.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <sys/random.h>
#include <time.h>

#include "util/chacha.h"

/* 12 rounds, as Rust's rand StdRng: the best published attacks reach 7 rounds (Aumasson, "Too Much Crypto",
 * argues 8 suffice); 20 would cost two thirds more per id for margin an id does not need. */
#define CHACHA_ROUNDS 12
#define KEY_BYTES 32

typedef struct random_source {
    unsigned generation; /* the fork generation the key was drawn in */
    bool keyed;          /* key holds a key from the kernel (or derived from one) */
    unsigned expansions; /* since the key was last drawn from the kernel */
    size_t pos;          /* bytes of buf already handed out; AZ_RANDOM_BLOCK: none left */
    uint32_t key[KEY_BYTES / 4];
    uint8_t buf[AZ_RANDOM_BLOCK];
} random_source;

static _Thread_local random_source tls_random = {.pos = AZ_RANDOM_BLOCK};

/* Bumped in every child right after fork(): a key and bytes drawn under another generation are dropped. */
static atomic_uint fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
    atomic_fetch_add_explicit(&fork_generation, 1, memory_order_relaxed);
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, on_fork_child);
}

static int fill_from_kernel(void *buf, size_t n)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r < 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Draw a fresh key from the kernel. The fork handler is registered first, so no key predates it. */
static int rekey_from_kernel(random_source *rs)
{
    pthread_once(&atfork_once, register_atfork);
    rs->generation = atomic_load_explicit(&fork_generation, memory_order_relaxed);
    rs->keyed = fill_from_kernel(rs->key, sizeof rs->key) == 0;
    rs->expansions = 0;
    return rs->keyed ? 0 : -1;
}

/* Expand the key into buf; the first KEY_BYTES become the next key and are never handed out. */
static int refill(random_source *rs)
{
    if ((!rs->keyed || rs->expansions >= AZ_RANDOM_RESEED) && rekey_from_kernel(rs) != 0)
        return -1;
    for (size_t off = 0; off < sizeof rs->buf; off += AZ_CHACHA_OUT)
        az_chacha_blocks(rs->key, off / 64, CHACHA_ROUNDS, rs->buf + off);
    memcpy(rs->key, rs->buf, KEY_BYTES);
    memset(rs->buf, 0, KEY_BYTES);
    rs->pos = KEY_BYTES;
    rs->expansions++;
    return 0;
}

int az_random_bytes(void *buf, size_t n)
{
    random_source *rs = &tls_random;
    uint8_t *out = buf;
    if (rs->generation != atomic_load_explicit(&fork_generation, memory_order_relaxed)) {
        rs->keyed = false; /* the parent's key and bytes: never used here */
        rs->pos = sizeof rs->buf;
    }
    while (n > 0) {
        if (rs->pos == sizeof rs->buf && refill(rs) != 0)
            return -1;
        size_t take = sizeof rs->buf - rs->pos < n ? sizeof rs->buf - rs->pos : n;
        memcpy(out, rs->buf + rs->pos, take);
        memset(rs->buf + rs->pos, 0, take); /* bytes handed out do not linger */
        rs->pos += take;
        out += take;
        n -= take;
    }
    return 0;
}

/* The last (timestamp << 12 | counter) handed out by this process. */
static _Atomic uint64_t last_stamp;

static uint64_t next_stamp(uint64_t unix_ms)
{
    uint64_t want = (unix_ms & UINT64_C(0xffffffffffff)) << 12;
    uint64_t last = atomic_load_explicit(&last_stamp, memory_order_relaxed);
    for (;;) {
        uint64_t v = want > last ? want : last + 1;
        if (atomic_compare_exchange_weak_explicit(&last_stamp, &last, v, memory_order_relaxed,
                                                  memory_order_relaxed))
            return v;
    }
}

/* "000102...ff": two hex digits per byte value, so a byte is one 2-byte copy. */
static const char HEX_PAIRS[513] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                   "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                                   "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                                   "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                                   "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                                   "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                   "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                   "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

void az_hex_encode(char *out, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        memcpy(out + 2 * i, HEX_PAIRS + 2 * bytes[i], 2);
    out[2 * n] = '\0';
}

static void format_uuid(char *out, const uint8_t b[16])
{
    az_hex_encode(out, b, 4);
    out[8] = '-';
    az_hex_encode(out + 9, b + 4, 2);
    out[13] = '-';
    az_hex_encode(out + 14, b + 6, 2);
    out[18] = '-';
    az_hex_encode(out + 19, b + 8, 2);
    out[23] = '-';
    az_hex_encode(out + 24, b + 10, 6);
}

int az_uuid7_at(char *out, uint64_t unix_ms)
{
    uint8_t b[16];
    if (az_random_bytes(b + 8, 8) != 0)
        return -1;
    uint64_t stamp = next_stamp(unix_ms);
    uint64_t ms = stamp >> 12;
    unsigned counter = (unsigned)(stamp & 0xfff);
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (counter >> 8)); /* version 7 */
    b[7] = (uint8_t)(counter & 0xff);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC variant */
    format_uuid(out, b);
    return 0;
}

int az_run_id_generate(char *out)
{
    /* The coarse clock (a few ns rather than ~30: no timer read) lags by up to a tick (1-4 ms): good enough
     * for a millisecond stamp whose order within the process the counter keeps anyway. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return az_uuid7_at(out, ms);
}

/* What each byte may be in a run id: a lower-case hex digit (1) or the dash (2). */
static const unsigned char RUN_ID_CLASS[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['-'] = 2,
};

/* The class each position of "xxxxxxxx-xxxx-7xxx-Yxxx-xxxxxxxxxxxx" wants. */
static const unsigned char RUN_ID_SHAPE[36] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 1, 1,
                                               2, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

/* Called for every record a store takes: a table per byte, no branch per character class. */
bool az_run_id_valid(const char *s)
{
    if (!s || strnlen(s, 37) != 36) /* reads no further than the text's end */
        return false;
    unsigned bad = 0;
    for (int i = 0; i < 36; i++)
        bad |= RUN_ID_CLASS[(unsigned char)s[i]] ^ RUN_ID_SHAPE[i];
    if (bad)
        return false;
    return s[14] == '7' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

#ifdef __SSE2__
/* A mask of the bytes of the 16 at p that are what run ids hold there: a dash where dashes (0xff in
 * dashes), else a lower-case hex digit. Bytes of 0x80 and above compare as negative: never valid. */
static unsigned chunk_valid(const char *p, __m128i dashes)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i digit =
        _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    __m128i lower =
        _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('f' + 1)));
    __m128i dash = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
    __m128i ok =
        _mm_or_si128(_mm_andnot_si128(dashes, _mm_or_si128(digit, lower)), _mm_and_si128(dashes, dash));
    return (unsigned)_mm_movemask_epi8(ok);
}

bool az_run_id_valid_buf(const char buf[AZ_RUN_ID_SIZE])
{
    /* Bytes 0-15 (dashes at 8 and 13), 16-31 (18 and 23), 20-35 (23): every byte of the 36, then the NUL. */
    const __m128i d0 = _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0);
    const __m128i d16 = _mm_setr_epi8(0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i d20 = _mm_setr_epi8(0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    if (!buf || (chunk_valid(buf, d0) & chunk_valid(buf + 16, d16) & chunk_valid(buf + 20, d20)) != 0xffff ||
        buf[36] != '\0')
        return false;
    return buf[14] == '7' && (buf[19] == '8' || buf[19] == '9' || buf[19] == 'a' || buf[19] == 'b');
}
#else
bool az_run_id_valid_buf(const char buf[AZ_RUN_ID_SIZE])
{
    return az_run_id_valid(buf);
}
#endif
