/* parse.c — cJSON trees to validated batches (parse.h).
 *
 * Reading order: dd_parse_events() -> parse_event() -> one small function per
 * field kind.  Each validator writes the error with the field path and
 * returns -1; parse_event() stops at the first error.  Values are copied into
 * the batch arena so the cJSON tree can be freed right after.
 *
 * Before cJSON sees a text, it is checked for the string rules of
 * ingest/utf8.h (valid UTF-8, no U+0000), so every string of a tree is
 * valid text and C's string functions see all of it; a text that breaks
 * them is refused with the path of the string, before any other rule.
 */
#include "ingest/parse.h"

#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "ingest/jsonfast.h"
#include "ingest/parse_int.h"
#include "ingest/utf8.h"

/* epoch ms bounds: 1970 .. 9999-12-31 */
#define TS_MAX_MS DD_TS_MAX_MS

void dd__seterr(struct dd_parse_error *err, const char *code, long index, const char *fmt, ...)
{
    err->code = code;
    err->index = index;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* What parse_event() needs to report an error about event `index`. */
struct ctx {
    struct dd_batch *b;
    struct dd_parse_error *err;
    long index;
    int fast;     /* try ingest/jsonfast.c first (dd_parse_options) */
    int early_ts; /* dd_parse_options.early_ts */
};

#define FAIL(c, ...)                                                                               \
    do {                                                                                           \
        char m_[200];                                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        dd__seterr((c)->err, "invalid_event", (c)->index, "events[%ld].%s", (c)->index, m_);       \
        return -1;                                                                                 \
    } while (0)

static int is_integer(const cJSON *v)
{
    double d = v->valuedouble;
    return cJSON_IsNumber(v) && isfinite(d) && d == floor(d) && fabs(d) < DD__INT_EXACT;
}

/* string or integer -> arena string */
static int str_or_int(struct ctx *c, const cJSON *v, const char *field, const char **out)
{
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        if (n == 0 || n > DD_VALUE_MAX)
            FAIL(c, "%s: must be a string of 1 to %d bytes", field, DD_VALUE_MAX);
        *out = dd_arena_strndup(&c->b->arena, v->valuestring, n);
        return 0;
    }
    if (is_integer(v)) {
        char t[32];
        int n = snprintf(t, sizeof t, "%lld", (long long)v->valuedouble);
        *out = dd_arena_strndup(&c->b->arena, t, (size_t)n);
        return 0;
    }
    FAIL(c, "%s: must be a string or an integer", field);
}

/* A label: a string, an integer (decimal text) or another number (a
 * regression's target, in its shortest text). */
static int parse_label(struct ctx *c, const cJSON *v, const char **out)
{
    if (cJSON_IsNumber(v) && !is_integer(v)) {
        char t[40];
        int n = dd_double_text(v->valuedouble, t, sizeof t);
        *out = dd_arena_strndup(&c->b->arena, t, (size_t)n);
        return 0;
    }
    if (cJSON_IsString(v) || is_integer(v))
        return str_or_int(c, v, "label", out);
    FAIL(c, "label: must be a string or a number");
}

/* A prediction: a class (string or integer, as its text) or a regression's
 * value (a number with a fraction part, or beyond 2^53: numeric,
 * DD_HAS_PREDICTION_NUM, and its %.17g text). */
static int parse_prediction(struct ctx *c, const cJSON *v, struct dd_event *e)
{
    if (cJSON_IsNumber(v) && !is_integer(v)) {
        char t[40];
        int n = snprintf(t, sizeof t, "%.17g", v->valuedouble);
        e->prediction = dd_arena_strndup(&c->b->arena, t, (size_t)n);
        e->prediction_num = v->valuedouble;
        e->has |= DD_HAS_PREDICTION_NUM;
        return 0;
    }
    if (cJSON_IsString(v) || is_integer(v))
        return str_or_int(c, v, "prediction", &e->prediction);
    FAIL(c, "prediction: must be a string or a number");
}

/* Epoch numbers before 2001-01-01 as milliseconds are refused (event.h). */
#define TS_MIN_MS DD_TS_NUMBER_MIN_MS

static int parse_ts(struct ctx *c, const cJSON *v, struct dd_event *e)
{
    int64_t ms;
    if (cJSON_IsString(v)) {
        if (dd_time_parse(v->valuestring, strlen(v->valuestring), &ms) != 0)
            FAIL(c, "ts: must be an RFC 3339 time or epoch milliseconds");
    } else if (is_integer(v)) {
        ms = (int64_t)v->valuedouble;
        if (ms >= 0 && ms < TS_MIN_MS && !c->early_ts) {
            if (ms * 1000 >= TS_MIN_MS && ms * 1000 <= TS_MAX_MS)
                FAIL(c,
                     "ts: %lld looks like epoch seconds; send milliseconds (%lld) or "
                     "RFC 3339",
                     (long long)ms, (long long)ms * 1000);
            FAIL(c,
                 "ts: %lld is before 2001 as epoch milliseconds; send milliseconds "
                 "or RFC 3339",
                 (long long)ms);
        }
    } else {
        FAIL(c, "ts: must be an RFC 3339 time or epoch milliseconds");
    }
    if (ms < 0 || ms > TS_MAX_MS)
        FAIL(c, "ts: out of range (1970 to 9999)");
    e->ts_ms = ms;
    e->has |= DD_HAS_TS;
    return 0;
}

static int parse_unit_number(struct ctx *c, const cJSON *v, const char *field, double *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0.0 && v->valuedouble <= 1.0))
        FAIL(c, "%s: must be a number in [0,1]", field);
    *out = v->valuedouble;
    return 0;
}

/* An array of 1 to max numbers in [lo, hi], as floats in the batch arena.
 * The messages name the field and what every entry must be (`all` of the
 * array, `one` of an entry). */
struct float_array {
    const char *field;
    int max;
    double lo, hi;
    const char *all, *one;
};

static const struct float_array probabilities = {"probabilities",    DD_PROBS_MAX,       0.0, 1.0,
                                                 "numbers in [0,1]", "a number in [0,1]"};
static const struct float_array embedding = {
    "embedding", DD_EMBED_DIM_MAX, -FLT_MAX,
    FLT_MAX,     "finite numbers", "a finite number within float32 range"};

static int parse_float_array(struct ctx *c, const cJSON *v, const struct float_array *f,
                             const float **out, uint32_t *n_out)
{
    if (!cJSON_IsArray(v))
        FAIL(c, "%s: must be an array of %s", f->field, f->all);
    int n = cJSON_GetArraySize(v);
    if (n < 1 || n > f->max)
        FAIL(c, "%s: must have 1 to %d entries", f->field, f->max);
    float *p = dd_arena_alloc(&c->b->arena, (size_t)n * sizeof *p);
    int i = 0;
    for (const cJSON *x = v->child; x; x = x->next, i++) {
        if (!cJSON_IsNumber(x) || !(x->valuedouble >= f->lo && x->valuedouble <= f->hi))
            FAIL(c, "%s[%d]: must be %s", f->field, i, f->one);
        p[i] = (float)x->valuedouble;
    }
    *out = p;
    *n_out = (uint32_t)n;
    return 0;
}

static int parse_embedding_b64(struct ctx *c, const cJSON *v, struct dd_event *e)
{
    if (!cJSON_IsString(v))
        FAIL(c, "embedding_b64: must be a base64 string");
    size_t n = strlen(v->valuestring);
    if (n > DD_BASE64_ENCODED_LEN((size_t)DD_EMBED_DIM_MAX * 4))
        FAIL(c, "embedding_b64: more than %d values", DD_EMBED_DIM_MAX);
    uint8_t *p = dd_arena_alloc(&c->b->arena, DD_BASE64_DECODED_MAX(n));
    size_t len;
    if (dd_base64_decode(v->valuestring, n, p, &len) != 0)
        FAIL(c, "embedding_b64: not valid base64");
    if (len == 0 || len % 4)
        FAIL(c, "embedding_b64: must decode to a whole number of float32 values (got %zu bytes)",
             len);
    const float *f = (const float *)p;
    for (size_t i = 0; i < len / 4; i++)
        if (!isfinite(f[i]))
            FAIL(c, "embedding_b64[%zu]: must be a finite number", i);
    e->embedding = f;
    e->dim = (uint32_t)(len / 4);
    return 0;
}

static int parse_features(struct ctx *c, const cJSON *v, struct dd_event *e)
{
    if (!cJSON_IsObject(v))
        FAIL(c, "features: must be an object of name -> number, string or null");
    /* first pass: validate and size */
    size_t size = 0;
    int count = 0;
    for (const cJSON *x = v->child; x; x = x->next) {
        size_t nl = strlen(x->string);
        if (!dd_name_valid(x->string, nl))
            FAIL(c, "features: name must match [A-Za-z0-9._-]{1,128}");
        if (++count > DD_FEATURES_MAX)
            FAIL(c, "features: more than %d features", DD_FEATURES_MAX);
        for (const cJSON *y = v->child; y != x; y = y->next)
            if (strcmp(y->string, x->string) == 0)
                FAIL(c, "features.%s: given twice", x->string);
        if (cJSON_IsNumber(x)) {
            size += 2 + nl + 8;
        } else if (cJSON_IsString(x)) {
            size_t sl = strlen(x->valuestring);
            if (sl > DD_VALUE_MAX)
                FAIL(c, "features.%s: string longer than %d bytes", x->string, DD_VALUE_MAX);
            size += 2 + nl + 2 + sl;
        } else if (cJSON_IsNull(x)) {
            size += 2 + nl; /* a missing value (NaN in pandas) */
        } else {
            FAIL(c, "features.%s: must be a number, a string or null", x->string);
        }
    }
    if (count == 0)
        FAIL(c, "features: must not be empty");
    uint8_t *p = dd_arena_alloc(&c->b->arena, size), *w = p;
    for (const cJSON *x = v->child; x; x = x->next) {
        size_t nl = strlen(x->string);
        *w++ = cJSON_IsString(x) ? 1 : cJSON_IsNull(x) ? 2 : 0;
        *w++ = (uint8_t)nl;
        memcpy(w, x->string, nl);
        w += nl;
        if (cJSON_IsNull(x)) {
            continue;
        } else if (cJSON_IsNumber(x)) {
            memcpy(w, &x->valuedouble, 8);
            w += 8;
        } else {
            size_t sl = strlen(x->valuestring);
            *w++ = (uint8_t)(sl & 0xff);
            *w++ = (uint8_t)(sl >> 8);
            memcpy(w, x->valuestring, sl);
            w += sl;
        }
    }
    e->features = p;
    e->features_len = (uint32_t)size;
    return 0;
}

enum field {
    F_ID = 1 << 0,
    F_TS = 1 << 1,
    F_VERSION = 1 << 2,
    F_PREDICTION = 1 << 3,
    F_CONFIDENCE = 1 << 4,
    F_PROBABILITIES = 1 << 5,
    F_EMBEDDING = 1 << 6,
    F_EMBEDDING_B64 = 1 << 7,
    F_FEATURES = 1 << 8,
    F_LATENCY = 1 << 9,
    F_LABEL = 1 << 10,
};

static const struct {
    const char *name;
    enum field f;
} fields[] = {
    {"id", F_ID},
    {"ts", F_TS},
    {"version", F_VERSION},
    {"prediction", F_PREDICTION},
    {"confidence", F_CONFIDENCE},
    {"probabilities", F_PROBABILITIES},
    {"embedding", F_EMBEDDING},
    {"embedding_b64", F_EMBEDDING_B64},
    {"features", F_FEATURES},
    {"latency_ms", F_LATENCY},
    {"label", F_LABEL},
};

/* The field named s, 0 if none: one comparison per event and field (this
 * runs for every member of every event). */
static enum field field_of(const char *s)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (s[0] == fields[i].name[0] && strcmp(s, fields[i].name) == 0)
            return fields[i].f;
    return 0;
}

static int parse_field(struct ctx *c, enum field f, const cJSON *v, struct dd_event *e)
{
    switch (f) {
    case F_ID: {
        size_t n = cJSON_IsString(v) ? strlen(v->valuestring) : 0;
        if (n == 0 || n > DD_ID_MAX)
            FAIL(c, "id: must be a string of 1 to %d bytes", DD_ID_MAX);
        e->id = dd_arena_strndup(&c->b->arena, v->valuestring, n);
        return 0;
    }
    case F_TS:
        return parse_ts(c, v, e);
    case F_VERSION: {
        size_t n = cJSON_IsString(v) ? strlen(v->valuestring) : 0;
        if (!dd_name_valid(cJSON_IsString(v) ? v->valuestring : "", n))
            FAIL(c, "version: must match [A-Za-z0-9._-]{1,128}");
        e->version = dd_arena_strndup(&c->b->arena, v->valuestring, n);
        return 0;
    }
    case F_PREDICTION:
        return parse_prediction(c, v, e);
    case F_CONFIDENCE:
        e->has |= DD_HAS_CONFIDENCE;
        return parse_unit_number(c, v, "confidence", &e->confidence);
    case F_PROBABILITIES:
        return parse_float_array(c, v, &probabilities, &e->probabilities, &e->n_probabilities);
    case F_EMBEDDING:
        return parse_float_array(c, v, &embedding, &e->embedding, &e->dim);
    case F_EMBEDDING_B64:
        return parse_embedding_b64(c, v, e);
    case F_FEATURES:
        return parse_features(c, v, e);
    case F_LATENCY:
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0.0 && isfinite(v->valuedouble)))
            FAIL(c, "latency_ms: must be a finite number >= 0");
        e->latency_ms = v->valuedouble;
        e->has |= DD_HAS_LATENCY;
        return 0;
    case F_LABEL:
        return parse_label(c, v, &e->label);
    }
    return -1;
}

static int parse_event(struct ctx *c, const cJSON *obj, struct dd_event *e)
{
    memset(e, 0, sizeof *e);
    e->version = "default";
    if (!cJSON_IsObject(obj)) {
        dd__seterr(c->err, "invalid_event", c->index, "events[%ld]: must be an object", c->index);
        return -1;
    }
    unsigned seen = 0;
    for (const cJSON *v = obj->child; v; v = v->next) {
        enum field f = field_of(v->string);
        if (!f) {
            char q[64];
            snprintf(q, sizeof q, "%.60s", v->string);
            FAIL(c, "%s: unknown field", q);
        }
        if (seen & f)
            FAIL(c, "%s: given twice", v->string);
        seen |= f;
        if (parse_field(c, f, v, e) != 0)
            return -1;
    }
    if ((seen & F_EMBEDDING) && (seen & F_EMBEDDING_B64))
        FAIL(c, "embedding_b64: give embedding or embedding_b64, not both");
    if (!(seen & (F_PREDICTION | F_CONFIDENCE | F_EMBEDDING | F_EMBEDDING_B64 | F_FEATURES))) {
        dd__seterr(c->err, "invalid_event", c->index,
                   "events[%ld]: needs at least one of prediction, confidence, embedding, "
                   "embedding_b64, features",
                   c->index);
        return -1;
    }
    if (e->dim) {
        if (!c->b->dim) {
            c->b->dim = e->dim;
        } else if (c->b->dim != e->dim) {
            dd__seterr(c->err, "conflict", c->index,
                       "events[%ld].embedding: dimension %u differs from %u earlier in the batch",
                       c->index, e->dim, c->b->dim);
            return -2;
        }
    }
    return 0;
}

static int result_of(int rc)
{
    return rc == -2 ? DD_ECONFLICT : DD_EINVAL;
}

/* A string of a text that breaks the string rules (ingest/utf8.h). */
struct bad_text {
    int found;
    struct dd_json_where w;
    char msg[160]; /* without the path */
};

/* 0 when s[0..len) keeps the string rules; 1 and *bad when a string
 * breaks them; 2 when the first problem is in no string: a 0x00 byte, a
 * backslash or a byte >= 0x80 there is not JSON (cJSON would take a 0x00
 * as white space, so the check cannot skip it and go on).  base: s's
 * offset in the body; list: as dd_json_where()'s. */
static int find_bad_text(const char *s, size_t len, size_t base, const char *list,
                         struct bad_text *bad)
{
    struct dd_text_problem p;
    bad->found = 0;
    if (!dd_text_scan(s, len, &p))
        return 0;
    dd_json_where(s, len, p.offset, list, &bad->w);
    if (!bad->w.in_string)
        return 2;
    dd_text_describe(&p, bad->w.in_name, base, bad->msg, sizeof bad->msg);
    bad->found = 1;
    return 1;
}

/* The error for a bad string: "<path>: <message>", the path being `root`
 * for the root value ("" for none). */
static void seterr_bad_text(struct dd_parse_error *err, const char *code, long index,
                            const char *root, const struct bad_text *bad)
{
    const char *path = bad->w.path[0] ? bad->w.path : root;
    dd__seterr(err, code, index, "%s%s%s", path, path[0] ? ": " : "", bad->msg);
}

struct cJSON *dd_json_parse_whole(const char *s, size_t len, size_t *tail)
{
    const char *end = NULL;
    cJSON *tree = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    if (tail)
        *tail = len;
    const char *rest = tree ? dd_json_skip_blank(end, s + len) : s + len;
    if (rest != s + len) {
        if (tail)
            *tail = (size_t)(rest - s);
        cJSON_Delete(tree);
        return NULL;
    }
    return tree;
}

/* What "not valid JSON" adds when the text was one value and more
 * (dd_json_parse_whole()'s tail before len): where the rest begins. */
static const char *more_after(size_t tail, size_t len, char *buf, size_t size)
{
    if (tail >= len)
        return "";
    snprintf(buf, size, " (more after the first value, at byte %zu)", tail);
    return buf;
}

/* cJSON's tree of a text that keeps the string rules.  NULL with *err set
 * otherwise: invalid_json ("<root>: not valid JSON"), or `code` with the
 * path of the bad string and the index in the root's `list` array. */
static cJSON *parse_checked(const char *s, size_t len, const char *code, const char *root,
                            const char *list, struct dd_parse_error *err)
{
    struct bad_text bad;
    int r = find_bad_text(s, len, 0, list, &bad);
    if (r == 1) {
        seterr_bad_text(err, code, bad.w.item, root, &bad);
        return NULL;
    }
    size_t tail = len;
    char more[64];
    cJSON *tree = r == 0 ? dd_json_parse_whole(s, len, &tail) : NULL;
    if (!tree)
        dd__seterr(err, "invalid_json", -1, "%s%snot valid JSON%s", root, root[0] ? ": " : "",
                   more_after(tail, len, more, sizeof more));
    return tree;
}

/* The fast path's tree (nodes in scratch) or, outside its subset, cJSON's
 * (returned in *owned too, for cJSON_Delete).  NULL when the text is not
 * JSON (*tail as dd_json_parse_whole() sets it), or breaks the string rules
 * (then bad->found).  The fast path takes only texts that keep the rules,
 * so both paths refuse the same texts. */
static const cJSON *parse_tree(const char *s, size_t len, size_t base, const char *list, int fast,
                               struct dd_arena *scratch, cJSON **owned, struct bad_text *bad,
                               size_t *tail)
{
    *owned = NULL;
    *tail = len;
    bad->found = 0;
    if (fast) {
        dd_arena_reset(scratch);
        const cJSON *root = dd_jsonfast_parse(s, len, scratch);
        if (root)
            return root;
    }
    if (find_bad_text(s, len, base, list, bad))
        return NULL; /* a bad string (bad->found), or not JSON */
    return *owned = dd_json_parse_whole(s, len, tail);
}

static int parse_json_body(const char *body, size_t len, struct ctx *c)
{
    struct dd_arena scratch;
    dd_arena_init(&scratch);
    cJSON *owned;
    struct bad_text bad;
    size_t tail;
    char more[64];
    const cJSON *root = parse_tree(body, len, 0, "events", c->fast, &scratch, &owned, &bad, &tail);
    int rc = DD_EINVAL;
    if (bad.found) {
        long i = bad.w.item;
        seterr_bad_text(c->err, i >= 0 ? "invalid_event" : "invalid_body", i, "body", &bad);
        goto out;
    }
    if (!root) {
        dd__seterr(c->err, "invalid_json", -1, "body: not valid JSON%s",
                   more_after(tail, len, more, sizeof more));
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        dd__seterr(c->err, "invalid_body", -1, "body: must be an object {\"events\": [...]}");
        goto out;
    }
    const cJSON *events = NULL;
    for (const cJSON *v = root->child; v; v = v->next) {
        if (strcmp(v->string, "events") != 0) {
            dd__seterr(c->err, "invalid_body", -1, "%.60s: unknown field (expected \"events\")",
                       v->string);
            goto out;
        }
        if (events) {
            dd__seterr(c->err, "invalid_body", -1, "events: given twice");
            goto out;
        }
        events = v;
    }
    if (!events || !cJSON_IsArray(events)) {
        dd__seterr(c->err, "invalid_body", -1, "events: must be an array of events");
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(events);
    c->b->events = dd_arena_alloc(&c->b->arena, dd_mul(n, sizeof(struct dd_event)));
    c->index = 0;
    for (const cJSON *x = events->child; x; x = x->next, c->index++) {
        int r = parse_event(c, x, &c->b->events[c->index]);
        if (r != 0) {
            rc = result_of(r);
            goto out;
        }
    }
    c->b->n = n;
    rc = 0;
out:
    cJSON_Delete(owned);
    dd_arena_release(&scratch);
    return rc;
}

/* NDJSON: the number of lines of a body (newlines + 1), and the next line
 * from *at, its span [*s, *e) without the spaces, tabs and CRs around it;
 * 0 at the end of the body. */
static size_t ndjson_lines(const char *body, size_t len)
{
    size_t lines = 1;
    for (const char *q = body, *end = body + len; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        lines++;
    return lines;
}

static int ndjson_next(const char *body, size_t len, size_t *at, size_t *s, size_t *e)
{
    if (*at >= len)
        return 0;
    const char *nl = memchr(body + *at, '\n', len - *at);
    size_t end = nl ? (size_t)(nl - body) : len;
    *s = *at;
    *e = end;
    while (*s < *e && (body[*s] == ' ' || body[*s] == '\t' || body[*s] == '\r'))
        (*s)++;
    while (*e > *s && (body[*e - 1] == ' ' || body[*e - 1] == '\t' || body[*e - 1] == '\r'))
        (*e)--;
    *at = end + 1;
    return 1;
}

static int parse_ndjson_body(const char *body, size_t len, struct ctx *c)
{
    c->b->events =
        dd_arena_alloc(&c->b->arena, dd_mul(ndjson_lines(body, len), sizeof(struct dd_event)));
    c->index = 0;
    size_t at = 0;
    long lineno = 0;
    struct dd_arena scratch;
    dd_arena_init(&scratch);
    int rc = 0;
    size_t s, e;
    while (ndjson_next(body, len, &at, &s, &e)) {
        lineno++;
        if (s == e)
            continue; /* blank lines are allowed */
        cJSON *owned;
        struct bad_text bad;
        size_t tail;
        char more[64];
        const cJSON *obj =
            parse_tree(body + s, e - s, s, NULL, c->fast, &scratch, &owned, &bad, &tail);
        if (bad.found) {
            const char *p = bad.w.path;
            dd__seterr(c->err, "invalid_event", c->index, "events[%ld]%s%s: %s", c->index,
                       p[0] && p[0] != '[' ? "." : "", p, bad.msg);
            rc = DD_EINVAL;
            break;
        }
        if (!obj) {
            dd__seterr(c->err, "invalid_json", c->index, "events[%ld] (line %ld): not valid JSON%s",
                       c->index, lineno, more_after(tail, e - s, more, sizeof more));
            rc = DD_EINVAL;
            break;
        }
        int r = parse_event(c, obj, &c->b->events[c->index]);
        cJSON_Delete(owned);
        if (r != 0) {
            rc = result_of(r);
            break;
        }
        c->index++;
    }
    dd_arena_release(&scratch);
    c->b->n = (size_t)c->index;
    return rc;
}

int dd_parse_events(const char *body, size_t len, enum dd_body_format fmt, struct dd_batch *out,
                    struct dd_parse_error *err)
{
    return dd_parse_events_with(body, len, fmt, NULL, out, err);
}

int dd_parse_events_with(const char *body, size_t len, enum dd_body_format fmt,
                         const struct dd_parse_options *opt, struct dd_batch *out,
                         struct dd_parse_error *err)
{
    dd_batch_init(out);
    if (fmt == DD_BODY_CSV) { /* ingest/csv.h has its own entry point */
        dd__seterr(err, "invalid_body", -1, "body: CSV is parsed by dd_parse_csv()");
        return DD_EINVAL;
    }
    struct ctx c = {out, err, -1, !(opt && opt->no_fast_path), opt && opt->early_ts};
    int rc =
        fmt == DD_BODY_NDJSON ? parse_ndjson_body(body, len, &c) : parse_json_body(body, len, &c);
    if (rc != 0)
        dd_batch_release(out);
    return rc;
}

int dd_parse_media_type(const char *ct, enum dd_body_format *fmt)
{
    static const struct {
        const char *name;
        enum dd_body_format fmt;
    } types[] = {
        {"application/json", DD_BODY_JSON},
        {"application/x-ndjson", DD_BODY_NDJSON},
        {"application/jsonlines", DD_BODY_NDJSON},
        {"application/jsonl+json", DD_BODY_NDJSON},
        {"text/csv", DD_BODY_CSV},
    };
    if (!ct)
        return DD_EINVAL;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; ");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].name) == n && strncasecmp(ct, types[i].name, n) == 0) {
            *fmt = types[i].fmt;
            return 0;
        }
    return DD_EINVAL;
}

void dd_labels_release(struct dd_labels *l)
{
    if (!l)
        return;
    dd_arena_release(&l->arena);
    l->items = NULL;
    l->unknown = NULL;
    l->n = 0;
}

/* One {"id", "label"} item into out->items[i]; `where` names it in errors
 * ("labels[3]" or "labels[3] (line 5)"). */
static int parse_label_item(const cJSON *x, long i, const char *where, struct ctx *c,
                            struct dd_labels *out, struct dd_parse_error *err)
{
    const cJSON *id = cJSON_IsObject(x) ? cJSON_GetObjectItemCaseSensitive(x, "id") : NULL;
    const cJSON *lb = cJSON_IsObject(x) ? cJSON_GetObjectItemCaseSensitive(x, "label") : NULL;
    int members = 0;
    for (const cJSON *m = cJSON_IsObject(x) ? x->child : NULL; m; m = m->next)
        members++;
    size_t idn = id && cJSON_IsString(id) ? strlen(id->valuestring) : 0;
    if (!id || !lb || members != 2) {
        dd__seterr(err, "invalid_body", i, "%s: must be {\"id\", \"label\"}", where);
        return DD_EINVAL;
    }
    if (idn == 0 || idn > DD_ID_MAX) {
        dd__seterr(err, "invalid_body", i, "%s.id: must be a string of 1 to %d bytes", where,
                   DD_ID_MAX);
        return DD_EINVAL;
    }
    const char *label;
    c->index = i;
    if (parse_label(c, lb, &label) != 0) {
        dd__seterr(err, "invalid_body", i, "%s.label: must be a string or a number", where);
        return DD_EINVAL;
    }
    out->items[i].id = dd_arena_strndup(&out->arena, id->valuestring, idn);
    out->items[i].label = dd_arena_strndup(&out->arena, label, strlen(label));
    return 0;
}

static void labels_begin(struct dd_labels *out, size_t cap)
{
    out->items = NULL;
    out->n = 0;
    dd_arena_init(&out->arena);
    out->items = dd_arena_alloc(&out->arena, dd_mul(cap ? cap : 1, sizeof *out->items));
    out->unknown = dd_arena_alloc(&out->arena, cap ? cap : 1);
    memset(out->unknown, 0, cap ? cap : 1);
}

int dd_parse_labels(const char *body, size_t len, struct dd_labels *out, struct dd_parse_error *err)
{
    labels_begin(out, 0);
    struct dd_batch scratch; /* parse_label() copies into a batch arena */
    dd_batch_init(&scratch);
    struct ctx c = {&scratch, err, -1, 0, 0};
    int rc = DD_EINVAL;
    cJSON *root = parse_checked(body, len, "invalid_body", "body", "labels", err);
    if (!root)
        goto out;
    const cJSON *labels = cJSON_IsObject(root) ? root->child : NULL;
    if (!labels || strcmp(labels->string, "labels") != 0 || labels->next ||
        !cJSON_IsArray(labels)) {
        dd__seterr(err, "invalid_body", -1,
                   "body: must be {\"labels\": [{\"id\", \"label\"}, ...]}");
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(labels);
    dd_arena_release(&out->arena);
    labels_begin(out, n);
    long i = 0;
    for (const cJSON *x = labels->child; x; x = x->next, i++) {
        char where[32];
        snprintf(where, sizeof where, "labels[%ld]", i);
        if (parse_label_item(x, i, where, &c, out, err) != 0)
            goto out;
    }
    out->n = n;
    rc = 0;
out:
    cJSON_Delete(root);
    dd_batch_release(&scratch);
    if (rc != 0)
        dd_labels_release(out);
    return rc;
}

int dd_parse_labels_ndjson(const char *body, size_t len, struct dd_labels *out,
                           struct dd_parse_error *err)
{
    labels_begin(out, ndjson_lines(body, len));
    struct dd_batch scratch;
    dd_batch_init(&scratch);
    struct ctx c = {&scratch, err, -1, 0, 0};
    int rc = 0;
    long i = 0, lineno = 0;
    size_t at = 0;
    size_t s, e;
    while (rc == 0 && ndjson_next(body, len, &at, &s, &e)) {
        lineno++;
        if (s == e)
            continue; /* blank lines are allowed */
        char where[64];
        snprintf(where, sizeof where, "labels[%ld] (line %ld)", i, lineno);
        struct dd_parse_error inner;
        cJSON *obj = parse_checked(body + s, e - s, "invalid_body", "", NULL, &inner);
        if (!obj) {
            dd__seterr(err, inner.code, i, "%s: %s", where,
                       strcmp(inner.code, "invalid_json") ? inner.message : "not valid JSON");
            rc = DD_EINVAL;
            break;
        }
        rc = parse_label_item(obj, i, where, &c, out, err);
        cJSON_Delete(obj);
        i++;
    }
    dd_batch_release(&scratch);
    out->n = (size_t)i;
    if (rc != 0)
        dd_labels_release(out);
    return rc;
}

int dd_parse_flat_object(const char *text, size_t len,
                         int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
                         struct dd_parse_error *err)
{
    int rc = DD_EINVAL;
    cJSON *root = parse_checked(text, len, "invalid_body", "", NULL, err);
    if (!root)
        goto out;
    if (!cJSON_IsObject(root)) {
        dd__seterr(err, "invalid_body", -1, "must be a JSON object");
        goto out;
    }
    for (const cJSON *v = root->child; v; v = v->next) {
        char num[40];
        const char *val;
        char *printed = NULL;
        if (cJSON_IsString(v)) {
            val = v->valuestring;
        } else if (cJSON_IsNumber(v)) {
            snprintf(num, sizeof num, "%.17g", v->valuedouble);
            val = num;
        } else if (cJSON_IsBool(v)) {
            val = cJSON_IsTrue(v) ? "true" : "false";
        } else if (cJSON_IsObject(v) && (printed = cJSON_PrintUnformatted(v)) != NULL) {
            val = printed;
        } else {
            dd__seterr(err, "invalid_body", -1,
                       "%.60s: must be a string, number, boolean or object", v->string);
            goto out;
        }
        int r = fn(v->string, val, ctx);
        cJSON_free(printed);
        if (r != 0) {
            dd__seterr(err, "invalid_body", -1, "%.60s: invalid value", v->string);
            rc = r;
            goto out;
        }
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

static int time_value(const cJSON *v, int64_t *out)
{
    if (cJSON_IsString(v))
        return dd_time_parse(v->valuestring, strlen(v->valuestring), out);
    if (is_integer(v) && v->valuedouble >= 0 && v->valuedouble <= TS_MAX_MS) {
        *out = (int64_t)v->valuedouble;
        return 0;
    }
    return DD_EINVAL;
}

int dd_parse_time_range(const char *body, size_t len, int64_t *from_ms, int64_t *to_ms,
                        struct dd_parse_error *err)
{
    int rc = DD_EINVAL;
    cJSON *root = parse_checked(body, len, "invalid_body", "body", NULL, err);
    if (!root)
        goto out;
    const cJSON *from = NULL, *to = NULL;
    for (const cJSON *v = cJSON_IsObject(root) ? root->child : NULL; v; v = v->next) {
        if (!strcmp(v->string, "from"))
            from = v;
        else if (!strcmp(v->string, "to"))
            to = v;
        else {
            dd__seterr(err, "invalid_body", -1, "%.60s: unknown field (expected from, to)",
                       v->string);
            goto out;
        }
    }
    if (!from || !to) {
        dd__seterr(err, "invalid_body", -1,
                   "body: must be {\"events\": [...]} or {\"from\": TIME, \"to\": TIME}");
        goto out;
    }
    if (time_value(from, from_ms) != 0) {
        dd__seterr(err, "invalid_body", -1, "from: must be an RFC 3339 time or epoch milliseconds");
        goto out;
    }
    if (time_value(to, to_ms) != 0) {
        dd__seterr(err, "invalid_body", -1, "to: must be an RFC 3339 time or epoch milliseconds");
        goto out;
    }
    if (*from_ms > *to_ms) {
        dd__seterr(err, "invalid_body", -1, "from: must not be after to");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

int dd_body_is_events(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    if (i >= n || s[i] != '{')
        return 0;
    i++;
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    return n - i >= 8 && !memcmp(s + i, "\"events\"", 8);
}

static int settings_fail(struct dd_parse_error *err, const char *fmt, const char *a)
{
    dd__seterr(err, "invalid_body", -1, fmt, a);
    return DD_EINVAL;
}

/* A JSON value as it was given, for a message: compact, cut to 40 bytes. */
static const char *settings_shown(const cJSON *v, char *buf, size_t n)
{
    char *text = cJSON_PrintUnformatted(v);
    snprintf(buf, n, "%.40s%s", text ? text : "?", text && strlen(text) > 40 ? "..." : "");
    free(text);
    return buf;
}

/* A top-level member that must be an integer in [lo, hi]: 0 and *out, or
 * DD_EINVAL with the message naming the member and what was given. */
static int settings_long(const cJSON *v, long lo, long hi, long *out, struct dd_parse_error *err)
{
    if (!is_integer(v) || v->valuedouble < lo || v->valuedouble > hi) {
        char shown[48];
        dd__seterr(err, "invalid_body", -1, "%s: %s is not an integer from %ld to %ld", v->string,
                   settings_shown(v, shown, sizeof shown), lo, hi);
        return DD_EINVAL;
    }
    *out = (long)v->valuedouble;
    return 0;
}

static int short_name(const cJSON *v, size_t max)
{
    return cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) < max;
}

/* "types": {"feature:age": "numeric", "prediction": "categorical", "x": null} */
static int parse_settings_types(const cJSON *v, struct dd_settings_input *out,
                                struct dd_parse_error *err)
{
    if (!cJSON_IsObject(v))
        return settings_fail(err,
                             "types: must be an object signal -> \"numeric\" or "
                             "\"categorical\"%s",
                             "");
    for (const cJSON *t = v->child; t; t = t->next) {
        if (out->n_types == DD_SETTINGS_MAX)
            return settings_fail(err, "types: at most %s entries", "64");
        if (!t->string[0] || strlen(t->string) >= sizeof out->types[0].signal)
            return settings_fail(err, "types.%.100s: must be a signal name of 1 to 159 bytes",
                                 t->string);
        int type = -1;
        if (cJSON_IsNull(t))
            type = 0;
        else if (cJSON_IsString(t) && !strcmp(t->valuestring, "numeric"))
            type = DD_TYPE_NUMERIC;
        else if (cJSON_IsString(t) && !strcmp(t->valuestring, "categorical"))
            type = DD_TYPE_CATEGORICAL;
        if (type < 0) {
            char q[64] = "a non-string";
            if (cJSON_IsString(t))
                snprintf(q, sizeof q, "'%.40s'", t->valuestring);
            dd__seterr(err, "invalid_body", -1,
                       "types.%.100s: %s is not a type (numeric, categorical, or null to remove)",
                       t->string, q);
            return DD_EINVAL;
        }
        int i = out->n_types++;
        snprintf(out->types[i].signal, sizeof out->types[i].signal, "%s", t->string);
        out->types[i].type = type;
    }
    return 0;
}

/* 1 when entry e of "methods" or "thresholds" removes a key: null, with a
 * name of 1 to size - 1 bytes and room for it after n entries. */
static int settings_removal(const cJSON *e, int n, size_t size)
{
    return n < DD_SETTINGS_MAX && e->string[0] && strlen(e->string) < size && cJSON_IsNull(e);
}

/* "methods": {"feature:age": ["ks", "psi"], "prediction": null} */
static int parse_settings_methods(const cJSON *v, struct dd_settings_input *out,
                                  struct dd_parse_error *err)
{
    if (!cJSON_IsObject(v))
        return settings_fail(err, "methods: must be an object signal -> [method, ...]%s", "");
    for (const cJSON *m = v->child; m; m = m->next) {
        /* null removes this signal's methods: an entry with n == 0 */
        if (!settings_removal(m, out->n_methods, sizeof out->methods[0].signal) &&
            (out->n_methods == DD_SETTINGS_MAX || strlen(m->string) >= 160 || !m->string[0] ||
             !cJSON_IsArray(m) || cJSON_GetArraySize(m) < 1 || cJSON_GetArraySize(m) > 12))
            return settings_fail(err, "methods.%.100s: must be a list of 1 to 12 method names",
                                 m->string);
        int i = out->n_methods++;
        snprintf(out->methods[i].signal, sizeof out->methods[i].signal, "%s", m->string);
        for (const cJSON *x = m->child; x; x = x->next) {
            if (!short_name(x, 24))
                return settings_fail(err, "methods.%.100s: method names must be strings",
                                     m->string);
            snprintf(out->methods[i].methods[out->methods[i].n++], 24, "%s", x->valuestring);
        }
    }
    return 0;
}

/* "thresholds": {"psi": 0.3, "js": null} */
static int parse_settings_thresholds(const cJSON *v, struct dd_settings_input *out,
                                     struct dd_parse_error *err)
{
    if (!cJSON_IsObject(v))
        return settings_fail(err, "thresholds: must be an object method -> number%s", "");
    for (const cJSON *t = v->child; t; t = t->next) {
        /* null goes back to the built-in threshold: an entry with value 0 */
        int removal = settings_removal(t, out->n_thresholds, sizeof out->thresholds[0].method);
        if (!removal && (out->n_thresholds == DD_SETTINGS_MAX || strlen(t->string) >= 24 ||
                         !cJSON_IsNumber(t) || !(t->valuedouble > 0 && isfinite(t->valuedouble))))
            return settings_fail(err, "thresholds.%.30s: must be a positive number", t->string);
        int i = out->n_thresholds++;
        snprintf(out->thresholds[i].method, sizeof out->thresholds[i].method, "%s", t->string);
        out->thresholds[i].value = removal ? 0 : t->valuedouble;
    }
    return 0;
}

/* The top-level settings keys: their DD_SET_* bit and, for the objects of
 * entries, their parser (the scalars are parsed in dd_parse_settings). */
static const struct settings_key {
    const char *name;
    unsigned bit;
    int (*parse)(const cJSON *v, struct dd_settings_input *out, struct dd_parse_error *err);
} settings_keys[] = {
    {"alpha", DD_SET_ALPHA, NULL},
    {"window", DD_SET_WINDOW, NULL},
    {"reference_size", DD_SET_REFERENCE_SIZE, NULL},
    {"methods", DD_SET_METHODS, parse_settings_methods},
    {"thresholds", DD_SET_THRESHOLDS, parse_settings_thresholds},
    {"types", DD_SET_TYPES, parse_settings_types},
    {"min_samples", DD_SET_MIN_SAMPLES, NULL},
};

/* The entry of settings_keys named k, NULL for an unknown key. */
static const struct settings_key *settings_key(const char *k)
{
    for (size_t i = 0; i < sizeof settings_keys / sizeof settings_keys[0]; i++)
        if (!strcmp(k, settings_keys[i].name))
            return &settings_keys[i];
    return NULL;
}

int dd_parse_settings(const char *body, size_t len, struct dd_settings_input *out,
                      struct dd_parse_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = DD_EINVAL;
    char shown[48];
    cJSON *root = parse_checked(body, len, "invalid_body", "body", NULL, err);
    if (!root)
        goto out;
    if (!cJSON_IsObject(root)) {
        rc = settings_fail(err, "body: must be an object%s", "");
        goto out;
    }
    for (const cJSON *v = root->child; v; v = v->next) {
        const char *k = v->string;
        const struct settings_key *key = settings_key(k);
        if (key && cJSON_IsNull(v)) { /* null removes the key */
            out->unset |= key->bit;
            out->has &= ~key->bit;
            continue;
        }
        if (key && key->parse) {
            if ((rc = key->parse(v, out, err)) != 0)
                goto out;
            out->has |= key->bit;
        } else if (!strcmp(k, "alpha")) {
            if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 0.5)) {
                rc = settings_fail(err, "alpha: %s is not a number in (0, 0.5]",
                                   settings_shown(v, shown, sizeof shown));
                goto out;
            }
            out->alpha = v->valuedouble;
            out->has |= DD_SET_ALPHA;
        } else if (!strcmp(k, "window")) {
            if (!short_name(v, sizeof out->window)) {
                rc = settings_fail(err,
                                   "window: %s is not a window: expected a duration such as 15m, "
                                   "1h, 24h, or last:N",
                                   settings_shown(v, shown, sizeof shown));
                goto out;
            }
            snprintf(out->window, sizeof out->window, "%s", v->valuestring);
            out->has |= DD_SET_WINDOW;
        } else if (!strcmp(k, "reference_size")) {
            if ((rc = settings_long(v, 20, 1000000, &out->reference_size, err)))
                goto out;
            out->has |= DD_SET_REFERENCE_SIZE;
        } else if (!strcmp(k, "min_samples")) {
            if ((rc = settings_long(v, 2, 1000000, &out->min_samples, err)))
                goto out;
            out->has |= DD_SET_MIN_SAMPLES;
        } else {
            rc = settings_fail(err,
                               "%.60s: unknown setting (alpha, window, reference_size, "
                               "min_samples, methods, thresholds, types)",
                               k);
            goto out;
        }
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}
