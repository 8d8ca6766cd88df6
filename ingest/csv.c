/* csv.c — CSV bodies to validated batches (csv.h).
 *
 * Reading order: dd_parse_csv() -> first_bad_text() (the string rules on
 * the whole text, locate_bad_text() to name the cell of a problem) ->
 * read_header() and header_columns() (names to column kinds) -> per data
 * row read_record() (the RFC 4180 fields of one record) and row_event()
 * (one small function per column kind, like ingest/parse.c's validators).
 *
 * Fields are spans of the body; only a quoted field with "" in it is
 * copied (unescaped) into a scratch arena that is reset every row.  The
 * event's strings, probabilities and encoded features go into the batch's
 * arena: no allocation per cell.
 */
#include "ingest/csv.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "ingest/parse.h"
#include "ingest/parse_int.h"
#include "ingest/utf8.h"

/* epoch ms bounds: 1970 .. 9999-12-31, as parse.c's */
#define TS_MAX_MS DD_TS_MAX_MS
/* the columns a header may have: the seven members, the probabilities and
 * the features (more could only be duplicates or over a limit) */
#define COLS_MAX (7 + DD_PROBS_MAX + DD_FEATURES_MAX)
/* how much of a bad value an error message shows */
#define SHOW_MAX 40

enum kind {
    K_FEATURE,
    K_ID,
    K_TS,
    K_VERSION,
    K_PREDICTION,
    K_CONFIDENCE,
    K_LABEL,
    K_LATENCY,
    K_PROBABILITY,
};

static const struct {
    const char *name;
    enum kind kind;
} members[] = {
    {"id", K_ID},
    {"ts", K_TS},
    {"version", K_VERSION},
    {"prediction", K_PREDICTION},
    {"confidence", K_CONFIDENCE},
    {"label", K_LABEL},
    {"latency_ms", K_LATENCY},
};

struct column {
    const char *name; /* NUL-terminated copy (names may be unescaped) */
    size_t name_len;
    enum kind kind;
    uint32_t k; /* K_PROBABILITY: the class */
};

/* One field of a record: s[0..n) is its value (quotes removed, "" made
 * one), start..end its bytes in the body (quotes included). */
struct cell {
    const char *s;
    size_t n;
    size_t start, end;
    long line; /* the physical line it starts on */
};

struct csv {
    const char *p;
    size_t len, pos;
    long line; /* physical line at pos, from 1 */
    struct dd_batch *b;
    struct dd_parse_error *err;
    struct dd_arena scratch; /* unescaped fields of the current record */
    struct dd_arena keep;    /* header names, per-parse tables */
    struct cell *cells;      /* the current record's fields (grown, one malloc) */
    size_t cells_cap;
    struct column *cols;
    size_t ncols;
    uint8_t *ftype; /* per column: the current row's feature type */
    double *fnum;   /* and number */
    uint32_t nprobs;
    size_t nfeatures;
    int has_pred_or_conf;
    long row; /* data row being read, from 0; -1 in the header */
    /* the first string-rule problem (SIZE_MAX: none) and, once a record
     * holding it was read, its field (from 1) and line */
    size_t bad_off;
    size_t bad_col;
    long bad_line;
};

/* ---- messages ---- */

/* The value as an error message shows it: at most SHOW_MAX bytes, cut at a
 * character boundary with "..." after, control bytes as '?'. */
static void show(const char *s, size_t n, char *out, size_t cap)
{
    size_t m = n;
    if (m > SHOW_MAX) {
        m = SHOW_MAX;
        while (m > 0 && ((unsigned char)s[m] & 0xc0) == 0x80)
            m--; /* s is valid UTF-8 (checked first) */
    }
    size_t j = 0;
    for (size_t i = 0; i < m && j + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[j++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (m < n && j + 4 < cap) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j] = 0;
}

static int fail(struct csv *r, const char *code, long line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sets the error "line L[, column C[ (name)]]: <fmt>" and returns -1.
 * col: from 1, 0 for none; the name is the header's (none in the header,
 * where the message shows what it needs). */
static int fail(struct csv *r, const char *code, long line, size_t col, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    long index = r->row;
    if (col == 0)
        dd__seterr(r->err, code, index, "line %ld: %s", line, what);
    else if (r->row < 0 || col > r->ncols)
        dd__seterr(r->err, code, index, "line %ld, column %zu: %s", line, col, what);
    else
        dd__seterr(r->err, code, index, "line %ld, column %zu (%.60s): %s", line, col,
                   r->cols[col - 1].name, what);
    return -1;
}

/* ---- the string rules (ingest/utf8.h) ---- */

/* The offset of the first byte of s[0..n) that breaks the string rules
 * (an ill-formed UTF-8 sequence or 0x00), SIZE_MAX if none; *p describes
 * it.  The whole text is valid in nearly every body: one fast check, then
 * a walk only to find where. */
static size_t first_bad_text(const char *s, size_t n, struct dd_text_problem *p)
{
    if (dd_utf8_valid(s, n) && !memchr(s, 0, n))
        return SIZE_MAX;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t L = c < 0x80                 ? 1
                   : c >= 0xc2 && c <= 0xdf ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
        if (c == 0) {
            memset(p, 0, sizeof *p);
            p->kind = DD_TEXT_NUL;
            p->offset = i;
            return i;
        }
        if (L == 0 || n - i < L || !dd_utf8_valid(s + i, L)) {
            memset(p, 0, sizeof *p);
            p->kind = DD_TEXT_BAD_UTF8;
            p->offset = i;
            p->byte = c;
            return i;
        }
        i += L;
    }
    return SIZE_MAX; /* not reached: dd_utf8_valid() said otherwise */
}

/* ---- records ---- */

static void cells_grow(struct csv *r)
{
    r->cells_cap = r->cells_cap ? 2 * r->cells_cap : 64;
    r->cells = dd_realloc(r->cells, dd_mul(r->cells_cap, sizeof *r->cells));
}

static size_t count_lines(const char *s, size_t n)
{
    size_t k = 0;
    for (const char *q = s, *end = s + n; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        k++;
    return k;
}

/* Reads the record at r->pos (which is < r->len): its fields into
 * r->cells[0..max) (later ones are counted, not kept), their number into
 * *n, and whether the line is blank (nothing, or only a CR).  0, or -1 and
 * the error for a quote out of place. */
static int read_record(struct csv *r, size_t max, size_t *n, int *blank)
{
    const char *p = r->p;
    size_t len = r->len, pos = r->pos, count = 0;
    int quoted_any = 0;
    dd_arena_reset(&r->scratch);
    for (;;) {
        struct cell c = {NULL, 0, pos, pos, r->line};
        if (pos < len && p[pos] == '"') {
            quoted_any = 1;
            size_t from = ++pos;
            int doubled = 0;
            for (;;) {
                const char *q = memchr(p + pos, '"', len - pos);
                if (!q)
                    return fail(r, "invalid_body", c.line, count + 1,
                                "the quoted field is not closed (a '\"' inside a quoted field is "
                                "written '\"\"')");
                size_t at = (size_t)(q - p);
                r->line += (long)count_lines(p + pos, at - pos);
                pos = at + 1;
                if (pos < len && p[pos] == '"') {
                    doubled = 1;
                    pos++;
                    continue;
                }
                break;
            }
            size_t to = pos - 1; /* the closing quote */
            if (!doubled) {
                c.s = p + from;
                c.n = to - from;
            } else {
                char *u = dd_arena_alloc(&r->scratch, to - from);
                size_t k = 0;
                for (size_t i = from; i < to; i++) {
                    u[k++] = p[i];
                    if (p[i] == '"')
                        i++; /* "" -> " */
                }
                c.s = u;
                c.n = k;
            }
            c.end = pos;
            int line_end = pos == len || p[pos] == ',' || p[pos] == '\n' ||
                           (p[pos] == '\r' && (pos + 1 == len || p[pos + 1] == '\n'));
            if (!line_end)
                return fail(r, "invalid_body", r->line, count + 1,
                            "text after the closing quote (a field is quoted whole or not at "
                            "all; a '\"' inside is written '\"\"')");
            if (pos < len && p[pos] == '\r')
                pos++; /* CRLF */
        } else {
            size_t from = pos;
            while (pos < len && p[pos] != ',' && p[pos] != '\n' && p[pos] != '"')
                pos++;
            if (pos < len && p[pos] == '"')
                return fail(r, "invalid_body", r->line, count + 1,
                            "a '\"' inside an unquoted field (quote the whole field and write "
                            "the '\"' as '\"\"')");
            size_t to = pos;
            if (to > from && p[to - 1] == '\r' && (pos == len || p[pos] == '\n'))
                to--; /* CRLF (or a last line's CR) */
            c.s = p + from;
            c.n = to - from;
            c.end = pos;
        }
        if (r->bad_off >= c.start && r->bad_off < c.end && !r->bad_col) {
            r->bad_col = count + 1;
            r->bad_line = c.line;
        }
        if (count < max) {
            if (count == r->cells_cap)
                cells_grow(r);
            r->cells[count] = c;
        }
        count++;
        if (pos < len && p[pos] == ',') {
            pos++;
            continue;
        }
        if (pos < len) { /* '\n' */
            pos++;
            r->line++;
        }
        break;
    }
    r->pos = pos;
    *n = count;
    *blank = count == 1 && !quoted_any && r->cells[0].n == 0;
    return 0;
}

/* 1 when only line ends are left after r->pos (blank lines at the end). */
static int only_line_ends_left(const struct csv *r)
{
    for (size_t i = r->pos; i < r->len; i++)
        if (r->p[i] != '\n' && r->p[i] != '\r')
            return 0;
    return 1;
}

/* ---- numbers ---- */

/* 1 and *out when s[0..n) is, whole, a finite number as strtod() reads it,
 * written with digits, sign, point and exponent only (no space, hex, inf,
 * nan). */
static int number_cell(const char *s, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return 0;
    }
    return dd_text_double(s, n, out);
}

/* 1 when s[0..n) is written as a JSON number
 * (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?); *frac_exp: with a
 * fraction or an exponent. */
static int json_number_text(const char *s, size_t n, int *frac_exp)
{
    size_t i = 0;
    *frac_exp = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
        *frac_exp = 1;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
        *frac_exp = 1;
    }
    return i == n;
}

/* 1 and *out (the decimal text) when the cell is a JSON number of integral
 * value below 2^53: what parse.c's str_or_int() takes for an integer. */
static int integer_text(const struct cell *c, int with_frac_exp, char out[32])
{
    int fe;
    double d;
    if (!json_number_text(c->s, c->n, &fe) || (fe && !with_frac_exp) ||
        !number_cell(c->s, c->n, &d) || d != floor(d) || !(fabs(d) < DD__INT_EXACT))
        return 0;
    snprintf(out, 32, "%lld", (long long)d);
    return 1;
}

/* ---- the header ---- */

/* The class k of "probability:<k>" (decimal, no leading zero), -1 if the
 * rest is not one below DD_PROBS_MAX. */
static long probability_class(const char *s, size_t n)
{
    if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
        return -1;
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        k = k * 10 + (s[i] - '0');
    }
    return k < DD_PROBS_MAX ? k : -1;
}

static int classify(struct csv *r, size_t i, const struct cell *c)
{
    struct column *col = &r->cols[i];
    char shown[64];
    show(c->s, c->n, shown, sizeof shown);
    col->name = dd_arena_strndup(&r->keep, c->s, c->n);
    col->name_len = c->n;
    col->kind = K_FEATURE;
    if (c->n == 0)
        return fail(r, "invalid_body", c->line, i + 1, "empty column name");
    for (size_t m = 0; m < sizeof members / sizeof members[0]; m++)
        if (strcmp(col->name, members[m].name) == 0) {
            col->kind = members[m].kind;
            if (col->kind == K_PREDICTION || col->kind == K_CONFIDENCE)
                r->has_pred_or_conf = 1;
            return 0;
        }
    if (!strcmp(col->name, "embedding") || !strcmp(col->name, "embedding_b64"))
        return fail(r, "invalid_body", c->line, i + 1,
                    "'%s': CSV cannot carry embeddings; send events with embeddings as NDJSON "
                    "(application/x-ndjson)",
                    shown);
    if (!strcmp(col->name, "probabilities"))
        return fail(r, "invalid_body", c->line, i + 1,
                    "'probabilities': give class probabilities as columns probability:0, "
                    "probability:1, ...");
    if (c->n >= 12 && !memcmp(c->s, "probability:", 12)) {
        long k = probability_class(c->s + 12, c->n - 12);
        if (k < 0)
            return fail(r, "invalid_body", c->line, i + 1,
                        "'%s': the class of a probability:<k> column must be 0 to %d, without "
                        "leading zeros",
                        shown, DD_PROBS_MAX - 1);
        col->kind = K_PROBABILITY;
        col->k = (uint32_t)k;
        r->nprobs++;
        return 0;
    }
    if (!dd_name_valid(c->s, c->n))
        return fail(r, "invalid_body", c->line, i + 1,
                    "'%s' is not a feature name (names match [A-Za-z0-9._-]{1,128}, not . or ..)",
                    shown);
    if (++r->nfeatures > DD_FEATURES_MAX)
        return fail(r, "invalid_body", c->line, i + 1, "'%s': more than %d feature columns", shown,
                    DD_FEATURES_MAX);
    return 0;
}

/* The error for the first column (in header order) whose name an earlier
 * column has.  A stable merge sort of the column numbers by name (headers
 * of many probability:<k> columns are wide); no shared state. */
static int check_unique(struct csv *r)
{
    size_t n = r->ncols;
    size_t *ix = dd_arena_alloc(&r->keep, dd_mul(n, sizeof *ix));
    size_t *tmp = dd_arena_alloc(&r->keep, dd_mul(n, sizeof *tmp));
    for (size_t i = 0; i < n; i++)
        ix[i] = i;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] =
                    strcmp(r->cols[ix[i]].name, r->cols[ix[j]].name) <= 0 ? ix[i++] : ix[j++];
            while (i < mid)
                tmp[k++] = ix[i++];
            while (j < hi)
                tmp[k++] = ix[j++];
        }
        size_t *t = ix;
        ix = tmp;
        tmp = t;
    }
    /* equal names keep column order: the second of a run is the first
     * repeat of its name */
    size_t repeat = SIZE_MAX, first = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (!strcmp(r->cols[ix[i]].name, r->cols[ix[i + 1]].name) &&
            (i == 0 || strcmp(r->cols[ix[i - 1]].name, r->cols[ix[i]].name)) &&
            ix[i + 1] < repeat) {
            repeat = ix[i + 1];
            first = ix[i];
        }
    if (repeat == SIZE_MAX)
        return 0;
    return fail(r, "invalid_body", r->cells[repeat].line, repeat + 1,
                "'%.60s': same name as column %zu", r->cols[repeat].name, first + 1);
}

/* Reads the header row and gives each column its kind; 0 or -1. */
static int read_header(struct csv *r)
{
    if (r->pos == r->len)
        return fail(
            r, "invalid_body", 1, 0,
            "a header row is required (the column names, e.g. id,ts,prediction,confidence)");
    size_t n;
    int blank;
    if (read_record(r, COLS_MAX + 1, &n, &blank) != 0)
        return -1;
    if (blank)
        return fail(
            r, "invalid_body", 1, 0,
            "a header row is required (the column names, e.g. id,ts,prediction,confidence)");
    if (n > COLS_MAX)
        return fail(r, "invalid_body", 1, 0, "more than %d columns", COLS_MAX);
    r->ncols = n;
    r->cols = dd_arena_alloc(&r->keep, dd_mul(n, sizeof *r->cols));
    memset(r->cols, 0, n * sizeof *r->cols);
    return 0;
}

static int header_columns(struct csv *r)
{
    for (size_t i = 0; i < r->ncols; i++)
        if (classify(r, i, &r->cells[i]) != 0)
            return -1;
    if (check_unique(r) != 0)
        return -1;
    if (r->nprobs) {
        /* the classes are unique, so 0..K-1 are all there unless one is >= K */
        size_t top = SIZE_MAX;
        uint8_t *seen = dd_arena_alloc(&r->keep, r->nprobs);
        memset(seen, 0, r->nprobs);
        for (size_t i = 0; i < r->ncols; i++)
            if (r->cols[i].kind == K_PROBABILITY) {
                if (r->cols[i].k < r->nprobs)
                    seen[r->cols[i].k] = 1;
                if (top == SIZE_MAX || r->cols[i].k > r->cols[top].k)
                    top = i;
            }
        for (uint32_t k = 0; k < r->nprobs; k++)
            if (!seen[k])
                return fail(r, "invalid_body", r->cells[top].line, top + 1,
                            "'%s': there is no column probability:%u (probability:<k> columns "
                            "count from 0 without gaps)",
                            r->cols[top].name, k);
    }
    r->ftype = dd_arena_alloc(&r->keep, r->ncols);
    r->fnum = dd_arena_alloc(&r->keep, dd_mul(r->ncols, sizeof *r->fnum));
    if (!r->has_pred_or_conf && !r->nfeatures)
        return fail(r, "invalid_body", r->cells[0].line, 0,
                    "needs a prediction, confidence or feature column (each event needs one of "
                    "them)");
    return 0;
}

/* ---- one row ---- */

#define CELL_FAIL(r, c, col, ...) fail((r), "invalid_event", (c)->line, (col) + 1, __VA_ARGS__)

/* s[0..n) into the batch arena, 1..max bytes. */
static int text_value(struct csv *r, const struct cell *c, size_t col, size_t max, const char **out)
{
    if (c->n > max) {
        char shown[64];
        show(c->s, c->n, shown, sizeof shown);
        return CELL_FAIL(r, c, col, "'%s' (%zu bytes) is longer than %zu bytes", shown, c->n, max);
    }
    *out = dd_arena_strndup(&r->b->arena, c->s, c->n);
    return 0;
}

/* A number in [lo, hi] (hi: HUGE_VAL for none) into *out. */
static int number_value(struct csv *r, const struct cell *c, size_t col, double lo, double hi,
                        const char *range, double *out)
{
    char shown[64];
    show(c->s, c->n, shown, sizeof shown);
    double d;
    if (!number_cell(c->s, c->n, &d))
        return CELL_FAIL(r, c, col, "'%s' is not a number (expected %s)", shown, range);
    if (!(d >= lo && d <= hi))
        return CELL_FAIL(r, c, col, "%s is not %s", shown, range);
    *out = d;
    return 0;
}

static int ts_value(struct csv *r, const struct cell *c, size_t col, struct dd_event *e)
{
    char shown[64];
    show(c->s, c->n, shown, sizeof shown);
    int fe;
    int is_number = json_number_text(c->s, c->n, &fe);
    double d;
    int64_t ms;
    if (is_number) {
        if (!number_cell(c->s, c->n, &d) || d != floor(d) || !(fabs(d) < DD__INT_EXACT))
            return CELL_FAIL(
                r, c, col, "%s is not an RFC 3339 time or epoch milliseconds (an integer)", shown);
        ms = (int64_t)d;
        if (ms >= 0 && ms < DD_TS_NUMBER_MIN_MS) { /* the rule of parse.c */
            if (ms * 1000 >= DD_TS_NUMBER_MIN_MS && ms * 1000 <= TS_MAX_MS)
                return CELL_FAIL(r, c, col,
                                 "%s looks like epoch seconds; send milliseconds (%lld) or "
                                 "RFC 3339",
                                 shown, (long long)ms * 1000);
            return CELL_FAIL(r, c, col,
                             "%s is before 2001 as epoch milliseconds; send milliseconds or "
                             "RFC 3339",
                             shown);
        }
    } else if (dd_time_parse(c->s, c->n, &ms) != 0) {
        return CELL_FAIL(r, c, col,
                         "'%s' is not an RFC 3339 time (2026-11-22T10:00:00Z) or epoch "
                         "milliseconds",
                         shown);
    }
    if (ms < 0 || ms > TS_MAX_MS)
        return CELL_FAIL(r, c, col,
                         is_number ? "%s is out of range (1970 to 9999)"
                                   : "'%s' is out of range (1970 to 9999)",
                         shown);
    e->ts_ms = ms;
    e->has |= DD_HAS_TS;
    return 0;
}

static int prediction_value(struct csv *r, const struct cell *c, size_t col, struct dd_event *e)
{
    char t[32];
    int fe;
    double d;
    if (integer_text(c, 0, t)) {
        e->prediction = dd_arena_strndup(&r->b->arena, t, strlen(t));
        return 0;
    }
    if (json_number_text(c->s, c->n, &fe) && fe && number_cell(c->s, c->n, &d)) {
        int n = snprintf(t, sizeof t, "%.17g", d);
        e->prediction = dd_arena_strndup(&r->b->arena, t, (size_t)n);
        e->prediction_num = d;
        e->has |= DD_HAS_PREDICTION_NUM;
        return 0;
    }
    return text_value(r, c, col, DD_VALUE_MAX, &e->prediction);
}

static int label_value(struct csv *r, const struct cell *c, size_t col, struct dd_event *e)
{
    char t[32];
    if (integer_text(c, 1, t)) {
        e->label = dd_arena_strndup(&r->b->arena, t, strlen(t));
        return 0;
    }
    return text_value(r, c, col, DD_VALUE_MAX, &e->label);
}

/* A feature cell: its type (event.h: 0 number, 1 string, 2 missing) and
 * number into r->ftype/r->fnum; *size grows by its encoded bytes. */
static int feature_cell(struct csv *r, const struct cell *c, size_t col, size_t *size)
{
    *size += 2 + r->cols[col].name_len;
    if (c->n == 0) {
        r->ftype[col] = 2;
    } else if (number_cell(c->s, c->n, &r->fnum[col])) {
        r->ftype[col] = 0;
        *size += 8;
    } else if (c->n > DD_VALUE_MAX) {
        char shown[64];
        show(c->s, c->n, shown, sizeof shown);
        return CELL_FAIL(r, c, col, "'%s' (%zu bytes) is longer than %d bytes", shown, c->n,
                         DD_VALUE_MAX);
    } else {
        r->ftype[col] = 1;
        *size += 2 + c->n;
    }
    return 0;
}

/* The row's features, encoded as event.h says, in column order. */
static void encode_features(struct csv *r, size_t size, struct dd_event *e)
{
    uint8_t *p = dd_arena_alloc(&r->b->arena, size), *w = p;
    for (size_t i = 0; i < r->ncols; i++) {
        const struct column *col = &r->cols[i];
        const struct cell *c = &r->cells[i];
        if (col->kind != K_FEATURE)
            continue;
        *w++ = r->ftype[i];
        *w++ = (uint8_t)col->name_len;
        memcpy(w, col->name, col->name_len);
        w += col->name_len;
        if (r->ftype[i] == 0) {
            memcpy(w, &r->fnum[i], 8);
            w += 8;
        } else if (r->ftype[i] == 1) {
            *w++ = (uint8_t)(c->n & 0xff);
            *w++ = (uint8_t)(c->n >> 8);
            memcpy(w, c->s, c->n);
            w += c->n;
        }
    }
    e->features = p;
    e->features_len = (uint32_t)size;
}

/* The event of the row in r->cells (as many as the header's); 0 or -1.
 * Cells are checked in column order, then the row's own rules. */
static int row_event(struct csv *r, long line, struct dd_event *e)
{
    const struct cell *cells = r->cells;
    memset(e, 0, sizeof *e);
    e->version = "default";
    int given = 0; /* a prediction or confidence */
    uint32_t probs = 0;
    float *prob = NULL;
    size_t first_empty_prob = SIZE_MAX, features_size = 0;
    for (size_t i = 0; i < r->ncols; i++) {
        const struct cell *c = &cells[i];
        const struct column *col = &r->cols[i];
        if (col->kind == K_FEATURE) {
            if (feature_cell(r, c, i, &features_size) != 0)
                return -1;
            continue;
        }
        if (c->n == 0) {
            if (col->kind == K_PROBABILITY && first_empty_prob == SIZE_MAX)
                first_empty_prob = i;
            continue;
        }
        int rc = 0;
        double d;
        switch (col->kind) {
        case K_ID:
            rc = text_value(r, c, i, DD_ID_MAX, &e->id);
            break;
        case K_TS:
            rc = ts_value(r, c, i, e);
            break;
        case K_VERSION:
            if (!dd_name_valid(c->s, c->n)) {
                char shown[64];
                show(c->s, c->n, shown, sizeof shown);
                return CELL_FAIL(r, c, i,
                                 "'%s' is not a version name ([A-Za-z0-9._-]{1,128}, not . or ..)",
                                 shown);
            }
            e->version = dd_arena_strndup(&r->b->arena, c->s, c->n);
            break;
        case K_PREDICTION:
            rc = prediction_value(r, c, i, e);
            given = 1;
            break;
        case K_CONFIDENCE:
            rc = number_value(r, c, i, 0.0, 1.0, "in [0, 1]", &e->confidence);
            e->has |= DD_HAS_CONFIDENCE;
            given = 1;
            break;
        case K_LABEL:
            rc = label_value(r, c, i, e);
            break;
        case K_LATENCY:
            rc = number_value(r, c, i, 0.0, HUGE_VAL, ">= 0", &e->latency_ms);
            e->has |= DD_HAS_LATENCY;
            break;
        case K_PROBABILITY:
            rc = number_value(r, c, i, 0.0, 1.0, "in [0, 1]", &d);
            if (rc == 0) {
                if (!prob)
                    prob = dd_arena_alloc(&r->b->arena, (size_t)r->nprobs * sizeof *prob);
                prob[col->k] = (float)d;
                probs++;
            }
            break;
        case K_FEATURE:
            break;
        }
        if (rc != 0)
            return -1;
    }
    if (probs && probs < r->nprobs)
        return CELL_FAIL(r, &cells[first_empty_prob], first_empty_prob,
                         "empty, but other probability:<k> cells of the row are not (give all "
                         "%u or none)",
                         r->nprobs);
    if (probs) {
        e->probabilities = prob;
        e->n_probabilities = probs;
    }
    if (r->nfeatures)
        encode_features(r, features_size, e);
    if (!given && !r->nfeatures)
        return fail(r, "invalid_event", line, 0,
                    "needs at least one of prediction, confidence or a feature (all of them are "
                    "empty)");
    return 0;
}

/* ---- the text ---- */

/* The error for the bad string at r->bad_off (problem p): reads the
 * records up to the one holding it, without other checks. */
static int locate_bad_text(struct csv *r, const struct dd_text_problem *p)
{
    char what[160];
    dd_text_describe(p, 0, 0, what, sizeof what);
    size_t n;
    int blank;
    if (read_record(r, COLS_MAX + 1, &n, &blank) != 0)
        return -1;
    if (r->bad_col)
        return fail(r, "invalid_body", r->bad_line, r->bad_col, "the column name %s", what);
    r->ncols = n < COLS_MAX ? n : COLS_MAX;
    r->cols = dd_arena_alloc(&r->keep, dd_mul(r->ncols, sizeof *r->cols));
    for (size_t i = 0; i < r->ncols; i++) {
        /* names not checked yet: shown as values are */
        char shown[64];
        show(r->cells[i].s, r->cells[i].n, shown, sizeof shown);
        r->cols[i].name = dd_arena_strndup(&r->keep, shown, strlen(shown));
    }
    for (r->row = 0; r->pos < r->len; r->row++) {
        if (read_record(r, r->ncols, &n, &blank) != 0)
            return -1;
        if (r->bad_col)
            return fail(r, "invalid_event", r->bad_line, r->bad_col, "%s", what);
    }
    return fail(r, "invalid_body", 1, 0, "%s", what); /* not reached: every byte is in a field */
}

int dd_parse_csv(const char *body, size_t len, struct dd_batch *out, struct dd_parse_error *err)
{
    dd_batch_init(out);
    struct csv r = {0};
    r.p = body;
    r.len = len;
    r.line = 1;
    r.b = out;
    r.err = err;
    r.row = -1;
    dd_arena_init(&r.scratch);
    dd_arena_init(&r.keep);
    int rc = DD_EINVAL;
    if (len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3))
        r.pos = 3; /* a UTF-8 BOM */
    struct dd_text_problem problem;
    r.bad_off = first_bad_text(body, len, &problem);
    if (r.bad_off != SIZE_MAX) {
        locate_bad_text(&r, &problem);
        goto out;
    }
    if (read_header(&r) != 0 || header_columns(&r) != 0)
        goto out;
    out->events = dd_arena_alloc(
        &out->arena, dd_mul(count_lines(body + r.pos, len - r.pos) + 1, sizeof(struct dd_event)));
    for (r.row = 0; r.pos < r.len; r.row++) {
        long line = r.line;
        size_t n;
        int blank;
        if (read_record(&r, r.ncols, &n, &blank) != 0)
            goto out;
        if (blank) {
            if (only_line_ends_left(&r))
                break;
            fail(&r, "invalid_body", line, 0,
                 "blank line (only blank lines at the end of the text are ignored)");
            goto out;
        }
        if (n != r.ncols) {
            fail(&r, "invalid_body", line, 0, "%zu field%s, but the header has %zu", n,
                 n == 1 ? "" : "s", r.ncols);
            goto out;
        }
        if (row_event(&r, line, &out->events[r.row]) != 0)
            goto out;
        out->n = (size_t)r.row + 1;
    }
    rc = 0;
out:
    free(r.cells);
    dd_arena_release(&r.scratch);
    dd_arena_release(&r.keep);
    if (rc != 0)
        dd_batch_release(out);
    return rc;
}
