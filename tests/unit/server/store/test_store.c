/* Tests server/store/ (store.c and the table families it is split into):
 * migrations (fresh, reopen, newer schema refused), the writer's insert
 * path (duplicates, dimension conflicts, per-version counts), labels,
 * references (range, batch, the frozen automatic one), retention,
 * evaluations and their history, settings, keys, page size and checkpoints
 * off the writer, and the query helper of store_int.h. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/buf.h"

#include "base/err.h"
#include "ingest/parse.h"
#include "analysis/eval.h"
#include "server/store/store.h"
#include "server/store/store_int.h"
#include "check.h"

static char dbpath[256];

static int query_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int v = -1;
    sqlite3_open(dbpath, &db);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void exec_sql(const char *sql)
{
    sqlite3 *db;
    sqlite3_open(dbpath, &db);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
}

static struct dd_parse_error pe_store;

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static int ingest(struct store *s, const char *model, const char *body,
                  struct store_ingest_result *res)
{
    struct dd_batch b;
    struct dd_parse_error pe;
    /* early_ts: the cases' times are small numbers of milliseconds */
    if (dd_parse_events_with(body, strlen(body), DD_BODY_JSON,
                             &(struct dd_parse_options){.early_ts = 1}, &b, &pe) != 0) {
        fprintf(stderr, "parse: %s\n", pe.message);
        return -100;
    }
    int rc = store_w_begin(s);
    if (rc == 0)
        rc = store_w_insert_batch(s, model, &b, 1795341600000LL, res);
    if (rc == 0 || rc == DD_ECONFLICT)
        store_w_commit(s);
    else
        store_w_rollback(s);
    dd_batch_release(&b);
    return rc;
}

/* Events of vit's version at the times given, prediction "x". */
static void ingest_at(struct store *s, const char *version, const int64_t *ts, int n)
{
    struct dd_buf body;
    dd_buf_init(&body);
    dd_buf_puts(&body, "{\"events\":[");
    for (int i = 0; i < n; i++)
        dd_buf_printf(&body, "%s{\"version\":\"%s\",\"ts\":%lld,\"prediction\":\"x\"}",
                      i ? "," : "", version, (long long)ts[i]);
    dd_buf_puts(&body, "]}");
    struct store_ingest_result r;
    CHECK_EQ_INT(ingest(s, "vit", body.data, &r), 0);
    CHECK_EQ_INT(r.accepted, n);
    dd_buf_release(&body);
}

/* vit's version has a reference from source with that many events. */
static void check_reference(struct store *s, const char *version, const char *source,
                            int64_t events)
{
    struct store_reference ref = {0};
    int exists = 0;
    CHECK_EQ_INT(store_r_reference(s, "vit", version, &ref, &exists), 0);
    CHECK(exists);
    CHECK_EQ_STR(ref.source, source);
    CHECK_EQ_INT(ref.events, events);
}

static char dir[64];
static struct store_options opts;

/* A fresh database in a new temporary folder (dbpath). */
static struct store *open_fresh(void)
{
    snprintf(dir, sizeof dir, "/tmp/dd-test-store-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(dbpath, sizeof dbpath, "%s/t.db", dir);
    opts = (struct store_options){dbpath, 0, 2};
    char err[512] = "";
    struct store *s = NULL;
    CHECK_EQ_INT(store_open(&opts, &s, err, sizeof err), 0);
    return s;
}

static void remove_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* The events the cases below start from (seed()): vit (default: a, b, c and
 * one without id; v2: one), bert (a).  The second vit batch repeats "a". */
static const char seed_vit1[] = "{\"events\":[{\"id\":\"a\",\"prediction\":\"cat\"},{\"id\":\"b\","
                                "\"embedding\":[1,2,3]},{\"prediction\":\"dog\",\"version\":\"v2\","
                                "\"ts\":1795341500000}]}";
static const char seed_vit2[] = "{\"events\":[{\"id\":\"a\",\"prediction\":\"cat\"},"
                                "{\"id\":\"c\",\"prediction\":\"cow\"},{\"prediction\":\"x\"}]}";
static const char seed_bert[] = "{\"events\":[{\"id\":\"a\",\"prediction\":\"cat\"}]}";

static void seed(struct store *s)
{
    struct store_ingest_result r;
    CHECK_EQ_INT(ingest(s, "vit", seed_vit1, &r), 0);
    CHECK_EQ_INT(ingest(s, "vit", seed_vit2, &r), 0);
    CHECK_EQ_INT(ingest(s, "bert", seed_bert, &r), 0);
}

/* A fresh database with seed()'s events. */
static struct store *open_seeded(void)
{
    struct store *s = open_fresh();
    seed(s);
    return s;
}

/* Closes s and removes its folder (open_fresh()). */
static void close_and_remove(struct store *s)
{
    store_close(s);
    remove_dir();
}

/* fresh database: every migration applied once */
TEST(fresh_database)
{
    struct store *s = open_fresh();
    CHECK_EQ_INT(query_int("SELECT MAX(version) FROM schema_migrations"), STORE_SCHEMA_VERSION);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM schema_migrations"), STORE_SCHEMA_VERSION);
    close_and_remove(s);
}

/* the insert path: duplicates by id, ids per model, dimension conflicts,
 * per-version counts */
TEST(insert_and_counts)
{
    struct store *s = open_fresh();
    struct store_ingest_result r;
    CHECK_EQ_INT(ingest(s, "vit", seed_vit1, &r), 0);
    CHECK_EQ_INT(r.accepted, 3);
    CHECK_EQ_INT(r.duplicates, 0);
    CHECK_EQ_INT(ingest(s, "vit", seed_vit2, &r), 0);
    CHECK_EQ_INT(r.accepted, 2);
    CHECK_EQ_INT(r.duplicates, 1);
    /* the same id in another model is another event */
    CHECK_EQ_INT(ingest(s, "bert", seed_bert, &r), 0);
    CHECK_EQ_INT(r.accepted, 1);
    /* dimension fixed by the first embedding: nothing of a conflicting batch is stored */
    CHECK_EQ_INT(ingest(s, "vit",
                        "{\"events\":[{\"id\":\"z\",\"prediction\":\"q\"},"
                        "{\"embedding\":[1,2]}]}",
                        &r),
                 DD_ECONFLICT);
    CHECK_EQ_INT(r.conflict_index, 1);
    CHECK_EQ_INT(r.model_dim, 3);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM events WHERE event_id = 'z'"), 0);

    struct store_model_info *ms;
    size_t n;
    CHECK_EQ_INT(store_r_models(s, NULL, &ms, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(ms[0].name, "bert");
    CHECK_EQ_STR(ms[1].name, "vit");
    CHECK_EQ_INT(ms[1].events, 5);
    CHECK_EQ_INT(ms[1].embedding_dim, 3);
    CHECK_EQ_INT(ms[1].n_versions, 2);
    CHECK_EQ_STR(ms[1].versions[0].name, "default");
    CHECK_EQ_INT(ms[1].versions[0].events, 4);
    CHECK_EQ_INT(ms[1].versions[1].events, 1);
    CHECK_EQ_INT(ms[1].versions[1].first_ms, 1795341500000LL);
    store_models_free(ms, n);
    CHECK_EQ_INT(store_r_models(s, "nope", &ms, &n), DD_ENOTFOUND);

    close_and_remove(s);
}

/* labels join by event id */
TEST(labels)
{
    struct store *s = open_seeded();
    struct dd_labels l;
    struct dd_parse_error pe;
    const char *lb =
        "{\"labels\":[{\"id\":\"a\",\"label\":\"cat\"},{\"id\":\"q\",\"label\":\"x\"}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &pe), 0);
    size_t up = 9, unk = 9;
    store_w_begin(s);
    CHECK_EQ_INT(store_w_apply_labels(s, "vit", &l, &up, &unk), 0);
    CHECK_EQ_INT(store_w_apply_labels(s, "nope", &l, &up, &unk), DD_ENOTFOUND);
    store_w_commit(s);
    dd_labels_release(&l);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM events WHERE label = 'cat'"), 1);

    close_and_remove(s);
}

/* a range of the version's own events as reference: sampled on a reader
 * over the cap, taken whole under it, never more than the cap */
TEST(reference_range)
{
    struct store *s = open_seeded();
    size_t nref = 0;
    /* over the cap: chosen on a reader, every 2nd event in time order (2 of 4) */
    struct store_range_sample rs = {.from_ms = 0, .to_ms = 1795341600000LL, .max = 3};
    CHECK_EQ_INT(store_r_range_sample(s, "vit", "default", &rs), 0);
    CHECK(rs.in_range == 4 && rs.n_ids == 2);
#define VIT_DEFAULT_IDS                                                                            \
    "SELECT e.id FROM events e JOIN versions v ON v.id = e.version_id"                             \
    " JOIN models m ON m.id = v.model_id WHERE m.name = 'vit'"                                     \
    " AND v.name = 'default' ORDER BY e.ts, e.id"
    CHECK_EQ_INT(rs.ids[0], query_int(VIT_DEFAULT_IDS " LIMIT 1"));
    CHECK_EQ_INT(rs.ids[1], query_int(VIT_DEFAULT_IDS " LIMIT 1 OFFSET 2"));
    store_w_begin(s);
    CHECK_EQ_INT(store_w_set_reference_range(s, "vit", "default", &rs, &nref), 0);
    store_w_commit(s);
    CHECK(nref == 2);
    store_range_sample_release(&rs);
    CHECK(rs.ids == NULL && rs.n_ids == 0);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM ref_events"), 2);
    /* the first event in time order is always kept */
    CHECK_EQ_INT(query_int("SELECT MIN(r.ts) = (SELECT MIN(ts) FROM events WHERE version_id ="
                           " r.version_id) FROM ref_events r"),
                 1);
    /* under the cap: nothing chosen, the writer takes the range whole ... */
    rs.max = 4;
    CHECK_EQ_INT(store_r_range_sample(s, "vit", "default", &rs), 0);
    CHECK(rs.in_range == 4 && rs.n_ids == 0 && rs.ids == NULL);
    store_w_begin(s);
    CHECK_EQ_INT(store_w_set_reference_range(s, "vit", "default", &rs, &nref), 0);
    CHECK(nref == 4);
    /* ... but never more than the cap, even if events arrived in between */
    rs.max = 3;
    CHECK_EQ_INT(store_w_set_reference_range(s, "vit", "default", &rs, &nref), 0);
    CHECK(nref == 3);
    rs.max = 4;
    CHECK_EQ_INT(store_w_set_reference_range(s, "vit", "default", &rs, &nref), 0);
    CHECK_EQ_INT(store_w_set_reference_range(s, "vit", "nope", &rs, &nref), DD_ENOTFOUND);
    store_w_commit(s);
    CHECK_EQ_INT(store_r_range_sample(s, "vit", "nope", &rs), DD_ENOTFOUND);
    CHECK_EQ_INT(store_r_range_sample(s, "nope", "default", &rs), DD_ENOTFOUND);
    struct store_reference ref;
    int exists = 0;
    CHECK_EQ_INT(store_r_reference(s, "vit", "default", &ref, &exists), 0);
    CHECK(exists);
    CHECK_EQ_STR(ref.source, "range");
    CHECK_EQ_INT(ref.events, 4);
    CHECK_EQ_INT(store_r_reference(s, "vit", "v2", &ref, &exists), DD_ENOTFOUND);
    CHECK(exists);
    CHECK_EQ_INT(store_r_reference(s, "vit", "v9", &ref, &exists), DD_ENOTFOUND);
    CHECK(!exists);
    close_and_remove(s);
}

/* a batch as reference; windows: last N, time range, the sample cap */
TEST(reference_events_and_windows)
{
    struct store *s = open_seeded();
    struct store_reference_result r;
    struct store_reference ref;
    int exists = 0;
    struct dd_batch rb;
    const char *refbody =
        "{\"events\":[{\"confidence\":0.5},{\"confidence\":0.6,\"embedding\":[1,2,3]}]}";
    CHECK_EQ_INT(dd_parse_events(refbody, strlen(refbody), DD_BODY_JSON, &rb, &pe_store), 0);
    store_w_begin(s);
    CHECK_EQ_INT(store_w_set_reference_events(s, "vit", "v2", &rb, &r), 0);
    store_w_commit(s);
    dd_batch_release(&rb);
    CHECK_EQ_INT(r.kept, 2);
    CHECK_EQ_INT(store_r_reference(s, "vit", "v2", &ref, &exists), 0);
    CHECK_EQ_STR(ref.source, "events");
    CHECK_EQ_INT(ref.events, 2);
    struct store_window w = {.reference = 1};
    struct store_window_info wi;
    CHECK_EQ_INT(store_r_events(s, "vit", "v2", &w, &rb, &wi), 0);
    CHECK_EQ_INT(rb.n, 2);
    CHECK_EQ_INT(rb.dim, 3);
    CHECK_EQ_STR(rb.events[0].version, "v2");
    dd_batch_release(&rb);
    /* windows: last N, time range, and the sample cap */
    struct store_window last2 = {.last_n = 2};
    CHECK_EQ_INT(store_r_events(s, "vit", "default", &last2, &rb, &wi), 0);
    CHECK_EQ_INT(rb.n, 2);
    dd_batch_release(&rb);
    struct store_window range = {.from_ms = 0, .to_ms = 1795341600000LL, .max_sample = 3};
    CHECK_EQ_INT(store_r_events(s, "vit", "default", &range, &rb, &wi), 0);
    CHECK_EQ_INT(rb.n, 3);
    CHECK_EQ_INT(wi.total, 4);
    CHECK(wi.sampled);
    dd_batch_release(&rb);
    CHECK_EQ_INT(store_r_events(s, "vit", "v9", &range, &rb, &wi), DD_ENOTFOUND);

    close_and_remove(s);
}

/* the automatic reference frozen: the first refsize events in time order,
 * once; an explicit reference is left alone */
TEST(freeze_reference)
{
    struct store *s = open_seeded();
    int frozen = 9;
    size_t kept = 9;
    store_w_begin(s);
    CHECK_EQ_INT(store_w_freeze_reference(s, "vit", "default", 2, &frozen, &kept), 0);
    CHECK_EQ_INT(frozen, 1);
    CHECK_EQ_INT(kept, 2);
    CHECK_EQ_INT(store_w_freeze_reference(s, "vit", "default", 2, &frozen, &kept), 0);
    CHECK_EQ_INT(frozen, 0);
    CHECK_EQ_INT(kept, 0);
    /* fewer events than asked: all of them */
    CHECK_EQ_INT(store_w_freeze_reference(s, "bert", "default", 50, &frozen, &kept), 0);
    CHECK_EQ_INT(frozen, 1);
    CHECK_EQ_INT(kept, 1);
    CHECK_EQ_INT(store_w_freeze_reference(s, "vit", "v9", 2, &frozen, &kept), DD_ENOTFOUND);
    CHECK_EQ_INT(store_w_freeze_reference(s, "nope", "default", 2, &frozen, &kept), DD_ENOTFOUND);
    store_w_commit(s);
    check_reference(s, "default", "auto", 2);
    /* the first two in (ts, id) order: a (cat) and b (the embedding) */
    CHECK_EQ_INT(
        query_int("SELECT COUNT(*) FROM ref_events r JOIN versions v ON v.id = r.version_id"
                  " JOIN models m ON m.id = v.model_id WHERE m.name = 'vit'"
                  " AND v.name = 'default' AND (r.prediction = 'cat' OR r.embedding"
                  " IS NOT NULL)"),
        2);
    /* an explicit reference stays */
    struct dd_batch rb;
    const char *refbody = "{\"events\":[{\"confidence\":0.5}]}";
    CHECK_EQ_INT(dd_parse_events(refbody, strlen(refbody), DD_BODY_JSON, &rb, &pe_store), 0);
    struct store_reference_result rr;
    store_w_begin(s);
    CHECK_EQ_INT(store_w_set_reference_events(s, "vit", "v2", &rb, &rr), 0);
    CHECK_EQ_INT(store_w_freeze_reference(s, "vit", "v2", 5, &frozen, &kept), 0);
    CHECK_EQ_INT(frozen, 0);
    store_w_commit(s);
    dd_batch_release(&rb);
    check_reference(s, "v2", "events", 1);
    close_and_remove(s);
}

/* retention: old events deleted in batches with their counters, the
 * automatic reference frozen first */
TEST(retention)
{
    struct store *s = open_fresh();
    ingest_at(s, "default", (const int64_t[]){1000, 2000, 3000, 4000}, 4);
    struct store_version_ref *vs = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_r_versions_with_events_before(s, 1500, &vs, &n), 0);
    CHECK(n == 1 && strcmp(vs[0].model, "vit") == 0 && strcmp(vs[0].version, "default") == 0);
    free(vs);
    CHECK_EQ_INT(store_r_versions_with_events_before(s, 1000, &vs, &n), 0);
    CHECK_EQ_INT(n, 0);
    free(vs);
    size_t deleted = 9;
    store_w_begin(s);
    CHECK_EQ_INT(store_w_retention(s, "vit", "default", 3500, 2, 3, &deleted), 0);
    CHECK_EQ_INT(deleted, 2);
    CHECK_EQ_INT(store_w_retention(s, "vit", "default", 3500, 2, 3, &deleted), 0);
    CHECK_EQ_INT(deleted, 1);
    CHECK_EQ_INT(store_w_retention(s, "vit", "default", 3500, 2, 3, &deleted), 0);
    CHECK_EQ_INT(deleted, 0);
    CHECK_EQ_INT(store_w_retention(s, "vit", "v9", 3500, 2, 3, &deleted), DD_ENOTFOUND);
    store_w_commit(s);
    check_reference(s, "default", "auto", 3);
    struct store_model_info *ms;
    CHECK_EQ_INT(store_r_models(s, "vit", &ms, &n), 0);
    CHECK_EQ_INT(ms[0].versions[0].events, 1);
    CHECK_EQ_INT(ms[0].versions[0].first_ms, 4000);
    store_models_free(ms, n);
    int64_t total = 0;
    CHECK_EQ_INT(store_r_event_count(s, &total), 0);
    CHECK_EQ_INT(total, 1);
    close_and_remove(s);
}

/* evaluations: the latest per window, the statuses of a model's versions,
 * the history of one signal and method (oldest first, NaN for NULL) */
TEST(evaluations_and_history)
{
    struct store *s = open_seeded();
    struct dd_result res[2] = {
        {.signal = "confidence",
         .method = "ks",
         .statistic = 0.5,
         .p_value = 0.01,
         .threshold = 0.05,
         .drift = 1,
         .n_ref = 10,
         .n_cur = 20},
        {.signal = "latency", .method = "ks", .status = DD_EINSUFFICIENT},
    };
    struct dd_report rep = {.results = res, .n_results = 2};
    store_w_begin(s);
    CHECK_EQ_INT(
        store_w_insert_evaluation(s, "vit", "default", "1h", 1000, "drift", &rep, "{\"n\":1}"), 0);
    res[0].p_value = NAN;
    res[0].drift = 0;
    CHECK_EQ_INT(
        store_w_insert_evaluation(s, "vit", "default", "1h", 2000, "ok", &rep, "{\"n\":2}"), 0);
    CHECK_EQ_INT(
        store_w_insert_evaluation(s, "vit", "default", "2m", 1500, "ok", &rep, "{\"n\":3}"), 0);
    CHECK_EQ_INT(store_w_insert_evaluation(s, "vit", "v9", "1h", 1000, "ok", &rep, "{}"),
                 DD_ENOTFOUND);
    store_w_commit(s);

    int64_t at = 0;
    char *body = NULL;
    CHECK_EQ_INT(store_r_latest_evaluation(s, "vit", "default", "1h", &at, &body), 0);
    CHECK_EQ_INT(at, 2000);
    CHECK_EQ_STR(body, "{\"n\":2}");
    free(body);
    CHECK_EQ_INT(store_r_latest_evaluation(s, "vit", "v2", "1h", &at, &body), DD_ENOTFOUND);
    CHECK_EQ_INT(store_r_latest_evaluation(s, "vit", "v9", "1h", &at, &body), DD_ENOTFOUND);

    struct store_model_info *ms;
    size_t n;
    CHECK_EQ_INT(store_r_models(s, "vit", &ms, &n), 0);
    CHECK_EQ_INT(store_r_statuses(s, &ms[0]), 0);
    CHECK_EQ_STR(ms[0].versions[0].status, "ok"); /* default: the latest of any window */
    CHECK_EQ_STR(ms[0].versions[1].status, "");   /* v2: none yet */
    store_models_free(ms, n);

    struct store_point *pts = NULL;
    CHECK_EQ_INT(store_r_history(s, "vit", "default", "confidence", "ks", 0, 1800, 10, &pts, &n),
                 0);
    CHECK_EQ_INT(n, 2);
    CHECK(n == 2 && pts[0].t_ms == 1000 && pts[1].t_ms == 1500);
    CHECK(n == 2 && pts[0].drift == 1 && pts[0].p_value == 0.01 && isnan(pts[1].p_value));
    free(pts);
    /* at most max_points, the most recent */
    CHECK_EQ_INT(store_r_history(s, "vit", "default", "confidence", "ks", 0, 5000, 1, &pts, &n), 0);
    CHECK(n == 1 && pts[0].t_ms == 2000);
    free(pts);
    /* insufficient data is not plotted */
    CHECK_EQ_INT(store_r_history(s, "vit", "default", "latency", "ks", 0, 5000, 10, &pts, &n), 0);
    CHECK_EQ_INT(n, 0);
    free(pts);
    CHECK_EQ_INT(store_r_history(s, "vit", "v9", "confidence", "ks", 0, 5000, 10, &pts, &n),
                 DD_ENOTFOUND);
    close_and_remove(s);
}

/* settings and reference summaries: stored, replaced, read back */
TEST(settings_and_summaries)
{
    struct store *s = open_seeded();
    char *body = NULL;
    CHECK_EQ_INT(store_r_settings(s, "vit", &body), DD_ENOTFOUND);
    store_w_begin(s);
    CHECK_EQ_INT(store_w_put_settings(s, "vit", "{\"window\":\"1h\"}"), 0);
    CHECK_EQ_INT(store_w_put_settings(s, "vit", "{\"window\":\"2m\"}"), 0);
    CHECK_EQ_INT(store_w_put_settings(s, "new", "{}"), 0); /* creates the model */
    CHECK_EQ_INT(store_w_put_ref_summary(s, "vit", "default", 7, "\x01\x00\x02", 3), 0);
    CHECK_EQ_INT(store_w_put_ref_summary(s, "vit", "v9", 7, "x", 1), DD_ENOTFOUND);
    store_w_commit(s);
    CHECK_EQ_INT(store_r_settings(s, "vit", &body), 0);
    CHECK_EQ_STR(body, "{\"window\":\"2m\"}");
    free(body);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM models WHERE name = 'new'"), 1);
    char *sum = NULL;
    size_t len = 0;
    CHECK_EQ_INT(store_r_ref_summary(s, "vit", "default", 7, &sum, &len), 0);
    CHECK(len == 3 && sum && memcmp(sum, "\x01\x00\x02", 3) == 0);
    free(sum);
    CHECK_EQ_INT(store_r_ref_summary(s, "vit", "default", 8, &sum, &len), DD_ENOTFOUND);
    CHECK_EQ_INT(store_r_ref_summary(s, "vit", "v9", 7, &sum, &len), DD_ENOTFOUND);
    /* a newer reference's summary replaces it; an older one's (a late
     * calibration of the reference before) does not replace the newer */
    store_w_begin(s);
    CHECK_EQ_INT(store_w_put_ref_summary(s, "vit", "default", 9, "new", 3), 0);
    CHECK_EQ_INT(store_w_put_ref_summary(s, "vit", "default", 7, "old", 3), 0);
    store_w_commit(s);
    CHECK_EQ_INT(store_r_ref_summary(s, "vit", "default", 7, &sum, &len), DD_ENOTFOUND);
    CHECK_EQ_INT(store_r_ref_summary(s, "vit", "default", 9, &sum, &len), 0);
    CHECK(len == 3 && sum && memcmp(sum, "new", 3) == 0);
    free(sum);
    close_and_remove(s);
}

static void text_rows(sqlite3_stmt *st, void *arg)
{
    struct dd_buf *b = arg;
    dd_buf_printf(b, "%s;", (const char *)sqlite3_column_text(st, 0));
}

/* store__read(): the version id as ?1, the arguments after it, rows in
 * order, one-row queries, changes, and SQLite failures as DD_EIO */
TEST(query_helper)
{
    struct store *s = open_seeded();
    struct dd_buf b;
    dd_buf_init(&b);
    CHECK_EQ_INT(
        store__read(s,
                    &(struct store__query){
                        .what = "test",
                        .model = "vit",
                        .version = "default",
                        .sql = "SELECT event_id FROM events WHERE version_id = ?1 AND event_id"
                               " IS NOT NULL AND event_id > ?2 ORDER BY event_id",
                        .args = STORE__ARGS(STORE__TEXT("a")),
                        .row = text_rows,
                        .arg = &b}),
        0);
    CHECK_EQ_STR(b.data, "b;c;");
    CHECK_EQ_INT(store__read(s, &(struct store__query){.what = "test",
                                                       .model = "vit",
                                                       .version = "v9",
                                                       .sql = "SELECT 1",
                                                       .row = text_rows,
                                                       .arg = &b}),
                 DD_ENOTFOUND);
    int64_t v = -1;
    CHECK_EQ_INT(
        store__read(s, &(struct store__query){.what = "test",
                                              .sql = "SELECT ?1 + ?2",
                                              .args = STORE__ARGS(STORE__INT(40), STORE__INT(2)),
                                              .row = store__row_int64,
                                              .arg = &v,
                                              .one = 1}),
        0);
    CHECK_EQ_INT(v, 42);
    CHECK_EQ_INT(
        store__read(s, &(struct store__query){.what = "test", .sql = "SELECT 1 WHERE 0", .one = 1}),
        DD_ENOTFOUND);
    CHECK_EQ_INT(store__read(s, &(struct store__query){.what = "test",
                                                       .sql = "SELECT length(?1)",
                                                       .args = STORE__ARGS(STORE__BLOB("abc", 3)),
                                                       .row = store__row_int64,
                                                       .arg = &v}),
                 0);
    CHECK_EQ_INT(v, 3);
    int64_t changes = -1;
    CHECK_EQ_INT(
        store__read(
            s, &(struct store__query){.what = "test",
                                      .sql = "UPDATE events SET label = ?1 WHERE label IS NULL",
                                      .args = STORE__ARGS(STORE__TEXT("l")),
                                      .changes = &changes}),
        0);
    CHECK_EQ_INT(changes, 6);
    /* failures: a statement that does not prepare, one that fails to step */
    CHECK_EQ_INT(store__read(s, &(struct store__query){.what = "test", .sql = "SELECT nope"}),
                 DD_EIO);
    CHECK_EQ_INT(
        store__read(s, &(struct store__query){.what = "test",
                                              .sql = "INSERT INTO models (id, name, created_at)"
                                                     " VALUES (1, 'dup', 0)"}),
        DD_EIO);
    dd_buf_release(&b);
    close_and_remove(s);
}

TEST(keys)
{
    struct store *s = open_fresh();
    size_t n;
    struct store_key k = {.id = "key_1", .role = DD_ROLE_READ, .created_ms = 5};
    memset(k.hash, 7, 32);
    CHECK_EQ_INT(store_key_insert(s, &k), 0);
    CHECK_EQ_INT(store_key_revoke(s, "key_1"), 0);
    CHECK_EQ_INT(store_key_revoke(s, "key_1"), DD_ENOTFOUND);
    struct store_key *ks;
    CHECK_EQ_INT(store_keys_list(s, &ks, &n), 0);
    CHECK(n == 1 && ks[0].role == DD_ROLE_READ && ks[0].revoked_ms > 0);
    free(ks);
    close_and_remove(s);
}

/* the columns migration 7 adds to api_keys, dropped to make an older database */
/* the tables migration 8 adds, dropped likewise */
#define DROP_V8_TABLES                                                                             \
    "DROP TABLE receivers; DROP TABLE rules; DROP TABLE silences; DROP TABLE alerts;"              \
    "DROP TABLE outbox; DROP TABLE delivery_attempts;"
#define DROP_V7_KEY_COLUMNS                                                                        \
    "ALTER TABLE api_keys DROP COLUMN name; ALTER TABLE api_keys DROP COLUMN expires_at;"

/* reopen, and upgrades of older databases */
TEST(reopen_and_upgrade)
{
    struct store *s = open_fresh();
    struct store_options o = opts;
    char err[512] = "";
    seed(s);
    store_close(s);
    /* reopen: nothing re-applied, data kept */
    CHECK_EQ_INT(store_open(&o, &s, err, sizeof err), 0);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM schema_migrations"), STORE_SCHEMA_VERSION);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM events"), 6);
    store_close(s);

    /* a version-1 database (before references) is upgraded, its data kept */
    exec_sql("DROP TABLE refs; DROP TABLE ref_events; DROP TABLE evaluations;"
             "DROP TABLE drift_results; DROP TABLE model_settings; DROP TABLE ref_summaries;"
             "ALTER TABLE events DROP COLUMN prediction_num;" DROP_V7_KEY_COLUMNS DROP_V8_TABLES
             "DELETE FROM schema_migrations WHERE version >= 2");
    CHECK_EQ_INT(query_int("SELECT MAX(version) FROM schema_migrations"), 1);
    CHECK_EQ_INT(store_open(&o, &s, err, sizeof err), 0);
    CHECK_EQ_INT(query_int("SELECT MAX(version) FROM schema_migrations"), STORE_SCHEMA_VERSION);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM evaluations"), 0);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM refs"), 0);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM events"), 6);
    store_close(s);

    /* a version-5 database (PCA-only summaries) gets whole prepared
     * references: the old rows go, they are prepared again on first use */
    exec_sql("DROP TABLE ref_summaries; CREATE TABLE ref_summaries (version_id INTEGER PRIMARY KEY,"
             " set_at INTEGER NOT NULL, pca BLOB NOT NULL); INSERT INTO ref_summaries VALUES (1, "
             "2, x'00');"
             "ALTER TABLE events DROP COLUMN prediction_num;"
             "ALTER TABLE ref_events DROP COLUMN prediction_num;" DROP_V7_KEY_COLUMNS DROP_V8_TABLES
             "DELETE FROM schema_migrations WHERE version >= 6");
    CHECK_EQ_INT(store_open(&o, &s, err, sizeof err), 0);
    CHECK_EQ_INT(query_int("SELECT MAX(version) FROM schema_migrations"), STORE_SCHEMA_VERSION);
    CHECK_EQ_INT(
        query_int("SELECT COUNT(*) FROM pragma_table_info('ref_summaries') WHERE name = 'summary'"),
        1);
    CHECK_EQ_INT(query_int("SELECT COUNT(*) FROM ref_summaries"), 0);
    close_and_remove(s);
}

/* 16 KiB pages; 80 MiB of embeddings pass the checkpoint thresholds:
 * while the store is still open the main file has taken the pages back
 * and the WAL stays bounded (hard limit 128 MiB, cut back to 64 MiB) */
TEST(page_size_and_checkpoints)
{
    struct store *s = open_fresh();
    struct store_ingest_result r;
    store_close(s);
    char err[512] = "";
    struct store_options o = opts;
    CHECK_EQ_INT(query_int("PRAGMA page_size"), 16384);
    CHECK_EQ_INT(store_open(&o, &s, err, sizeof err), 0);
    float emb[1024];
    char b64[DD_BASE64_ENCODED_LEN(sizeof emb) + 1];
    for (int d = 0; d < 1024; d++)
        emb[d] = (float)d;
    dd_base64_encode((const uint8_t *)emb, sizeof emb, b64);
    struct dd_buf body;
    dd_buf_init(&body);
    long long wal_max = 0;
    for (int k = 0; k < 200; k++) {
        dd_buf_reset(&body);
        dd_buf_puts(&body, "{\"events\":[");
        for (int i = 0; i < 100; i++)
            dd_buf_printf(&body, "%s{\"embedding_b64\":\"%s\"}", i ? "," : "", b64);
        dd_buf_puts(&body, "]}");
        CHECK_EQ_INT(ingest(s, "ckpt", body.data, &r), 0);
        char wal[300];
        snprintf(wal, sizeof wal, "%s-wal", dbpath);
        if (file_size(wal) > wal_max)
            wal_max = file_size(wal);
    }
    dd_buf_release(&body);
    CHECK(file_size(dbpath) > (32LL << 20));
    CHECK(wal_max <= (130LL << 20));
    close_and_remove(s);
}

/* time order is not table order: the sample is every 2nd event by time (ts 1000 and
 * 3000), listed by id so that the writer's copy reads the table front to back */
TEST(range_sample_time_order)
{
    struct store *s = open_fresh();
    ingest_at(s, "rev", (const int64_t[]){4000, 3000, 2000, 1000}, 4);
    struct store_range_sample rev = {.from_ms = 0, .to_ms = 5000, .max = 3};
    CHECK_EQ_INT(store_r_range_sample(s, "vit", "rev", &rev), 0);
    CHECK(rev.in_range == 4 && rev.n_ids == 2);
    CHECK(rev.n_ids == 2 && rev.ids[0] < rev.ids[1]);
    CHECK_EQ_INT(rev.ids[0], query_int("SELECT id FROM events WHERE ts = 3000"));
    CHECK_EQ_INT(rev.ids[1], query_int("SELECT id FROM events WHERE ts = 1000"));
    store_range_sample_release(&rev);
    close_and_remove(s);
}

/* a database from a newer driftd is refused with a clear message */
TEST(newer_schema_refused)
{
    struct store *s = open_fresh();
    struct store_options o = opts;
    char err[512] = "";
    store_close(s);
    exec_sql("INSERT INTO schema_migrations VALUES (99, 0)");
    s = NULL;
    CHECK_EQ_INT(store_open(&o, &s, err, sizeof err), DD_ESCHEMA);
    CHECK(s == NULL);
    CHECK(strstr(err, "schema version 99") && strstr(err, "newer"));
    remove_dir();
}

/* an unopenable path names the file */
TEST(unopenable_path)
{
    struct store *s = NULL;
    char err[512] = "";
    struct store_options bad = {"/nonexistent-dir/x/y.db", 0, 1};
    CHECK(store_open(&bad, &s, err, sizeof err) != 0);
    CHECK(strstr(err, "/nonexistent-dir/x/y.db") != NULL);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(fresh_database);
    RUN(insert_and_counts);
    RUN(labels);
    RUN(reference_range);
    RUN(reference_events_and_windows);
    RUN(freeze_reference);
    RUN(retention);
    RUN(evaluations_and_history);
    RUN(settings_and_summaries);
    RUN(query_helper);
    RUN(keys);
    RUN(reopen_and_upgrade);
    RUN(page_size_and_checkpoints);
    RUN(range_sample_time_order);
    RUN(newer_schema_refused);
    RUN(unopenable_path);
    CHECK_DONE();
}
