/* libFuzzer target: the sealed envelope and store URLs. Any input, opened as an envelope for a fixed id,
 * must be refused with ASYNCZ_ECRYPTO (forging a record without the key is the attack sealing stops) unless
 * it is a true envelope; anything sealed must open to the same bytes, and not for another id. The input is
 * also parsed as a store URL, which must either fail cleanly or give a scheme. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "codec/seal.h"
#include "fuzz_common.h"
#include "store/url.h"

static void check_open(const az_sealer *s, const uint8_t *data, size_t size)
{
    unsigned char *out = NULL;
    size_t out_len = 0;
    int rc = az_unseal(s, "task-1", data, size, &out, &out_len);
    if (rc == 0)
        abort(); /* a forged envelope opened */
    if (rc != ASYNCZ_ECRYPTO && rc != ASYNCZ_ENOMEM)
        abort();
}

static void check_round_trip(const az_sealer *s, const uint8_t *data, size_t size)
{
    unsigned char *sealed = NULL, *plain = NULL;
    size_t sealed_len = 0, plain_len = 0;
    if (az_seal(s, "task-1", data, size, &sealed, &sealed_len) != 0)
        abort();
    if (az_unseal(s, "task-1", sealed, sealed_len, &plain, &plain_len) != 0 || plain_len != size ||
        (size && memcmp(plain, data, size) != 0))
        abort();
    free(plain);
    plain = NULL;
    if (az_unseal(s, "task-2", sealed, sealed_len, &plain, &plain_len) != ASYNCZ_ECRYPTO)
        abort();
    free(sealed);
}

static void check_url(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    az_url url;
    if (az_url_parse(text, &url) == 0) {
        if (!url.scheme || !url.path)
            abort();
        az_url_free(&url);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    az_sealer s;
    if (az_sealer_init(&s, "fuzz key", 8) != 0)
        abort();
    check_open(&s, data, size);
    if (size <= 4096)
        check_round_trip(&s, data, size);
    check_url(data, size);
    return 0;
}
