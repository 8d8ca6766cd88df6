/* bench_ingest.c — ingest throughput of a real driftd, next to its ceilings.
 *
 * For each case (scalar events in batches of 1000; 768-d embeddings as JSON
 * floats; the same as embedding_b64) it measures, in one run:
 *
 *   server   events/s acknowledged (202) by a `driftd serve` child process,
 *            driven over keep-alive HTTP by client threads of this process
 *            (libcurl), every event with a unique id, for --seconds;
 *   cJSON    events/s of cJSON_ParseWithLength + cJSON_Delete on the same
 *            bodies, on one thread per core (the server parses on all
 *            cores too): the ceiling of any cJSON-based parser;
 *   parse    events/s of driftd's own parser + validator (dd_parse_events),
 *            one thread per core;
 *   sqlite   events/s of a plain bulk insert of the same rows into the same
 *            events table (created by store_open, so schema and indexes are
 *            driftd's), one prepared statement, 20,000 rows per
 *            transaction, same pragmas: the storage ceiling;
 *
 * and the ratios server/cJSON and server/sqlite.  The client shares the
 * machine with the server, as a sidecar load generator would.
 *
 * Usage: bench_ingest --driftd PATH [--seconds S] [--clients N] [--case NAME]
 *                     [--serve ARG]...
 *
 * --serve ARG (repeatable) is passed on to `driftd serve` (e.g. --serve
 * --threads --serve 64).  Under each server row a line gives the server's
 * user and system CPU time and minor/major page faults over the run (from
 * /proc/PID/stat), per 1,000 events, and its threads, mappings and RSS at
 * the end: where the time went, without perf.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/log.h"
#include "ingest/event.h"
#include "ingest/parse.h"
#include "server/store/store.h"
#include "tests/bench/common/bench_util.h"

#define ID_DIGITS 12 /* ids are "<client letter><12 digits>", patched in place */

struct bench_case {
    const char *name;
    const char *label;
    size_t batch;        /* events per request */
    int embed;           /* 0 none, 1 JSON floats, 2 base64 */
    double target_evs;   /* absolute target, 0 if none */
    double target_ratio; /* of the cJSON ceiling, 0 if none */
};

static const struct bench_case cases[] = {
    {"scalar", "scalar (pred+conf+3 feat), batch 1000", 1000, 0, 250000, 0},
    {"embed_json", "768-d embedding, JSON floats, batch 100", 100, 1, 0, 0.80},
    {"embed_b64", "768-d embedding_b64, batch 100", 100, 2, 40000, 0},
};

#define DIM 768

/* ---- bodies ------------------------------------------------------------ */

struct body {
    struct dd_buf json;
    size_t *id_at; /* offsets of each event's ID_DIGITS digits */
    size_t n;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void make_body(const struct bench_case *c, struct body *b)
{
    static const char *classes[] = {"cat", "dog", "bird", "fish", "horse"};
    dd_buf_init(&b->json);
    b->n = c->batch;
    b->id_at = calloc(c->batch, sizeof *b->id_at);
    float emb[DIM];
    char b64[DIM * 4 * 2];
    dd_buf_puts(&b->json, "{\"events\":[");
    for (size_t i = 0; i < c->batch; i++) {
        if (i)
            dd_buf_putc(&b->json, ',');
        dd_buf_puts(&b->json, "{\"id\":\"a");
        b->id_at[i] = b->json.len;
        dd_buf_printf(&b->json, "%0*d\",\"version\":\"v1\",", ID_DIGITS, 0);
        if (!c->embed) {
            dd_buf_printf(&b->json,
                          "\"prediction\":\"%s\",\"confidence\":%.4f,\"features\":{\"age\":%.1f,"
                          "\"income\":%.2f,\"country\":\"%s\"}}",
                          classes[i % 5], 0.5 + urand() / 2, 18 + urand() * 60,
                          20000 + urand() * 80000, i % 3 ? "DE" : "FR");
            continue;
        }
        for (int d = 0; d < DIM; d++)
            emb[d] = (float)(urand() * 2 - 1);
        if (c->embed == 1) {
            dd_buf_puts(&b->json, "\"embedding\":[");
            for (int d = 0; d < DIM; d++)
                dd_buf_printf(&b->json, d ? ",%.6g" : "%.6g", (double)emb[d]);
            dd_buf_puts(&b->json, "]}");
        } else {
            dd_base64_encode((const uint8_t *)emb, sizeof emb, b64);
            dd_buf_puts(&b->json, "\"embedding_b64\":\"");
            dd_buf_puts(&b->json, b64);
            dd_buf_puts(&b->json, "\"}");
        }
    }
    dd_buf_puts(&b->json, "]}");
}

static void set_ids(struct body *b, char client, uint64_t *counter)
{
    char digits[24];
    for (size_t i = 0; i < b->n; i++) {
        snprintf(digits, sizeof digits, "%0*llu", ID_DIGITS, (unsigned long long)(*counter)++);
        memcpy(b->json.data + b->id_at[i], digits, ID_DIGITS);
        b->json.data[b->id_at[i] - 1] = client;
    }
}

/* ---- ceilings ------------------------------------------------------------ */

struct par {
    pthread_t th;
    double (*fn)(struct body *, double);
    const struct bench_case *c;
    double seconds, rate;
};

static void *par_main(void *arg)
{
    struct par *p = arg;
    struct body b;
    make_body(p->c, &b);
    uint64_t ctr = 0;
    set_ids(&b, 'z', &ctr);
    p->rate = p->fn(&b, p->seconds);
    dd_buf_release(&b.json);
    free(b.id_at);
    return NULL;
}

/* fn on `threads` threads at once, each on its own copy of the body; the
 * summed rate. */
static double on_all_cores(double (*fn)(struct body *, double), const struct bench_case *c,
                           int threads, double seconds)
{
    struct par p[64];
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        p[i] = (struct par){.fn = fn, .c = c, .seconds = seconds};
        pthread_create(&p[i].th, NULL, par_main, &p[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(p[i].th, NULL);
        sum += p[i].rate;
    }
    return sum;
}

static double bench_cjson(struct body *b, double seconds)
{
    size_t events = 0;
    double t0 = bench_now_s(), t;
    do {
        cJSON *j = cJSON_ParseWithLength(b->json.data, b->json.len);
        if (!j)
            bench_die("cJSON could not parse a body");
        cJSON_Delete(j);
        events += b->n;
    } while ((t = bench_now_s() - t0) < seconds);
    return (double)events / t;
}

static double bench_parse(struct body *b, double seconds)
{
    size_t events = 0;
    double t0 = bench_now_s(), t;
    do {
        struct dd_batch batch;
        struct dd_parse_error pe;
        dd_batch_init(&batch);
        if (dd_parse_events(b->json.data, b->json.len, DD_BODY_JSON, &batch, &pe) != 0)
            bench_die(pe.message);
        dd_batch_release(&batch);
        events += b->n;
    } while ((t = bench_now_s() - t0) < seconds);
    return (double)events / t;
}

static void sql_ok(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        fprintf(stderr, "bench_ingest: sqlite %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static double bench_sqlite(struct body *b, const char *dir, double seconds)
{
    char path[512];
    snprintf(path, sizeof path, "%s/ceiling.db", dir);
    unlink(path);
    struct store_options so = {path, 0, 1};
    struct store *st;
    char err[256];
    if (store_open(&so, &st, err, sizeof err) != 0)
        bench_die(err);
    store_close(st); /* the schema is driftd's; the inserts below are plain */
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        bench_die("sqlite open");
    sql_ok(db,
           sqlite3_exec(db,
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        "PRAGMA cache_size=-65536;"
                        "INSERT INTO models (id, name, created_at) VALUES (1,'m',0);"
                        "INSERT INTO versions (id, model_id, name, created_at)"
                        " VALUES (1,1,'v1',0);",
                        NULL, NULL, NULL),
           "setup");
    sqlite3_stmt *ins;
    sql_ok(db,
           sqlite3_prepare_v2(db,
                              "INSERT OR IGNORE INTO events (model_id, version_id, event_id,"
                              " ts, received_at, prediction, confidence, latency_ms, label,"
                              " probabilities, embedding, features)"
                              " VALUES (1, 1, ?1, ?2, ?2, ?3, ?4, NULL, NULL, NULL, ?5, ?6)",
                              -1, &ins, NULL),
           "prepare");
    struct dd_batch batch;
    struct dd_parse_error pe;
    dd_batch_init(&batch);
    if (dd_parse_events(b->json.data, b->json.len, DD_BODY_JSON, &batch, &pe) != 0)
        bench_die(pe.message);
    size_t rows = 0;
    char id[32];
    double t0 = bench_now_s(), t;
    sql_ok(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
    do {
        for (size_t i = 0; i < batch.n; i++, rows++) {
            const struct dd_event *e = &batch.events[i];
            int n = snprintf(id, sizeof id, "a%0*zu", ID_DIGITS, rows);
            sqlite3_bind_text(ins, 1, id, n, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 2, 1700000000000LL + (int64_t)rows);
            if (e->prediction)
                sqlite3_bind_text(ins, 3, e->prediction, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(ins, 3);
            if (e->has & DD_HAS_CONFIDENCE)
                sqlite3_bind_double(ins, 4, e->confidence);
            else
                sqlite3_bind_null(ins, 4);
            if (e->dim)
                sqlite3_bind_blob(ins, 5, e->embedding, (int)(e->dim * 4), SQLITE_STATIC);
            else
                sqlite3_bind_null(ins, 5);
            if (e->features)
                sqlite3_bind_blob(ins, 6, e->features, (int)e->features_len, SQLITE_STATIC);
            else
                sqlite3_bind_null(ins, 6);
            sql_ok(db, sqlite3_step(ins), "insert");
            sqlite3_reset(ins);
            if (rows % 20000 == 19999) {
                sql_ok(db, sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL), "commit");
            }
        }
    } while ((t = bench_now_s() - t0) < seconds);
    sql_ok(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
    t = bench_now_s() - t0;
    dd_batch_release(&batch);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return (double)rows / t;
}

/* ---- the server ---------------------------------------------------------- */

struct client {
    pthread_t th;
    const struct bench_case *c;
    const char *url;
    char letter;
    double until;
    size_t events; /* acknowledged */
    size_t overloaded;
    long failure; /* first unexpected status, 0 if none */
};

static void *client_main(void *arg)
{
    struct client *cl = arg;
    struct body b;
    make_body(cl->c, &b);
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    struct dd_buf resp;
    dd_buf_init(&resp);
    curl_easy_setopt(c, CURLOPT_URL, cl->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    uint64_t counter = 0;
    while (bench_now_s() < cl->until) {
        set_ids(&b, cl->letter, &counter);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, b.json.data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b.json.len);
        resp.len = 0;
        long code = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (code == 202) {
            cl->events += b.n;
        } else if (code == 503) {
            cl->overloaded++;
            counter -= b.n; /* the same ids again */
            usleep(1000);
        } else {
            cl->failure = code ? code : -1;
            break;
        }
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    dd_buf_release(&resp);
    dd_buf_release(&b.json);
    free(b.id_at);
    return NULL;
}

static long long stored_events(const struct bench_server *srv, const char *model)
{
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/models/%s", srv->base, model);
    struct dd_buf out;
    dd_buf_init(&out);
    long long n = -1;
    if (bench_get(url, &out) == 200) {
        cJSON *j = cJSON_ParseWithLength(out.data, out.len);
        cJSON *e = cJSON_GetObjectItem(j, "events");
        if (cJSON_IsNumber(e))
            n = (long long)e->valuedouble;
        cJSON_Delete(j);
    }
    dd_buf_release(&out);
    return n;
}

/* Extra `driftd serve` arguments (--serve ARG, repeatable). */
static const char *serve_args[17];
static int n_serve_args;

static double bench_server(const struct bench_case *c, const char *driftd, const char *dir,
                           int clients, double seconds, size_t *overloaded)
{
    struct bench_server srv;
    bench_server_start(&srv, driftd, dir, serve_args, 0);
    struct bench_proc p0, p1;
    int have_proc = bench_proc_read(srv.pid, &p0) == 0;
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/models/bench-%s/events", srv.base, c->name);
    struct client *cl = calloc((size_t)clients, sizeof *cl);
    double t0 = bench_now_s();
    for (int i = 0; i < clients; i++) {
        cl[i] =
            (struct client){.c = c, .url = url, .letter = (char)('a' + i), .until = t0 + seconds};
        pthread_create(&cl[i].th, NULL, client_main, &cl[i]);
    }
    size_t events = 0;
    *overloaded = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(cl[i].th, NULL);
        events += cl[i].events;
        *overloaded += cl[i].overloaded;
        if (cl[i].failure) {
            fprintf(stderr, "bench_ingest: client got HTTP %ld\n", cl[i].failure);
            bench_server_stop(&srv);
            exit(1);
        }
    }
    double t = bench_now_s() - t0;
    have_proc = have_proc && bench_proc_read(srv.pid, &p1) == 0;
    char model[64];
    snprintf(model, sizeof model, "bench-%s", c->name);
    long long stored = stored_events(&srv, model);
    bench_server_stop(&srv);
    if (stored != (long long)events) {
        fprintf(stderr, "bench_ingest: %zu events acknowledged but %lld stored\n", events, stored);
        exit(1);
    }
    free(cl);
    /* where the server's time went (perf-less): CPU and page faults from
     * /proc/PID/stat over the run, per 1,000 acknowledged events */
    if (have_proc && events) {
        double k = (double)events / 1000;
        printf("  server: user %.2f s, sys %.2f s, minflt %lld, majflt %lld; per 1000 ev: user "
               "%.2f ms, sys %.2f ms, %.0f minflt; threads %ld, maps %ld, RSS %.0f MB\n",
               p1.user_s - p0.user_s, p1.sys_s - p0.sys_s, p1.minflt - p0.minflt,
               p1.majflt - p0.majflt, 1000 * (p1.user_s - p0.user_s) / k,
               1000 * (p1.sys_s - p0.sys_s) / k, (double)(p1.minflt - p0.minflt) / k, p1.threads,
               p1.maps, (double)p1.rss_kb / 1024);
    }
    return (double)events / t;
}

int main(int argc, char **argv)
{
    const char *driftd = NULL, *only = NULL;
    double seconds = 8;
    int clients = 4;
    /* the ceilings and the client get the server's allocator policy, so the
     * ratios compare like with like */
    dd_alloc_keep_freed_memory();
    const struct bench_opt opts[] = {{"--driftd", BENCH_OPT_STR, &driftd},
                                     {"--seconds", BENCH_OPT_DBL, &seconds},
                                     {"--clients", BENCH_OPT_INT, &clients},
                                     {"--case", BENCH_OPT_STR, &only}};
    for (int i = 1; i < argc; i++) {
        if (bench_opt_take(opts, sizeof opts / sizeof opts[0], argc, argv, &i))
            continue;
        if (!strcmp(argv[i], "--serve") && i + 1 < argc && n_serve_args < 16)
            serve_args[n_serve_args++] = argv[++i];
        else
            bench_die("usage: bench_ingest --driftd PATH [--seconds S] [--clients N] [--case NAME] "
                      "[--serve ARG]...");
    }
    if (!driftd || seconds <= 0 || clients < 1 || clients > 26)
        bench_die("usage: bench_ingest --driftd PATH [--seconds S] [--clients N] [--case NAME] "
                  "[--serve ARG]...");
    signal(SIGPIPE, SIG_IGN);
    dd_log_set_level(DD_LOG_WARN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[] = "/tmp/driftd-bench-XXXXXX";
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int ncores = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
    printf("driftd ingest benchmark: %ld cores, %d client threads, %.0f s per server run\n\n",
           cores, clients, seconds);
    printf("%-42s %12s %12s %12s %12s %9s %9s  %s\n", "case", "server ev/s", "cJSON ev/s",
           "parse ev/s", "sqlite ev/s", "srv/cJSON", "srv/sql", "target");
    int missed = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct bench_case *c = &cases[k];
        if (only && strcmp(only, c->name))
            continue;
        struct body b;
        make_body(c, &b);
        uint64_t ctr = 0;
        set_ids(&b, 'z', &ctr);
        double cj = on_all_cores(bench_cjson, c, ncores, 2);
        double pa = on_all_cores(bench_parse, c, ncores, 2);
        double sq = bench_sqlite(&b, dir, 3);
        size_t over;
        double sv = bench_server(c, driftd, dir, clients, seconds, &over);
        char target[64];
        int ok;
        if (c->target_evs) {
            ok = sv >= c->target_evs;
            snprintf(target, sizeof target, ">= %.0f ev/s %s", c->target_evs, ok ? "PASS" : "MISS");
        } else {
            ok = sv >= c->target_ratio * cj;
            snprintf(target, sizeof target, ">= %.0f%% of cJSON %s", c->target_ratio * 100,
                     ok ? "PASS" : "MISS");
        }
        missed += !ok;
        printf("%-42s %12.0f %12.0f %12.0f %12.0f %8.0f%% %8.0f%%  %s\n", c->label, sv, cj, pa, sq,
               100 * sv / cj, 100 * sv / sq, target);
        if (over)
            printf("  (%zu requests answered 503 overloaded and were retried)\n", over);
        fflush(stdout);
        dd_buf_release(&b.json);
        free(b.id_at);
    }
    printf("\ncJSON and parse ceilings run on all %d cores in-process; the sqlite ceiling is"
           " one thread, as driftd's writer is;\nthe server shares the cores with its client.\n",
           ncores);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_ingest: could not remove %s\n", dir);
    curl_global_cleanup();
    return missed ? 2 : 0;
}
