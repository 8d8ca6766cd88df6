/* auth.c — key cache and checks (auth.h). */
#include "server/api/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/err.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/timefmt.h"

struct auth {
    struct store *st;
    int loopback;
    pthread_mutex_t mu;     /* guards everything below */
    struct store_key *keys; /* keys not revoked (expired ones included: they close
                             * open mode, and are refused by auth_check()) */
    size_t n_keys;
    int64_t loaded_ns; /* CLOCK_MONOTONIC: a wall-clock step must not delay a reload */
    int loaded;        /* a reload has succeeded once: later ones log open-mode changes */
};

static void reload_locked(struct auth *a)
{
    struct store_key *all = NULL;
    size_t n = 0;
    if (store_keys_list(a->st, &all, &n) != 0)
        return; /* keep the old set; the store logged why */
    size_t active = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].revoked_ms < 0)
            all[active++] = all[i];
    /* open mode ends (or comes back) with no restart: say so, once */
    if (a->loaded && a->loopback && a->n_keys == 0 && active > 0)
        dd_warn("the first API key was created: the API now requires a key (was open)",
                "key=%s role=%s", all[0].id, store_role_name(all[0].role));
    else if (a->loaded && a->loopback && a->n_keys > 0 && active == 0)
        dd_warn("no API key is left: every request is allowed again (open mode on loopback)",
                "db=\"%s\"", store_path(a->st));
    free(a->keys);
    a->keys = all;
    a->n_keys = active;
    a->loaded_ns = dd_mono_ns();
    a->loaded = 1;
}

int auth_new(struct store *st, int loopback, struct auth **out)
{
    struct auth *a = dd_calloc(1, sizeof *a);
    a->st = st;
    a->loopback = loopback;
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_lock(&a->mu);
    reload_locked(a);
    pthread_mutex_unlock(&a->mu);
    *out = a;
    return 0;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->mu);
    free(a->keys);
    free(a);
}

static void refresh(struct auth *a)
{
    if (dd_mono_ns() - a->loaded_ns >= (int64_t)AUTH_RELOAD_MS * 1000000)
        reload_locked(a);
}

int auth_is_open(struct auth *a)
{
    pthread_mutex_lock(&a->mu);
    refresh(a);
    int open = a->n_keys == 0 && a->loopback;
    pthread_mutex_unlock(&a->mu);
    return open;
}

static int allows(int have, int need)
{
    return have == DD_ROLE_ADMIN || have == need;
}

/* The key an Authorization value carries: a Bearer token, or the password
 * of Basic credentials (RFC 7617; the user name is ignored), which is how
 * Grafana's basic-auth setting sends it.  NULL when neither; a Basic
 * password is decoded into buf. */
static const char *key_of(const char *authz, char *buf, size_t size)
{
    /* RFC 7235 §2.1: the scheme is case-insensitive; spaces after it are skipped */
    int bearer = authz && strncasecmp(authz, "Bearer", 6) == 0;
    int basic = authz && strncasecmp(authz, "Basic", 5) == 0;
    if (!bearer && !basic)
        return NULL;
    const char *p = authz + (bearer ? 6 : 5);
    if (*p != ' ' && *p != '\t')
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (bearer)
        return p;
    size_t n = strcspn(p, " \t");
    size_t len = 0;
    if (n == 0 || DD_BASE64_DECODED_MAX(n) >= size ||
        dd_base64_decode(p, n, (uint8_t *)buf, &len) != 0)
        return NULL;
    buf[len] = '\0';
    const char *colon = memchr(buf, ':', len);
    return colon && strlen(buf) == len ? colon + 1 : NULL;
}

enum auth_verdict auth_check(struct auth *a, const char *authz, int need, int *granted)
{
    uint8_t hash[DD_SHA256_LEN];
    int have = 0;
    char basic[AUTH_BASIC_MAX];
    const char *token = key_of(authz, basic, sizeof basic);
    int has_token = token && *token;
    if (has_token)
        dd_sha256(token, strlen(token), hash);
    pthread_mutex_lock(&a->mu);
    refresh(a);
    if (a->n_keys == 0 && a->loopback) {
        pthread_mutex_unlock(&a->mu);
        *granted = DD_ROLE_ADMIN;
        return AUTH_OK;
    }
    int64_t now = dd_now_ms();
    if (has_token)
        for (size_t i = 0; i < a->n_keys; i++) /* no early exit: same time for every key */
            if (dd_ct_compare(hash, a->keys[i].hash, DD_SHA256_LEN) == 0)
                /* an expired key is refused like a revoked one */
                have = a->keys[i].expires_ms >= 0 && now >= a->keys[i].expires_ms ? 0
                                                                                  : a->keys[i].role;
    pthread_mutex_unlock(&a->mu);
    *granted = have;
    if (!have)
        return AUTH_UNAUTHORIZED;
    return allows(have, need) ? AUTH_OK : AUTH_FORBIDDEN;
}

int auth_key_generate(int role, char *key, struct store_key *k)
{
    uint8_t secret[20], idb[5];
    if (getrandom(secret, sizeof secret, 0) != sizeof secret ||
        getrandom(idb, sizeof idb, 0) != sizeof idb)
        return DD_EIO;
    memcpy(key, "dd_", 3);
    dd_hex(secret, sizeof secret, key + 3);
    memset(k, 0, sizeof *k);
    memcpy(k->id, "key_", 4);
    dd_hex(idb, sizeof idb, k->id + 4);
    k->role = role;
    dd_sha256(key, AUTH_KEY_LEN, k->hash);
    k->created_ms = dd_now_ms();
    k->revoked_ms = -1;
    k->expires_ms = -1;
    return 0;
}
