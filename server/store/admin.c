/* admin.c — what operators set, and the housekeeping (store.h): API keys
 * (api_keys), per-model settings (model_settings), retention's deletes.
 *
 * Keys are written on a reader connection: `driftd keys` writes them with
 * no writer thread running; the server only reads them.
 */
#include "server/store/store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "server/store/store_int.h"

/* ---- keys ---- */

const char *store_role_name(int role)
{
    switch (role) {
    case DD_ROLE_INGEST:
        return "ingest";
    case DD_ROLE_READ:
        return "read";
    case DD_ROLE_ADMIN:
        return "admin";
    }
    return "?";
}

int store_role_parse(const char *s)
{
    for (int r = DD_ROLE_INGEST; r <= DD_ROLE_ADMIN; r++)
        if (strcmp(s, store_role_name(r)) == 0)
            return r;
    return 0;
}

static void key_row(sqlite3_stmt *st, void *arg)
{
    struct store_key *k = store__rows_push(arg);
    snprintf(k->id, sizeof k->id, "%s", (const char *)sqlite3_column_text(st, 0));
    k->role = store_role_parse((const char *)sqlite3_column_text(st, 1));
    if (sqlite3_column_bytes(st, 2) == 32)
        memcpy(k->hash, sqlite3_column_blob(st, 2), 32);
    k->created_ms = sqlite3_column_int64(st, 3);
    k->revoked_ms = store__col_time(st, 4);
    const char *name = (const char *)sqlite3_column_text(st, 5);
    snprintf(k->name, sizeof k->name, "%s", name ? name : "");
    k->expires_ms = store__col_time(st, 6);
}

int store_keys_list(struct store *s, struct store_key **out, size_t *n)
{
    return store__read_rows(
        s,
        &(struct store__query){.what = "keys list",
                               .sql = "SELECT id, role, hash, created_at, revoked_at, name,"
                                      " expires_at FROM api_keys ORDER BY created_at, id",
                               .row = key_row},
        sizeof **out, NULL, out, n);
}

int store_key_insert(struct store *s, const struct store_key *k)
{
    return store__read(
        s, &(struct store__query){
               .what = "key insert",
               .sql = "INSERT INTO api_keys (id, role, hash, created_at, name, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4, NULLIF(?5, ''), NULLIF(?6, -1))",
               .args = STORE__ARGS(STORE__TEXT(k->id), STORE__TEXT(store_role_name(k->role)),
                                   STORE__BLOB(k->hash, 32), STORE__INT(k->created_ms),
                                   STORE__TEXT(k->name), STORE__INT(k->expires_ms))});
}

int store_key_revoke(struct store *s, const char *id)
{
    int64_t changed = 0;
    int rc = store__read(
        s, &(struct store__query){
               .what = "key revoke",
               .sql = "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
               .args = STORE__ARGS(STORE__TEXT(id), STORE__INT(dd_now_ms())),
               .changes = &changed});
    return rc != 0 ? rc : changed > 0 ? 0 : DD_ENOTFOUND;
}

/* ---- per-model settings ---- */

int store_w_put_settings(struct store *s, const char *model, const char *body)
{
    struct store__model *m = store__model_find(s, model, 1);
    if (!m)
        return store__failure_code(s->w);
    return store__run(
        s->w,
        &(struct store__query){
            .what = "settings put",
            .sql = "INSERT OR REPLACE INTO model_settings (model_id, body, updated_at)"
                   " VALUES (?1, ?2, ?3)",
            .args = STORE__ARGS(STORE__INT(m->id), STORE__TEXT(body), STORE__INT(dd_now_ms()))});
}

int store_r_settings(struct store *s, const char *model, char **body)
{
    return store__read_bytes(
        s,
        &(struct store__query){
            .what = "settings get",
            .sql = "SELECT ms.body FROM model_settings ms JOIN models m ON m.id = ms.model_id"
                   " WHERE m.name = ?1",
            .args = STORE__ARGS(STORE__TEXT(model))},
        body, NULL);
}

/* ---- retention ---- */

static void version_ref_row(sqlite3_stmt *st, void *arg)
{
    struct store_version_ref *v = store__rows_push(arg);
    snprintf(v->model, sizeof v->model, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(v->version, sizeof v->version, "%s", (const char *)sqlite3_column_text(st, 1));
}

int store_r_versions_with_events_before(struct store *s, int64_t cutoff_ms,
                                        struct store_version_ref **out, size_t *n)
{
    /* first_ts is kept by the writer: no event scan */
    return store__read_rows(
        s,
        &(struct store__query){
            .what = "retention versions",
            .sql = "SELECT m.name, v.name FROM versions v JOIN models m ON m.id = v.model_id"
                   " WHERE v.events > 0 AND v.first_ts < ?1",
            .args = STORE__ARGS(STORE__INT(cutoff_ms)),
            .row = version_ref_row},
        sizeof **out, NULL, out, n);
}

int store_w_retention(struct store *s, const char *model, const char *version, int64_t cutoff_ms,
                      size_t limit, size_t refsize, size_t *deleted)
{
    *deleted = 0;
    int64_t vid = store__version_id(s, model, version);
    if (vid < 0)
        return DD_ENOTFOUND;
    /* retention never moves a reference: the automatic one is frozen first */
    int rc = store__freeze_reference(s, vid, refsize, NULL, NULL);
    if (rc != 0 || limit == 0)
        return rc;
    /* the oldest events, as a delete of the range before the cutoff */
    int64_t left = (int64_t)limit, n = 0;
    rc = store__delete_events(s, vid, INT64_MIN, cutoff_ms, 0, &left, &n);
    if (rc == 0)
        *deleted = (size_t)n;
    return rc;
}
