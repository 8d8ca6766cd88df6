/* bench_grafana.c — the Grafana datasource over a long stored history (issue #13).
 *
 * Against a real `driftd serve` child process:
 *
 * 1. Starts a server on a fresh database, posts one event of model "bench"
 *    version "v" (so the version exists), stops it.
 * 2. Writes N evaluations (default 100,000) of that version straight into
 *    the database, as the evaluator stores them (one evaluations row and four
 *    drift_results rows each: confidence ks and wasserstein, prediction chi2
 *    and psi), evenly over the 30 days before now.
 * 3. Starts the server again on that database and times POST /grafana/query
 *    the way a panel asks (range 30 days, intervalMs 1000, maxDataPoints
 *    500), R times per case (default 300, after 20 untimed), one keep-alive
 *    connection: the p-value of one signal and method (N results in range:
 *    the target, p99 <= 50 ms), every signal and method of the
 *    version (4 series, 4N results), and the version's verdict (N
 *    evaluations).  Each answer is checked: every series has at least one
 *    and at most 500 points.
 *
 * Usage: bench_grafana --driftd PATH [--evaluations N] [--requests R]
 *        (tests/bench/grafana/run.sh builds and runs it)
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "tests/bench/common/bench_util.h"

#define DAY_MS 86400000LL
#define MAX_POINTS 500
#define WARMUP 20
#define TARGET_P99_MS 50.0

static long post(CURL *c, const char *url, const char *body, struct dd_buf *out)
{
    dd_buf_reset(out);
    return bench_send(c, "POST", url, body, out);
}

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench_grafana: %s: %s\n", sql, err);
        exit(1);
    }
}

/* N evaluations of bench/v over [t0, t1), four results each. */
static void fill(const char *db_path, long n, int64_t t0, int64_t t1)
{
    sqlite3 *db;
    if (sqlite3_open(db_path, &db) != SQLITE_OK)
        bench_die("cannot open the bench database");
    exec_or_die(db, "BEGIN");
    sqlite3_stmt *vid_st, *ev, *res;
    sqlite3_prepare_v2(db,
                       "SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id"
                       " WHERE m.name = 'bench' AND v.name = 'v'",
                       -1, &vid_st, NULL);
    if (sqlite3_step(vid_st) != SQLITE_ROW)
        bench_die("version bench/v is missing");
    int64_t vid = sqlite3_column_int64(vid_st, 0);
    sqlite3_finalize(vid_st);
    sqlite3_prepare_v2(db,
                       "INSERT INTO evaluations (version_id, window, computed_at, status, body)"
                       " VALUES (?1, '1h', ?2, ?3, ?4)",
                       -1, &ev, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO drift_results (evaluation_id, version_id, computed_at, signal,"
                       " method, statistic, p_value, threshold, drift, n_ref, n_cur)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0.05, ?8, 1000, 1000)",
                       -1, &res, NULL);
    static const char *const sig[4][2] = {{"confidence", "ks"},
                                          {"confidence", "wasserstein"},
                                          {"prediction", "chi2"},
                                          {"prediction", "psi"}};
    const char *body =
        "{\"drift\":false,\"signals\":[{\"signal\":\"confidence\",\"method\":\"ks\"},"
        "{\"signal\":\"confidence\",\"method\":\"wasserstein\"},{\"signal\":\"prediction\","
        "\"method\":\"chi2\"},{\"signal\":\"prediction\",\"method\":\"psi\"}]}";
    unsigned seed = 7;
    for (long i = 0; i < n; i++) {
        int64_t t = t0 + (t1 - t0) * i / n;
        double p = (double)rand_r(&seed) / RAND_MAX;
        sqlite3_bind_int64(ev, 1, vid);
        sqlite3_bind_int64(ev, 2, t);
        sqlite3_bind_text(ev, 3, p < 0.01 ? "drift" : "ok", -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 4, body, -1, SQLITE_STATIC);
        if (sqlite3_step(ev) != SQLITE_DONE)
            bench_die("evaluation insert");
        sqlite3_reset(ev);
        int64_t eid = sqlite3_last_insert_rowid(db);
        for (int k = 0; k < 4; k++) {
            int has_p = k % 2 == 0;
            sqlite3_bind_int64(res, 1, eid);
            sqlite3_bind_int64(res, 2, vid);
            sqlite3_bind_int64(res, 3, t);
            sqlite3_bind_text(res, 4, sig[k][0], -1, SQLITE_STATIC);
            sqlite3_bind_text(res, 5, sig[k][1], -1, SQLITE_STATIC);
            sqlite3_bind_double(res, 6, 1 - p);
            if (has_p)
                sqlite3_bind_double(res, 7, p);
            else
                sqlite3_bind_null(res, 7);
            sqlite3_bind_int(res, 8, p < 0.01);
            if (sqlite3_step(res) != SQLITE_DONE)
                bench_die("result insert");
            sqlite3_reset(res);
        }
    }
    sqlite3_finalize(ev);
    sqlite3_finalize(res);
    exec_or_die(db, "COMMIT");
    sqlite3_close(db);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The answer's series and their largest and smallest point counts; -1 when
 * it is not an array of frames. */
static int check_frames(const struct dd_buf *b, int *min_pts, int *max_pts)
{
    cJSON *a = cJSON_ParseWithLength(b->data ? b->data : "", b->len);
    int n = -1;
    *min_pts = 1 << 30, *max_pts = 0;
    if (cJSON_IsArray(a)) {
        n = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, a)
        {
            const cJSON *fields = cJSON_GetObjectItemCaseSensitive(f, "fields");
            int pts = cJSON_GetArraySize(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(fields, 0), "values"));
            *min_pts = pts < *min_pts ? pts : *min_pts;
            *max_pts = pts > *max_pts ? pts : *max_pts;
            n++;
        }
    }
    cJSON_Delete(a);
    return n;
}

int main(int argc, char **argv)
{
    const char *driftd = NULL;
    long n = 100000, requests = 300;
    const struct bench_opt opts[] = {{"--driftd", BENCH_OPT_STR, &driftd},
                                     {"--evaluations", BENCH_OPT_LONG, &n},
                                     {"--requests", BENCH_OPT_LONG, &requests}};
    for (int i = 1; i < argc; i++) {
        if (!bench_opt_take(opts, sizeof opts / sizeof opts[0], argc, argv, &i)) {
            fprintf(stderr, "usage: bench_grafana --driftd PATH [--evaluations N] "
                            "[--requests R]\n");
            return 2;
        }
    }
    if (!driftd || n < 1 || requests < 1)
        bench_die("--driftd PATH is required; N and R must be positive");
    char dir[] = "/tmp/driftd-bench-grafana-XXXXXX";
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct dd_buf out;
    dd_buf_init(&out);
    static const char *const extra[] = {"--eval-interval", "7d", NULL};

    struct bench_server s;
    bench_server_start(&s, driftd, dir, extra, 0);
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/models/bench/events", s.base);
    if (post(c, url, "{\"events\":[{\"version\":\"v\",\"confidence\":0.5}]}", &out) != 202)
        bench_die("cannot post the first event");
    bench_server_stop(&s);

    /* the history ends an hour ahead, so that its last evaluation (and not
     * the one the restarted server makes at once of its single event) is the
     * version's latest, whose signals the datasource lists */
    int64_t t1 = (int64_t)time(NULL) * 1000 + 3600000, t0 = t1 - 30 * DAY_MS;
    char db[600];
    snprintf(db, sizeof db, "%s/server.db", dir);
    double f0 = bench_now_s();
    fill(db, n, t0, t1);
    printf("stored %ld evaluations (%ld results) over 30 days in %.1f s\n", n, 4 * n,
           bench_now_s() - f0);

    bench_server_start(&s, driftd, dir, extra, 1);
    curl_easy_reset(c);
    snprintf(url, sizeof url, "%s/grafana/query", s.base);
    static const struct {
        const char *name, *target, *payload;
        int series;
    } cases[] = {
        {"p-value, one signal+method", "drift_p_value",
         "{\"model\":\"bench\",\"version\":\"v\",\"signal\":\"confidence\",\"method\":\"ks\"}", 1},
        {"statistic, every signal+method", "drift_statistic",
         "{\"model\":\"bench\",\"version\":\"v\"}", 4},
        {"verdict of the version", "drift_verdict", "{\"model\":\"bench\",\"version\":\"v\"}", 1},
    };
    printf("\n%-32s %7s %10s %9s %9s %9s  %s\n", "POST /grafana/query (30 d)", "series", "points",
           "p50 ms", "p99 ms", "max ms", "target");
    int missed = 0;
    double *ms = calloc((size_t)requests, sizeof *ms);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"range\":{\"from\":%lld,\"to\":%lld},\"intervalMs\":1000,"
                 "\"maxDataPoints\":%d,\"targets\":[{\"refId\":\"A\",\"target\":\"%s\","
                 "\"payload\":%s}]}",
                 (long long)t0, (long long)t1, MAX_POINTS, cases[k].target, cases[k].payload);
        int min_pts = 0, max_pts = 0;
        for (long i = -WARMUP; i < requests; i++) {
            double a = bench_now_s();
            long st = post(c, url, body, &out);
            double took = (bench_now_s() - a) * 1000;
            if (st != 200)
                bench_die("a query failed");
            if (i < 0)
                continue;
            ms[i] = took;
            if (i == 0) {
                int series = check_frames(&out, &min_pts, &max_pts);
                if (series != cases[k].series || min_pts < 1 || max_pts > MAX_POINTS) {
                    fprintf(stderr, "bench_grafana: %s: %d series of %d..%d points\n",
                            cases[k].name, series, min_pts, max_pts);
                    return 1;
                }
            }
        }
        qsort(ms, (size_t)requests, sizeof *ms, cmp_double);
        double p50 = ms[requests / 2], p99 = ms[(requests * 99) / 100], mx = ms[requests - 1];
        int target = k == 0;
        if (target && p99 > TARGET_P99_MS)
            missed = 1;
        char pts[32];
        snprintf(pts, sizeof pts, "%d..%d", min_pts, max_pts);
        printf("%-32s %7d %10s %9.2f %9.2f %9.2f  %s\n", cases[k].name, cases[k].series, pts, p50,
               p99, mx,
               target ? (p99 <= TARGET_P99_MS ? "p99 <= 50 ms PASS" : "p99 <= 50 ms MISS")
                      : "(for scale)");
    }
    free(ms);
    bench_server_stop(&s);
    dd_buf_release(&out);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_grafana: could not remove %s\n", dir);
    return missed ? 2 : 0;
}
