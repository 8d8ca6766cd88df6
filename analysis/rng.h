/* rng.h — the small seeded generator used for subsamples and permutations.
 *
 * splitmix64 (Steele, Lea, Flood 2014): one 64-bit state, full period, passes
 * BigCrush; trivially reproducible from a seed, which is the point here: the
 * same seed gives the same MMD permutations and the same p-value.
 * tests/unit/analysis/dd_rng.py implements the same functions in Python, for
 * the unit tests' fixture generator (gen_fixtures.py: C tests regenerate
 * large samples instead of reading them from files) and the statistics
 * benchmark's replica of the MMD subsample.
 *
 * Threading: the state is the caller's; one state per thread.
 */
#ifndef DD_RNG_H
#define DD_RNG_H
#include <math.h>
#include <stdint.h>

struct dd_rng {
    uint64_t s;
};

static inline void dd_rng_seed(struct dd_rng *r, uint64_t seed)
{
    r->s = seed;
}

static inline uint64_t dd_rng_next(struct dd_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double dd_rng_uniform(struct dd_rng *r)
{
    return (double)(dd_rng_next(r) >> 11) * 0x1p-53;
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, tiny bias for
 * n << 2^64, irrelevant for shuffles of <= 1e6 items). */
static inline uint64_t dd_rng_below(struct dd_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)dd_rng_next(r) * n) >> 64);
}

/* Standard normal by Box–Muller (one draw per call, the sine half unused). */
static inline double dd_rng_normal(struct dd_rng *r)
{
    double u1 = (double)((dd_rng_next(r) >> 11) + 1) * 0x1p-53; /* (0, 1] */
    double u2 = dd_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
