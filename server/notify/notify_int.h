/* notify_int.h — what server/notify/'s files share and nobody else may call.
 *
 * Each receiver kind is one struct notify__backend in its own file (curl's TLS
 * back-ends): notify_render() in notify.c looks the kind up in notify__backends[]
 * and calls its render.  The helpers below build a struct notify_request and
 * the JSON pieces every payload shares.  Threading: all pure, thread-safe.
 */
#ifndef DD_NOTIFY_INT_H
#define DD_NOTIFY_INT_H
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* notify.h's types, declared only (a header of the same module may not be
 * included back: scripts/check_includes.py refuses the cycle) */
struct notify_receiver;
struct notify_message;
struct notify_request;
struct notify_pair;

struct notify__backend {
    int kind;         /* enum notify_kind */
    const char *name; /* the receiver JSON's "type" */
    /* renders m for r at now_ms into out (already notify__req_init()ed):
     * 0, NOTIFY_NOTHING_TO_SEND (out->reason set) or DD_EINVAL */
    int (*render)(const struct notify_receiver *r, const struct notify_message *m, int64_t now_ms,
                  struct notify_request *out);
};

extern const struct notify__backend notify__pagerduty;
extern const struct notify__backend notify__webhook;
extern const struct notify__backend notify__mlflow;
extern const struct notify__backend notify__torchserve;
extern const struct notify__backend notify__github;
/* indexed by enum notify_kind */
extern const struct notify__backend *const notify__backends[]; /* NOTIFY_KINDS */

/* ---- building a request (notify.c) ---- */

void notify__req_method(struct notify_request *req, const char *method);
/* Appends a header (copied); silently ignores more than the array holds,
 * which the receiver limits make impossible. */
void notify__req_header(struct notify_request *req, const char *name, const char *value);
/* "Authorization: Bearer <token>" when token is set. */
void notify__req_bearer(struct notify_request *req, const char *token);
/* Takes b's bytes as the body (b is empty after). */
void notify__req_body(struct notify_request *req, struct dd_buf *b);
/* Takes b's bytes as the URL. */
void notify__req_url(struct notify_request *req, struct dd_buf *b);
int notify__nothing(struct notify_request *req, const char *reason);
/* Frees the names and values of p[0..n) and then p (NULL-safe). */
void notify__pairs_free(struct notify_pair *p, size_t n);

/* base without its trailing slashes */
void notify__url_base(struct dd_buf *b, const char *base);
/* one percent-encoded path segment or query value (RFC 3986 unreserved kept) */
void notify__url_escape(struct dd_buf *b, const char *s);
/* 1 when s may be a path segment: non-empty, not "." or ".." */
int notify__segment_ok(const char *s);
/* the target's name for a driftd version: the versions map's, else the version */
const char *notify__map_version(const struct notify_receiver *r, const char *version);

/* ---- JSON pieces (notify.c) ---- */

const char *notify__event_name(int e);    /* firing | resolved | test */
const char *notify__severity_name(int s); /* critical | ... | info */
/* "key": the string or null */
void notify__json_kstr_or_null(struct dd_buf *b, int *first, const char *key, const char *s);
/* "key": {"from": T, "to": T} */
void notify__json_kwindow(struct dd_buf *b, int *first, const char *key, int64_t from_ms,
                          int64_t to_ms);
/* "key": {"current": N, "reference": N} (null for -1) */
void notify__json_kevents(struct dd_buf *b, int *first, const char *key,
                          const struct notify_message *m);
/* the members the driftd webhook and the GitHub payload share: "alert": {...} */
void notify__json_alert(struct dd_buf *b, int *first, const struct notify_message *m);
/* "action": {...} for the receiver's action */
void notify__json_action(struct dd_buf *b, int *first, const struct notify_receiver *r,
                         const struct notify_message *m);

#endif
