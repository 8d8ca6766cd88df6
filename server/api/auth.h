/* auth.h — API keys: generation, hashing and the role check of each request.
 *
 * Keys are "dd_" + 40 hex characters, shown once at creation; the database
 * keeps only their SHA-256.  A request's bearer key is hashed and compared
 * with every active key's hash in constant time.  Roles: ingest (POST
 * telemetry), read (GET everything), admin (everything).
 *
 * Open mode: with no active key, a server bound to loopback grants admin to
 * everyone (and logs that at start); keys created later with `driftd keys`
 * take effect within AUTH_RELOAD_MS, as do revocations.  The reload that
 * sees the first key arrive on an open server logs a warning (and so does
 * the one that sees the last one revoked).  A key past its expiry
 * (store_key.expires_ms) is refused like a revoked one (401), but still
 * counts as a key: a server whose keys have all expired is not open.
 *
 * Threading: auth_check() may be called from any thread; the key cache is
 * guarded by the auth's mutex.
 */
#ifndef DD_AUTH_H
#define DD_AUTH_H
#include <stddef.h>

#include "server/store/store.h"

#define AUTH_RELOAD_MS 1000
#define AUTH_KEY_LEN 43 /* "dd_" + 40 hex */
/* Basic credentials decoded at most (user:password); a key is 43 bytes */
#define AUTH_BASIC_MAX 512

struct auth;

int auth_new(struct store *st, int loopback, struct auth **out);
void auth_free(struct auth *a);
/* 1 when no active key exists (open mode). */
int auth_is_open(struct auth *a);

enum auth_verdict { AUTH_OK = 0, AUTH_UNAUTHORIZED = -1, AUTH_FORBIDDEN = -2 };
/* Checks an Authorization header value (may be NULL) against the role a
 * route needs; *granted gets the key's role.  The key is taken from
 * "Bearer KEY", or as the password of "Basic base64(user:KEY)" (any user
 * name: Grafana's basic auth). */
enum auth_verdict auth_check(struct auth *a, const char *authorization, int need, int *granted);

/* Makes a new key: writes the secret into key[AUTH_KEY_LEN + 1] and fills
 * k (id, role, hash, created; no name, no expiry).  0 or DD_EIO (no
 * randomness). */
int auth_key_generate(int role, char *key, struct store_key *k);

#endif
