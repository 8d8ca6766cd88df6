/* blas.c — BLAS and LAPACKE, loaded on first use (blas.h: why). */
#include "analysis/blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

/* dlsym() returns an object pointer that we store into a function pointer
 * (POSIX guarantees the conversion). */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers fit a void *");

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static struct dd_blas blas_table; /* written once in blas_load_once(), then read-only */
static int blas_rc = DD_EIO;      /* written once in blas_load_once() */

static pthread_mutex_t blas_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_threads_wanted; /* 0: OpenBLAS's default; guarded by blas_threads_lock */
static int blas_loaded;         /* table usable; guarded by blas_threads_lock */

/* The symbol name into *slot (a function pointer's storage); on failure the
 * message into err. */
static int blas_sym(void *h, const char *lib, const char *name, void *slot, char *err,
                    size_t errlen)
{
    dlerror();
    void *p = dlsym(h, name);
    if (!p) {
        const char *e = dlerror();
        snprintf(err, errlen, "cannot load '%s' from '%s': %s", name, lib,
                 e ? e : "symbol is NULL");
        return DD_EIO;
    }
    memcpy(slot, &p, sizeof p);
    return 0;
}

/* sizeof(t->fn = fn) type-checks the field against the real prototype from
 * <cblas.h> / <lapacke.h> without evaluating it (no reference to the symbol
 * reaches the linker). */
#define BLAS_SYM(h, lib, t, fn, err, errlen)                                                       \
    ((void)sizeof((t)->fn = fn), blas_sym(h, lib, #fn, &(t)->fn, err, errlen))

/* dlopen()s the two libraries (never closed) and fills *t: 0, or DD_EIO with
 * the message (naming the library, with dlerror()'s text) in err. */
static int blas_load(const char *openblas, const char *lapacke, struct dd_blas *t, char *err,
                     size_t errlen)
{
    void *ob = dlopen(openblas, RTLD_NOW | RTLD_LOCAL);
    if (!ob) {
        const char *e = dlerror();
        snprintf(err, errlen, "cannot load '%s': %s", openblas, e ? e : "unknown error");
        return DD_EIO;
    }
    void *lp = dlopen(lapacke, RTLD_NOW | RTLD_LOCAL);
    if (!lp) {
        const char *e = dlerror();
        snprintf(err, errlen, "cannot load '%s': %s", lapacke, e ? e : "unknown error");
        return DD_EIO;
    }
    int rc;
    if ((rc = BLAS_SYM(ob, openblas, t, cblas_ddot, err, errlen)) ||
        (rc = BLAS_SYM(ob, openblas, t, cblas_dnrm2, err, errlen)) ||
        (rc = BLAS_SYM(ob, openblas, t, cblas_dgemm, err, errlen)) ||
        (rc = BLAS_SYM(ob, openblas, t, cblas_dsyrk, err, errlen)) ||
        (rc = BLAS_SYM(ob, openblas, t, cblas_dsymm, err, errlen)) ||
        (rc = BLAS_SYM(ob, openblas, t, openblas_set_num_threads, err, errlen)) ||
        (rc = BLAS_SYM(lp, lapacke, t, LAPACKE_dsyevr, err, errlen)))
        return rc;
    return 0;
}

static void blas_load_once(void)
{
    char err[512], quoted[2 * sizeof err + 3];
    blas_rc = blas_load(DD_BLAS_OPENBLAS_LIB, DD_BLAS_LAPACKE_LIB, &blas_table, err, sizeof err);
    if (blas_rc != 0) {
        dd_log_quote(err, quoted, sizeof quoted);
        dd_error("cannot load BLAS/LAPACKE: embedding methods fail", "error=%s", quoted);
        return;
    }
    pthread_mutex_lock(&blas_threads_lock);
    blas_loaded = 1;
    if (blas_threads_wanted > 0)
        blas_table.openblas_set_num_threads(blas_threads_wanted);
    pthread_mutex_unlock(&blas_threads_lock);
}

int dd_blas__get(const struct dd_blas **out)
{
    pthread_once(&blas_once, blas_load_once);
    if (blas_rc != 0)
        return blas_rc;
    *out = &blas_table;
    return 0;
}

void dd_blas__set_threads(int n)
{
    pthread_mutex_lock(&blas_threads_lock);
    blas_threads_wanted = n > 0 ? n : 1;
    if (blas_loaded)
        blas_table.openblas_set_num_threads(blas_threads_wanted);
    pthread_mutex_unlock(&blas_threads_lock);
}
