/* base64.h — RFC 4648 base64 (standard alphabet, '=' padding).
 *
 * Used for `embedding_b64` on the ingest hot path, so decode is table-driven
 * and allocation-free: the caller gives the output buffer.  Thread-safe.
 */
#ifndef DD_BASE64_H
#define DD_BASE64_H
#include <stddef.h>
#include <stdint.h>

/* Decoded size upper bound for n input characters. */
#define DD_BASE64_DECODED_MAX(n) (((n) / 4) * 3 + 3)
#define DD_BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/* Decodes n chars of s into out (room for DD_BASE64_DECODED_MAX(n) bytes).
 * Rejects bad characters, bad padding and lengths that are not a multiple
 * of 4.  0 and *out_len, or DD_EINVAL. */
int dd_base64_decode(const char *s, size_t n, uint8_t *out, size_t *out_len);
/* Encodes n bytes into out (room for DD_BASE64_ENCODED_LEN(n) + 1), NUL-ended. */
void dd_base64_encode(const uint8_t *p, size_t n, char *out);

#endif
