/* The ChaCha block function (D. J. Bernstein; RFC 8439 for the 20-round layout), computing four consecutive
 * 64-byte blocks at once, written so the compiler can keep the four in vector lanes. Used by the buffered
 * random source (ids.c). Pure computation: thread-safe, no allocation. */
#ifndef AZ_UTIL_CHACHA_H
#define AZ_UTIL_CHACHA_H

#include <stdint.h>

#define AZ_CHACHA_BLOCKS 4
#define AZ_CHACHA_OUT (64 * AZ_CHACHA_BLOCKS)

/* Write the key stream blocks counter .. counter+3 of key (32 bytes as 8 little-endian words) with a zero
 * nonce and `rounds` rounds (an even number: 8, 12 or 20) into out, as RFC 8439 serialises them. */
void az_chacha_blocks(const uint32_t key[8], uint64_t counter, int rounds, uint8_t out[AZ_CHACHA_OUT]);

#endif
