/* rules.h — alert rules and silences: what POST /api/v1/rules and
 * /api/v1/silences take, validated, and the `rules` and `receivers` lists of
 * the config file.
 *
 * A rule names a model (or "*"), optionally a version, and a condition on
 * one of three things of a stored evaluation round:
 *   - one result: "signal", optional "method", "condition" "p_value < x",
 *     "statistic > x" or "drift" (the row's own flag);
 *   - the version's verdict: no "signal", "condition": "drift" (Holm);
 *   - performance: "signal": "performance", "condition" "accuracy < x" or
 *     "accuracy_drop > x" (the reference's accuracy minus the window's).
 * Then "for" (how long it must hold before firing, default 0s), "severity"
 * (critical|error|warning|info, default warning), "receivers" (ids),
 * "labels" (a string map), "repeat" (re-notify a still-firing alert,
 * default 4h) and "rollback_to" (the version a rollback goes back to).
 * Every error names the member ("condition: expected 'p_value < x', ...").
 *
 * A silence is {"matchers": {name: value}, "ends_at": TIME, "comment"}; its
 * matcher names are "model", "version", "rule", "severity" or a label of
 * the rule, and it mutes an alert whose every matcher is equal.
 *
 * This file parses JSON with cJSON (like server/notify/receiver.c): rules
 * and silences come from the API and the config file only.
 *
 * Threading: pure functions on caller-owned values; any thread.
 */
#ifndef DD_RULES_H
#define DD_RULES_H
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "ingest/event.h"
#include "server/notify/notify.h"

#define RULE_ID_MAX 64         /* [A-Za-z0-9._-]{1,64}: they appear in URLs and alert keys */
#define RULE_RECEIVERS_MAX 16  /* receivers a rule notifies */
#define RULE_LABELS_MAX 16     /* labels of a rule, matchers of a silence */
#define RULE_LABEL_NAME_MAX 63 /* Prometheus-style names: [A-Za-z_][A-Za-z0-9_]* */
#define RULE_LABEL_VALUE_MAX 255
#define RULE_SIGNAL_MAX 159 /* struct dd_result's signal */
#define RULE_COMMENT_MAX 1023
#define RULE_DEFAULT_REPEAT_MS (4LL * 3600 * 1000)
#define SILENCE_ID_LEN 20 /* "sil_" + 16 hex */

enum rule_target { RULE_RESULT, RULE_VERDICT, RULE_PERFORMANCE };
enum rule_cond {
    RULE_P_BELOW,       /* p_value < x */
    RULE_STAT_ABOVE,    /* statistic > x */
    RULE_DRIFT,         /* drift */
    RULE_ACC_BELOW,     /* accuracy < x */
    RULE_ACC_DROP_ABOVE /* accuracy_drop > x */
};

struct rule_label {
    char name[RULE_LABEL_NAME_MAX + 1];
    char value[RULE_LABEL_VALUE_MAX + 1];
};

struct rule {
    char id[RULE_ID_MAX + 1];
    char model[DD_NAME_MAX + 1];      /* "*": every model */
    char version[DD_NAME_MAX + 1];    /* "": every version */
    char signal[RULE_SIGNAL_MAX + 1]; /* "": the verdict; "performance" */
    char method[32];                  /* "": any method of the signal */
    enum rule_target target;
    enum rule_cond cond;
    double threshold;   /* NAN for drift */
    char condition[64]; /* as written back: "p_value < 0.01" */
    int64_t for_ms, repeat_ms;
    enum notify_severity severity;
    char receivers[RULE_RECEIVERS_MAX][NOTIFY_ID_MAX + 1];
    size_t n_receivers;
    struct rule_label labels[RULE_LABELS_MAX];
    size_t n_labels;
    char rollback_to[DD_NAME_MAX + 1]; /* "": the newest other version without drift */
};

/* Parses and validates a rule (the POST /api/v1/rules body).  id_from_path
 * (PUT /rules/{id}): the id when the body has none; a body id that differs
 * is an error.  0 and *out, or DD_EINVAL with the member named in err. */
int rules_parse(const char *json, size_t len, const char *id_from_path, struct rule *out, char *err,
                size_t errlen);
/* Appends the rule as JSON, the shape rules_parse() reads (every member,
 * defaults written out). */
void rules_json(const struct rule *r, struct dd_buf *out);
/* 1 when the rule watches this model and version. */
int rules_match(const struct rule *r, const char *model, const char *version);

struct silence {
    char id[SILENCE_ID_LEN + 1];
    struct rule_label matchers[RULE_LABELS_MAX];
    size_t n_matchers;
    int64_t ends_ms;
    int64_t created_ms;
    char comment[RULE_COMMENT_MAX + 1];
};

/* Parses a silence (the POST /api/v1/silences body); the id and created_ms
 * are the caller's to set.  An ends_at not after now_ms is refused.  0 and
 * *out, or DD_EINVAL with the member named. */
int rules_silence_parse(const char *json, size_t len, int64_t now_ms, struct silence *out,
                        char *err, size_t errlen);
/* Appends {"matchers", "ends_at", "comment"}: what rules_silence_parse()
 * reads (the stored body). */
void rules_silence_body(const struct silence *s, struct dd_buf *out);
/* Appends {"id", "matchers", "ends_at", "comment", "created_at", "active"}
 * (created_at left out when created_ms < 0). */
void rules_silence_json(const struct silence *s, int64_t now_ms, struct dd_buf *out);
/* 1 when one of the silences is active at now_ms and every matcher of it is
 * equal to the alert's (model, version, rule, severity or a rule label). */
int rules_silenced(const struct silence *s, size_t n, const struct rule *r, const char *model,
                   const char *version, int64_t now_ms);

/* The config file's "rules" and "receivers" lists: takes them out of the
 * config text (a JSON object) into rules_out and receivers_out (compact JSON
 * arrays, "" when absent) and writes the rest of the object to rest_out for
 * the flat-key parser.  Each element of the lists is validated
 * (rules_parse(), notify_receiver_parse()); whether a rule's receivers
 * exist is the store's to say when the lists are loaded.  0, or DD_EINVAL
 * with the element named in err ("rules[2].severity: ..."). */
int rules_config_split(const char *text, size_t len, struct dd_buf *rules_out,
                       struct dd_buf *receivers_out, struct dd_buf *rest_out, char *err,
                       size_t errlen);

/* 1 when text is one JSON value (the API answers invalid_json otherwise). */
int rules_is_json(const char *text, size_t len);

struct writer;
/* Stores the config file's lists (what rules_config_split() took out;
 * "" for none) through the writer at start: the rows of an earlier config
 * are replaced, those the API added are kept.  0, or an error with a
 * message in err (a rule naming a receiver nobody has). */
int rules_config_load(struct writer *w, const char *rules_json, const char *receivers_json,
                      int64_t now_ms, char *err, size_t errlen);
#endif
