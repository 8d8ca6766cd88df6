/* check.h — the assertions of driftd's unit tests.
 *
 * Each failing check prints file, line, the expression and both values,
 * counts the failure and goes on; CHECK_DONE() returns the exit status
 * (libuv's ASSERT_EQ, but non-fatal so one run shows every failure).
 */
#ifndef DD_TEST_CHECK_H
#define DD_TEST_CHECK_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                              \
    do {                                                                         \
        check_count++;                                                           \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                       \
    do {                                                                         \
        long long va_ = (long long)(a), vb_ = (long long)(b);                   \
        check_count++;                                                           \
        if (va_ != vb_) {                                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,  \
                    __LINE__, #a, #b, va_, vb_);                                 \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                       \
    do {                                                                         \
        const char *sa_ = (a), *sb_ = (b);                                       \
        check_count++;                                                           \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                             \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",        \
                    __FILE__, __LINE__, #a, #b, sa_ ? sa_ : "(null)",            \
                    sb_ ? sb_ : "(null)");                                       \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

/* |a - b| <= abs_tol + rel_tol * |b| */
#define CHECK_CLOSE(a, b, rel_tol, abs_tol)                                      \
    do {                                                                         \
        double va_ = (a), vb_ = (b);                                             \
        check_count++;                                                           \
        if (!(fabs(va_ - vb_) <= (abs_tol) + (rel_tol) * fabs(vb_))) {           \
            fprintf(stderr, "%s:%d: %s ~= %s failed: %.17g vs %.17g\n", __FILE__, \
                    __LINE__, #a, #b, va_, vb_);                                 \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

#define CHECK_DONE()                                                             \
    do {                                                                         \
        fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures);  \
        return check_failures ? 1 : 0;                                           \
    } while (0)

#endif
