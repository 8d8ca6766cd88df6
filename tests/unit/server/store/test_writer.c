/* Tests server/store/writer.c with the store: what each kind of job
 * answers (its named results, the freeze call), and the disk-full path:
 * which SQLite failures count as a full disk, that a refused batch leaves
 * nothing behind, the storage-full flag (set by a refused write, cleared by
 * the idle writer's probe or by a write that goes through) and its counters.
 *
 * SQLite's max_page_count stands in for the full disk (cheap fault
 * injection: every write that needs a new page fails with SQLITE_FULL, as a
 * short write on a full disk does); the file system itself has room, so the
 * probe (store_probe_space()) finds it.  Includes store.c (the static
 * classification; struct store, from store_int.h, for the writer's
 * connection) and writer.c (struct job); the other store files come from
 * dd_store. */
#include "server/store/store.c"
#include "server/store/writer.c"

#include <sys/stat.h>

#include "analysis/eval.h"
#include "base/buf.h"
#include "check.h"

static char dbpath[256];
static char dir[64];

/* A fresh store in a new temporary folder (dbpath); close_store() removes
 * it. */
static struct store *open_store(void)
{
    snprintf(dir, sizeof dir, "/tmp/dd-test-writer-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(dbpath, sizeof dbpath, "%s/t.db", dir);
    char err[512] = "";
    struct store *s = NULL;
    struct store_options o = {dbpath, 0, 2};
    CHECK_EQ_INT(store_open(&o, &s, err, sizeof err), 0);
    return s;
}

static void close_store(struct store *s)
{
    store_close(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

static struct dd_batch parse(const char *body)
{
    struct dd_batch b;
    struct dd_parse_error pe;
    /* early_ts: the cases' times are small numbers of milliseconds */
    if (dd_parse_events_with(body, strlen(body), DD_BODY_JSON,
                             &(struct dd_parse_options){.early_ts = 1}, &b, &pe) != 0) {
        fprintf(stderr, "parse: %s\n", pe.message);
        abort();
    }
    return b;
}

/* n events with ids prefix-0.. and a 1 KiB embedding each */
static char *batch_body(const char *prefix, int n)
{
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_puts(&b, "{\"events\":[");
    for (int i = 0; i < n; i++) {
        dd_buf_printf(&b, "%s{\"id\":\"%s-%d\",\"prediction\":\"cat\",\"embedding\":[",
                      i ? "," : "", prefix, i);
        for (int d = 0; d < 256; d++)
            dd_buf_printf(&b, "%s%d.5", d ? "," : "", (i * 31 + d) % 1000);
        dd_buf_puts(&b, "]}");
    }
    dd_buf_puts(&b, "]}");
    return dd_buf_take(&b, NULL);
}

static int64_t events_of(struct store *s, const char *model)
{
    struct store_model_info *m;
    size_t n;
    if (store_r_models(s, model, &m, &n) != 0)
        return -1;
    int64_t e = m[0].events;
    store_models_free(m, n);
    return e;
}

static int64_t page_count(struct store *s)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(s->w, "PRAGMA page_count", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Caps the database at its current size (0: no cap).  Only while the
 * writer thread does not use the connection. */
static void limit_pages(struct store *s, int on)
{
    char sql[80];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
             on ? (long long)page_count(s) : 1LL << 30);
    sqlite3_exec(s->w, sql, NULL, NULL, NULL);
}

static int ingest(struct store *s, const char *model, const char *body,
                  struct store_ingest_result *r)
{
    struct dd_batch b = parse(body);
    int rc = store_w_begin(s);
    if (rc == 0)
        rc = store_w_insert_batch(s, model, &b, 1795341600000LL, r);
    if (rc == 0)
        rc = store_w_commit(s);
    if (rc != 0)
        store_w_rollback(s);
    dd_batch_release(&b);
    return rc;
}

struct submitter {
    pthread_t t;
    struct writer *w;
    const char *body;
    struct writer_result res;
};

static void *submit_main(void *arg)
{
    struct submitter *sb = arg;
    struct dd_batch b = parse(sb->body);
    writer_submit_events(sb->w, "m", &b, 1795341600000LL, &sb->res);
    dd_batch_release(&b);
    return NULL;
}

static void submit_body(struct writer *w, const char *body, struct writer_result *res)
{
    struct dd_batch b = parse(body);
    writer_submit_events(w, "m", &b, 1795341600000LL, res);
    dd_batch_release(&b);
}

/* which SQLite failures are a full disk */
TEST(classification)
{
    CHECK(is_disk_full(SQLITE_FULL, 0));
    CHECK(is_disk_full(SQLITE_FULL, EIO));
    CHECK(is_disk_full(SQLITE_IOERR_WRITE, ENOSPC));
    CHECK(is_disk_full(SQLITE_IOERR_SHMSIZE, ENOSPC));
    CHECK(is_disk_full(SQLITE_IOERR_TRUNCATE, EDQUOT));
    CHECK(is_disk_full(SQLITE_IOERR, ENOSPC));
    CHECK(!is_disk_full(SQLITE_IOERR_WRITE, EIO));
    CHECK(!is_disk_full(SQLITE_IOERR_FSYNC, 0));
    CHECK(!is_disk_full(SQLITE_IOERR_WRITE, EFBIG));
    CHECK(!is_disk_full(SQLITE_CORRUPT, ENOSPC));
    CHECK(!is_disk_full(SQLITE_CANTOPEN, ENOSPC));
    CHECK(!is_disk_full(SQLITE_BUSY, 0));
    CHECK_EQ_INT(DD_EFULL, -14);
    CHECK_EQ_STR(dd_errname(DD_EFULL), "FULL");
    CHECK_EQ_STR(dd_strerror(DD_EFULL), "storage is full");
}

/* the store refuses a write for lack of room whole, and takes it once
 * there is room again */
TEST(store_full)
{
    struct store *s = open_store();
    struct store_ingest_result r;
    struct store_reference_result rr;
    char *small = batch_body("s", 3), *big = batch_body("b", 200);
    CHECK_EQ_INT(ingest(s, "m", small, &r), 0);
    CHECK(store_w_changed(s));
    /* only duplicates: committed, but nothing was written */
    CHECK_EQ_INT(ingest(s, "m", small, &r), 0);
    CHECK_EQ_INT(r.duplicates, 3);
    CHECK(!store_w_changed(s));

    limit_pages(s, 1);
    CHECK_EQ_INT(ingest(s, "m", big, &r), DD_EFULL);
    /* the whole batch is refused: nothing of it, nor of its counts, is stored */
    CHECK_EQ_INT(events_of(s, "m"), 3);
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t rows = -1;
    sqlite3_open(dbpath, &db);
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM events", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        rows = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_EQ_INT(rows, 3);
    /* other writes that need room are refused the same way */
    CHECK_EQ_INT(store_w_begin(s), 0);
    struct dd_batch b = parse(big);
    int rc = store_w_set_reference_events(s, "m", "default", &b, &rr);
    if (rc == 0)
        rc = store_w_commit(s);
    char err[300];
    store_w_last_error(s, err, sizeof err);
    store_w_rollback(s);
    dd_batch_release(&b);
    CHECK_EQ_INT(rc, DD_EFULL);
    CHECK(strstr(err, "full") != NULL);
    CHECK(strstr(err, "sqlite code 13") != NULL);

    /* the probe asks the file system, which has room, and leaves nothing */
    CHECK_EQ_INT(store_probe_space(s), 0);
    char probe[300];
    struct stat sb;
    snprintf(probe, sizeof probe, "%s-spaceprobe", dbpath);
    CHECK(stat(probe, &sb) != 0);
    CHECK_EQ_STR(store_path(s), dbpath);

    /* room again: the same batch goes in whole */
    limit_pages(s, 0);
    CHECK_EQ_INT(ingest(s, "m", big, &r), 0);
    CHECK_EQ_INT(r.accepted, 200);
    CHECK_EQ_INT(events_of(s, "m"), 203);
    free(small);
    free(big);
    close_store(s);
}

/* the writer: the storage-full flag, its counters, and every refused
 * batch stored once when retried */
TEST(writer_full)
{
    struct store *s = open_store();
    struct writer *w;
    CHECK_EQ_INT(writer_start(s, NULL, &w), 0);
    struct writer_result res;
    char *ok = batch_body("w0", 5);
    submit_body(w, ok, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK(!writer_storage_full(w));

    /* several batches at once (one group, or several): every one is
     * refused with DD_EFULL, none is half stored */
    limit_pages(s, 1);
    int64_t before = events_of(s, "m");
    enum { N = 6 };
    struct submitter sb[N];
    char *bodies[N];
    for (int i = 0; i < N; i++) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "g%d", i);
        bodies[i] = batch_body(prefix, 100);
        sb[i] = (struct submitter){.w = w, .body = bodies[i]};
        pthread_create(&sb[i].t, NULL, submit_main, &sb[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(sb[i].t, NULL);
        CHECK_EQ_INT(sb[i].res.rc, DD_EFULL);
        CHECK_EQ_INT(sb[i].res.ingest.accepted, 0); /* no counts from a rolled-back try */
    }
    CHECK_EQ_INT(events_of(s, "m"), before);
    CHECK(writer_storage_full(w));
    struct writer_stats ws;
    writer_get_stats(w, &ws);
    CHECK_EQ_INT(ws.full_refused, N);
    CHECK_EQ_INT(ws.storage_full, 1);

    /* a commit that writes nothing (duplicates) says nothing about room */
    submit_body(w, ok, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.ingest.duplicates, 5);
    CHECK(writer_storage_full(w));

    /* no writes: the idle writer probes the disk, finds room, clears the flag */
    int64_t t0 = dd_mono_ns();
    while (writer_storage_full(w) && dd_mono_ns() - t0 < 3LL * WRITER_PROBE_MS * 1000000)
        usleep(20000);
    CHECK(!writer_storage_full(w));
    CHECK(dd_mono_ns() - t0 >= (int64_t)(WRITER_PROBE_MS - 500) * 1000000);

    /* refused again, then a write that goes through clears it at once */
    submit_body(w, bodies[0], &res);
    CHECK_EQ_INT(res.rc, DD_EFULL);
    CHECK(writer_storage_full(w));
    limit_pages(s, 0);
    submit_body(w, bodies[0], &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.ingest.accepted, 100);
    CHECK(!writer_storage_full(w));
    writer_get_stats(w, &ws);
    CHECK_EQ_INT(ws.full_refused, N + 1);
    CHECK_EQ_INT(ws.storage_full, 0);

    /* retried by their clients, every refused batch is stored once */
    for (int i = 0; i < N; i++) {
        submit_body(w, bodies[i], &res);
        CHECK_EQ_INT(res.rc, 0);
        CHECK_EQ_INT(res.ingest.accepted + res.ingest.duplicates, 100);
        free(bodies[i]);
    }
    CHECK_EQ_INT(events_of(s, "m"), before + N * 100);
    writer_stop(w);
    free(ok);
    close_store(s);
}

/* A fresh store with its writer; finish() stops and removes both. */
static struct writer *start(struct store **s)
{
    *s = open_store();
    struct writer *w = NULL;
    CHECK_EQ_INT(writer_start(*s, NULL, &w), 0);
    return w;
}

static void finish(struct writer *w, struct store *s)
{
    writer_stop(w);
    close_store(s);
}

/* body's events as the reference of m's version */
static void submit_reference(struct writer *w, const char *version, const char *body,
                             struct writer_result *res)
{
    struct dd_batch b = parse(body);
    writer_submit_reference(w, "m", version, &b, res);
    dd_batch_release(&b);
}

/* each kind of job answers the counts named for it, and only those */
TEST(named_results)
{
    struct store *s;
    struct writer *w = start(&s);
    struct writer_result res;
    /* events: ingest */
    submit_body(w,
                "{\"events\":[{\"id\":\"a\",\"ts\":1000,\"confidence\":0.1},"
                "{\"id\":\"b\",\"ts\":2000,\"confidence\":0.2},"
                "{\"id\":\"c\",\"ts\":3000,\"confidence\":0.3},"
                "{\"id\":\"a\",\"ts\":1000,\"confidence\":0.1}]}",
                &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.ingest.accepted, 3);
    CHECK_EQ_INT(res.ingest.duplicates, 1);

    /* labels: updated and unknown, nothing in ingest */
    struct dd_labels l;
    struct dd_parse_error pe;
    const char *lb = "{\"labels\":[{\"id\":\"a\",\"label\":\"x\"},{\"id\":\"b\",\"label\":\"y\"},"
                     "{\"id\":\"q\",\"label\":\"z\"}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &pe), 0);
    writer_submit_labels(w, "m", &l, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.labels.updated, 2);
    CHECK_EQ_INT(res.labels.unknown, 1);
    CHECK_EQ_INT(res.ingest.accepted, 0);
    writer_submit_labels(w, "nope", &l, &res);
    CHECK_EQ_INT(res.rc, DD_ENOTFOUND);
    dd_labels_release(&l);

    /* a reference from a batch, then from a range: reference.kept */
    submit_reference(w, "default", "{\"events\":[{\"confidence\":0.5},{\"confidence\":0.6}]}",
                     &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.reference.kept, 2);
    CHECK_EQ_INT(res.ingest.accepted, 0);
    struct store_range_sample range = {.from_ms = 0, .to_ms = 2500};
    writer_submit_reference_range(w, "m", "default", &range, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.reference.kept, 2);
    /* a conflicting dimension: reference.conflict_index and model_dim */
    submit_body(w, "{\"events\":[{\"embedding\":[1,2,3]}]}", &res);
    CHECK_EQ_INT(res.rc, 0);
    submit_reference(w, "default", "{\"events\":[{\"confidence\":0.5},{\"embedding\":[1,2]}]}",
                     &res);
    CHECK_EQ_INT(res.rc, DD_ECONFLICT);
    CHECK_EQ_INT(res.reference.conflict_index, 1);
    CHECK_EQ_INT(res.reference.model_dim, 3);
    CHECK_EQ_INT(res.reference.kept, 0);

    /* retention: retention.deleted, not ingest.accepted */
    writer_submit_retention(w, "m", "default", 2500, 10, 100, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.retention.deleted, 2);
    CHECK_EQ_INT(res.ingest.accepted, 0);
    CHECK_EQ_INT(events_of(s, "m"), 2);
    writer_submit_retention(w, "m", "v9", 2500, 10, 100, &res);
    CHECK_EQ_INT(res.rc, DD_ENOTFOUND);

    /* jobs with no counts: rc alone */
    writer_submit_settings(w, "m", "{\"window\":\"1h\"}", &res);
    CHECK_EQ_INT(res.rc, 0);
    writer_submit_ref_summary(w, "m", "default", 1, "bytes", 5, &res);
    CHECK_EQ_INT(res.rc, 0);
    struct dd_report rep = {0};
    writer_submit_evaluation_alerts(w, "m", "default", "1h", 6000, "ok", &rep, "{}", NULL, 0, &res);
    CHECK_EQ_INT(res.rc, 0);

    /* the stats count events only from event jobs */
    struct writer_stats ws;
    writer_get_stats(w, &ws);
    CHECK_EQ_INT(ws.accepted, 4);
    CHECK_EQ_INT(ws.duplicates, 1);
    CHECK_EQ_INT(ws.conflicts, 1);
    CHECK_EQ_INT(ws.failures, 0);
    finish(w, s);
}

/* the freeze call: a version without a reference gets its first
 * reference_size events as one, once; later events, and retention, leave
 * it as it is */
TEST(freeze_reference)
{
    struct store *s;
    struct writer *w = start(&s);
    struct writer_result res;
    submit_body(w,
                "{\"events\":[{\"ts\":3000,\"confidence\":0.3},{\"ts\":1000,\"confidence\":0.1},"
                "{\"ts\":2000,\"confidence\":0.2},{\"ts\":4000,\"confidence\":0.4}]}",
                &res);
    CHECK_EQ_INT(res.rc, 0);
    writer_submit_freeze_reference(w, "m", "default", 3, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.freeze.frozen, 1);
    CHECK_EQ_INT(res.freeze.kept, 3);
    CHECK_EQ_INT(res.retention.deleted, 0);
    struct store_reference ref;
    int exists = 0;
    CHECK_EQ_INT(store_r_reference(s, "m", "default", &ref, &exists), 0);
    CHECK_EQ_STR(ref.source, "auto");
    CHECK_EQ_INT(ref.events, 3);
    CHECK_EQ_INT(ref.first_ms, 1000); /* the first three in time order */
    CHECK_EQ_INT(ref.last_ms, 3000);
    int64_t set_ms = ref.set_ms;

    /* once: an older event and a second call change nothing */
    submit_body(w, "{\"events\":[{\"ts\":500,\"confidence\":0.9}]}", &res);
    writer_submit_freeze_reference(w, "m", "default", 3, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.freeze.frozen, 0);
    CHECK_EQ_INT(res.freeze.kept, 0);
    CHECK_EQ_INT(store_r_reference(s, "m", "default", &ref, &exists), 0);
    CHECK_EQ_INT(ref.first_ms, 1000);
    CHECK_EQ_INT(ref.set_ms, set_ms);

    /* retention deletes events, never the frozen reference */
    writer_submit_retention(w, "m", "default", 3500, 100, 3, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.retention.deleted, 4);
    CHECK_EQ_INT(store_r_reference(s, "m", "default", &ref, &exists), 0);
    CHECK_EQ_INT(ref.events, 3);
    CHECK_EQ_INT(ref.set_ms, set_ms);

    /* an explicit reference is not replaced */
    submit_body(w, "{\"events\":[{\"version\":\"v2\",\"confidence\":0.5}]}", &res);
    submit_reference(w, "v2", "{\"events\":[{\"confidence\":0.7},{\"confidence\":0.8}]}", &res);
    writer_submit_freeze_reference(w, "m", "v2", 1, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.freeze.frozen, 0);
    CHECK_EQ_INT(store_r_reference(s, "m", "v2", &ref, &exists), 0);
    CHECK_EQ_STR(ref.source, "events");
    CHECK_EQ_INT(ref.events, 2);

    /* unknown model or version: an answer, not a failure */
    writer_submit_freeze_reference(w, "m", "v9", 3, &res);
    CHECK_EQ_INT(res.rc, DD_ENOTFOUND);
    writer_submit_freeze_reference(w, "nope", "default", 3, &res);
    CHECK_EQ_INT(res.rc, DD_ENOTFOUND);
    struct writer_stats ws;
    writer_get_stats(w, &ws);
    CHECK_EQ_INT(ws.failures, 0);
    finish(w, s);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(classification);
    RUN(store_full);
    RUN(writer_full);
    RUN(named_results);
    RUN(freeze_reference);
    CHECK_DONE();
}
