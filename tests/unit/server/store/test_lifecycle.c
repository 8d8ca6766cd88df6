/* Tests server/store/lifecycle.c: deletes in batches (each leaves the
 * version counters equal to what a count of the rows gives), a delete in
 * the same transaction as inserts (the writer's pending tallies and name
 * caches), references, evaluations, the bound that keeps a delete from
 * chasing ingest, unknown targets, and the pages of the model lists. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "ingest/parse.h"
#include "server/store/store.h"
#include "check.h"
#include "server/fixture.h"

#define T0 1795341600000LL /* 2026-11-22T10:00:00Z */

/* The case's database (server/fixture.h): t.db in a fresh folder, no writer
 * thread: the cases call the store_w_* functions themselves, one
 * transaction at a time. */
static struct tmp_store db;

/* A case with a database of its own, opened before its body and closed after
 * it: DB_TEST(name) { ... } */
#define DB_TEST(name) TEST_AROUND(name, tmp_store_open(&db, "lifecycle", 0), tmp_store_close(&db))

/* a second connection to t.db, beside the store's */
static sqlite3 *side_open(void)
{
    sqlite3 *c;
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", db.dir);
    sqlite3_open(path, &c);
    return c;
}

static long long q(const char *sql)
{
    sqlite3 *c = side_open();
    sqlite3_stmt *st;
    long long v = -999;
    if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(c);
    return v;
}

/* n events of model/version at T0 + (first + i) s, ids prefix-i; inside the
 * open transaction. */
static void insert(const char *model, const char *version, const char *prefix, int first, int n)
{
    struct dd_buf body;
    dd_buf_init(&body);
    dd_buf_puts(&body, "{\"events\":[");
    for (int i = 0; i < n; i++)
        dd_buf_printf(&body,
                      "%s{\"id\":\"%s%d\",\"version\":\"%s\",\"ts\":%lld,\"confidence\":0.5}",
                      i ? "," : "", prefix, first + i, version, T0 + (first + i) * 1000LL);
    dd_buf_puts(&body, "]}");
    struct dd_batch b;
    struct dd_parse_error pe;
    CHECK_EQ_INT(dd_parse_events(body.data, body.len, DD_BODY_JSON, &b, &pe), 0);
    struct store_ingest_result r;
    CHECK_EQ_INT(store_w_insert_batch(db.st, model, &b, T0, &r), 0);
    CHECK_EQ_INT(r.accepted, (size_t)n);
    dd_batch_release(&b);
    dd_buf_release(&body);
}

static void insert_committed(const char *model, const char *version, const char *prefix, int first,
                             int n)
{
    CHECK_EQ_INT(store_w_begin(db.st), 0);
    insert(model, version, prefix, first, n);
    CHECK_EQ_INT(store_w_commit(db.st), 0);
}

/* Freezes the first n events of model/version as its reference, inside the
 * open transaction; the events kept. */
static size_t freeze(const char *model, const char *version, size_t n)
{
    size_t kept = 0;
    int frozen = 0;
    CHECK_EQ_INT(store_w_freeze_reference(db.st, model, version, n, &frozen, &kept), 0);
    return kept;
}

/* One batch in its own transaction. */
static int batch(const struct store_delete *d, struct store_deleted *out)
{
    CHECK_EQ_INT(store_w_begin(db.st), 0);
    int rc = store_w_delete(db.st, d, out);
    if (rc == 0 || rc == DD_ENOTFOUND)
        CHECK_EQ_INT(store_w_commit(db.st), 0);
    else
        store_w_rollback(db.st);
    return rc;
}

/* The counters of every version agree with its rows. */
static void check_counters(void)
{
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM versions v WHERE v.events !="
                   " (SELECT COUNT(*) FROM events e WHERE e.version_id = v.id)"
                   " OR v.first_ts IS NOT (SELECT MIN(ts) FROM events e WHERE e.version_id = v.id)"
                   " OR v.last_ts IS NOT (SELECT MAX(ts) FROM events e WHERE e.version_id = v.id)"),
                 0);
}

/* Deletes d in batches (batch()) until one is done or max have run; after
 * every one the counters agree with the rows and, unless NULL, seen(i, out)
 * looks at batch i.  How many ran; *sum adds up their counts. */
static int batches(const struct store_delete *d, int max,
                   void (*seen)(int i, const struct store_deleted *out), struct store_deleted *sum)
{
    struct store_deleted out;
    memset(sum, 0, sizeof *sum);
    int calls = 0;
    do {
        CHECK_EQ_INT(batch(d, &out), 0);
        sum->versions += out.versions;
        sum->events += out.events;
        sum->reference_events += out.reference_events;
        sum->evaluations += out.evaluations;
        check_counters(); /* after every batch, not only at the end */
        if (seen)
            seen(calls, &out);
        calls++;
    } while (!out.done && calls < max);
    sum->done = out.done;
    return calls;
}

/* batch i of events 2..23 of v1, 10 at a time */
static void ten_ten_two(int i, const struct store_deleted *out)
{
    static const long long sizes[] = {10, 10, 2, 0};
    CHECK_EQ_INT(out->events, sizes[i]);
}

DB_TEST(events_range_in_batches_keeps_counters)
{
    insert_committed("m", "v1", "a", 0, 25);
    insert_committed("m", "v2", "b", 0, 8);
    int64_t max_id;
    CHECK_EQ_INT(store_r_max_event_id(db.st, &max_id), 0);
    CHECK_EQ_INT(max_id, 33);
    /* events 2..23 of v1: from T0+2 s included, T0+24 s excluded */
    struct store_delete d = {.what = STORE_DELETE_EVENTS,
                             .model = "m",
                             .version = "v1",
                             .from_ms = T0 + 2000,
                             .to_ms = T0 + 24000,
                             .max_event_id = max_id,
                             .limit = 10};
    struct store_deleted out;
    CHECK_EQ_INT(batches(&d, 4, ten_ten_two, &out), 3);
    CHECK_EQ_INT(q("SELECT events FROM versions WHERE name = 'v1'"), 3);
    CHECK_EQ_INT(q("SELECT first_ts FROM versions WHERE name = 'v1'"), T0);
    CHECK_EQ_INT(q("SELECT last_ts FROM versions WHERE name = 'v1'"), T0 + 24000);
    CHECK_EQ_INT(q("SELECT events FROM versions WHERE name = 'v2'"), 8);
    /* every version, and everything: the version stays, with no times */
    d = (struct store_delete){.what = STORE_DELETE_EVENTS,
                              .model = "m",
                              .from_ms = 0,
                              .to_ms = INT64_MAX,
                              .max_event_id = max_id};
    CHECK_EQ_INT(batch(&d, &out), 0);
    CHECK_EQ_INT(out.events, 11);
    CHECK_EQ_INT(out.done, 1);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM versions WHERE events = 0 AND first_ts IS NULL"), 2);
    check_counters();
}

DB_TEST(delete_sees_inserts_of_its_own_transaction)
{
    insert_committed("m", "v1", "a", 0, 10);
    /* one group: inserts, a delete over them, more inserts (the writer's
     * pending tallies are written at commit) */
    CHECK_EQ_INT(store_w_begin(db.st), 0);
    insert("m", "v1", "b", 10, 10);
    struct store_delete d = {
        .what = STORE_DELETE_EVENTS, .model = "m", .from_ms = T0 + 5000, .to_ms = T0 + 15000};
    struct store_deleted out;
    CHECK_EQ_INT(store_w_delete(db.st, &d, &out), 0);
    CHECK_EQ_INT(out.events, 10);
    insert("m", "v1", "c", 30, 2);
    CHECK_EQ_INT(store_w_commit(db.st), 0);
    CHECK_EQ_INT(q("SELECT events FROM versions"), 12);
    CHECK_EQ_INT(q("SELECT last_ts FROM versions"), T0 + 31000);
    check_counters();
}

DB_TEST(model_delete_then_created_again_in_one_transaction)
{
    insert_committed("m", "v1", "a", 0, 30);
    insert_committed("m", "v2", "b", 0, 5);
    insert_committed("other", "v1", "o", 0, 4);
    CHECK_EQ_INT(store_w_begin(db.st), 0);
    CHECK_EQ_INT(store_w_put_settings(db.st, "m", "{\"alpha\":0.01}"), 0);
    CHECK_EQ_INT(store_w_commit(db.st), 0);
    long long old_id = q("SELECT id FROM models WHERE name = 'm'");
    int64_t max_id;
    CHECK_EQ_INT(store_r_max_event_id(db.st, &max_id), 0);
    struct store_delete d = {
        .what = STORE_DELETE_MODEL, .model = "m", .max_event_id = max_id, .limit = 16};
    struct store_deleted out, sum = {0};
    int calls = 0;
    /* the last batch shares its transaction with events that recreate m */
    for (;;) {
        CHECK_EQ_INT(store_w_begin(db.st), 0);
        CHECK_EQ_INT(store_w_delete(db.st, &d, &out), 0);
        calls++;
        sum.events += out.events;
        sum.versions += out.versions;
        if (out.done || calls > 5)
            break;
        CHECK_EQ_INT(store_w_commit(db.st), 0);
        check_counters();
    }
    insert("m", "v1", "a", 0, 3);
    CHECK_EQ_INT(store_w_commit(db.st), 0);
    CHECK_EQ_INT(calls, 3);
    CHECK_EQ_INT(sum.events, 35);
    CHECK_EQ_INT(sum.versions, 2);
    CHECK_CMP_INT(q("SELECT id FROM models WHERE name = 'm'"), !=, old_id);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM versions v JOIN models m ON m.id = v.model_id"
                   " WHERE m.name = 'm'"),
                 1);
    CHECK_EQ_INT(q("SELECT events FROM versions v JOIN models m ON m.id = v.model_id"
                   " WHERE m.name = 'm'"),
                 3);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM model_settings"), 0);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM events WHERE model_id NOT IN (SELECT id FROM models)"), 0);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM versions WHERE model_id NOT IN (SELECT id FROM models)"),
                 0);
    CHECK_EQ_INT(q("SELECT SUM(events) FROM versions"), 7);
    check_counters();
}

DB_TEST(version_delete_takes_reference_and_evaluations)
{
    insert_committed("m", "v1", "a", 0, 6);
    insert_committed("m", "v2", "b", 0, 6);
    CHECK_EQ_INT(store_w_begin(db.st), 0);
    CHECK_EQ_INT(freeze("m", "v1", 4), 4);
    CHECK_EQ_INT(store_w_put_ref_summary(db.st, "m", "v1", 1, "x", 1), 0);
    CHECK_EQ_INT(store_w_commit(db.st), 0);
    /* three evaluations of v1, two results each; one of v2 */
    sqlite3 *c = side_open();
    sqlite3_exec(
        c,
        "INSERT INTO evaluations (id, version_id, window, computed_at, status, body)"
        " VALUES (1, 1, '1h', 1, 'ok', '{}'), (2, 1, '1h', 2, 'ok', '{}'),"
        " (3, 1, '1h', 3, 'ok', '{}'), (4, 2, '1h', 3, 'ok', '{}');"
        "INSERT INTO drift_results (evaluation_id, version_id, computed_at, signal, method)"
        " VALUES (1, 1, 1, 's', 'ks'), (1, 1, 1, 't', 'ks'), (2, 1, 2, 's', 'ks'),"
        " (2, 1, 2, 't', 'ks'), (3, 1, 3, 's', 'ks'), (3, 1, 3, 't', 'ks'),"
        " (4, 2, 3, 's', 'ks');",
        NULL, NULL, NULL);
    sqlite3_close(c);
    struct store_delete d = {.what = STORE_DELETE_VERSION, .model = "m", .version = "v1"};
    struct store_deleted out;
    CHECK_EQ_INT(batch(&d, &out), 0);
    CHECK_EQ_INT(out.done, 1);
    CHECK_EQ_INT(out.versions, 1);
    CHECK_EQ_INT(out.events, 6);
    CHECK_EQ_INT(out.reference_events, 4);
    CHECK_EQ_INT(out.evaluations, 3);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM evaluations"), 1);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM drift_results"), 1);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM refs"), 0);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM ref_events"), 0);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM ref_summaries"), 0);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM versions"), 1);
    CHECK_EQ_INT(batch(&d, &out), DD_ENOTFOUND);
}

/* the refs row goes last: until then the version has its reference */
static void refs_row_goes_last(int i, const struct store_deleted *out)
{
    (void)i;
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM refs"), out->done ? 0 : 1);
}

DB_TEST(reference_delete_in_batches)
{
    insert_committed("m", "v1", "a", 0, 30);
    CHECK_EQ_INT(store_w_begin(db.st), 0);
    CHECK_EQ_INT(freeze("m", "v1", 25), 25);
    CHECK_EQ_INT(store_w_commit(db.st), 0);
    struct store_delete d = {
        .what = STORE_DELETE_REFERENCE, .model = "m", .version = "v1", .limit = 10};
    struct store_deleted out;
    CHECK_EQ_INT(batches(&d, 5, refs_row_goes_last, &out), 3);
    CHECK_EQ_INT(out.reference_events, 25);
    CHECK_EQ_INT(q("SELECT events FROM versions"), 30); /* the events stay */
    CHECK_EQ_INT(batch(&d, &out), DD_ENOTFOUND);
}

DB_TEST(batches_leave_newer_events_alone)
{
    insert_committed("m", "v1", "a", 0, 10);
    int64_t max_id;
    CHECK_EQ_INT(store_r_max_event_id(db.st, &max_id), 0);
    insert_committed("m", "v1", "late", 100, 5); /* ingest while the delete runs */
    struct store_delete d = {.what = STORE_DELETE_EVENTS,
                             .model = "m",
                             .from_ms = 0,
                             .to_ms = INT64_MAX,
                             .max_event_id = max_id,
                             .limit = 4};
    struct store_deleted out;
    batches(&d, 10, NULL, &out);
    CHECK_EQ_INT(out.events, 10);
    CHECK_EQ_INT(q("SELECT events FROM versions"), 5);
    /* a model delete takes the newer ones in its last batch */
    d.what = STORE_DELETE_MODEL;
    CHECK_EQ_INT(batch(&d, &out), 0);
    CHECK_EQ_INT(out.events, 5);
    CHECK_EQ_INT(out.done, 1);
    CHECK_EQ_INT(q("SELECT COUNT(*) FROM models"), 0);
}

DB_TEST(unknown_targets)
{
    insert_committed("m", "v1", "a", 0, 3);
    struct store_deleted out;
    CHECK_EQ_INT(batch(&(struct store_delete){.what = STORE_DELETE_MODEL, .model = "x"}, &out),
                 DD_ENOTFOUND);
    CHECK_EQ_INT(
        batch(&(struct store_delete){.what = STORE_DELETE_VERSION, .model = "m", .version = "v9"},
              &out),
        DD_ENOTFOUND);
    /* a version without a stored reference */
    CHECK_EQ_INT(
        batch(&(struct store_delete){.what = STORE_DELETE_REFERENCE, .model = "m", .version = "v1"},
              &out),
        DD_ENOTFOUND);
    CHECK_EQ_INT(q("SELECT events FROM versions"), 3);
}

DB_TEST(pages_of_models_and_versions)
{
    const char *names[] = {"c", "a", "e", "b", "d"};
    for (int i = 0; i < 5; i++)
        insert_committed(names[i], "v1", "x", 0, i + 1);
    insert_committed("c", "v0", "y", 0, 2);
    insert_committed("c", "v2", "z", 0, 1);
    struct store_model_info *ms = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_r_models_page(db.st, "", 2, &ms, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(ms[0].name, "a");
    CHECK_EQ_STR(ms[1].name, "b");
    store_models_free(ms, n);
    CHECK_EQ_INT(store_r_models_page(db.st, "b", 2, &ms, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(ms[0].name, "c");
    CHECK_EQ_INT(ms[0].n_versions, 3); /* a page of models holds all their versions */
    CHECK_EQ_INT(ms[0].events, 4);
    CHECK_EQ_STR(ms[1].name, "d");
    store_models_free(ms, n);
    CHECK_EQ_INT(store_r_models_page(db.st, "d", 2, &ms, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(ms[0].name, "e");
    store_models_free(ms, n);
    struct store_model_info *m = NULL;
    CHECK_EQ_INT(store_r_versions_page(db.st, "c", "v0", 1, &m), 0);
    CHECK_EQ_INT(m->n_versions, 1);
    CHECK_EQ_STR(m->versions[0].name, "v1");
    CHECK_EQ_INT(m->versions[0].events, 1);
    store_models_free(m, 1);
    CHECK_EQ_INT(store_r_versions_page(db.st, "c", "v2", 5, &m), 0);
    CHECK_EQ_INT(m->n_versions, 0); /* past the last: the model, no versions */
    store_models_free(m, 1);
    CHECK_EQ_INT(store_r_versions_page(db.st, "nope", "", 5, &m), DD_ENOTFOUND);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(events_range_in_batches_keeps_counters);
    RUN(delete_sees_inserts_of_its_own_transaction);
    RUN(model_delete_then_created_again_in_one_transaction);
    RUN(version_delete_takes_reference_and_evaluations);
    RUN(reference_delete_in_batches);
    RUN(batches_leave_newer_events_alone);
    RUN(unknown_targets);
    RUN(pages_of_models_and_versions);
    CHECK_DONE();
}
