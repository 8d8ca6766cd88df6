/* blas.h — BLAS and LAPACKE, loaded on first use (internal to analysis/).
 *
 * driftd does not link OpenBLAS: libopenblas.so.0 has a 60 KiB TLS segment,
 * and a library the executable links is given static TLS, which glibc puts
 * into every thread's stack and clears at thread creation, whether or not the
 * thread ever calls BLAS.  With 4,096 HTTP threads that was 68 KiB resident
 * per thread (339 MB idle) and 60 KiB of each 100 KiB CivetWeb worker stack.
 * Loaded with dlopen() instead, its TLS is allocated lazily, only in the
 * threads that call it (the evaluator, the requests that evaluate on demand,
 * driftd check).
 *
 * dd_blas__get() dlopen()s libopenblas.so.0 and liblapacke.so.3 (RTLD_NOW |
 * RTLD_LOCAL) once and fills a table of the functions embed.c and mmd.c call,
 * typed from the real prototypes (the fields carry the functions' names, so
 * call sites read bl->cblas_ddot(...)).  OpenBLAS's <cblas.h> clashes with
 * GSL's <gsl/gsl_cblas.h> (docs/design.md): include this header only in files
 * that include no GSL header.
 *
 * Errors: DD_EIO when a library or one of its functions cannot be loaded; the
 * message (the library and dlerror()'s text) is logged once, at the first
 * call, and every later call returns DD_EIO at once.
 * Threading: any thread (pthread_once); the table is read-only once
 * returned.
 */
#ifndef DD_BLAS_H
#define DD_BLAS_H
#include <cblas.h>
#include <lapacke.h>

/* The sonames dlopen()ed: the runtime packages libopenblas0 (through
 * libopenblas0-pthread) and liblapacke provide them.  A test may define
 * others before including blas.c. */
#ifndef DD_BLAS_OPENBLAS_LIB
#define DD_BLAS_OPENBLAS_LIB "libopenblas.so.0"
#endif
#ifndef DD_BLAS_LAPACKE_LIB
#define DD_BLAS_LAPACKE_LIB "liblapacke.so.3"
#endif

struct dd_blas {
    double (*cblas_ddot)(blasint n, const double *x, blasint incx, const double *y, blasint incy);
    double (*cblas_dnrm2)(blasint n, const double *x, blasint incx);
    void (*cblas_dgemm)(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
                        blasint m, blasint n, blasint k, double alpha, const double *a, blasint lda,
                        const double *b, blasint ldb, double beta, double *c, blasint ldc);
    void (*cblas_dsyrk)(enum CBLAS_ORDER order, enum CBLAS_UPLO uplo, enum CBLAS_TRANSPOSE trans,
                        blasint n, blasint k, double alpha, const double *a, blasint lda,
                        double beta, double *c, blasint ldc);
    void (*cblas_dsymm)(enum CBLAS_ORDER order, enum CBLAS_SIDE side, enum CBLAS_UPLO uplo,
                        blasint m, blasint n, double alpha, const double *a, blasint lda,
                        const double *b, blasint ldb, double beta, double *c, blasint ldc);
    void (*openblas_set_num_threads)(int n);
    lapack_int (*LAPACKE_dsyevr)(int layout, char jobz, char range, char uplo, lapack_int n,
                                 double *a, lapack_int lda, double vl, double vu, lapack_int il,
                                 lapack_int iu, double abstol, lapack_int *m, double *w, double *z,
                                 lapack_int ldz, lapack_int *isuppz);
};

/* 0 and *out the loaded table (static: never freed), or DD_EIO. */
int dd_blas__get(const struct dd_blas **out);

/* Threads OpenBLAS uses per call (n < 1 means 1): applied now if the library
 * is loaded, otherwise kept and applied when it is (dd_blas_set_threads() in
 * embed.h is the public face). */
void dd_blas__set_threads(int n);

#endif
