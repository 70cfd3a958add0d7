/* Sealed records: AES-256-GCM through OpenSSL's EVP interface (see seal.h). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/store.h"
#include "codec/seal.h"

#define SEAL_VERSION 1

int az_sealer_init(az_sealer *s, const char *secret, size_t len)
{
    memset(s, 0, sizeof *s);
    if (len == 0)
        return 0;
    unsigned int out_len = 0;
    if (EVP_Digest(secret, len, s->key, &out_len, EVP_sha256(), NULL) != 1 || out_len != sizeof s->key)
        return ASYNCZ_ECRYPTO;
    s->enabled = true;
    return 0;
}

int az_sealer_from_env(az_sealer *s)
{
    const char *secret = getenv(ASYNCZ_STORE_KEY_ENV);
    return az_sealer_init(s, secret, secret ? strlen(secret) : 0);
}

void az_sealer_clear(az_sealer *s)
{
    OPENSSL_cleanse(s, sizeof *s);
}

bool az_seal_looks_sealed(const unsigned char *data, size_t len)
{
    return len >= AZ_SEAL_MAGIC_LEN && memcmp(data, AZ_SEAL_MAGIC, AZ_SEAL_MAGIC_LEN) == 0;
}

/* Run one GCM pass (encrypt or decrypt) of in[0..len) into out with the given nonce and id as AAD. For
 * decryption, tag is the expected tag; for encryption, the tag is written to it. */
static int gcm(const az_sealer *s, bool enc, const unsigned char *nonce, const char *id,
               const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return ASYNCZ_ENOMEM;
    int n = 0;
    int ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, AZ_SEAL_NONCE_LEN, NULL) == 1 &&
             EVP_CipherInit_ex(ctx, NULL, NULL, s->key, nonce, enc) == 1 &&
             EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)id, (int)strlen(id)) == 1 &&
             (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, AZ_SEAL_TAG_LEN, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(ctx, out + len, &n) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, AZ_SEAL_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : ASYNCZ_ECRYPTO;
}

int az_seal(const az_sealer *s, const char *id, const unsigned char *plain, size_t len, unsigned char **out,
            size_t *out_len)
{
    if (!s->enabled || len > INT32_MAX)
        return ASYNCZ_EINVAL;
    size_t total = len + AZ_SEAL_OVERHEAD;
    unsigned char *buf = malloc(total + 16); /* room for a final block, which GCM never writes */
    if (!buf)
        return ASYNCZ_ENOMEM;
    memcpy(buf, AZ_SEAL_MAGIC, AZ_SEAL_MAGIC_LEN);
    buf[AZ_SEAL_MAGIC_LEN] = SEAL_VERSION;
    unsigned char *nonce = buf + AZ_SEAL_MAGIC_LEN + 1;
    unsigned char *body = nonce + AZ_SEAL_NONCE_LEN;
    int rc = RAND_bytes(nonce, AZ_SEAL_NONCE_LEN) == 1 ? 0 : ASYNCZ_ECRYPTO;
    if (!rc)
        rc = gcm(s, true, nonce, id, plain, len, body, body + len);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = total;
    return 0;
}

int az_unseal(const az_sealer *s, const char *id, const unsigned char *data, size_t len, unsigned char **out,
              size_t *out_len)
{
    if (!s->enabled)
        return ASYNCZ_EINVAL;
    if (len < AZ_SEAL_OVERHEAD || !az_seal_looks_sealed(data, len) ||
        data[AZ_SEAL_MAGIC_LEN] != SEAL_VERSION || len - AZ_SEAL_OVERHEAD > INT32_MAX)
        return ASYNCZ_ECRYPTO;
    const unsigned char *nonce = data + AZ_SEAL_MAGIC_LEN + 1;
    const unsigned char *body = nonce + AZ_SEAL_NONCE_LEN;
    size_t plain_len = len - AZ_SEAL_OVERHEAD;
    unsigned char tag[AZ_SEAL_TAG_LEN];
    memcpy(tag, body + plain_len, sizeof tag);
    unsigned char *buf = malloc(plain_len + 17);
    if (!buf)
        return ASYNCZ_ENOMEM;
    int rc = gcm(s, false, nonce, id, body, plain_len, buf, tag);
    if (rc) {
        OPENSSL_cleanse(buf, plain_len);
        free(buf);
        return rc;
    }
    buf[plain_len] = '\0';
    *out = buf;
    *out_len = plain_len;
    return 0;
}
