/* Tests server/api/auth.c against a temporary store: open mode (loopback,
 * no key) and closed mode, each role against each need, unknown and missing
 * keys, the Bearer scheme's spelling, and keys created or revoked while the
 * auth runs (seen after AUTH_RELOAD_MS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "server/api/auth.h"
#include "server/store/store.h"
#include "check.h"
#include "server/fixture.h"

struct fixture {
    struct tmp_store db;
    struct auth *auth;
    char key[AUTH_KEY_LEN + 1]; /* the key of fixture_with_key() */
    struct store_key k;
};

static void fixture_open(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    tmp_store_open(&f->db, "auth", 0);
}

static void fixture_close(struct fixture *f)
{
    auth_free(f->auth);
    tmp_store_close(&f->db);
}

/* What `driftd keys create` does: a new key stored; its secret in key. */
static void add_key(struct fixture *f, int role, char key[AUTH_KEY_LEN + 1], struct store_key *k)
{
    CHECK_EQ_INT(auth_key_generate(role, key, k), 0);
    CHECK_EQ_INT(strlen(key), AUTH_KEY_LEN);
    CHECK(strncmp(key, "dd_", 3) == 0);
    CHECK_EQ_INT(store_key_insert(f->db.st, k), 0);
}

/* A fixture whose auth starts on an empty key table: open on loopback only. */
static void fixture_with_auth(struct fixture *f, int loopback)
{
    fixture_open(f);
    CHECK_EQ_INT(auth_new(f->db.st, loopback, &f->auth), 0);
    CHECK_EQ_INT(auth_is_open(f->auth), loopback);
}

/* A fixture with one stored key of role (f->key, f->k), then the auth. */
static void fixture_with_key(struct fixture *f, int role, int loopback)
{
    fixture_open(f);
    add_key(f, role, f->key, &f->k);
    CHECK_EQ_INT(auth_new(f->db.st, loopback, &f->auth), 0);
}

static void bearer(char *out, size_t outsz, const char *key)
{
    snprintf(out, outsz, "Bearer %.*s", AUTH_KEY_LEN, key);
}

/* One check: the verdict and, when not refused outright, the role. */
static void check_auth(struct auth *a, const char *authz, int need, enum auth_verdict want,
                       int want_role)
{
    int granted = -1;
    enum auth_verdict v = auth_check(a, authz, need, &granted);
    if (v != want || granted != want_role)
        fprintf(stderr, "  with Authorization '%s', need %s:\n", authz ? authz : "(none)",
                store_role_name(need));
    CHECK_EQ_INT(v, want);
    CHECK_EQ_INT(granted, want_role);
}

static void sleep_past_reload(void)
{
    usleep((AUTH_RELOAD_MS + 150) * 1000);
}

static const int roles[] = {DD_ROLE_INGEST, DD_ROLE_READ, DD_ROLE_ADMIN};

TEST(open_on_loopback)
{
    struct fixture f;
    fixture_with_auth(&f, 1);
    for (int i = 0; i < 3; i++) {
        check_auth(f.auth, NULL, roles[i], AUTH_OK, DD_ROLE_ADMIN);
        check_auth(f.auth, "Bearer dd_nothing", roles[i], AUTH_OK, DD_ROLE_ADMIN);
        check_auth(f.auth, "Basic eHl6", roles[i], AUTH_OK, DD_ROLE_ADMIN);
    }
    fixture_close(&f);
}

TEST(closed_off_loopback)
{
    struct fixture f;
    fixture_with_auth(&f, 0);
    for (int i = 0; i < 3; i++) {
        check_auth(f.auth, NULL, roles[i], AUTH_UNAUTHORIZED, 0);
        check_auth(f.auth, "Bearer dd_0000000000000000000000000000000000000000", roles[i],
                   AUTH_UNAUTHORIZED, 0);
    }
    fixture_close(&f);
}

/* admin may do everything, ingest only ingest, read only read; on
 * loopback too, since a key exists. */
TEST(role_against_need)
{
    for (int loopback = 0; loopback <= 1; loopback++) {
        struct fixture f;
        fixture_open(&f);
        char keys[3][AUTH_KEY_LEN + 1];
        struct store_key k[3];
        for (int i = 0; i < 3; i++)
            add_key(&f, roles[i], keys[i], &k[i]);
        CHECK(strcmp(k[0].id, k[1].id) != 0 && strcmp(keys[0], keys[1]) != 0);
        CHECK_EQ_INT(auth_new(f.db.st, loopback, &f.auth), 0);
        CHECK_EQ_INT(auth_is_open(f.auth), 0);
        for (int have = 0; have < 3; have++)
            for (int need = 0; need < 3; need++) {
                char h[80];
                bearer(h, sizeof h, keys[have]);
                int ok = roles[have] == DD_ROLE_ADMIN || roles[have] == roles[need];
                check_auth(f.auth, h, roles[need], ok ? AUTH_OK : AUTH_FORBIDDEN, roles[have]);
            }
        fixture_close(&f);
    }
}

TEST(unknown_or_missing_key)
{
    struct fixture f;
    fixture_with_key(&f, DD_ROLE_ADMIN, 1);
    const char *key = f.key;
    char other[AUTH_KEY_LEN + 1], h[80];
    struct store_key ko;
    CHECK_EQ_INT(auth_key_generate(DD_ROLE_ADMIN, other, &ko), 0); /* never stored */
    bearer(h, sizeof h, other);
    check_auth(f.auth, h, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    /* one character off */
    bearer(h, sizeof h, key);
    h[strlen(h) - 1] = h[strlen(h) - 1] == '0' ? '1' : '0';
    check_auth(f.auth, h, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    /* a prefix, and the key with something after it */
    bearer(h, sizeof h, key);
    h[strlen(h) - 1] = '\0';
    check_auth(f.auth, h, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    snprintf(h, sizeof h, "Bearer %sx", key);
    check_auth(f.auth, h, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    /* no header, an empty one, a scheme without a key */
    check_auth(f.auth, NULL, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    check_auth(f.auth, "", DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    check_auth(f.auth, "Bearer", DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    check_auth(f.auth, "Bearer ", DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    check_auth(f.auth, "Bearer \t ", DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    /* the bare key, without a scheme */
    check_auth(f.auth, key, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    fixture_close(&f);
}

/* RFC 7235: the scheme in any case, any spaces after it; Basic is no key. */
TEST(bearer_spelling)
{
    struct fixture f;
    fixture_with_key(&f, DD_ROLE_READ, 0);
    const char *key = f.key;
    char h[80];
    const char *ok[] = {"Bearer %s",   "bearer %s",  "BEARER %s",   "bEaReR %s",
                        "Bearer   %s", "Bearer\t%s", "Bearer \t %s"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(h, sizeof h, ok[i], key);
        check_auth(f.auth, h, DD_ROLE_READ, AUTH_OK, DD_ROLE_READ);
    }
    const char *refused[] = {"Basic %s", "Basic eHl6", "Bearer%s",  "Bearerx %s",
                             "Token %s", " Bearer %s", "Bearer: %s"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(h, sizeof h, refused[i], key);
        check_auth(f.auth, h, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    }
    fixture_close(&f);
}

/* A key created while the auth runs closes open mode within the interval. */
TEST(key_created_later)
{
    struct fixture f;
    fixture_with_auth(&f, 1);
    char key[AUTH_KEY_LEN + 1], h[80];
    struct store_key k;
    add_key(&f, DD_ROLE_INGEST, key, &k);
    sleep_past_reload();
    CHECK_EQ_INT(auth_is_open(f.auth), 0);
    check_auth(f.auth, NULL, DD_ROLE_INGEST, AUTH_UNAUTHORIZED, 0);
    bearer(h, sizeof h, key);
    check_auth(f.auth, h, DD_ROLE_INGEST, AUTH_OK, DD_ROLE_INGEST);
    check_auth(f.auth, h, DD_ROLE_READ, AUTH_FORBIDDEN, DD_ROLE_INGEST);
    fixture_close(&f);
}

/* A revoked key is refused once the cache reloads; the others still work. */
TEST(revoked_key)
{
    struct fixture f;
    fixture_open(&f);
    char key[AUTH_KEY_LEN + 1], keep[AUTH_KEY_LEN + 1], h[80], hk[80];
    struct store_key k, kk;
    add_key(&f, DD_ROLE_ADMIN, key, &k);
    add_key(&f, DD_ROLE_READ, keep, &kk);
    int64_t t0 = dd_now_ms();
    CHECK_EQ_INT(auth_new(f.db.st, 0, &f.auth), 0);
    bearer(h, sizeof h, key);
    bearer(hk, sizeof hk, keep);
    check_auth(f.auth, h, DD_ROLE_ADMIN, AUTH_OK, DD_ROLE_ADMIN);
    CHECK_EQ_INT(store_key_revoke(f.db.st, k.id), 0);
    /* still cached until the interval has passed (checked only if it has not) */
    int granted = 0;
    enum auth_verdict v = auth_check(f.auth, h, DD_ROLE_ADMIN, &granted);
    if (dd_now_ms() - t0 < AUTH_RELOAD_MS - 100)
        CHECK_EQ_INT(v, AUTH_OK);
    sleep_past_reload();
    check_auth(f.auth, h, DD_ROLE_ADMIN, AUTH_UNAUTHORIZED, 0);
    check_auth(f.auth, h, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    check_auth(f.auth, hk, DD_ROLE_READ, AUTH_OK, DD_ROLE_READ);
    CHECK_EQ_INT(auth_is_open(f.auth), 0);
    /* revoking the last key closes nothing off loopback */
    CHECK_EQ_INT(store_key_revoke(f.db.st, kk.id), 0);
    sleep_past_reload();
    check_auth(f.auth, hk, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    check_auth(f.auth, NULL, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    fixture_close(&f);
}

/* Documented (auth.h "open mode"): on loopback, revoking the last active
 * key opens the server again, to every caller. */
TEST(last_key_revoked_on_loopback)
{
    struct fixture f;
    fixture_with_key(&f, DD_ROLE_INGEST, 1);
    char h[80];
    check_auth(f.auth, NULL, DD_ROLE_READ, AUTH_UNAUTHORIZED, 0);
    CHECK_EQ_INT(store_key_revoke(f.db.st, f.k.id), 0);
    sleep_past_reload();
    CHECK_EQ_INT(auth_is_open(f.auth), 1);
    bearer(h, sizeof h, f.key);
    check_auth(f.auth, h, DD_ROLE_ADMIN, AUTH_OK, DD_ROLE_ADMIN);
    fixture_close(&f);
}

TEST(key_generation)
{
    char a[AUTH_KEY_LEN + 1], b[AUTH_KEY_LEN + 1];
    struct store_key ka, kb;
    CHECK_EQ_INT(auth_key_generate(DD_ROLE_READ, a, &ka), 0);
    CHECK_EQ_INT(auth_key_generate(DD_ROLE_READ, b, &kb), 0);
    CHECK(strcmp(a, b) != 0 && strcmp(ka.id, kb.id) != 0);
    CHECK(memcmp(ka.hash, kb.hash, sizeof ka.hash) != 0);
    CHECK_EQ_INT(strspn(a + 3, "0123456789abcdef"), 40);
    CHECK(!strncmp(ka.id, "key_", 4) && strlen(ka.id) == 14);
    CHECK_EQ_INT(ka.role, DD_ROLE_READ);
    CHECK_EQ_INT(ka.revoked_ms, -1);
    CHECK(ka.created_ms > 0);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(open_on_loopback);
    RUN(closed_off_loopback);
    RUN(role_against_need);
    RUN(unknown_or_missing_key);
    RUN(bearer_spelling);
    RUN(key_created_later);
    RUN(revoked_key);
    RUN(last_key_revoked_on_loopback);
    RUN(key_generation);
    CHECK_DONE();
}
