/* The ChaCha block function (see chacha.h). The state is kept as x[word][lane], four blocks in the four
 * lanes, so every step below is one operation on four 32-bit lanes. */
#include "util/chacha.h"

#include <string.h>

#define L AZ_CHACHA_BLOCKS

/* Four 32-bit lanes (GCC/Clang vector extension; SSE2/NEON where there is one, plain code elsewhere). */
typedef uint32_t v4 __attribute__((vector_size(16)));

#define ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))

#define QUARTER(a, b, c, d)                                                                                  \
    do {                                                                                                     \
        a += b;                                                                                              \
        d = ROTL(d ^ a, 16);                                                                                 \
        c += d;                                                                                              \
        b = ROTL(b ^ c, 12);                                                                                 \
        a += b;                                                                                              \
        d = ROTL(d ^ a, 8);                                                                                  \
        c += d;                                                                                              \
        b = ROTL(b ^ c, 7);                                                                                  \
    } while (0)

static void initial_state(v4 s[16], const uint32_t key[8], uint64_t counter)
{
    static const uint32_t sigma[4] = {0x61707865, 0x3320646e, 0x79622d32,
                                      0x6b206574}; /* "expand 32-byte k" */
    for (int w = 0; w < 4; w++)
        s[w] = (v4){sigma[w], sigma[w], sigma[w], sigma[w]};
    for (int w = 0; w < 8; w++)
        s[4 + w] = (v4){key[w], key[w], key[w], key[w]};
    /* The 64-bit block counter of the original ChaCha in words 12 and 13, the nonce zero. */
    for (int l = 0; l < L; l++) {
        uint64_t c = counter + (uint64_t)l;
        s[12][l] = (uint32_t)c;
        s[13][l] = (uint32_t)(c >> 32);
    }
    s[14] = (v4){0, 0, 0, 0};
    s[15] = (v4){0, 0, 0, 0};
}

static void store_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void az_chacha_blocks(const uint32_t key[8], uint64_t counter, int rounds, uint8_t out[AZ_CHACHA_OUT])
{
    v4 s[16], x[16];
    initial_state(s, key, counter);
    memcpy(x, s, sizeof x);
    for (int r = 0; r < rounds; r += 2) {
        QUARTER(x[0], x[4], x[8], x[12]);
        QUARTER(x[1], x[5], x[9], x[13]);
        QUARTER(x[2], x[6], x[10], x[14]);
        QUARTER(x[3], x[7], x[11], x[15]);
        QUARTER(x[0], x[5], x[10], x[15]);
        QUARTER(x[1], x[6], x[11], x[12]);
        QUARTER(x[2], x[7], x[8], x[13]);
        QUARTER(x[3], x[4], x[9], x[14]);
    }
    for (int w = 0; w < 16; w++)
        x[w] += s[w];
    for (int l = 0; l < L; l++)
        for (int w = 0; w < 16; w++)
            store_le(out + 64 * l + 4 * w, x[w][l]);
}
