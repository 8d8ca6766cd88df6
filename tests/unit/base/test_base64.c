/* Tests base/base64.c: RFC 4648 vectors, bad input, round trips. */
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/err.h"
#include "check.h"

static const char *dec(const char *s, size_t *n)
{
    static uint8_t out[64];
    if (dd_base64_decode(s, strlen(s), out, n) != 0)
        return NULL;
    out[*n] = 0;
    return (const char *)out;
}

TEST(rfc4648_vectors)
{
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char enc[32];
        dd_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), enc);
        CHECK_EQ_STR(enc, coded[i]);
        size_t n;
        CHECK_EQ_STR(dec(coded[i], &n), plain[i]);
        CHECK_EQ_INT(n, strlen(plain[i]));
    }
}

TEST(bad_input)
{
    size_t n;
    CHECK_EQ_PTR(dec("Zm9", &n), NULL);      /* length not a multiple of 4 */
    CHECK_EQ_PTR(dec("Zm9v!A==", &n), NULL); /* bad character */
    CHECK_EQ_PTR(dec("Z===", &n), NULL);     /* too much padding */
    CHECK_EQ_PTR(dec("Zg==Zm9v", &n), NULL); /* padding in the middle */
    CHECK_EQ_PTR(dec("Zm=v", &n), NULL);
}

TEST(round_trips)
{
    uint8_t raw[3000], back[3003];
    char enc[4100];
    srand(7);
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)rand();
    for (size_t len = 0; len < sizeof raw; len += 97) {
        dd_base64_encode(raw, len, enc);
        CHECK_EQ_INT(strlen(enc), DD_BASE64_ENCODED_LEN(len));
        size_t got;
        CHECK_EQ_INT(dd_base64_decode(enc, strlen(enc), back, &got), 0);
        CHECK_EQ_INT(got, len);
        CHECK_EQ_MEM(raw, back, len);
    }
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(rfc4648_vectors);
    RUN(bad_input);
    RUN(round_trips);
    CHECK_DONE();
}
