/* bench_util.h — what the benchmarks share: a clock, a driftd child process
 * on a free loopback port, small blocking HTTP calls (libcurl). */
#ifndef DD_BENCH_UTIL_H
#define DD_BENCH_UTIL_H
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"

double bench_now_s(void);
void bench_die(const char *what) __attribute__((noreturn));

struct bench_server {
    pid_t pid;
    int port;
    char base[96]; /* "http://127.0.0.1:PORT" */
};

/* Starts `driftd serve --listen 127.0.0.1:<free port> --db <dir>/server.db`
 * plus extra (NULL-terminated, may be NULL), logs to <dir>/server.log at
 * level warn; waits for /healthz.  The database is removed first unless
 * keep_db. */
void bench_server_start(struct bench_server *s, const char *driftd, const char *dir,
                        const char *const *extra, int keep_db);
/* SIGTERM and wait: a clean stop. */
void bench_server_stop(struct bench_server *s);

/* Appends libcurl output to a dd_buf. */
size_t bench_sink(char *p, size_t size, size_t n, void *ud);
/* GET url; returns the HTTP status (0 on a transport error); body into out
 * (may be NULL). */
long bench_get(const char *url, struct dd_buf *out);
/* method (POST, PUT, ...) of a JSON body to url on the libcurl easy handle
 * curl (CURL *: reused, so its connection stays open between calls), or on
 * a fresh one when curl is NULL; returns the HTTP status (0 on a transport
 * error), the answer appended to out. */
long bench_send(void *curl, const char *method, const char *url, const char *body,
                struct dd_buf *out);
/* What the kernel says about a process: CPU time (all threads, live and
 * ended), page faults, and now: threads, memory mappings, RSS. */
struct bench_proc {
    double user_s, sys_s;
    long long minflt, majflt;
    long threads, maps, rss_kb;
};
/* 0, or -1 when /proc/<pid>/stat cannot be read. */
int bench_proc_read(pid_t pid, struct bench_proc *p);

/* One "--name VALUE" option of a benchmark's command line: its value goes
 * to out, read as kind says (atoi, atol, atof; a string as it is). */
enum bench_opt_kind { BENCH_OPT_STR, BENCH_OPT_INT, BENCH_OPT_LONG, BENCH_OPT_DBL };
struct bench_opt {
    const char *name;
    enum bench_opt_kind kind;
    void *out; /* const char **, int *, long * or double *, as kind says */
};
/* When argv[*i] names one of the n opts and a value follows it: stores the
 * value, steps *i onto it and returns 1.  Otherwise returns 0 and leaves *i:
 * the caller reads its other options or says how to call it. */
int bench_opt_take(const struct bench_opt *opts, size_t n, int argc, char **argv, int *i);

/* Value of the first sample of `name` (exact metric name, no labels) on
 * GET base/metrics, or -1. */
double bench_metric(const struct bench_server *s, const char *name);

#endif
