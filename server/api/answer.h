/* answer.h — the one mapping from an error code (DD_E*) to its HTTP answer.
 *
 * Every handler that writes through the writer (events, labels, reference
 * PUT, settings PUT) answers a failed job with answer_writer_error(), and a
 * failed read or evaluation with answer_error(), so the same failure gets
 * the same status, API error code and Retry-After everywhere.  A 409
 * conflict of a batch needs the batch (which event, which dimension):
 * handlers answer it themselves before calling this.  (Parse errors carry
 * their own code from ingest/parse.h.)
 *
 * Threading: read-only table; any thread.
 */
#ifndef DD_ANSWER_H
#define DD_ANSWER_H

#include "ingest/parse.h"
#include "server/http/http.h"

#define ANSWER_RETRY_OVERLOAD_S 1 /* the queue drains within a second or so */
#define ANSWER_RETRY_SHUTDOWN_S 5 /* another instance, or this one restarted */
#define ANSWER_RETRY_FULL_S 10    /* someone has to free space: don't hammer */

struct answer_row {
    int rc; /* DD_E*; 0 ends the table (the default row) */
    int status;
    const char *code;    /* docs/api.md error code */
    int retry_after_s;   /* 0: no Retry-After header */
    const char *message; /* NULL: built from the path (not_found) */
};

/* The row for a writer's rc (never 0): the default row (500 internal) for
 * a code not in the table. */
const struct answer_row *answer_lookup(int rc);
/* Sends the answer of answer_lookup(rc) with the caller's message (e.g. the
 * evaluator's error text); the caller just returns. */
void answer_error(struct http_req *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends the answer of answer_lookup(rc) with the table's message; the
 * caller just returns. */
void answer_writer_error(struct http_req *r, int rc);

/* Bits of answer_body_format()'s accepted set. */
#define ANSWER_JSON (1u << DD_BODY_JSON)
#define ANSWER_NDJSON (1u << DD_BODY_NDJSON)
#define ANSWER_CSV (1u << DD_BODY_CSV)
/* The request's body format from its Content-Type: 0 and *fmt when it is one
 * of the accepted set, else answers 415 unsupported_media_type naming the
 * types this endpoint takes, and returns DD_EINVAL (the caller just
 * returns). */
int answer_body_format(struct http_req *r, unsigned accepted, enum dd_body_format *fmt);

/* Every query parameter of the request must be one of `known` (a NULL-ended
 * list; NULL alone: the endpoint takes none) and appear once: 0, or answers
 * 400 invalid_request naming the first that is not ("unknown query
 * parameter 'versoin' (this endpoint takes version, window)") and returns
 * DD_EINVAL (the caller just returns). */
int answer_query_known(struct http_req *r, const char *const *known);

/* ?from=T&to=T, the range from <= ts < to (RFC 3339 times, or epoch
 * milliseconds; a number before 2001 as milliseconds, DD_TS_NUMBER_MIN_MS,
 * is refused as epoch seconds): 0 with the times given in *from and *to
 * (one absent keeps the caller's default, unless `required`), or answers
 * 400 invalid_query naming the parameter and returns -1 (the caller just
 * returns). */
int answer_query_range(struct http_req *r, int required, int64_t *from, int64_t *to);
/* The optional ?limit= of a paged list: 0 with *limit set when it is an
 * integer from 1 to max, 0 and *limit untouched when absent, or answers 400
 * invalid_query ("limit: 'x' is not an integer from 1 to 1000") and returns -1
 * (the caller just returns). */
int answer_query_limit(struct http_req *r, int max, size_t *limit);
/* The optional ?version=: 0 and *out = buf (DD_NAME_MAX + 1 bytes) when
 * given, 0 and *out untouched when absent, or answers 400 invalid_query for
 * a name that is not one and returns -1 (the caller just returns). */
int answer_query_version(struct http_req *r, char *buf, const char **out);

#endif
