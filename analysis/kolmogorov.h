/* kolmogorov.h — the one-sample Kolmogorov–Smirnov distributions.
 *
 * dd_kolmogn_sf(n, x) = Pr(D_n > x) for the two-sided statistic D_n of a sample
 * of size n, i.e. scipy.stats.kstwo.sf(x, n).  It follows Simard & L'Ecuyer
 * (2011) exactly as SciPy 1.10's _ksstats._kolmogn does: Ruben–Gambino closed
 * forms at the ends, the Durbin matrix (Marsaglia–Tsang–Wang) for small n·x²,
 * Pomeranz's recursion for n ≤ 140, Pelz–Good's asymptotic series for large
 * n, and 2·smirnov(n, x) in the upper tail.  ks_2samp uses it with
 * n = round(n1·n2/(n1+n2)) when the exact two-sample distribution is too big.
 *
 * dd_smirnov_sf(n, x) = Pr(D+_n > x), the one-sided statistic (Birnbaum–Tingey
 * sum, computed in log space with long double; = scipy.special.smirnov).
 *
 * Pure functions of their arguments: thread-safe.  Results are clipped to
 * [0, 1]; n must be ≥ 1 (NaN otherwise).
 */
#ifndef DD_KOLMOGOROV_H
#define DD_KOLMOGOROV_H

double dd_kolmogn_sf(long n, double x);
/* Pr(D_n <= x) = kstwo.cdf(x, n). */
double dd_kolmogn_cdf(long n, double x);
double dd_smirnov_sf(long n, double x);

#endif
