/* notify.h — alert deliveries: receivers, messages, rendering, sending, retry policy.
 *
 * The one interface of server/notify/.  A receiver (PagerDuty, a signed webhook,
 * an MLflow alias, a TorchServe default version, a GitHub repository_dispatch) is
 * a plain struct parsed from the receiver JSON of POST /api/v1/receivers.  A
 * message is what one notification says about one alert.  Delivery is four steps,
 * each usable alone, so the caller (the rules engine, its outbox and its worker)
 * decides when each runs:
 *
 *   notify_receiver_parse()   receiver JSON -> struct notify_receiver (validated)
 *   notify_render()           receiver + message + now -> the exact HTTP request
 *                             (pure: no network, no clock, no randomness)
 *   notify_send()             one attempt over libcurl -> status, Retry-After, body
 *   notify_classify()         the answer -> delivered | retry at T | give up
 *                             (pure policy: exponential backoff, full jitter)
 *
 * Render at delivery time from the stored message: the message id (webhook-id)
 * stays the same on every retry, while webhook-timestamp and the signature are
 * those of the attempt.  Each kind lives in its own file behind
 * struct notify__backend (notify_int.h): pagerduty.c, webhook.c (driftd and
 * Alertmanager formats), mlflow.c, torchserve.c, github.c.  This room is the only
 * libcurl user and depends on base/ only: it never reads the database or a clock
 * of its own except inside notify_send().  docs/notify.md describes the payloads.
 *
 * Threading: everything is thread-safe.  Receivers, messages and requests are
 * plain values owned by the caller; notify_send() uses one curl easy handle per
 * call and initialises libcurl once (pthread_once), so any number of worker
 * threads may send at the same time.
 */
#ifndef DD_NOTIFY_H
#define DD_NOTIFY_H
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* ---- receivers ---- */

enum notify_kind {
    NOTIFY_PAGERDUTY,  /* Events API v2 */
    NOTIFY_WEBHOOK,    /* driftd JSON or Alertmanager v4, Standard Webhooks signature */
    NOTIFY_MLFLOW,     /* rollback: re-point a registered model's alias */
    NOTIFY_TORCHSERVE, /* rollback: make a version TorchServe's default */
    NOTIFY_GITHUB,     /* retrain (or rollback): a repository_dispatch */
};
#define NOTIFY_KINDS 5

enum notify_format { NOTIFY_FORMAT_DRIFTD, NOTIFY_FORMAT_ALERTMANAGER };
enum notify_action { NOTIFY_ACTION_NOTIFY, NOTIFY_ACTION_ROLLBACK, NOTIFY_ACTION_RETRAIN };

/* Size limits of a receiver, checked by notify_receiver_parse(). */
#define NOTIFY_ID_MAX 64         /* receiver ids: [A-Za-z0-9._-]{1,64}, they appear in URLs */
#define NOTIFY_URL_MAX 2048      /* what every HTTP client and proxy accepts */
#define NOTIFY_VALUE_MAX 1024    /* a header value, a token, a model or alias name */
#define NOTIFY_HEADERS_MAX 16    /* static headers of a webhook */
#define NOTIFY_VERSIONS_MAX 1024 /* entries of a versions map */

/* A name/value pair: a static header, a versions-map entry, a label. */
struct notify_pair {
    char *name;
    char *value;
};

/* Appends "key": {"name": "value", ...} of p[0..n) as one object member
 * (dd_json_key()'s first): the labels and maps of every payload, and the
 * monitor's rule labels. */
void notify_json_kpairs(struct dd_buf *b, int *first, const char *key, const struct notify_pair *p,
                        size_t n);

/* A parsed receiver.  Every string is owned (notify_receiver_release()) and NULL
 * when absent; defaults are already applied by notify_receiver_parse(). */
struct notify_receiver {
    enum notify_kind kind;
    char *id;
    /* pagerduty: the enqueue URL (default https://events.pagerduty.com/v2/enqueue);
     * webhook: the target; mlflow: the tracking server; github: the API base
     * (default https://api.github.com); torchserve: the JSON's management_url */
    char *url;
    char *routing_key;           /* pagerduty (required) */
    char *secret;                /* webhook: "whsec_<base64>" -> Standard Webhooks signature */
    char *token;                 /* mlflow, torchserve (optional), github (required): Bearer */
    struct notify_pair *headers; /* webhook: static headers, sent as given */
    size_t n_headers;
    enum notify_format format; /* webhook */
    enum notify_action action; /* default: notify; mlflow, torchserve: rollback; github: retrain */
    char *registered_model;    /* mlflow; NULL: the alert's model */
    char *alias;               /* mlflow; default "champion" */
    struct notify_pair *versions; /* mlflow, torchserve: driftd version -> target's version */
    size_t n_versions;
    char *model_name; /* torchserve; NULL: the alert's model */
    char *repository; /* github: "owner/repo" */
    char *event_type; /* github; default "driftd-retrain" */
};

/* Parses and validates one receiver JSON object (the POST /api/v1/receivers
 * body).  0 and *out (release it), or DD_EINVAL with a message naming the
 * member in err ("routing_key: required for a pagerduty receiver",
 * "url: must start with http:// or https://", "colour: unknown member of a
 * webhook receiver"); *out is untouched on error. */
int notify_receiver_parse(const char *json, size_t len, struct notify_receiver *out, char *err,
                          size_t errlen);
/* Appends the receiver as JSON, the shape notify_receiver_parse() reads.  With
 * show_secrets 0 (every API answer) secret, token and routing_key read "set";
 * with 1 (storing it) their values, so that parse(json(r, 1)) gives r back. */
void notify_receiver_json(const struct notify_receiver *r, int show_secrets, struct dd_buf *out);
/* Frees what r owns and zeroes it; NULL-safe. */
void notify_receiver_release(struct notify_receiver *r);

const char *notify_kind_name(enum notify_kind kind);
const char *notify_action_name(enum notify_action action);

/* ---- messages ---- */

enum notify_event { NOTIFY_EVENT_FIRING, NOTIFY_EVENT_RESOLVED, NOTIFY_EVENT_TEST };
enum notify_severity {
    NOTIFY_SEV_CRITICAL,
    NOTIFY_SEV_ERROR,
    NOTIFY_SEV_WARNING,
    NOTIFY_SEV_INFO,
};

#define NOTIFY_MSG_ID_LEN 36    /* "msg_" + 32 hex; +1 for the NUL */
#define NOTIFY_KEY_MAX 255      /* PagerDuty's dedup_key limit */
#define NOTIFY_SUMMARY_MAX 1024 /* PagerDuty's payload.summary limit, in bytes here */
#define NOTIFY_BODY_KEEP 1024   /* bytes of an answer's body kept by notify_send() */
#define NOTIFY_SIGNATURE_LEN 47 /* "v1," + 44 base64 chars; +1 for the NUL */
#define NOTIFY_DEFAULT_MAX_AGE_MS (24LL * 3600 * 1000)

/* What one notification says about one alert.  A view: every pointer is
 * borrowed from the caller (the outbox row it was built from) and only read
 * during notify_render().  Strings may be NULL when unknown; numbers are NAN
 * and times -1 when unknown. */
struct notify_message {
    const char *id; /* "msg_<hex>" (notify_message_id()); the same on every retry */
    enum notify_event event;
    const char *alert_key; /* dedup_key: stable per rule+model+version (notify_alert_key()) */
    const char *rule;
    const char *model;   /* required */
    const char *version; /* required for firing and resolved */
    const char *signal;  /* NULL: the condition is on the version's verdict */
    const char *method;  /* "ks", "psi", ... */
    enum notify_severity severity;
    const char *condition; /* the rule's condition text, "p_value < 0.01" */
    double value;          /* the value the condition compared */
    double threshold;      /* the condition's bound */
    double p_value;
    double statistic;
    int64_t window_from_ms, window_to_ms;     /* the evaluated window */
    int64_t events_current, events_reference; /* -1 when unknown */
    int64_t started_at_ms;                    /* when the alert fired */
    int64_t resolved_at_ms;                   /* -1 while firing */
    const struct notify_pair *labels;         /* the rule's labels */
    size_t n_labels;
    const char *report_url;   /* the drift report a person should open */
    const char *external_url; /* driftd's own base URL (Alertmanager externalURL) */
    const char *source;       /* PagerDuty payload.source; NULL: "driftd" */
    /* action facts; which one is acted on is the receiver's action */
    const char *rollback_to;     /* the version to roll back to; NULL: none */
    const char *rollback_reason; /* why there is none ("no other version without drift") */
    const char *export_url;      /* events of the drifted window, for retraining */
    int64_t export_from_ms, export_to_ms;
    const char *summary; /* NULL: notify_summary() writes the sentence */
};

/* A message with every field unknown/empty (NAN numbers, -1 times and counts). */
void notify_message_init(struct notify_message *m);
/* "msg_" + the 16 random bytes in hex: a new message id, made once when the
 * notification is queued and stored with it. */
void notify_message_id(const uint8_t random[16], char out[NOTIFY_MSG_ID_LEN + 1]);
/* The alert's stable key, at most NOTIFY_KEY_MAX chars:
 * "driftd/<rule>/<model>/<version>", or "driftd/sha256:<hex>" of the same when
 * that would be longer. */
void notify_alert_key(const char *rule, const char *model, const char *version,
                      char out[NOTIFY_KEY_MAX + 1]);
/* The one-sentence summary (m->summary if set), at most NOTIFY_SUMMARY_MAX bytes,
 * cut at a character boundary.  Returns out. */
const char *notify_summary(const struct notify_message *m, char out[NOTIFY_SUMMARY_MAX + 1]);

/* ---- stored messages (message.c) ---- */

/* A message read back by notify_message_parse(): m points into what this
 * struct owns (notify_message_release()). */
struct notify_message_owned {
    struct notify_message m;
    char **strings; /* every string m points to, freed by the release */
    size_t n_strings;
    struct notify_pair *labels; /* m.labels */
};

/* Appends m as one JSON object, the outbox's `message` column: every field of
 * struct notify_message under its own name (times and counts as integers,
 * labels as an object in order; a NULL string, a NAN number and a -1 time or
 * count as null).  notify_message_parse() gives back an equal message. */
void notify_message_json(const struct notify_message *m, struct dd_buf *out);
/* Reads what notify_message_json() wrote.  Members absent or null are unknown
 * (NULL, NAN, -1); unknown members are ignored (a newer writer).  0 and *out
 * (release it), or DD_EINVAL with the member named in err ("severity: unknown
 * value", "message: not a JSON object"); on error *out holds nothing to free
 * (releasing it is harmless). */
int notify_message_parse(const char *json, size_t len, struct notify_message_owned *out, char *err,
                         size_t errlen);
/* Frees what out owns and zeroes it; NULL-safe. */
void notify_message_release(struct notify_message_owned *out);
/* "firing" | "resolved" | "test", and back (-1: none of them). */
const char *notify_event_name(enum notify_event e);
int notify_event_from_name(const char *name);
/* "critical" | "error" | "warning" | "info", and back (-1: none of them). */
const char *notify_severity_name(enum notify_severity s);
int notify_severity_from_name(const char *name);

/* ---- rendering ---- */

#define NOTIFY_REQUEST_HEADERS_MAX (NOTIFY_HEADERS_MAX + 8)

/* One HTTP request, exactly as it is to be sent.  Owned by whoever called
 * notify_render(): notify_request_release(). */
struct notify_request {
    char method[8];                                         /* "POST", "PUT", "GET" */
    char *url;                                              /* the full URL */
    struct notify_pair headers[NOTIFY_REQUEST_HEADERS_MAX]; /* in sending order */
    size_t n_headers;
    char *body; /* NULL: no body */
    size_t body_len;
    const char *reason; /* NOTIFY_NOTHING_TO_SEND: why (a static string) */
};

/* notify_render() found nothing to send for this receiver and message (an
 * MLflow receiver and a message without a rollback target, a resolved alert
 * for a rollback receiver): not an error; out->reason says why. */
#define NOTIFY_NOTHING_TO_SEND 1

/* Renders what r sends for m at now_ms (the attempt's time: webhook-timestamp).
 * 0 and *out (release it); NOTIFY_NOTHING_TO_SEND with only out->reason set
 * (release it all the same); DD_EINVAL when m lacks what r needs (no id,
 * alert key or model; a version "." or ".." for a URL path). */
int notify_render(const struct notify_receiver *r, const struct notify_message *m, int64_t now_ms,
                  struct notify_request *out);
/* Frees what req owns; NULL-safe. */
void notify_request_release(struct notify_request *req);

/* The Standard Webhooks signature "v1,<base64 HMAC-SHA256>" of
 * "<msg_id>.<timestamp>.<body>" with the key of secret ("whsec_<base64>").
 * 0, or DD_EINVAL for a secret that is not whsec_ and base64. */
int notify_sign(const char *secret, const char *msg_id, int64_t timestamp_s, const void *body,
                size_t body_len, char out[NOTIFY_SIGNATURE_LEN + 1]);

/* ---- sending ---- */

#define NOTIFY_CONNECT_TIMEOUT_MS 5000
#define NOTIFY_TOTAL_TIMEOUT_MS 15000 /* Standard Webhooks: 15 to 30 s */

struct notify_timeouts {
    int64_t connect_ms; /* <= 0: NOTIFY_CONNECT_TIMEOUT_MS */
    int64_t total_ms;   /* the whole exchange; <= 0: NOTIFY_TOTAL_TIMEOUT_MS */
};

struct notify_response {
    int status;             /* the HTTP status; 0: no answer (error says why) */
    int64_t retry_after_ms; /* Retry-After (seconds or an HTTP date) as a delay; -1: none */
    char body[NOTIFY_BODY_KEEP + 1]; /* the first bytes of the answer's body, NUL-ended */
    size_t body_len;
    int timed_out;   /* the connect or total timeout cut the attempt */
    char error[256]; /* curl's error text; "" when an answer arrived */
    int64_t elapsed_ms;
};

/* One attempt: sends req over HTTP(S) (no redirects followed: a 3xx is an
 * answer like any other, classified as failure).  0 and *out for every attempt,
 * including a network error or a timeout (out->status 0, out->error);
 * DD_EINVAL when req cannot be sent (no URL, not http:// or https://). */
int notify_send(const struct notify_request *req, const struct notify_timeouts *t,
                struct notify_response *out);

/* ---- retry policy ---- */

enum notify_outcome { NOTIFY_DELIVERED, NOTIFY_RETRY, NOTIFY_GIVE_UP };

#define NOTIFY_BACKOFF_BASE_MS 1000
#define NOTIFY_BACKOFF_CAP_MS (10 * 60 * 1000)

struct notify_retry {
    enum notify_outcome outcome;
    int64_t next_attempt_ms; /* NOTIFY_RETRY: epoch ms of the next attempt; else -1 */
    const char *reason;      /* a static phrase for the delivery log: "HTTP 503", ... */
};

/* What to do after attempt number `attempt` (1 for the first) answered `resp`,
 * now_ms.  2xx: delivered.  5xx, 408, 429 and no answer: retry after a delay
 * drawn uniformly from [0, min(cap, base * 2^attempt)] with `random` (full
 * jitter), at least base and never earlier than Retry-After; give up instead
 * when that is past first_attempt_ms + max_age_ms (<= 0: 24 h).  Any other
 * status (3xx, other 4xx, 1xx): give up at once. */
struct notify_retry notify_classify(const struct notify_response *resp, int attempt,
                                    int64_t first_attempt_ms, int64_t now_ms, int64_t max_age_ms,
                                    uint64_t random);

#endif
