/* fixture.h — shared helpers of the analysis unit tests: reading the
 * fixture files written by gen_fixtures.py and regenerating its samples with
 * analysis/rng.h (same splitmix64 + Box–Muller as the script). */
#ifndef DD_TEST_FIXTURE_H
#define DD_TEST_FIXTURE_H
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/rng.h"

/* "seed:n:mu:sigma:decimals" -> n normal draws (malloc'd), as sample() in
 * gen_fixtures.py. */
static inline double *fixture_sample(const char *spec, size_t *n_out)
{
    unsigned long long seed;
    size_t n;
    double mu, sigma;
    int dec;
    if (sscanf(spec, "%llu:%zu:%lf:%lf:%d", &seed, &n, &mu, &sigma, &dec) != 5) {
        fprintf(stderr, "bad sample spec '%s'\n", spec);
        exit(2);
    }
    struct dd_rng r;
    dd_rng_seed(&r, seed);
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        double x = mu + sigma * dd_rng_normal(&r);
        if (dec >= 0) {
            double f = pow(10.0, dec);
            x = nearbyint(x * f) / f;
        }
        v[i] = x;
    }
    *n_out = n;
    return v;
}

/* "1.0,2.5,..." -> array (malloc'd). */
static inline double *fixture_list(const char *s, size_t *n_out)
{
    size_t cap = 16, n = 0;
    double *v = malloc(cap * sizeof *v);
    const char *p = s;
    while (*p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p)
            break;
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = x;
        p = *end == ',' ? end + 1 : end;
    }
    *n_out = n;
    return v;
}

/* "seed:n:dim:shift" -> float32 rows (z + shift) / (1 + j), as
 * embed_sample() in gen_fixtures.py. */
static inline float *fixture_embed(const char *spec, size_t *n_out, size_t *dim_out)
{
    unsigned long long seed;
    size_t n, dim;
    double shift;
    if (sscanf(spec, "%llu:%zu:%zu:%lf", &seed, &n, &dim, &shift) != 4) {
        fprintf(stderr, "bad embedding spec '%s'\n", spec);
        exit(2);
    }
    struct dd_rng r;
    dd_rng_seed(&r, seed);
    float *v = malloc((n * dim > 0 ? n * dim : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++)
            v[i * dim + j] = (float)((dd_rng_normal(&r) + shift) / (1.0 + (double)j));
    *n_out = n;
    *dim_out = dim;
    return v;
}

static inline FILE *fixture_open(const char *name)
{
    FILE *f = fopen(name, "r");
    if (!f) {
        fprintf(stderr, "cannot open fixture '%s' (run from tests/unit/analysis)\n", name);
        exit(2);
    }
    return f;
}

#endif
