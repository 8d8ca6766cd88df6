/* kolmogorov.c — Kolmogorov (two-sided) and Smirnov (one-sided) one-sample
 * distributions; a port of the algorithms behind SciPy's kstwo (see
 * kolmogorov.h for the references).  No third-party library: GSL has none. */
#include "analysis/kolmogorov.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define KG_E128 128
static const double KG_EP128 = 0x1p128;
static const double KG_EM128 = 0x1p-128;
#define KG_MIN_LOG (-708.0)
#define KG_PI 3.14159265358979323846
#define KG_SQRT2PI 2.50662827463100050242
#define KG_LOG_2PI 1.83787706640934548356

static double clip01(double p)
{
    if (!(p >= 0.0))
        return 0.0;
    return p > 1.0 ? 1.0 : p;
}

/* log(n!/n^n) by Stirling's series (SciPy's _log_nfactorial_div_n_pow_n). */
static double log_nfact_div_npown(double n)
{
    static const double c[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3,
                               -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                               -5.952380952380952381e-4,  7.9365079365079365079e-4,
                               -2.7777777777777777778e-3, 8.3333333333333333333e-2};
    double rn = 1.0 / n, z = rn / n, poly = 0.0;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        poly = poly * z + c[i];
    return log(n) / 2 - n + KG_LOG_2PI / 2 + rn * poly;
}

/* ---- Smirnov one-sided: Pr(D+_n > x) --------------------------------------
 * sf = x · Σ_{v=0}^{V} C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v), V the last v with
 * 1-x-v/n > 0.  Terms are positive, so a log-space sum in long double is
 * accurate to far better than the 1e-6 we promise.  The special cases are
 * those of SciPy's cephes _smirnov. */
double dd_smirnov_sf(long n, double x)
{
    if (!(n > 0 && x >= 0.0 && x <= 1.0))
        return NAN;
    if (n == 1)
        return 1.0 - x;
    if (x == 0.0)
        return 1.0;
    if (x == 1.0)
        return 0.0;
    long double nx = (long double)n * x;
    long double nxfl_l = floorl(nx);
    long double alpha = nx - nxfl_l;
    long nxfl = (long)nxfl_l;
    if (alpha >= 1.0L) {
        nxfl += 1;
        alpha = 0;
    }
    if (nxfl == 0 || (nxfl == 1 && alpha == 0)) {
        /* x <= 1/n: cdf = x (1+x)^(n-1) */
        double cdf = x * (double)powl(1.0L + x, (long double)(n - 1));
        return clip01(1.0 - cdf);
    }
    if (-2.0 * (double)n * x * x < -708.39641853226410622)
        return 0.0;
    if (nxfl >= n - 1)
        return clip01((double)powl(1.0L - x, (long double)n));
    if (n > 1000000) {
        /* cephes: p ~ exp(-(6nx+1)^2 / 18n) */
        double logp = -pow(6.0 * n * x + 1, 2) / 18.0 / n;
        return clip01(logp < -M_LN2 ? exp(logp) : 1.0 - (-expm1(logp)));
    }
    long vmax = n - nxfl - 1; /* last v with 1 - x - v/n > 0 */
    long double lx = logl((long double)x);
    long double ln = logl((long double)n);
    long double logc = 0.0L; /* log C(n, v) */
    long double maxl = -INFINITY, sum = 0.0L, prev = -INFINITY;
    for (long v = 0; v <= vmax; v++) {
        /* x + v/n = (nx + v)/n ; 1 - x - v/n = (n - nxfl - v - alpha)/n */
        long double a = nx + v;
        long double b = (long double)(n - nxfl - v) - alpha;
        if (b <= 0)
            break;
        long double lt = logc + (v - 1) * (logl(a) - ln) + (n - v) * (logl(b) - ln);
        if (lt > maxl) {
            sum = sum * expl(maxl - lt) + 1.0L;
            maxl = lt;
        } else {
            long double r = expl(lt - maxl);
            sum += r;
            /* the terms are log-concave in v: once falling, they keep falling */
            if (lt < prev && r < 1e-22L * sum)
                break;
        }
        prev = lt;
        logc += logl((long double)(n - v)) - logl((long double)(v + 1));
    }
    if (maxl == -INFINITY)
        return 0.0;
    return clip01((double)expl(lx + maxl + logl(sum)));
}

/* ---- Durbin matrix (Marsaglia, Tsang, Wang 2003): Pr(D_n <= d) ------------ */
static void matmul(const double *A, const double *B, double *C, int m)
{
    for (int i = 0; i < m * m; i++)
        C[i] = 0.0;
    for (int i = 0; i < m; i++)
        for (int k = 0; k < m; k++) {
            double a = A[i * m + k];
            if (a == 0.0)
                continue;
            const double *b = B + k * m;
            double *c = C + i * m;
            for (int j = 0; j < m; j++)
                c[j] += a * b[j];
        }
}

static double kolmogn_dmtw_cdf(long n, double d)
{
    if (d >= 1.0)
        return 1.0;
    double nd = n * d;
    if (nd <= 0.5)
        return 0.0;
    int k = (int)ceil(nd);
    double h = k - nd;
    int m = 2 * k - 1;
    size_t mm = (size_t)m * (size_t)m;
    double *H = dd_calloc(mm, sizeof *H);
    double *P = dd_calloc(mm, sizeof *P);
    double *T = dd_malloc(mm * sizeof *T);
    double *v = dd_malloc((size_t)m * sizeof *v);
    double *w = dd_malloc((size_t)m * sizeof *w);
    double fac = 1.0;
    for (int j = 1; j <= m; j++) {
        w[j - 1] = fac;
        fac /= j;
        v[j - 1] = (1.0 - pow(h, j)) * fac;
    }
    double tt = pow(fmax(2 * h - 1.0, 0), m) - 2 * pow(h, m);
    v[m - 1] = (1.0 + tt) * fac;
    for (int i = 1; i < m; i++)
        for (int r = i - 1; r < m; r++)
            H[r * m + i] = w[r - (i - 1)];
    for (int r = 0; r < m; r++)
        H[r * m] = v[r];
    for (int c = 0; c < m; c++)
        H[(m - 1) * m + c] = v[m - 1 - c];
    for (int i = 0; i < m; i++)
        P[i * m + i] = 1.0;
    long nn = n;
    int expnt = 0, hexpnt = 0;
    while (nn > 0) {
        if (nn % 2) {
            matmul(P, H, T, m);
            memcpy(P, T, mm * sizeof *T);
            expnt += hexpnt;
        }
        matmul(H, H, T, m);
        memcpy(H, T, mm * sizeof *T);
        hexpnt *= 2;
        if (fabs(H[(k - 1) * m + (k - 1)]) > KG_EP128) {
            for (size_t i = 0; i < mm; i++)
                H[i] /= KG_EP128;
            hexpnt += KG_E128;
        }
        nn /= 2;
    }
    double p = P[(k - 1) * m + (k - 1)];
    for (long i = 1; i <= n; i++) {
        p = i * p / n;
        if (fabs(p) < KG_EM128) {
            p *= KG_EP128;
            expnt -= KG_E128;
        }
    }
    if (expnt != 0)
        p = ldexp(p, expnt);
    free(H);
    free(P);
    free(T);
    free(v);
    free(w);
    return clip01(p);
}

/* ---- Pomeranz (1974): Pr(D_n <= x) ---------------------------------------- */
static void pomeranz_j1j2(long i, long n, long ll, int ceilf, int roundf, long *j1, long *j2)
{
    long a, b;
    if (i == 0) {
        a = -ll - ceilf - 1;
        b = ll + ceilf - 1;
    } else {
        long ip1div2 = (i + 1) / 2, ip1mod2 = (i + 1) % 2;
        if (ip1mod2 == 0) {
            if (ip1div2 == n + 1) {
                a = n - ll - ceilf - 1;
                b = n + ll + ceilf - 1;
            } else {
                a = ip1div2 - 1 - ll - roundf - 1;
                b = ip1div2 + ll - 1 + ceilf - 1;
            }
        } else {
            a = ip1div2 - 1 - ll - 1;
            b = ip1div2 + ll + roundf - 1;
        }
    }
    *j1 = a + 2 > 0 ? a + 2 : 0;
    *j2 = b < n ? b : n;
}

static double kolmogn_pomeranz_cdf(long n, double x)
{
    double t = n * x;
    long ll = (long)floor(t);
    double f = t - ll;
    double g = fmin(f, 1.0 - f);
    int ceilf = f > 0 ? 1 : 0;
    int roundf = f > 0.5 ? 1 : 0;
    long npwrs = 2 * (ll + 1);
    double *gp = dd_malloc((size_t)npwrs * sizeof *gp);
    double *tgp = dd_malloc((size_t)npwrs * sizeof *tgp);
    double *o2gp = dd_malloc((size_t)npwrs * sizeof *o2gp);
    double *V0 = dd_calloc((size_t)npwrs, sizeof *V0);
    double *V1 = dd_calloc((size_t)npwrs, sizeof *V1);
    double *conv = dd_malloc((size_t)(2 * npwrs) * sizeof *conv);
    gp[0] = tgp[0] = o2gp[0] = 1.0;
    int expnt = 0;
    double gn = g / n, tgn = 2 * g / n, o2gn = (1 - 2 * g) / n;
    for (long m = 1; m < npwrs; m++) {
        gp[m] = gp[m - 1] * gn / m;
        tgp[m] = tgp[m - 1] * tgn / m;
        o2gp[m] = o2gp[m - 1] * o2gn / m;
    }
    V1[0] = 1;
    long V0s = 0, V1s = 0, j1, j2;
    pomeranz_j1j2(0, n, ll, ceilf, roundf, &j1, &j2);
    for (long i = 1; i < 2 * n + 2; i++) {
        long k1 = j1;
        double *sw = V0;
        V0 = V1;
        V1 = sw;
        long s = V0s;
        V0s = V1s;
        V1s = s;
        memset(V1, 0, (size_t)npwrs * sizeof *V1);
        pomeranz_j1j2(i, n, ll, ceilf, roundf, &j1, &j2);
        const double *pw = (i == 1 || i == 2 * n + 1) ? gp : (i % 2 ? tgp : o2gp);
        long ln2 = j2 - k1 + 1;
        if (ln2 > 0) {
            const double *a = V0 + (k1 - V0s);
            /* full convolution of a[0..ln2) with pw[0..ln2), entries we need */
            long cstart = j1 - k1, clen = j2 - j1 + 1;
            for (long c = 0; c < clen; c++) {
                long idx = cstart + c;
                double acc = 0.0;
                long lo = idx - (ln2 - 1) > 0 ? idx - (ln2 - 1) : 0;
                long hi = idx < ln2 - 1 ? idx : ln2 - 1;
                for (long q = lo; q <= hi; q++)
                    acc += a[q] * pw[idx - q];
                V1[c] = acc;
            }
            double mx = 0.0;
            for (long c = 0; c < npwrs; c++)
                if (V1[c] > mx)
                    mx = V1[c];
            if (0 < mx && mx < KG_EM128) {
                for (long c = 0; c < npwrs; c++)
                    V1[c] *= KG_EP128;
                expnt -= KG_E128;
            }
            V1s = V0s + j1 - k1;
        }
    }
    double ans = V1[n - V1s];
    for (long m = 1; m <= n; m++) {
        if (fabs(ans) > KG_EP128) {
            ans *= KG_EM128;
            expnt += KG_E128;
        }
        ans *= m;
    }
    if (expnt != 0)
        ans = ldexp(ans, expnt);
    free(gp);
    free(tgp);
    free(o2gp);
    free(V0);
    free(V1);
    free(conv);
    return clip01(ans);
}

/* ---- Pelz–Good (1976) asymptotic series: Pr(D_n <= x) --------------------- */
static double kolmogn_pelzgood_cdf(long n, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    const double pi2 = KG_PI * KG_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    double z = sqrt((double)n) * x;
    double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
    double qlog = -pi2 / 8 / z2;
    if (qlog < KG_MIN_LOG)
        return 0.0;
    double q = exp(qlog);
    double k1a = -z2, k1b = pi2 / 4;
    double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4;
    double k2c = pi4 * (1 - 2 * z2) / 16;
    double k3d = pi6 * (5 - 30 * z2) / 64;
    double k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
    double k3b = pi2 * (135 * z4 - 96 * z6) / 4;
    double k3a = -30 * z6 - 90 * pow(z, 8);
    double K[4] = {0, 0, 0, 0};
    long maxk = (long)ceil(16 * z / KG_PI);
    for (long k = maxk; k > 0; k--) {
        double m = 2.0 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
        double qp = pow(q, 8.0 * k);
        double c[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                       k3a + k3b * m2 + k3c * m4 + k3d * m6};
        for (int i = 0; i < 4; i++)
            K[i] = K[i] * qp + c[i];
    }
    double den[4] = {z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)};
    for (int i = 0; i < 4; i++)
        K[i] = K[i] * q * KG_SQRT2PI / den[i];
    q = exp(-pi2 / 2 / z2);
    double k2extra = 0.0, k3extra = 0.0, s3z = sqrt(3.0) * z;
    for (long k = maxk; k > 0; k--) {
        double ks2 = (double)k * k, qp = pow(q, ks2), kspi = KG_PI * k;
        k2extra += ks2 * qp;
        k3extra += (s3z + kspi) * (s3z - kspi) * ks2 * qp;
    }
    K[2] += k2extra * pi2 * KG_SQRT2PI / (-36 * z3);
    K[3] += k3extra * pi2 * KG_SQRT2PI / (216 * z6);
    double sum = 0.0;
    for (int i = 0; i < 4; i++)
        sum += K[i] / pow((double)n, i / 2.0);
    return sum;
}

/* SciPy's _kolmogn: returns the cdf (want_cdf) or the sf. */
static double kolmogn(long n, double x, int want_cdf)
{
    if (n <= 0 || isnan(x))
        return NAN;
#define SEL(c, s) clip01(want_cdf ? (c) : (s))
    if (x >= 1.0)
        return SEL(1.0, 0.0);
    if (x <= 0.0)
        return SEL(0.0, 1.0);
    double t = n * x;
    if (t <= 1.0) {
        if (t <= 0.5)
            return SEL(0.0, 1.0);
        double prob;
        if (n <= 140) {
            prob = 1.0;
            for (long i = 1; i <= n; i++)
                prob *= i * (1.0 / n) * (2 * t - 1);
        } else {
            prob = exp(log_nfact_div_npown((double)n) + n * log(2 * t - 1));
        }
        return SEL(prob, 1.0 - prob);
    }
    if (t >= n - 1) {
        double prob = 2 * pow(1.0 - x, (double)n);
        return SEL(1 - prob, prob);
    }
    if (x >= 0.5) {
        double prob = 2 * dd_smirnov_sf(n, x);
        return SEL(1.0 - prob, prob);
    }
    double nxsq = t * x;
    if (n <= 140) {
        double prob;
        if (nxsq <= 0.754693) {
            prob = kolmogn_dmtw_cdf(n, x);
            return SEL(prob, 1.0 - prob);
        }
        if (nxsq <= 4) {
            prob = kolmogn_pomeranz_cdf(n, x);
            return SEL(prob, 1.0 - prob);
        }
        prob = 2 * dd_smirnov_sf(n, x);
        return SEL(1.0 - prob, prob);
    }
    if (!want_cdf) {
        if (nxsq >= 370.0)
            return 0.0;
        if (nxsq >= 2.2)
            return clip01(2 * dd_smirnov_sf(n, x));
    }
    double cdfprob;
    if (nxsq >= 18.0)
        cdfprob = 1.0;
    else if (n <= 100000 && n * pow(x, 1.5) <= 1.4)
        cdfprob = kolmogn_dmtw_cdf(n, x);
    else
        cdfprob = kolmogn_pelzgood_cdf(n, x);
    return SEL(cdfprob, 1.0 - cdfprob);
#undef SEL
}

double dd_kolmogn_sf(long n, double x)
{
    return kolmogn(n, x, 0);
}

double dd_kolmogn_cdf(long n, double x)
{
    return kolmogn(n, x, 1);
}
