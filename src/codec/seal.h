/* Sealed records (docs/stores.md): AES-256-GCM, key SHA-256(ASYNCZ_STORE_ENCRYPTION_KEY), a fresh random
 * 96-bit nonce per record, the task id as associated data. Internal.
 *
 * Envelope: "AZSEAL" (6 bytes) | version 0x01 | nonce (12) | ciphertext (same length as the plaintext) |
 * tag (16). A plaintext record is a task document (it starts with '{'), so the two never look alike. */
#ifndef AZ_CODEC_SEAL_H
#define AZ_CODEC_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define AZ_SEAL_MAGIC "AZSEAL"
#define AZ_SEAL_MAGIC_LEN 6
#define AZ_SEAL_NONCE_LEN 12
#define AZ_SEAL_TAG_LEN 16
#define AZ_SEAL_OVERHEAD (AZ_SEAL_MAGIC_LEN + 1 + AZ_SEAL_NONCE_LEN + AZ_SEAL_TAG_LEN)

typedef struct az_sealer {
    bool enabled;          /* a key is set */
    unsigned char key[32]; /* SHA-256 of the secret */
} az_sealer;

/* Load the key from ASYNCZ_STORE_ENCRYPTION_KEY (unset or empty: disabled). Errors: ASYNCZ_ECRYPTO (OpenSSL
 * failed). */
int az_sealer_from_env(az_sealer *s);

/* Derive the key from a secret (secret borrowed, len bytes); len 0 disables. */
int az_sealer_init(az_sealer *s, const char *secret, size_t len);

/* Forget the key (wipes it). */
void az_sealer_clear(az_sealer *s);

/* Whether data starts like an envelope (magic, any version). */
bool az_seal_looks_sealed(const unsigned char *data, size_t len);

/* Seal plain (len bytes) for task id. *out: malloc'd, *out_len = len + AZ_SEAL_OVERHEAD.
 * Errors: ASYNCZ_ECRYPTO, ASYNCZ_ENOMEM, ASYNCZ_EINVAL (sealer disabled). */
int az_seal(const az_sealer *s, const char *id, const unsigned char *plain, size_t len, unsigned char **out,
            size_t *out_len);

/* Open an envelope sealed for id. *out: malloc'd plaintext plus a terminating NUL (not counted in
 * *out_len). Errors: ASYNCZ_ECRYPTO (wrong key, tampered bytes, another id, unknown version, truncated),
 * ASYNCZ_ENOMEM, ASYNCZ_EINVAL (sealer disabled). */
int az_unseal(const az_sealer *s, const char *id, const unsigned char *data, size_t len, unsigned char **out,
              size_t *out_len);

#endif
