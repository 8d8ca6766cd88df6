/* check.h — the assertions and named cases of driftd's unit tests.
 *
 * Each failing check prints file, line, the expression and both values,
 * counts the failure and goes on; CHECK_DONE() returns the exit status
 * (libuv's ASSERT_EQ, but non-fatal so one run shows every failure).
 * Compare with the typed checks (CHECK_EQ_INT, _STR, _DBL, _PTR, _MEM,
 * CHECK_CLOSE, CHECK_CMP_INT/_DBL, CHECK_CONTAINS, CHECK_STARTS_WITH) so
 * that a failure shows both sides; plain CHECK() is for conditions with no
 * two values to show (a flag, a predicate).
 *
 * Named cases (libuv's TEST_IMPL), each runnable on its own:
 *
 *     TEST(window_parse) { CHECK_EQ_INT(...); ... }
 *     int main(int argc, char **argv)
 *     {
 *         CHECK_ARGS(argc, argv);
 *         RUN(window_parse);
 *         RUN(...);
 *         CHECK_DONE();
 *     }
 *
 * `./test_x` runs every case; `./test_x window_parse other` only those;
 * `./test_x --list` prints the names.  Each case run prints one line,
 * "case NAME: ok (n checks)" or "case NAME: FAILED (k of n checks)", and
 * CHECK_DONE() exits 1 when a check failed, 2 when a name on the command
 * line is no case (or an option is unknown), else 0.  A case must not
 * depend on another having run: give each its own data (temporary files,
 * stores).  Without CHECK_ARGS() RUN() runs every case; plain checks in
 * main() still count.
 */
#ifndef DD_TEST_CHECK_H
#define DD_TEST_CHECK_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* the integer checks: va_ OP vb_, else print both */
#define CHECK_INT_OP_(a, op, b, ea, eb)                                                            \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        check_count++;                                                                             \
        if (!(va_ op vb_)) {                                                                       \
            fprintf(stderr, "%s:%d: %s %s %s failed: %lld vs %lld\n", __FILE__, __LINE__, ea, #op, \
                    eb, va_, vb_);                                                                 \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* the string checks: both non-NULL and ok (on sa_, sb_), else print both */
#define CHECK_STR_OP_(a, b, ok, ea, what, eb)                                                      \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        check_count++;                                                                             \
        if (!sa_ || !sb_ || !(ok)) {                                                               \
            fprintf(stderr, "%s:%d: %s %s %s failed: \"%s\" vs \"%s\"\n", __FILE__, __LINE__, ea,  \
                    what, eb, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                         \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* the double checks: ok (on va_, vb_), else print both */
#define CHECK_DBL_OP_(a, b, ok, ea, what, eb)                                                      \
    do {                                                                                           \
        double va_ = (a), vb_ = (b);                                                               \
        check_count++;                                                                             \
        if (!(ok)) {                                                                               \
            fprintf(stderr, "%s:%d: %s %s %s failed: %.17g vs %.17g\n", __FILE__, __LINE__, ea,    \
                    what, eb, va_, vb_);                                                           \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b) CHECK_INT_OP_(a, ==, b, #a, #b)

/* a OP b on integers, printing both: CHECK_CMP_INT(n, <=, 31) */
#define CHECK_CMP_INT(a, op, b) CHECK_INT_OP_(a, op, b, #a, #b)

#define CHECK_EQ_STR(a, b) CHECK_STR_OP_(a, b, strcmp(sa_, sb_) == 0, #a, "==", #b)

/* s contains part (strstr) */
#define CHECK_CONTAINS(s, part) CHECK_STR_OP_(s, part, strstr(sa_, sb_), #s, "contains", #part)

/* s starts with prefix */
#define CHECK_STARTS_WITH(s, prefix)                                                               \
    CHECK_STR_OP_(s, prefix, strncmp(sa_, sb_, strlen(sb_)) == 0, #s, "starts with", #prefix)

/* |a - b| <= abs_tol + rel_tol * |b| */
#define CHECK_CLOSE(a, b, rel_tol, abs_tol)                                                        \
    CHECK_DBL_OP_(a, b, fabs(va_ - vb_) <= (abs_tol) + (rel_tol)*fabs(vb_), #a, "~=", #b)

/* a OP b on doubles, printing both: CHECK_CMP_DBL(p, <, 1e-6).  NaN fails
 * every comparison but != (as in C). */
#define CHECK_CMP_DBL(a, op, b) CHECK_DBL_OP_(a, b, va_ op vb_, #a, #op, #b)

/* exactly equal doubles (infinities too; NaN never) */
#define CHECK_EQ_DBL(a, b) CHECK_CMP_DBL(a, ==, b)

#define CHECK_EQ_PTR(a, b)                                                                         \
    do {                                                                                           \
        const void *pa_ = (a), *pb_ = (b);                                                         \
        check_count++;                                                                             \
        if (pa_ != pb_) {                                                                          \
            fprintf(stderr, "%s:%d: %s == %s failed: %p != %p\n", __FILE__, __LINE__, #a, #b, pa_, \
                    pb_);                                                                          \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* n bytes at a and b are equal; a failure prints the first difference and
 * up to 16 bytes of each side from there, in hex */
#define CHECK_EQ_MEM(a, b, n) check_eq_mem_((a), (b), (n), #a, #b, __FILE__, __LINE__)

static inline void check_eq_mem_(const void *a, const void *b, size_t n, const char *ea,
                                 const char *eb, const char *file, int line)
{
    const unsigned char *pa = a, *pb = b;
    check_count++;
    if (!pa || !pb) {
        fprintf(stderr, "%s:%d: %s == %s failed: %s is NULL\n", file, line, ea, eb, pa ? eb : ea);
        check_failures++;
        return;
    }
    size_t i = 0;
    while (i < n && pa[i] == pb[i])
        i++;
    if (i == n)
        return;
    fprintf(stderr, "%s:%d: %s == %s (%zu bytes) failed at byte %zu:", file, line, ea, eb, n, i);
    for (int side = 0; side < 2; side++) {
        fputs(side ? " vs" : "", stderr);
        for (size_t k = i; k < n && k < i + 16; k++)
            fprintf(stderr, " %02x", (side ? pb : pa)[k]);
    }
    fprintf(stderr, "\n");
    check_failures++;
}

/* ---- named cases ---- */

#define CHECK_MAX_ARGS 64
#define CHECK_MAX_CASES 256

static int check_argc_; /* names asked for on the command line */
static char **check_argv_;
static int check_asked_[CHECK_MAX_ARGS]; /* how often each name matched a case */
static int check_list_;                  /* --list: print names, run nothing */
static int check_bad_args_;
static const char *check_cases_[CHECK_MAX_CASES];
static int check_n_cases_;

#define TEST(name) static void test_##name(void)
#define RUN(name) check_run_(#name, test_##name)
#define CHECK_ARGS(argc, argv) check_args_((argc), (argv))

static inline void check_args_(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list")) {
            check_list_ = 1;
        } else if (argv[i][0] == '-' || check_argc_ == CHECK_MAX_ARGS) {
            fprintf(stderr, "%s: %s '%s' (usage: %s [--list] [CASE...])\n", argv[0],
                    argv[i][0] == '-' ? "unknown option" : "too many names", argv[i], argv[0]);
            check_bad_args_ = 1;
        } else {
            argv[++check_argc_] = argv[i]; /* names only, in order */
        }
    }
    check_argv_ = argv;
}

static inline void check_run_(const char *name, void (*fn)(void))
{
    if (check_n_cases_ < CHECK_MAX_CASES)
        check_cases_[check_n_cases_++] = name;
    int wanted = check_argc_ == 0;
    for (int i = 1; i <= check_argc_; i++)
        if (!strcmp(check_argv_[i], name)) {
            check_asked_[i - 1]++;
            wanted = 1;
        }
    if (check_list_) {
        printf("%s\n", name);
        return;
    }
    if (!wanted || check_bad_args_)
        return;
    int count0 = check_count, failures0 = check_failures;
    fn();
    int n = check_count - count0, k = check_failures - failures0;
    if (k)
        fprintf(stderr, "case %s: FAILED (%d of %d checks)\n", name, k, n);
    else
        fprintf(stderr, "case %s: ok (%d checks)\n", name, n);
}

/* 2 when a name on the command line matched no case, after saying so. */
static inline int check_unknown_(void)
{
    int bad = check_bad_args_;
    for (int i = 1; i <= check_argc_; i++)
        if (!check_asked_[i - 1]) {
            fprintf(stderr, "%s: no case named '%s'; cases:", check_argv_[0], check_argv_[i]);
            for (int c = 0; c < check_n_cases_; c++)
                fprintf(stderr, " %s", check_cases_[c]);
            fprintf(stderr, "\n");
            bad = 1;
        }
    return bad ? 2 : 0;
}

#define CHECK_DONE()                                                                               \
    do {                                                                                           \
        if (check_unknown_())                                                                      \
            return 2;                                                                              \
        if (check_list_)                                                                           \
            return 0;                                                                              \
        fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures);                    \
        return check_failures ? 1 : 0;                                                             \
    } while (0)

#endif
