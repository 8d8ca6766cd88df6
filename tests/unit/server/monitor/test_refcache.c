/* Tests server/monitor/refcache.c against a temporary store and writer: a
 * stored reference is prepared once and shared, a new PUT (newer set_at)
 * makes the next get prepare again, a replaced entry lives while borrowed,
 * stored bytes are decoded instead of read again (and unreadable ones
 * prepared again), and the table's bound.  Run under ASan too: every get
 * and put must release cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "ingest/parse.h"
#include "server/monitor/reference.h"
#include "server/monitor/refcache.h"
#include "server/store/store.h"
#include "server/store/writer.h"
#include "check.h"
#include "server/fixture.h"

struct fixture {
    struct tmp_store db; /* with a writer */
    struct refcache *c;
};

static void fixture_open(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    tmp_store_open(&f->db, "refcache", 1);
    f->c = refcache_new(f->db.st, f->db.w);
}

static void fixture_close(struct fixture *f)
{
    refcache_free(f->c);
    tmp_store_close(&f->db);
}

/* n events: confidence, a prediction with its label, a 4-d embedding
 * (dim 0 with embeddings: none). */
static void make_batch(struct dd_batch *b, int n, int dim, double shift)
{
    struct dd_buf s;
    dd_buf_init(&s);
    for (int i = 0; i < n; i++) {
        dd_buf_printf(&s, "{\"confidence\":%.4f,\"prediction\":\"%s\",\"label\":\"cat\"",
                      0.5 + shift + 0.001 * i, i % 3 ? "cat" : "dog");
        if (dim) {
            dd_buf_puts(&s, ",\"embedding\":[");
            for (int j = 0; j < dim; j++)
                dd_buf_printf(&s, "%s%.3f", j ? "," : "", (double)((i * 7 + j * 13) % 17) + shift);
            dd_buf_putc(&s, ']');
        }
        dd_buf_puts(&s, "}\n");
    }
    struct dd_parse_error pe;
    CHECK_EQ_INT(dd_parse_events(s.data, s.len, DD_BODY_NDJSON, b, &pe), 0);
    dd_buf_release(&s);
}

/* PUT of a reference of n events; its set_at. */
static int64_t put_reference(struct fixture *f, const char *model, const char *version, int n,
                             int dim)
{
    struct dd_batch b;
    make_batch(&b, n, dim, 0);
    struct writer_result res;
    writer_submit_reference(f->db.w, model, version, &b, &res);
    CHECK_EQ_INT(res.rc, 0);
    dd_batch_release(&b);
    struct store_reference ref;
    int exists = 0;
    CHECK_EQ_INT(store_r_reference(f->db.st, model, version, &ref, &exists), 0);
    CHECK_EQ_INT(ref.events, n);
    return ref.set_ms;
}

static int has_summary(struct fixture *f, const char *model, const char *version, int64_t set_ms)
{
    char *blob = NULL;
    size_t len = 0;
    int rc = store_r_ref_summary(f->db.st, model, version, set_ms, &blob, &len);
    free(blob);
    return rc == 0 && len > 0;
}

/* Another get of model/version at set gives e again, borrowed by the given
 * number, this get included; the get is put back. */
static void check_same_entry(struct fixture *f, const char *model, const char *version, int64_t set,
                             struct refcache_entry *e, int borrowers)
{
    struct refcache_entry *again = NULL;
    CHECK_EQ_INT(refcache_get(f->c, model, version, set, &again), 0);
    CHECK(again == e);
    CHECK_EQ_INT(e->borrowers, borrowers);
    refcache_put(f->c, again);
}

TEST(prepared_once_and_shared)
{
    struct fixture f;
    fixture_open(&f);
    int64_t set = put_reference(&f, "vit", "v1", 60, 4);
    CHECK(!has_summary(&f, "vit", "v1", set));
    struct refcache_entry *a = NULL, *b = NULL;
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set, &a), 0);
    CHECK(a != NULL);
    CHECK_EQ_INT(a->ref.n_events, 60);
    CHECK(a->ref.has_pca && a->ref.performance != NULL);
    CHECK_EQ_INT(a->set_ms, set);
    CHECK(has_summary(&f, "vit", "v1", set)); /* stored through the writer */
    check_same_entry(&f, "vit", "v1", set, a, 2);
    refcache_put(f.c, a);
    CHECK_EQ_INT(a->borrowers, 0); /* still in the table */
    check_same_entry(&f, "vit", "v1", set, a, 1);
    refcache_put(f.c, NULL);
    /* another version is another entry */
    int64_t set2 = put_reference(&f, "vit", "v2", 30, 4);
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v2", set2, &b), 0);
    CHECK(b != a);
    CHECK_EQ_INT(b->ref.n_events, 30);
    refcache_put(f.c, b);
    /* an unknown version is the store's error */
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v9", 1, &b), DD_ENOTFOUND);
    CHECK_EQ_INT(refcache_get(f.c, "bert", "v1", 1, &b), DD_ENOTFOUND);
    fixture_close(&f);
}

/* A new PUT gives a newer set_at: the next get prepares the new events. */
TEST(new_put_prepares_again)
{
    struct fixture f;
    fixture_open(&f);
    int64_t set1 = put_reference(&f, "vit", "v1", 60, 4);
    struct refcache_entry *a = NULL, *b = NULL;
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set1, &a), 0);
    CHECK_EQ_INT(a->ref.n_events, 60);
    refcache_put(f.c, a);
    int64_t set2 = put_reference(&f, "vit", "v1", 40, 4);
    CHECK(set2 > set1);
    CHECK(!has_summary(&f, "vit", "v1", set2));
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set2, &b), 0);
    CHECK_EQ_INT(b->ref.n_events, 40);
    CHECK_EQ_INT(b->set_ms, set2);
    CHECK(has_summary(&f, "vit", "v1", set2));
    struct refcache_entry *again = NULL;
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set2, &again), 0);
    CHECK(again == b);
    refcache_put(f.c, again);
    refcache_put(f.c, b);
    /* what a PUT handler does: prepared at once, the evaluation borrows it */
    int64_t set3 = put_reference(&f, "vit", "v1", 25, 0);
    refcache_prepare_current(f.c, "vit", "v1");
    CHECK(has_summary(&f, "vit", "v1", set3));
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set3, &a), 0);
    check_same_entry(&f, "vit", "v1", set3, a, 2);
    CHECK_EQ_INT(a->ref.n_events, 25);
    CHECK(!a->ref.has_pca); /* no embeddings */
    refcache_put(f.c, a);
    /* nothing to prepare: no reference, no version */
    refcache_prepare_current(f.c, "vit", "nope");
    refcache_prepare_current(f.c, "nope", "v1");
    fixture_close(&f);
}

/* An entry replaced while borrowed stays readable until given back. */
TEST(replaced_entry_lives_while_borrowed)
{
    struct fixture f;
    fixture_open(&f);
    int64_t set1 = put_reference(&f, "vit", "v1", 60, 4);
    struct refcache_entry *old = NULL, *cur = NULL, *again = NULL;
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set1, &old), 0);
    int64_t set2 = put_reference(&f, "vit", "v1", 40, 4);
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set2, &cur), 0);
    CHECK(cur != old);
    CHECK_EQ_INT(old->stale, 1);
    CHECK_EQ_INT(old->borrowers, 1);
    CHECK_EQ_INT(old->ref.n_events, 60); /* an evaluation in progress reads on */
    CHECK_EQ_INT(cur->stale, 0);
    refcache_put(f.c, old);
    /* a get of the new set_at never gives the stale entry */
    check_same_entry(&f, "vit", "v1", set2, cur, 2);
    refcache_put(f.c, cur);
    /* the next prepare frees both replaced entries (under ASan: once each) */
    int64_t set3 = put_reference(&f, "vit", "v1", 20, 0);
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set3, &again), 0);
    CHECK_EQ_INT(again->ref.n_events, 20);
    refcache_put(f.c, again);
    fixture_close(&f);
}

/* Stored bytes are decoded, not the events read again (a fresh cache, as
 * after a restart); bytes that do not decode are prepared again. */
TEST(stored_summary_decoded)
{
    struct fixture f;
    fixture_open(&f);
    int64_t set = put_reference(&f, "vit", "v1", 60, 4);
    /* the summary of another reference, stored for this one: if the cache
     * decodes what is stored, it has 7 events, not 60 */
    struct dd_batch seven;
    make_batch(&seven, 7, 4, 0.2);
    struct ref_prepared p;
    reference_prepare(&seven, 1, &p);
    struct dd_buf bytes;
    dd_buf_init(&bytes);
    reference_encode(&p, &bytes);
    struct writer_result res;
    writer_submit_ref_summary(f.db.w, "vit", "v1", set, bytes.data, bytes.len, &res);
    CHECK_EQ_INT(res.rc, 0);
    struct refcache_entry *e = NULL;
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set, &e), 0);
    CHECK_EQ_INT(e->ref.n_events, 7);
    refcache_put(f.c, e);
    /* unreadable bytes: prepared again from the events, and stored again */
    refcache_free(f.c);
    f.c = refcache_new(f.db.st, f.db.w);
    writer_submit_ref_summary(f.db.w, "vit", "v1", set, "junk", 4, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set, &e), 0);
    CHECK_EQ_INT(e->ref.n_events, 60);
    CHECK(e->ref.has_pca);
    refcache_put(f.c, e);
    char *blob = NULL;
    size_t len = 0;
    CHECK_EQ_INT(store_r_ref_summary(f.db.st, "vit", "v1", set, &blob, &len), 0);
    CHECK(len > 4);
    free(blob);
    /* a summary of another set_at is not this reference's (a newer one:
     * an older set_at never replaces a stored summary, test_store.c) */
    refcache_free(f.c);
    f.c = refcache_new(f.db.st, f.db.w);
    writer_submit_ref_summary(f.db.w, "vit", "v1", set + 1, bytes.data, bytes.len, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(refcache_get(f.c, "vit", "v1", set, &e), 0);
    CHECK_EQ_INT(e->ref.n_events, 60);
    refcache_put(f.c, e);
    reference_release(&p);
    dd_buf_release(&bytes);
    dd_batch_release(&seven);
    fixture_close(&f);
}

/* At most REFCACHE_MAX entries: with every slot borrowed a new entry is
 * lent out but not kept (freed on put); unborrowed ones are evicted least
 * recently used first. */
TEST(bounded_table)
{
    struct fixture f;
    fixture_open(&f);
    enum { N = REFCACHE_MAX + 1 };
    int64_t set[N];
    struct refcache_entry *e[N];
    char version[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(version[i], sizeof version[i], "v%d", i);
        set[i] = put_reference(&f, "m", version[i], 3, 0);
    }
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(refcache_get(f.c, "m", version[i], set[i], &e[i]), 0);
        CHECK_EQ_INT(e[i]->ref.n_events, 3);
    }
    for (int i = 0; i < REFCACHE_MAX; i++)
        CHECK_EQ_INT(e[i]->stale, 0);
    CHECK_EQ_INT(e[N - 1]->stale, 1); /* not in the table */
    for (int i = 0; i < N; i++)
        refcache_put(f.c, e[i]);
    /* the table still has the first REFCACHE_MAX */
    struct refcache_entry *x = NULL;
    CHECK_EQ_INT(refcache_get(f.c, "m", version[0], set[0], &x), 0);
    CHECK(x == e[0]);
    refcache_put(f.c, x);
    /* the last one now takes the least recently used slot (v1; v0 was just used) */
    CHECK_EQ_INT(refcache_get(f.c, "m", version[N - 1], set[N - 1], &x), 0);
    CHECK_EQ_INT(x->stale, 0);
    refcache_put(f.c, x);
    struct refcache_entry *y = NULL;
    CHECK_EQ_INT(refcache_get(f.c, "m", version[0], set[0], &y), 0);
    CHECK(y == e[0]);
    refcache_put(f.c, y);
    CHECK_EQ_INT(refcache_get(f.c, "m", version[2], set[2], &y), 0);
    CHECK(y == e[2]);
    refcache_put(f.c, y);
    fixture_close(&f);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(prepared_once_and_shared);
    RUN(new_put_prepares_again);
    RUN(replaced_entry_lives_while_borrowed);
    RUN(stored_summary_decoded);
    RUN(bounded_table);
    CHECK_DONE();
}
