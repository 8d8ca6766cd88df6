/* Tests base/sha256.c against FIPS 180-4 and RFC 4231 vectors. */
#include <string.h>

#include "base/sha256.h"
#include "check.h"

static void hex_of(const void *p, size_t n, char *out)
{
    uint8_t h[DD_SHA256_LEN];
    dd_sha256(p, n, h);
    dd_hex(h, DD_SHA256_LEN, out);
}

/* FIPS 180-4's short messages */
TEST(short_messages)
{
    char hex[65];
    hex_of("", 0, hex);
    CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 3, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two, strlen(two), hex);
    CHECK_EQ_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* one million 'a', fed in uneven pieces */
TEST(million_a_in_pieces)
{
    char hex[65];
    struct dd_sha256 c;
    dd_sha256_init(&c);
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof a ? left : sizeof a;
        dd_sha256_update(&c, a, n);
        left -= n;
    }
    uint8_t h[32];
    dd_sha256_final(&c, h);
    dd_hex(h, 32, hex);
    CHECK_EQ_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* RFC 4231 test cases 1 and 6 (key longer than the block) */
TEST(hmac_rfc4231)
{
    char hex[65];
    uint8_t h[32];
    uint8_t key1[20];
    memset(key1, 0x0b, sizeof key1);
    dd_hmac_sha256(key1, sizeof key1, "Hi There", 8, h);
    dd_hex(h, 32, hex);
    CHECK_EQ_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    uint8_t key6[131];
    memset(key6, 0xaa, sizeof key6);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    dd_hmac_sha256(key6, sizeof key6, m6, strlen(m6), h);
    dd_hex(h, 32, hex);
    CHECK_EQ_STR(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(constant_time_compare)
{
    CHECK_EQ_INT(dd_ct_compare("abcd", "abcd", 4), 0);
    CHECK_CMP_INT(dd_ct_compare("abcd", "abce", 4), !=, 0);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(short_messages);
    RUN(million_a_in_pieces);
    RUN(hmac_rfc4231);
    RUN(constant_time_compare);
    CHECK_DONE();
}
