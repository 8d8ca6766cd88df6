/* bench_util.c — see bench_util.h. */
#include "bench_util.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/common/free_port.h"

double bench_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void bench_die(const char *what)
{
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

size_t bench_sink(char *p, size_t size, size_t n, void *ud)
{
    dd_buf_append(ud, p, size * n);
    return size * n;
}

long bench_get(const char *url, struct dd_buf *out)
{
    CURL *c = curl_easy_init();
    struct dd_buf tmp;
    dd_buf_init(&tmp);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &tmp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    dd_buf_release(&tmp);
    return code;
}

long bench_send(void *curl, const char *method, const char *url, const char *body,
                struct dd_buf *out)
{
    CURL *c = curl ? curl : curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL); /* h is freed below */
    curl_slist_free_all(h);
    if (!curl)
        curl_easy_cleanup(c);
    return status;
}

void bench_server_start(struct bench_server *s, const char *driftd, const char *dir,
                        const char *const *extra, int keep_db)
{
    char listen[64], db[512], log[512];
    s->port = test_free_port();
    if (s->port < 0)
        bench_die("no free port");
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    snprintf(s->base, sizeof s->base, "http://%s", listen);
    snprintf(db, sizeof db, "%s/server.db", dir);
    snprintf(log, sizeof log, "%s/server.log", dir);
    if (!keep_db) {
        char p[600];
        unlink(db);
        snprintf(p, sizeof p, "%s-wal", db);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", db);
        unlink(p);
    }
    const char *argv[32] = {driftd, "serve", "--listen", listen, "--db", db};
    int n = 6;
    for (int i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    s->pid = fork();
    if (s->pid == 0) {
        if (!freopen(log, "a", stderr))
            _exit(126);
        const char *lvl = getenv("BENCH_SERVER_LOG_LEVEL"); /* e.g. debug, to see timings */
        setenv("DRIFTD_LOG_LEVEL", lvl ? lvl : "warn", 1);
        execv(driftd, (char *const *)argv);
        _exit(127);
    }
    char url[128];
    snprintf(url, sizeof url, "%s/healthz", s->base);
    for (int i = 0; i < 600; i++) {
        if (bench_get(url, NULL) == 200)
            return;
        usleep(50000);
    }
    bench_die("driftd did not come up (see server.log in the bench directory)");
}

void bench_server_stop(struct bench_server *s)
{
    kill(s->pid, SIGTERM);
    int status;
    waitpid(s->pid, &status, 0);
}

double bench_metric(const struct bench_server *s, const char *name)
{
    char url[128];
    snprintf(url, sizeof url, "%s/metrics", s->base);
    struct dd_buf b;
    dd_buf_init(&b);
    double v = -1;
    if (bench_get(url, &b) == 200 && b.data) {
        size_t nl = strlen(name);
        for (const char *p = b.data; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
            if (!strncmp(p, name, nl) && p[nl] == ' ') {
                v = strtod(p + nl + 1, NULL);
                break;
            }
        }
    }
    dd_buf_release(&b);
    return v;
}

int bench_proc_read(pid_t pid, struct bench_proc *p)
{
    memset(p, 0, sizeof *p);
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    /* fields after "pid (comm) ": 3 state ... 10 minflt, 12 majflt, 14 utime, 15 stime */
    char *q = ok ? strrchr(line, ')') : NULL;
    unsigned long long minflt, majflt, ut, st;
    if (!q || sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %*u %llu %*u %llu %llu", &minflt,
                     &majflt, &ut, &st) != 4)
        return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    p->minflt = (long long)minflt;
    p->majflt = (long long)majflt;
    p->user_s = (double)ut / hz;
    p->sys_s = (double)st / hz;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r"))) {
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "Threads:", 8))
                p->threads = atol(line + 8);
            else if (!strncmp(line, "VmRSS:", 6))
                p->rss_kb = atol(line + 6);
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    if ((f = fopen(path, "r"))) {
        int c;
        while ((c = getc(f)) != EOF)
            p->maps += c == '\n';
        fclose(f);
    }
    return 0;
}

int bench_opt_take(const struct bench_opt *opts, size_t n, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        return 0;
    for (size_t k = 0; k < n; k++) {
        if (strcmp(argv[*i], opts[k].name) != 0)
            continue;
        const char *v = argv[++*i];
        switch (opts[k].kind) {
        case BENCH_OPT_STR:
            *(const char **)opts[k].out = v;
            break;
        case BENCH_OPT_INT:
            *(int *)opts[k].out = atoi(v);
            break;
        case BENCH_OPT_LONG:
            *(long *)opts[k].out = atol(v);
            break;
        case BENCH_OPT_DBL:
            *(double *)opts[k].out = atof(v);
            break;
        }
        return 1;
    }
    return 0;
}
