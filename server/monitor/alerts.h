/* alerts.h — the alert life-cycle: what one evaluation round does to the
 * alerts of a version.
 *
 * One alert per (rule, model, version) at a time.  After every round, for
 * each rule that watches the version, the condition is read from the
 * round's report (alerts_condition()) and the alert moves
 * (alerts_step()):
 *
 *   none    --holds-->               pending (pending_since)      for > 0
 *   none    --holds-->               firing  (started_at)         for = 0
 *   pending --held for `for`-->      firing  (started_at)         notifies "firing"
 *   pending --stops holding-->       gone (deleted: it never fired)
 *   firing  --holds, repeat due-->   firing                       notifies "firing" again
 *   firing  --stops holding-->       resolved (resolved_at)       notifies "resolved"
 *
 * A condition the round cannot decide (no such signal or method in the
 * report, no data, no labels for accuracy) changes nothing.  Each
 * notification is one outbox row per receiver of the rule, its message
 * (notify_message_json()) with the alert's facts, the rollback target and
 * the export URL of the drifted window; a silenced alert's rows are
 * written 'skipped' (silences mute notifications, not state).
 * alerts_plan_version() turns a round into the store_alert_change list
 * the writer stores with the evaluation, in one transaction.
 *
 * Threading: pure functions over caller-owned values (plus getrandom() for
 * message ids); any thread.
 */
#ifndef DD_ALERTS_H
#define DD_ALERTS_H
#include <stddef.h>
#include <stdint.h>

#include "analysis/eval.h"
#include "server/monitor/rules.h"
#include "server/store/store.h"

/* What a round says of a rule's condition. */
struct alert_facts {
    int known;                   /* 0: the round cannot decide (nothing changes) */
    int holds;                   /* the condition holds */
    double value;                /* what was compared: the p-value, statistic, accuracy, drop */
    const struct dd_result *res; /* the result row it is about; NULL: none */
};

/* The condition of r over a report (status: the report's top-level
 * status) and the two accuracies (NAN when unknown). */
void alerts_condition(const struct rule *r, const struct dd_report *rep, const char *status,
                      double acc_ref, double acc_cur, struct alert_facts *out);

/* The open alert of a rule, as stored. */
struct alert_open {
    int firing; /* 0: pending */
    int64_t pending_since_ms, started_ms, last_notified_ms;
};

enum alert_step {
    ALERT_NOTHING,      /* no alert and nothing to start */
    ALERT_PENDING_NEW,  /* a new pending alert */
    ALERT_PENDING_KEEP, /* still pending */
    ALERT_FIRE,         /* fires now (new or from pending): notify firing */
    ALERT_FIRING_KEEP,  /* still firing, nothing to send */
    ALERT_REPEAT,       /* still firing, repeat is due: notify firing again */
    ALERT_RESOLVE,      /* resolves now: notify resolved */
    ALERT_DROP          /* a pending alert stopped holding: deleted */
};
/* The state machine above.  cur NULL: no open alert. */
enum alert_step alerts_step(const struct rule *r, const struct alert_open *cur,
                            const struct alert_facts *f, int64_t now_ms);

/* The accuracies of the report body's "performance" block (NAN when
 * absent or null). */
void alerts_accuracy(const char *report_json, double *ref, double *cur);

/* What the planner needs of one evaluated version. */
struct alerts_round {
    const char *model, *version;
    const char *status; /* the report's status */
    const struct dd_report *rep;
    const char *report_json; /* the drift endpoint's body of the round */
    int64_t now_ms;
    const char *external_url;       /* "http://127.0.0.1:8080" */
    const char *rollback_candidate; /* the newest other version without drift; NULL: none */
};

/* The changes of one version's round, owned (alerts_plan_release()). */
struct alerts_plan {
    struct store_alert_change *changes;
    size_t n;
    char **strings; /* what the changes point to */
    size_t n_strings;
    struct store_outbox_new **outboxes;
    size_t n_outboxes;
};

/* Plans the changes of a round: rules (all of them; those that do not
 * watch the version are skipped), the silences, the version's open alerts
 * (store_r_alerts() with open_only).  0 and *out (release it; n may be 0). */
int alerts_plan_version(const struct rule *rules, size_t n_rules, const struct silence *sil,
                        size_t n_sil, const struct store_alert *open, size_t n_open,
                        const struct alerts_round *round, struct alerts_plan *out);
void alerts_plan_release(struct alerts_plan *p);

#endif
