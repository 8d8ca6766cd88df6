/* rules.c — alert rules, silences and the config file's alerting lists
 * (rules.h).  Every error names the member it is about. */
#include "server/monitor/rules.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "ingest/parse.h"
#include "server/store/writer.h"

static int id_valid(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int label_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > RULE_LABEL_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

/* A duration: "0s" (or "0") is allowed here, unlike dd_duration_parse(). */
static int duration(const char *s, int64_t *out)
{
    const char *p = s;
    while (*p == '0')
        p++;
    if (p != s && (!*p || !strcmp(p, "ms") || !strcmp(p, "s") || !strcmp(p, "m") ||
                   !strcmp(p, "h") || !strcmp(p, "d"))) {
        *out = 0;
        return 0;
    }
    return dd_duration_parse(s, out);
}

/* A string member: 0 and copied into out (at most max chars), 1 absent or
 * null, DD_EINVAL (with err) otherwise. */
static int str_member(const cJSON *o, const char *name, char *out, size_t max, char *err,
                      size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v || cJSON_IsNull(v))
        return 1;
    if (!cJSON_IsString(v))
        return dd_einval(err, errlen, "%s: must be a string", name);
    if (strlen(v->valuestring) > max)
        return dd_einval(err, errlen, "%s: longer than %zu bytes", name, max);
    snprintf(out, max + 1, "%s", v->valuestring);
    return 0;
}

/* "p_value < 0.01" etc.: the field before, the operator, a finite number. */
static int parse_condition(struct rule *r, const char *text, char *err, size_t errlen)
{
    static const struct {
        const char *field, *op;
        enum rule_cond cond;
        enum rule_target target; /* the kind of rule the form belongs to */
    } forms[] = {
        {"p_value", "<", RULE_P_BELOW, RULE_RESULT},
        {"statistic", ">", RULE_STAT_ABOVE, RULE_RESULT},
        {"accuracy", "<", RULE_ACC_BELOW, RULE_PERFORMANCE},
        {"accuracy_drop", ">", RULE_ACC_DROP_ABOVE, RULE_PERFORMANCE},
    };
    char word[32] = "", op[4] = "", num[64] = "", extra[8] = "";
    int got = sscanf(text, " %31[a-z_] %3[<>=!] %63s %7s", word, op, num, extra);
    if (got == 1 && !strcmp(word, "drift")) {
        char tail[8] = "";
        if (sscanf(text, " drift %7s", tail) == 1)
            goto bad;
        if (r->target == RULE_PERFORMANCE)
            return dd_einval(err, errlen,
                             "condition: a performance rule takes 'accuracy < x' or "
                             "'accuracy_drop > x'");
        r->cond = RULE_DRIFT;
        r->threshold = NAN;
        snprintf(r->condition, sizeof r->condition, "drift");
        return 0;
    }
    if (got != 3)
        goto bad;
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (strcmp(word, forms[i].field) != 0)
            continue;
        if (strcmp(op, forms[i].op) != 0)
            return dd_einval(err, errlen, "condition: '%s' takes the operator '%s' ('%s %s x')",
                             word, forms[i].op, word, forms[i].op);
        if (r->target == RULE_PERFORMANCE && forms[i].target != RULE_PERFORMANCE)
            return dd_einval(err, errlen,
                             "condition: a performance rule takes 'accuracy < x' or "
                             "'accuracy_drop > x'");
        if (r->target == RULE_VERDICT)
            return dd_einval(err, errlen,
                             "condition: without a signal the condition is 'drift' (the version's "
                             "verdict)");
        if (r->target == RULE_RESULT && forms[i].target == RULE_PERFORMANCE)
            return dd_einval(err, errlen, "condition: '%s' needs \"signal\": \"performance\"",
                             word);
        char *end = NULL;
        double x = strtod(num, &end);
        if (end == num || *end || !isfinite(x))
            return dd_einval(err, errlen, "condition: '%.40s' is not a number", num);
        if ((forms[i].cond == RULE_P_BELOW || forms[i].cond == RULE_ACC_BELOW) && (x <= 0 || x > 1))
            return dd_einval(err, errlen, "condition: the bound of %s must be in (0, 1]", word);
        if (forms[i].cond == RULE_ACC_DROP_ABOVE && (x < 0 || x >= 1))
            return dd_einval(err, errlen,
                             "condition: the bound of accuracy_drop must be in [0, 1)");
        r->cond = forms[i].cond;
        r->threshold = x;
        snprintf(r->condition, sizeof r->condition, "%s %s %.17g", word, op, x);
        return 0;
    }
bad:
    return dd_einval(err, errlen,
                     "condition: expected 'p_value < x', 'statistic > x' or 'drift' (a signal), "
                     "'drift' (no signal: the verdict), or 'accuracy < x' or 'accuracy_drop > x' "
                     "(signal performance); got '%.60s'",
                     text);
}

static int parse_labels(const cJSON *o, const char *member, struct rule_label *out, size_t *n,
                        int allow_empty_value, char *err, size_t errlen)
{
    *n = 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, member);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v))
        return dd_einval(err, errlen, "%s: must be an object of strings", member);
    const cJSON *it;
    cJSON_ArrayForEach(it, v)
    {
        if (*n >= RULE_LABELS_MAX)
            return dd_einval(err, errlen, "%s: at most %d entries", member, RULE_LABELS_MAX);
        if (!label_name_valid(it->string))
            return dd_einval(err, errlen, "%s.%.64s: a name must match [A-Za-z_][A-Za-z0-9_]{0,62}",
                             member, it->string);
        if (!cJSON_IsString(it))
            return dd_einval(err, errlen, "%s.%s: must be a string", member, it->string);
        if (strlen(it->valuestring) > RULE_LABEL_VALUE_MAX ||
            (!allow_empty_value && !it->valuestring[0]))
            return dd_einval(err, errlen, "%s.%s: must be 1 to %d bytes", member, it->string,
                             RULE_LABEL_VALUE_MAX);
        for (size_t k = 0; k < *n; k++)
            if (!strcmp(out[k].name, it->string))
                return dd_einval(err, errlen, "%s.%s: given twice", member, it->string);
        snprintf(out[*n].name, sizeof out[*n].name, "%s", it->string);
        snprintf(out[*n].value, sizeof out[*n].value, "%s", it->valuestring);
        (*n)++;
    }
    return 0;
}

static const char *const rule_members[] = {
    "id",       "model",     "version", "signal", "method",      "condition", "for",
    "severity", "receivers", "labels",  "repeat", "rollback_to", NULL};

static int parse_rule(const cJSON *o, const char *id_from_path, struct rule *r, char *err,
                      size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (!cJSON_IsObject(o))
        return dd_einval(err, errlen, "a rule must be a JSON object");
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        int known = 0;
        for (int i = 0; rule_members[i]; i++)
            known |= !strcmp(rule_members[i], it->string);
        if (!known)
            return dd_einval(err, errlen,
                             "%.64s: unknown member of a rule (id, model, version, signal, method, "
                             "condition, for, severity, receivers, labels, repeat, rollback_to)",
                             it->string);
    }
    int rc = str_member(o, "id", r->id, RULE_ID_MAX, err, errlen);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (!id_from_path)
            return dd_einval(err, errlen, "id: required");
        snprintf(r->id, sizeof r->id, "%s", id_from_path);
    } else if (id_from_path && strcmp(r->id, id_from_path) != 0) {
        return dd_einval(err, errlen, "id: '%s' differs from the id in the path '%s'", r->id,
                         id_from_path);
    }
    if (!id_valid(r->id, RULE_ID_MAX))
        return dd_einval(err, errlen, "id: must match [A-Za-z0-9._-]{1,%d}", RULE_ID_MAX);
    rc = str_member(o, "model", r->model, DD_NAME_MAX, err, errlen);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return dd_einval(err, errlen, "model: required (a model name or \"*\")");
    if (strcmp(r->model, "*") != 0 && !dd_name_valid(r->model, strlen(r->model)))
        return dd_einval(err, errlen, "model: must be \"*\" or match [A-Za-z0-9._-]{1,%d}",
                         DD_NAME_MAX);
    if ((rc = str_member(o, "version", r->version, DD_NAME_MAX, err, errlen)) < 0)
        return rc;
    if (rc == 0 && !dd_name_valid(r->version, strlen(r->version)))
        return dd_einval(err, errlen, "version: must match [A-Za-z0-9._-]{1,%d}", DD_NAME_MAX);
    if ((rc = str_member(o, "signal", r->signal, RULE_SIGNAL_MAX, err, errlen)) < 0)
        return rc;
    if (rc == 0 && !r->signal[0])
        return dd_einval(err, errlen, "signal: must not be empty (leave it out for the verdict)");
    if ((rc = str_member(o, "method", r->method, sizeof r->method - 1, err, errlen)) < 0)
        return rc;
    if (rc == 0 && !r->signal[0])
        return dd_einval(err, errlen, "method: needs a signal (the verdict has no method)");
    r->target = !r->signal[0]                       ? RULE_VERDICT
                : !strcmp(r->signal, "performance") ? RULE_PERFORMANCE
                                                    : RULE_RESULT;
    if (r->target == RULE_PERFORMANCE && r->method[0])
        return dd_einval(err, errlen, "method: a performance rule has no method");
    if (r->method[0] && !id_valid(r->method, sizeof r->method - 1))
        return dd_einval(err, errlen, "method: '%.31s' is not a method name", r->method);
    char text[128];
    if ((rc = str_member(o, "condition", text, sizeof text - 1, err, errlen)) < 0)
        return rc;
    if (rc == 1) {
        if (r->target != RULE_VERDICT)
            return dd_einval(err, errlen, "condition: required");
        snprintf(text, sizeof text, "drift"); /* the verdict has one condition */
    }
    if ((rc = parse_condition(r, text, err, errlen)) != 0)
        return rc;
    char dur[32];
    r->for_ms = 0;
    if ((rc = str_member(o, "for", dur, sizeof dur - 1, err, errlen)) < 0)
        return rc;
    if (rc == 0 && duration(dur, &r->for_ms) != 0)
        return dd_einval(err, errlen, "for: '%s' is not a duration such as 0s, 5m or 1h", dur);
    r->repeat_ms = RULE_DEFAULT_REPEAT_MS;
    if ((rc = str_member(o, "repeat", dur, sizeof dur - 1, err, errlen)) < 0)
        return rc;
    if (rc == 0 && (dd_duration_parse(dur, &r->repeat_ms) != 0 || r->repeat_ms < 1000))
        return dd_einval(err, errlen, "repeat: '%s' is not a duration of 1s or more such as 4h",
                         dur);
    char sev[16];
    r->severity = NOTIFY_SEV_WARNING;
    if ((rc = str_member(o, "severity", sev, sizeof sev - 1, err, errlen)) < 0)
        return rc;
    if (rc == 0) {
        int s = notify_severity_from_name(sev);
        if (s < 0)
            return dd_einval(err, errlen,
                             "severity: '%s' is not one of critical, error, warning, info", sev);
        r->severity = (enum notify_severity)s;
    }
    const cJSON *recv = cJSON_GetObjectItemCaseSensitive(o, "receivers");
    if (recv && !cJSON_IsNull(recv)) {
        if (!cJSON_IsArray(recv))
            return dd_einval(err, errlen, "receivers: must be an array of receiver ids");
        cJSON_ArrayForEach(it, recv)
        {
            size_t k = r->n_receivers;
            if (k >= RULE_RECEIVERS_MAX)
                return dd_einval(err, errlen, "receivers: at most %d", RULE_RECEIVERS_MAX);
            if (!cJSON_IsString(it) || !id_valid(it->valuestring, NOTIFY_ID_MAX))
                return dd_einval(err, errlen, "receivers[%zu]: must be a receiver id", k);
            for (size_t j = 0; j < k; j++)
                if (!strcmp(r->receivers[j], it->valuestring))
                    return dd_einval(err, errlen, "receivers[%zu]: '%s' is listed twice", k,
                                     it->valuestring);
            snprintf(r->receivers[k], sizeof r->receivers[k], "%s", it->valuestring);
            r->n_receivers++;
        }
    }
    if ((rc = parse_labels(o, "labels", r->labels, &r->n_labels, 1, err, errlen)) != 0)
        return rc;
    if ((rc = str_member(o, "rollback_to", r->rollback_to, DD_NAME_MAX, err, errlen)) < 0)
        return rc;
    if (rc == 0 && !dd_name_valid(r->rollback_to, strlen(r->rollback_to)))
        return dd_einval(err, errlen, "rollback_to: must be a version name");
    if (rc == 0 && r->version[0] && !strcmp(r->version, r->rollback_to))
        return dd_einval(err, errlen,
                         "rollback_to: the version the rule watches cannot be its target");
    return 0;
}

int rules_parse(const char *json, size_t len, const char *id_from_path, struct rule *out, char *err,
                size_t errlen)
{
    cJSON *o = dd_json_parse_whole(json, len, NULL);
    if (!o)
        return dd_einval(err, errlen, "the body is not JSON");
    struct rule r;
    int rc = parse_rule(o, id_from_path, &r, err, errlen);
    cJSON_Delete(o);
    if (rc == 0)
        *out = r;
    return rc;
}

static void duration_json(struct dd_buf *b, int *first, const char *key, int64_t ms)
{
    static const struct {
        int64_t unit;
        const char *name;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    char text[32];
    snprintf(text, sizeof text, "%lldms", (long long)ms);
    if (ms == 0)
        snprintf(text, sizeof text, "0s");
    for (size_t i = 0; ms && i < sizeof units / sizeof units[0]; i++)
        if (ms % units[i].unit == 0) {
            snprintf(text, sizeof text, "%lld%s", (long long)(ms / units[i].unit), units[i].name);
            break;
        }
    dd_json_kstr(b, first, key, text);
}

/* "key": {"name": "value", ...} of a rule's labels or a silence's matchers:
 * notify_json_kpairs() over pairs that borrow their strings */
static void labels_json(struct dd_buf *b, int *first, const char *key, const struct rule_label *l,
                        size_t n)
{
    struct notify_pair p[RULE_LABELS_MAX];
    for (size_t i = 0; i < n; i++) /* n <= RULE_LABELS_MAX: the size of l */
        p[i] = (struct notify_pair){(char *)l[i].name, (char *)l[i].value};
    notify_json_kpairs(b, first, key, p, n);
}

void rules_json(const struct rule *r, struct dd_buf *b)
{
    int first = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &first, "id", r->id);
    dd_json_kstr(b, &first, "model", r->model);
    if (r->version[0])
        dd_json_kstr(b, &first, "version", r->version);
    if (r->signal[0])
        dd_json_kstr(b, &first, "signal", r->signal);
    if (r->method[0])
        dd_json_kstr(b, &first, "method", r->method);
    dd_json_kstr(b, &first, "condition", r->condition);
    duration_json(b, &first, "for", r->for_ms);
    dd_json_kstr(b, &first, "severity", notify_severity_name(r->severity));
    dd_json_key(b, "receivers", &first);
    dd_buf_putc(b, '[');
    for (size_t i = 0; i < r->n_receivers; i++) {
        if (i)
            dd_buf_putc(b, ',');
        dd_json_str(b, r->receivers[i]);
    }
    dd_buf_putc(b, ']');
    labels_json(b, &first, "labels", r->labels, r->n_labels);
    duration_json(b, &first, "repeat", r->repeat_ms);
    if (r->rollback_to[0])
        dd_json_kstr(b, &first, "rollback_to", r->rollback_to);
    dd_buf_putc(b, '}');
}

int rules_match(const struct rule *r, const char *model, const char *version)
{
    return (!strcmp(r->model, "*") || !strcmp(r->model, model)) &&
           (!r->version[0] || !strcmp(r->version, version));
}

/* ---- silences ---- */

int rules_silence_parse(const char *json, size_t len, int64_t now_ms, struct silence *out,
                        char *err, size_t errlen)
{
    cJSON *o = dd_json_parse_whole(json, len, NULL);
    if (!o)
        return dd_einval(err, errlen, "the body is not JSON");
    struct silence s;
    memset(&s, 0, sizeof s);
    int rc = 0;
    if (!cJSON_IsObject(o)) {
        rc = dd_einval(err, errlen, "a silence must be a JSON object");
        goto out;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        if (strcmp(it->string, "matchers") && strcmp(it->string, "ends_at") &&
            strcmp(it->string, "comment")) {
            rc = dd_einval(err, errlen,
                           "%.64s: unknown member of a silence (matchers, ends_at, comment)",
                           it->string);
            goto out;
        }
    }
    if ((rc = parse_labels(o, "matchers", s.matchers, &s.n_matchers, 0, err, errlen)) != 0)
        goto out;
    if (s.n_matchers == 0) {
        rc = dd_einval(err, errlen,
                       "matchers: at least one (model, version, rule, severity or a "
                       "label of the rule)");
        goto out;
    }
    const cJSON *ends = cJSON_GetObjectItemCaseSensitive(o, "ends_at");
    if (!cJSON_IsString(ends) ||
        dd_time_parse(ends->valuestring, strlen(ends->valuestring), &s.ends_ms) != 0) {
        rc = dd_einval(err, errlen, "ends_at: required, an RFC 3339 time");
        goto out;
    }
    if (s.ends_ms <= now_ms) {
        rc = dd_einval(err, errlen, "ends_at: must be in the future");
        goto out;
    }
    if ((rc = str_member(o, "comment", s.comment, RULE_COMMENT_MAX, err, errlen)) < 0)
        goto out;
    rc = 0;
out:
    cJSON_Delete(o);
    if (rc == 0)
        *out = s;
    return rc;
}

void rules_silence_body(const struct silence *s, struct dd_buf *b)
{
    int first = 1;
    dd_buf_putc(b, '{');
    labels_json(b, &first, "matchers", s->matchers, s->n_matchers);
    dd_json_ktime(b, &first, "ends_at", s->ends_ms);
    dd_json_kstr(b, &first, "comment", s->comment);
    dd_buf_putc(b, '}');
}

void rules_silence_json(const struct silence *s, int64_t now_ms, struct dd_buf *b)
{
    int first = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &first, "id", s->id);
    labels_json(b, &first, "matchers", s->matchers, s->n_matchers);
    dd_json_ktime(b, &first, "ends_at", s->ends_ms);
    dd_json_kstr(b, &first, "comment", s->comment);
    if (s->created_ms >= 0)
        dd_json_ktime(b, &first, "created_at", s->created_ms);
    dd_json_kbool(b, &first, "active", s->ends_ms > now_ms);
    dd_buf_putc(b, '}');
}

static const char *alert_label(const struct rule *r, const char *model, const char *version,
                               const char *name)
{
    if (!strcmp(name, "model"))
        return model;
    if (!strcmp(name, "version"))
        return version;
    if (!strcmp(name, "rule"))
        return r->id;
    if (!strcmp(name, "severity"))
        return notify_severity_name(r->severity);
    for (size_t i = 0; i < r->n_labels; i++)
        if (!strcmp(r->labels[i].name, name))
            return r->labels[i].value;
    return NULL;
}

int rules_silenced(const struct silence *s, size_t n, const struct rule *r, const char *model,
                   const char *version, int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i].ends_ms <= now_ms)
            continue;
        int all = 1;
        for (size_t k = 0; k < s[i].n_matchers && all; k++) {
            const char *v = alert_label(r, model, version, s[i].matchers[k].name);
            all = v && !strcmp(v, s[i].matchers[k].value);
        }
        if (all)
            return 1;
    }
    return 0;
}

int rules_is_json(const char *text, size_t len)
{
    cJSON *o = text ? dd_json_parse_whole(text, len, NULL) : NULL;
    cJSON_Delete(o);
    return o != NULL;
}

/* ---- the config file ---- */

int rules_config_split(const char *text, size_t len, struct dd_buf *rules_out,
                       struct dd_buf *receivers_out, struct dd_buf *rest_out, char *err,
                       size_t errlen)
{
    cJSON *o = dd_json_parse_whole(text, len, NULL);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        /* not ours to explain: the flat parser says what is wrong */
        dd_buf_append(rest_out, text, len);
        return 0;
    }
    if (!cJSON_HasObjectItem(o, "rules") && !cJSON_HasObjectItem(o, "receivers")) {
        cJSON_Delete(o);
        dd_buf_append(rest_out, text, len); /* as it was: the flat parser reads it */
        return 0;
    }
    int rc = 0;
    static const char *const lists[2] = {"receivers", "rules"};
    struct dd_buf *outs[2] = {receivers_out, rules_out};
    for (int l = 0; l < 2 && rc == 0; l++) {
        cJSON *arr = cJSON_DetachItemFromObjectCaseSensitive(o, lists[l]);
        if (!arr)
            continue;
        if (!cJSON_IsArray(arr)) {
            rc = dd_einval(err, errlen, "\"%s\": must be an array", lists[l]);
        } else {
            int i = 0;
            cJSON *it;
            cJSON_ArrayForEach(it, arr)
            {
                char *one = cJSON_PrintUnformatted(it);
                char inner[512];
                if (l == 0) {
                    struct notify_receiver r;
                    rc = notify_receiver_parse(one, strlen(one), &r, inner, sizeof inner);
                    if (rc == 0)
                        notify_receiver_release(&r);
                } else {
                    struct rule r;
                    rc = parse_rule(it, NULL, &r, inner, sizeof inner);
                }
                free(one);
                if (rc != 0) {
                    dd_einval(err, errlen, "\"%s\"[%d]: %s", lists[l], i, inner);
                    break;
                }
                i++;
            }
            if (rc == 0) {
                char *all = cJSON_PrintUnformatted(arr);
                dd_buf_puts(outs[l], all);
                free(all);
            }
        }
        cJSON_Delete(arr);
    }
    if (rc == 0) {
        char *rest = cJSON_PrintUnformatted(o);
        dd_buf_puts(rest_out, rest);
        free(rest);
    }
    cJSON_Delete(o);
    return rc;
}

int rules_config_load(struct writer *w, const char *rules_text, const char *receivers_text,
                      int64_t now_ms, char *err, size_t errlen)
{
    cJSON *rules = rules_text && rules_text[0] ? cJSON_Parse(rules_text) : cJSON_CreateArray();
    cJSON *recv =
        receivers_text && receivers_text[0] ? cJSON_Parse(receivers_text) : cJSON_CreateArray();
    size_t nr = (size_t)cJSON_GetArraySize(rules), nv = (size_t)cJSON_GetArraySize(recv);
    struct store_alerting_item *ri = dd_calloc(nr + 1, sizeof *ri);
    struct store_alerting_item *vi = dd_calloc(nv + 1, sizeof *vi);
    struct rule *parsed = dd_calloc(nr + 1, sizeof *parsed);
    const char **ids = dd_calloc(nr * RULE_RECEIVERS_MAX + 1, sizeof *ids);
    struct dd_buf *bodies = dd_calloc(nr + nv + 1, sizeof *bodies);
    int rc = 0;
    size_t k = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, recv)
    {
        char *one = cJSON_PrintUnformatted(it);
        struct notify_receiver r;
        rc = notify_receiver_parse(one, strlen(one), &r, err, errlen);
        free(one);
        if (rc != 0)
            break;
        dd_buf_init(&bodies[k]);
        notify_receiver_json(&r, 1, &bodies[k]);
        vi[k] = (struct store_alerting_item){.id = dd_strdup(r.id), .body = bodies[k].data};
        notify_receiver_release(&r);
        k++;
    }
    size_t n_ids = 0;
    for (size_t i = 0; rc == 0 && i < nr; i++) {
        it = cJSON_GetArrayItem(rules, (int)i);
        if ((rc = parse_rule(it, NULL, &parsed[i], err, errlen)) != 0)
            break;
        struct dd_buf *b = &bodies[nv + i];
        dd_buf_init(b);
        rules_json(&parsed[i], b);
        ri[i] = (struct store_alerting_item){.id = parsed[i].id,
                                             .body = b->data,
                                             .receivers = ids + n_ids,
                                             .n_receivers = parsed[i].n_receivers};
        for (size_t j = 0; j < parsed[i].n_receivers; j++)
            ids[n_ids++] = parsed[i].receivers[j];
    }
    if (rc == 0) {
        char detail[256] = "";
        struct store_alerting_op op = {.what = STORE_CONFIG_LOAD,
                                       .now_ms = now_ms,
                                       .cfg_receivers = vi,
                                       .n_cfg_receivers = nv,
                                       .cfg_rules = ri,
                                       .n_cfg_rules = nr,
                                       .detail = detail,
                                       .detail_len = sizeof detail};
        struct writer_result wr;
        writer_submit_alerting(w, &op, &wr);
        rc = wr.rc;
        if (rc == DD_ENOTFOUND)
            dd_einval(err, errlen,
                      "a rule of the config names the receiver '%s', which no receiver has",
                      detail);
        else if (rc != 0)
            dd_einval(err, errlen, "cannot store the config's rules and receivers: %s",
                      dd_errname(rc));
    }
    for (size_t i = 0; i < nv; i++)
        free((char *)vi[i].id);
    for (size_t i = 0; i < nr + nv; i++)
        dd_buf_release(&bodies[i]);
    free(bodies);
    free(ids);
    free(parsed);
    free(vi);
    free(ri);
    cJSON_Delete(rules);
    cJSON_Delete(recv);
    return rc;
}
