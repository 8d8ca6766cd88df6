/* cmd_check.c — `driftd check`: the drift report offline, for CI/CD gates.
 *
 * Reads two files of events in the ingest format (the same validators as the
 * server: ingest/parse.c for JSON and NDJSON, ingest/csv.c for CSV, chosen
 * by a .csv name or --format-in), builds the signals
 * (server/monitor/signals.c) and runs analysis/eval.c — the same path as
 * the server's evaluation.  Prints the drift endpoint's body (--format
 * json), a table (--format text) or a self-contained HTML page with charts
 * (--format html, server/report_html.c).
 * Exit: 0 no drift, 1 drift, 2 bad input or usage, 3 nothing could be
 * tested (an empty file, or every test row insufficient_data): a CI gate
 * must not pass on no data.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/eval.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "ingest/csv.h"
#include "ingest/parse.h"
#include "server/cli.h"
#include "server/monitor/drift.h"
#include "server/monitor/reference.h"
#include "server/report_html.h"

#define CHECK_FILE_MAX ((size_t)4 << 30)

/* Exit statuses (docs/api.md, `driftd check`). */
enum {
    CHECK_EXIT_OK = 0,
    CHECK_EXIT_DRIFT = 1,
    CHECK_EXIT_USAGE = 2,
    CHECK_EXIT_UNTESTED = 3,
};

enum check_format_in { IN_AUTO, IN_JSON, IN_CSV };

struct check_opts {
    const char *ref_path, *cur_path, *model;
    int text, html;
    enum check_format_in format_in;
    struct dd_eval_options eval;
};

static int usage_to(FILE *fp, int status)
{
    fprintf(fp,
            "usage: driftd check --reference FILE --current FILE [--format json|text|html]\n"
            "                    [--format-in auto|json|csv] [--alpha 0.05]\n"
            "                    [--methods KIND=M1,M2 ...] [--model NAME] [--seed N]\n"
            "                    [--mmd-sample 1000] [--mmd-permutations 100]\n"
            "                    [--min-samples 20]\n"
            "  FILE: JSON or NDJSON events, or CSV (a .csv name or --format-in csv)\n"
            "  KIND: numeric, categorical or embedding; methods: ks, chi2, psi, wasserstein,\n"
            "  jensen_shannon, cosine_centroid, pca_ks, pca_reconstruction, mmd\n"
            "  --mmd-permutations: at least this many; raised so that MMD can pass Holm's\n"
            "  level (docs/statistics.md)\n"
            "  --min-samples: rows a signal needs on each side to be tested (2..1000000)\n"
            "exit status: 0 no drift, 1 drift, 2 bad input or usage,\n"
            "             3 nothing could be tested (empty input, every test insufficient_data)\n");
    return status;
}

static int usage(void)
{
    return usage_to(stderr, 2);
}

static int parse_methods(struct check_opts *o, const char *spec)
{
    static const char *const kinds[] = {"numeric", "categorical", "embedding"};
    const char *eq = strchr(spec, '=');
    if (!eq)
        return -1;
    int kind = -1;
    for (int k = 0; k < 3; k++)
        if ((size_t)(eq - spec) == strlen(kinds[k]) &&
            !strncmp(spec, kinds[k], (size_t)(eq - spec)))
            kind = k;
    if (kind < 0)
        return -1;
    unsigned bits = 0;
    char list[256];
    snprintf(list, sizeof list, "%s", eq + 1);
    for (char *save = NULL, *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        unsigned b = dd_method_parse(m);
        if (!b)
            return -1;
        if (!(b & dd_methods_allowed((enum dd_signal_kind)kind))) {
            char takes[256] = "";
            unsigned ok = dd_methods_allowed((enum dd_signal_kind)kind);
            for (unsigned bit = 1; ok; bit <<= 1)
                if (ok & bit) {
                    ok &= ~bit;
                    snprintf(takes + strlen(takes), sizeof takes - strlen(takes), "%s%s",
                             takes[0] ? ", " : "", dd_method_name(bit));
                }
            fprintf(stderr,
                    "driftd: --methods '%s': %s does not apply to %s signals (%s takes %s)\n", spec,
                    m, kinds[kind], kinds[kind], takes);
            return -2;
        }
        bits |= b;
    }
    if (!bits)
        return -1;
    o->eval.methods[kind] = bits;
    return 0;
}

/* Reads v, the value of `flag`, as an integer in [lo, hi] into *out: 1, or 0
 * after saying on stderr what was expected. */
static int integer_in(const char *v, unsigned long long lo, unsigned long long hi, const char *flag,
                      size_t *out)
{
    char *end;
    unsigned long long k = strtoull(v, &end, 10);
    if (*end || !*v || *v == '-' || k < lo || k > hi) {
        fprintf(stderr, "driftd: %s '%s': expected an integer in %llu..%llu\n", flag, v, lo, hi);
        return 0;
    }
    *out = (size_t)k;
    return 1;
}

static int check_flag(const char *name, const char *v, void *arg)
{
    struct check_opts *o = arg;
    char *end;
    if (!strcmp(name, "reference")) {
        o->ref_path = v;
    } else if (!strcmp(name, "current")) {
        o->cur_path = v;
    } else if (!strcmp(name, "model")) {
        if (!dd_name_valid(v, strlen(v))) {
            fprintf(stderr, "driftd: --model '%s': expected a name of [A-Za-z0-9._-]{1,128}\n", v);
            return 2;
        }
        o->model = v;
    } else if (!strcmp(name, "format")) {
        if (strcmp(v, "json") && strcmp(v, "text") && strcmp(v, "html")) {
            fprintf(stderr, "driftd: --format '%s': expected json, text or html\n", v);
            return 2;
        }
        o->text = !strcmp(v, "text");
        o->html = !strcmp(v, "html");
    } else if (!strcmp(name, "alpha")) {
        double a = strtod(v, &end);
        if (*end || !(a > 0 && a < 1)) {
            fprintf(stderr, "driftd: --alpha '%s': expected a number in (0, 1)\n", v);
            return 2;
        }
        o->eval.alpha = a;
    } else if (!strcmp(name, "seed")) {
        unsigned long long s = strtoull(v, &end, 10);
        if (*end || !*v || *v == '-') {
            fprintf(stderr, "driftd: --seed '%s': expected a non-negative integer\n", v);
            return 2;
        }
        o->eval.seed = s;
    } else if (!strcmp(name, "mmd_sample")) {
        if (!integer_in(v, 10, 100000, "--mmd-sample", &o->eval.mmd_max_samples))
            return 2;
    } else if (!strcmp(name, "mmd_permutations")) {
        if (!integer_in(v, 10, DD_MMD_PERMUTATIONS_MAX, "--mmd-permutations",
                        &o->eval.mmd_permutations))
            return 2;
    } else if (!strcmp(name, "min_samples")) {
        if (!integer_in(v, 2, 1000000, "--min-samples", &o->eval.min_samples))
            return 2;
    } else if (!strcmp(name, "format_in")) {
        if (!strcmp(v, "auto"))
            o->format_in = IN_AUTO;
        else if (!strcmp(v, "json") || !strcmp(v, "ndjson"))
            o->format_in = IN_JSON;
        else if (!strcmp(v, "csv"))
            o->format_in = IN_CSV;
        else {
            fprintf(stderr, "driftd: --format-in '%s': expected auto, json or csv\n", v);
            return 2;
        }
    } else if (!strcmp(name, "methods")) {
        int pm = parse_methods(o, v);
        if (pm == -1)
            fprintf(stderr,
                    "driftd: --methods '%s': expected KIND=METHOD[,METHOD...] with KIND numeric, "
                    "categorical or embedding and METHOD one of ks, chi2, psi, wasserstein, "
                    "jensen_shannon, cosine_centroid, pca_ks, pca_reconstruction, mmd\n",
                    v);
        if (pm != 0)
            return 2;
    } else {
        char flag[64];
        size_t j = 0;
        for (const char *c = name; *c && j < sizeof flag - 1; c++)
            flag[j++] = *c == '_' ? '-' : *c; /* as the user typed it */
        flag[j] = '\0';
        fprintf(stderr, "driftd: unknown option '--%s'\n", flag);
        return 2;
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "driftd: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    struct stat st;
    /* a regular file is read in one piece; a pipe in chunks */
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (unsigned long long)st.st_size <= CHECK_FILE_MAX)
        dd_buf_reserve(&b, (size_t)st.st_size + 2); /* room > size: one fread ends it */
    for (;;) {
        dd_buf_reserve(&b, 1 << 16);
        size_t room = b.cap - b.len - 1;
        size_t n = fread(b.data + b.len, 1, room, fp);
        b.len += n;
        b.data[b.len] = '\0';
        if (b.len > CHECK_FILE_MAX) {
            fprintf(stderr, "driftd: '%s' is larger than 4 GiB\n", path);
            fclose(fp);
            dd_buf_release(&b);
            return NULL;
        }
        if (n < room)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        fprintf(stderr, "driftd: cannot read '%s'\n", path);
        dd_buf_release(&b);
        return NULL;
    }
    return dd_buf_take(&b, len);
}

/* The file line of NDJSON event `index` (blank lines are skipped by the parser). */
static long ndjson_line(const char *s, size_t n, long index)
{
    long line = 1, ev = 0;
    size_t at = 0;
    while (at < n) {
        const char *nl = memchr(s + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - s) : n;
        int blank = 1;
        for (size_t i = at; i < end; i++)
            if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
                blank = 0;
        if (!blank && ev++ == index)
            return line;
        at = end + 1;
        line++;
    }
    return line;
}

/* A regular file mapped read-only (no copy; the parser takes a length);
 * NULL for anything else (a pipe, an empty file), which is then read. */
static char *map_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (unsigned long long)st.st_size <= CHECK_FILE_MAX)
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return NULL;
    *len = (size_t)st.st_size;
    return p;
}

/* CSV when asked, or for a name ending in .csv (any case) with auto. */
static int is_csv(const char *path, enum check_format_in in)
{
    if (in != IN_AUTO)
        return in == IN_CSV;
    size_t n = strlen(path);
    return n >= 4 && !strcasecmp(path + n - 4, ".csv");
}

static int load(const char *path, enum check_format_in in, struct dd_batch *b)
{
    size_t len = 0;
    char *text = map_file(path, &len);
    int mapped = text != NULL;
    if (!mapped && !(text = read_file(path, &len)))
        return 2;
    enum dd_body_format fmt = is_csv(path, in)               ? DD_BODY_CSV
                              : dd_body_is_events(text, len) ? DD_BODY_JSON
                                                             : DD_BODY_NDJSON;
    struct dd_parse_error pe;
    int rc = fmt == DD_BODY_CSV && len == 0 ? 0 /* empty: no events, exit 3 below */
             : fmt == DD_BODY_CSV           ? dd_parse_csv(text, len, b, &pe)
                                            : dd_parse_events(text, len, fmt, b, &pe);
    if (rc != 0) {
        if (fmt == DD_BODY_CSV) /* its messages name the line and column */
            fprintf(stderr, "driftd: %s: %s\n", path, pe.message);
        else if (fmt == DD_BODY_NDJSON && pe.index >= 0)
            fprintf(stderr, "driftd: %s: line %ld: %s\n", path, ndjson_line(text, len, pe.index),
                    pe.message);
        else
            fprintf(stderr, "driftd: %s: %s\n", path, pe.message);
    }
    if (mapped)
        munmap(text, len);
    else
        free(text);
    return rc ? 2 : 0;
}

struct load_job {
    const char *path;
    enum check_format_in in;
    struct dd_batch *batch;
    int rc;
};

static void *load_main(void *arg)
{
    struct load_job *j = arg;
    j->rc = load(j->path, j->in, j->batch);
    return NULL;
}

/* Reads and parses the two files at once, one on a second thread. */
static int load_both(const char *ref_path, struct dd_batch *ref, const char *cur_path,
                     struct dd_batch *cur, enum check_format_in in)
{
    struct load_job j = {cur_path, in, cur, 2};
    pthread_t th;
    int threaded = pthread_create(&th, NULL, load_main, &j) == 0;
    int rc = load(ref_path, in, ref);
    if (threaded)
        pthread_join(th, NULL);
    else
        load_main(&j);
    return rc ? rc : j.rc;
}

static void time_range(const struct dd_batch *b, int64_t *from, int64_t *to)
{
    *from = *to = -1;
    for (size_t i = 0; i < b->n; i++) {
        if (!(b->events[i].has & DD_HAS_TS))
            continue;
        int64_t t = b->events[i].ts_ms;
        if (*from < 0 || t < *from)
            *from = t;
        if (*to < 0 || t > *to)
            *to = t;
    }
}

/* The version the events name, if they all name the same one. */
static const char *common_version(const struct dd_batch *b)
{
    if (!b->n)
        return NULL;
    for (size_t i = 1; i < b->n; i++)
        if (strcmp(b->events[i].version, b->events[0].version) != 0)
            return NULL;
    return b->events[0].version;
}

int cmd_check(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, 2))
        return usage_to(stdout, 0);
    struct check_opts o = {.model = "check"};
    dd_eval_options_default(&o.eval);
    int rc = cli_flags(argc, argv, 2, NULL, check_flag, &o);
    if (rc)
        return rc == 2 ? usage() : rc;
    if (!o.ref_path || !o.cur_path)
        return usage();

    struct dd_batch ref, cur;
    dd_batch_init(&ref);
    dd_batch_init(&cur);
    struct dd_report rep = {0};
    struct ref_prepared prepared = {0};
    struct dd_buf out;
    dd_buf_init(&out);
    int exit_code = CHECK_EXIT_USAGE;
    char err[256];
    if (load_both(o.ref_path, &ref, o.cur_path, &cur, o.format_in) != 0)
        goto out;
    reference_prepare(&ref, 0, &prepared);
    reference_calibrate_for(&prepared, &ref, &cur); /* the verdict's min-p calibration */
    if (drift_evaluate(&prepared, &cur, &o.eval, NULL, &rep, err, sizeof err) != 0) {
        fprintf(stderr, "driftd: %s: %s\n", o.cur_path, err);
        goto out;
    }
    if (o.text) {
        dd_buf_printf(&out, "reference: %s (%zu events)\ncurrent:   %s (%zu events)\n\n",
                      o.ref_path, ref.n, o.cur_path, cur.n);
        dd_report_text(&rep, &out);
    } else {
        struct drift_meta m = {.model = o.model,
                               .version = common_version(&cur),
                               .n_cur_total = cur.n,
                               .n_cur = cur.n,
                               .n_ref = ref.n,
                               .computed_ms = -1,
                               .ref_performance = prepared.performance,
                               .cur = &cur};
        time_range(&cur, &m.from_ms, &m.to_ms);
        if (o.html) {
            struct report_html_in h = {&m, &rep, &prepared, &cur, o.ref_path, o.cur_path};
            report_html(&h, &out);
        } else {
            drift_report_json(&m, &rep, &out);
            dd_buf_putc(&out, '\n');
        }
    }
    fwrite(out.data, 1, out.len, stdout);
    if (rep.drift)
        exit_code = CHECK_EXIT_DRIFT;
    else if (strcmp(drift_status(&rep), "ok") != 0) {
        exit_code = CHECK_EXIT_UNTESTED;
        fprintf(stderr,
                "driftd: nothing could be tested (%s): reference '%s' has %zu events, current "
                "'%s' has %zu; a test needs at least %zu on each side\n",
                drift_status(&rep), o.ref_path, ref.n, o.cur_path, cur.n, o.eval.min_samples);
    } else
        exit_code = CHECK_EXIT_OK;
out:
    dd_buf_release(&out);
    dd_report_release(&rep);
    reference_release(&prepared);
    dd_batch_release(&ref);
    dd_batch_release(&cur);
    return exit_code;
}
