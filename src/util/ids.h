/* Random bytes and ids: a buffered random source for task ids and run ids, and UUIDv7 run ids.
 *
 * The source is a per-thread ChaCha12 key stream keyed from getrandom() (fast key erasure, rekeyed from the
 * kernel every AZ_RANDOM_RESEED buffers; ids.c says why), handed out from a buffer of AZ_RANDOM_BLOCK bytes:
 * one getrandom() per id cost ~444 ns, 40% of making and adding a task. Fork-safe: a child process never
 * hands out bytes or a key its parent held (a pthread_atfork child handler bumps a generation that every
 * thread's source checks before use; the child draws a fresh key from the kernel).
 * All functions are thread-safe, callable from any thread, and take no lock. */
#ifndef AZ_UTIL_IDS_H
#define AZ_UTIL_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of key stream per refill of a thread's buffer (the first 32 are the next key), and refills between
 * two keys from the kernel. */
#define AZ_RANDOM_BLOCK 1024
#define AZ_RANDOM_RESEED 1024

/* The text form of a run id: a UUID in its canonical 8-4-4-4-12 form (36 characters) and the NUL. */
#define AZ_RUN_ID_SIZE 37

/* Fill buf with n random bytes from the calling thread's buffer. Returns 0, or -1 when getrandom() fails
 * (it only can before the kernel's pool is initialised at early boot, or with a broken seccomp filter). */
int az_random_bytes(void *buf, size_t n);

/* Write n bytes as 2n lower-case hex digits and a NUL into out (2n + 1 bytes). */
void az_hex_encode(char *out, const uint8_t *bytes, size_t n);

/* Write a fresh UUIDv7 (RFC 9562) for the Unix time unix_ms into out (AZ_RUN_ID_SIZE bytes): 48 bits of
 * milliseconds, a 12-bit counter (rand_a: method 1 of RFC 9562 section 6.2) and 62 random bits. Ids made
 * by one process are strictly increasing, also in their text form: an id made in the same or an earlier
 * millisecond than the previous one takes the previous one's timestamp and counter plus one (the counter
 * overflowing into the timestamp, as section 6.2 allows). Returns 0, or -1 (no random bytes). */
int az_uuid7_at(char *out, uint64_t unix_ms);

/* az_uuid7_at for the wall clock's current millisecond (the coarse clock: up to a tick behind). Run ids are
 * made with it. */
int az_run_id_generate(char *out);

/* Whether text is a run id as az_uuid7_at writes them: 36 characters, lower-case hex, dashes at 8, 13, 18
 * and 23, version 7 and the RFC variant. */
bool az_run_id_valid(const char *text);
/* az_run_id_valid for a run id held in an array of AZ_RUN_ID_SIZE bytes (a record's run_id), all of which
 * may be read whatever they hold: a few vector compares where the CPU has them (stores check every record
 * of a batch with it). */
bool az_run_id_valid_buf(const char buf[AZ_RUN_ID_SIZE]);

#endif
