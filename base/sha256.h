/* sha256.h — SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * For API-key hashes and, later, signed webhooks.  Small and self-contained
 * so base/ needs no crypto library; checked against the NIST and RFC 4231
 * test vectors in tests/unit/base/test_sha256.c.  Thread-safe.
 */
#ifndef DD_SHA256_H
#define DD_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define DD_SHA256_LEN 32

struct dd_sha256 {
    uint32_t h[8];
    uint64_t total;
    uint8_t block[64];
    size_t used;
};

void dd_sha256_init(struct dd_sha256 *c);
void dd_sha256_update(struct dd_sha256 *c, const void *p, size_t n);
void dd_sha256_final(struct dd_sha256 *c, uint8_t out[DD_SHA256_LEN]);
void dd_sha256(const void *p, size_t n, uint8_t out[DD_SHA256_LEN]);
void dd_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
                    uint8_t out[DD_SHA256_LEN]);
/* Lower-case hex of n bytes into out (2n + 1 chars). */
void dd_hex(const uint8_t *p, size_t n, char *out);
/* Compares n bytes in time independent of where they differ; 0 if equal. */
int dd_ct_compare(const void *a, const void *b, size_t n);

#endif
