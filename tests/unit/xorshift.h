/* xorshift.h — the unit tests' reproducible random numbers: Marsaglia's
 * xorshift64 (shifts 13, 7, 17).  Each case keeps its own state, seeded
 * with a non-zero constant, so a case run alone sees the same numbers. */
#ifndef DD_TEST_XORSHIFT_H
#define DD_TEST_XORSHIFT_H
#include <stddef.h>
#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Fills out with a random count of bytes (0 to max), each pick(r) of a
 * fresh number r; returns the count. */
static inline size_t xorshift64_bytes(uint64_t *state, unsigned char *out, size_t max,
                                      unsigned char (*pick)(uint64_t r))
{
    size_t n = (size_t)(xorshift64(state) % (max + 1));
    for (size_t i = 0; i < n; i++)
        out[i] = pick(xorshift64(state));
    return n;
}

#endif
