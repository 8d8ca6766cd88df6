/* Tests analysis/blas.c: OpenBLAS is not linked (nothing loads it before the
 * first call), a missing library or function gives DD_EIO and a message
 * naming it, the table works once loaded, and a thread count set before the
 * load is applied at load time. */
#include "analysis/blas.c"

#include <dlfcn.h>

#include "check.h"

TEST(not_linked)
{
    /* RTLD_NOLOAD: a handle only if the library is already in the process */
    CHECK_EQ_PTR(dlopen(DD_BLAS_OPENBLAS_LIB, RTLD_NOW | RTLD_NOLOAD), NULL);
    CHECK_EQ_PTR(dlopen(DD_BLAS_LAPACKE_LIB, RTLD_NOW | RTLD_NOLOAD), NULL);
}

TEST(load_errors)
{
    struct dd_blas t;
    char err[512];
    CHECK_EQ_INT(blas_load("libdd-no-such-blas.so.0", DD_BLAS_LAPACKE_LIB, &t, err, sizeof err),
                 DD_EIO);
    fprintf(stderr, "message: %s\n", err);
    CHECK_CONTAINS(err, "cannot load 'libdd-no-such-blas.so.0': ");
    CHECK_CONTAINS(err, "cannot open shared object file"); /* dlerror()'s text */
    /* a library without the functions */
    CHECK_EQ_INT(blas_load("libm.so.6", DD_BLAS_LAPACKE_LIB, &t, err, sizeof err), DD_EIO);
    fprintf(stderr, "message: %s\n", err);
    CHECK_CONTAINS(err, "cannot load 'cblas_ddot' from 'libm.so.6': ");
    CHECK_CONTAINS(err, "undefined symbol");
    CHECK_EQ_INT(blas_load(DD_BLAS_OPENBLAS_LIB, "liblapacke-no-such.so.3", &t, err, sizeof err),
                 DD_EIO);
    CHECK_CONTAINS(err, "cannot load 'liblapacke-no-such.so.3': ");
}

TEST(load)
{
    dd_blas__set_threads(0); /* before the load: kept (as 1), applied at load */
    const struct dd_blas *bl = NULL;
    CHECK_EQ_INT(dd_blas__get(&bl), 0);
    CHECK(bl != NULL);
    if (!bl)
        return;
    const double x[3] = {1, 2, 3}, y[3] = {4, -5, 6};
    CHECK_CLOSE(bl->cblas_ddot(3, x, 1, y, 1), 12.0, 0, 0);
    CHECK_CLOSE(bl->cblas_dnrm2(2, y, 1), sqrt(41.0), 1e-15, 0);
    void *h = dlopen(DD_BLAS_OPENBLAS_LIB, RTLD_NOW | RTLD_NOLOAD);
    CHECK(h != NULL);
    int (*get_threads)(void) = NULL;
    void *p = h ? dlsym(h, "openblas_get_num_threads") : NULL;
    memcpy(&get_threads, &p, sizeof p);
    CHECK(get_threads != NULL);
    if (get_threads)
        CHECK_EQ_INT(get_threads(), 1);
    dd_blas__set_threads(1); /* after the load: applied at once */
    if (get_threads)
        CHECK_EQ_INT(get_threads(), 1);
    const struct dd_blas *again = NULL;
    CHECK_EQ_INT(dd_blas__get(&again), 0);
    CHECK_EQ_PTR(again, bl);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(not_linked);
    RUN(load_errors);
    RUN(load);
    CHECK_DONE();
}
