/* fixture.h — shared helpers of the analysis unit tests: reading the
 * fixture files written by gen_fixtures.py and regenerating its samples with
 * analysis/rng.h (same splitmix64 + Box–Muller as the script's dd_rng.py). */
#ifndef DD_TEST_FIXTURE_H
#define DD_TEST_FIXTURE_H
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
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

/* fixture_embed()'s rows with their count and dimension (free(rows.v)). */
struct fixture_rows {
    float *v;
    size_t n, dim;
};

static inline struct fixture_rows fixture_rows(const char *spec)
{
    struct fixture_rows r;
    r.v = fixture_embed(spec, &r.n, &r.dim);
    return r;
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

/* Calls fn(rest) for each line of the fixture file `name` whose first word
 * is `kind`, rest being the words after it (its newline removed); returns
 * how many lines that was. */
static inline int fixture_each_line(const char *name, const char *kind, void (*fn)(char *rest))
{
    FILE *f = fixture_open(name);
    char line[16384];
    size_t k = strlen(kind);
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, kind, k) != 0 || line[k] != ' ')
            continue;
        line[strcspn(line, "\n")] = '\0';
        fn(line + k + 1);
        n++;
    }
    fclose(f);
    return n;
}

/* The next space-separated word of a strtok_r() scan as a number (NaN when
 * the line has no more words). */
static inline double fixture_next_num(char **save)
{
    const char *w = strtok_r(NULL, " ", save);
    return w ? strtod(w, NULL) : NAN;
}

/* One case of chi2.txt: "NAME REF CUR STAT DF P PSI JS", the two count
 * vectors comma-separated (chi2_contingency's statistic, p and dof, then
 * PSI and Jensen-Shannon of the same counts). */
#define FIXTURE_BINS_MAX 256
struct fixture_counts {
    char name[64];
    uint64_t ref[FIXTURE_BINS_MAX], cur[FIXTURE_BINS_MAX];
    size_t k, k_cur; /* bins of ref and of cur (only the first FIXTURE_BINS_MAX are kept) */
    double stat, p, psi, js;
    int df;
};

static inline size_t fixture_counts_of(const char *s, uint64_t *out)
{
    size_t n;
    double *v = fixture_list(s, &n);
    for (size_t i = 0; i < n && i < FIXTURE_BINS_MAX; i++)
        out[i] = (uint64_t)v[i];
    free(v);
    return n;
}

/* The next case of chi2.txt (fixture_open()) into c; 0 at the end. */
static inline int fixture_next_counts(FILE *f, struct fixture_counts *c)
{
    char line[8192], sr[4000], sc[4000];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%63s %3999s %3999s %lf %d %lf %lf %lf", c->name, sr, sc, &c->stat, &c->df,
                   &c->p, &c->psi, &c->js) != 8)
            continue;
        c->k = fixture_counts_of(sr, c->ref);
        c->k_cur = fixture_counts_of(sc, c->cur);
        return 1;
    }
    return 0;
}

#endif
