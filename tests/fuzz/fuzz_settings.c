/* fuzz_settings.c — libFuzzer target for the settings body: the parser
 * (dd_parse_settings(), ingest/parse.c) and what PUT .../settings does with
 * a body it accepts (server/monitor/settings.c: settings_apply() over the
 * model's effective settings, settings_json() answered and stored, read
 * back by settings_load() as defaults + the stored JSON).  The input is the
 * body itself (corpus_settings/).  Invariants:
 *
 *   - an accepted body is within the schema's bounds (alpha, reference_size,
 *     counts, names), its strings valid UTF-8 without U+0000; a refused one
 *     has a code and a message;
 *   - settings_check_body() (the config's check) accepts exactly what the
 *     parser and settings_apply() accept;
 *   - a refused apply changes nothing (all or nothing) and says why;
 *   - an applied body, rendered as JSON, parses again, and applying it to
 *     the same defaults (what a restart does) or to the result itself gives
 *     the same settings, byte for byte;
 *   - the evaluation options made from the result give each kind and each
 *     signal only methods of its kind.
 * Each run allocates and frees everything it uses (libFuzzer's leak check). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/eval.h"
#include "base/buf.h"
#include "ingest/parse.h"
#include "ingest/utf8.h"
#include "server/monitor/monitor.h"
#include "server/monitor/settings.h"

/* The settings a PUT starts from: the config's defaults with a settings
 * object for every model (what a served model has before any PUT). */
static struct model_settings base;
/* ... and with nothing configured: the check's base, no methods. */
static struct model_settings plain;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct monitor_defaults d = {
        .alpha = 0.05,
        .window = "1h",
        .reference_size = 1000,
        .max_sample = 50000,
        .settings_json =
            "{\"methods\":{\"numeric\":[\"ks\",\"psi\"],\"feature:age\":[\"wasserstein\"],"
            "\"embedding\":[\"mmd\"]},\"thresholds\":{\"psi\":0.3}}",
        .models_json = ""};
    settings_defaults(&d, &base);
    d.settings_json = "";
    settings_defaults(&d, &plain);
    if (base.n_methods != 3 || plain.n_methods != 0)
        abort(); /* the defaults above are refused: the target tests nothing */
    return 0;
}

static void text_ok(const char *s)
{
    if (!dd_utf8_valid(s, strlen(s)))
        abort();
}

static void input_ok(const struct dd_settings_input *in)
{
    if (in->has &
        ~(unsigned)(DD_SET_ALPHA | DD_SET_WINDOW | DD_SET_REFERENCE_SIZE | DD_SET_METHODS |
                    DD_SET_THRESHOLDS | DD_SET_TYPES | DD_SET_MIN_SAMPLES))
        abort();
    if ((in->has & DD_SET_MIN_SAMPLES) && (in->min_samples < 2 || in->min_samples > 1000000))
        abort();
    if ((in->has & DD_SET_ALPHA) && !(in->alpha > 0 && in->alpha <= 0.5))
        abort();
    if ((in->has & DD_SET_WINDOW) && !in->window[0])
        abort();
    if ((in->has & DD_SET_REFERENCE_SIZE) &&
        (in->reference_size < 20 || in->reference_size > 1000000))
        abort();
    text_ok(in->window);
    if (in->n_methods < 0 || in->n_methods > DD_SETTINGS_MAX || in->n_thresholds < 0 ||
        in->n_thresholds > DD_SETTINGS_MAX)
        abort();
    for (int i = 0; i < in->n_methods; i++) {
        /* n 0: the key was null (back to the layer below) */
        if (!in->methods[i].signal[0] || in->methods[i].n < 0 || in->methods[i].n > 12)
            abort();
        text_ok(in->methods[i].signal);
        for (int m = 0; m < in->methods[i].n; m++) {
            if (!in->methods[i].methods[m][0])
                abort();
            text_ok(in->methods[i].methods[m]);
        }
    }
    for (int i = 0; i < in->n_thresholds; i++) {
        /* value 0: the key was null (back to the layer below) */
        if (!(in->thresholds[i].value >= 0 && isfinite(in->thresholds[i].value)))
            abort();
        text_ok(in->thresholds[i].method);
    }
}

/* The settings as JSON, NUL-terminated (len excludes the NUL). */
static void render(const struct model_settings *s, struct dd_buf *out)
{
    dd_buf_reset(out);
    settings_json(s, out);
    dd_buf_putc(out, 0);
    out->len--;
    if (!dd_utf8_valid(out->data, out->len) || memchr(out->data, 0, out->len))
        abort();
}

/* Parses json (rendered settings: must be accepted) and applies it to s. */
static void reapply(struct model_settings *s, const struct dd_buf *json,
                    struct dd_settings_input *in)
{
    struct dd_parse_error pe;
    char err[300];
    if (dd_parse_settings(json->data, json->len, in, &pe) != 0)
        abort(); /* settings_json() wrote something the parser refuses */
    input_ok(in);
    if (settings_apply(s, in, err, sizeof err) != 0)
        abort(); /* ... or something settings_apply() refuses */
}

/* The evaluation sees only methods that fit each kind and signal. */
static void eval_ok(const struct model_settings *s)
{
    struct dd_signal_input sig[] = {
        {.name = "confidence", .kind = DD_SIGNAL_NUMERIC},
        {.name = "prediction", .kind = DD_SIGNAL_CATEGORICAL},
        {.name = "feature:age", .kind = DD_SIGNAL_NUMERIC},
        {.name = "feature:age", .kind = DD_SIGNAL_CATEGORICAL},
        {.name = "embedding", .kind = DD_SIGNAL_EMBEDDING},
    };
    size_t n = sizeof sig / sizeof sig[0];
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    settings_to_eval(s, &o, sig, n);
    if (o.alpha != s->alpha)
        abort();
    for (int k = 0; k < 3; k++)
        if (o.methods[k] & ~dd_methods_allowed((enum dd_signal_kind)k))
            abort();
    for (size_t j = 0; j < n; j++)
        if (sig[j].methods & ~dd_methods_allowed(sig[j].kind))
            abort();
    for (int m = 0; m < DD_M_COUNT; m++)
        if (!(o.threshold[m] >= 0 && isfinite(o.threshold[m])))
            abort();
}

/* What PUT does with an accepted body over the settings `from`. */
static void put(const struct model_settings *from, const struct dd_settings_input *in,
                struct dd_settings_input *scratch)
{
    struct dd_buf before, json, again;
    dd_buf_init(&before);
    dd_buf_init(&json);
    dd_buf_init(&again);
    render(from, &before);
    struct model_settings ms = *from;
    char err[300];
    err[0] = 0;
    if (settings_apply(&ms, in, err, sizeof err) != 0) {
        render(&ms, &json);
        if (!err[0] || json.len != before.len || memcmp(json.data, before.data, json.len))
            abort(); /* refused without a message, or half applied */
        goto out;
    }
    render(&ms, &json); /* answered and stored */
    eval_ok(&ms);
    /* a restart: the same defaults, then the stored JSON */
    struct model_settings loaded = *from;
    reapply(&loaded, &json, scratch);
    render(&loaded, &again);
    if (again.len != json.len || memcmp(again.data, json.data, json.len))
        abort();
    /* the answer PUT again changes nothing */
    struct model_settings twice = ms;
    reapply(&twice, &json, scratch);
    render(&twice, &again);
    if (again.len != json.len || memcmp(again.data, json.data, json.len))
        abort();
out:
    dd_buf_release(&before);
    dd_buf_release(&json);
    dd_buf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    struct dd_settings_input *in = calloc(1, sizeof *in);
    struct dd_settings_input *scratch = calloc(1, sizeof *scratch);
    if (!in || !scratch)
        abort();
    struct dd_parse_error pe = {0};
    int rc = dd_parse_settings(body, size, in, &pe);
    int applies = 0;
    if (rc == 0) {
        input_ok(in);
        struct model_settings t = plain;
        char err[300];
        applies = settings_apply(&t, in, err, sizeof err) == 0;
        put(&base, in, scratch); /* repro_settings/threshold-1e300-json-num-ub: fixed */
        put(&plain, in, scratch);
    } else if (!pe.code || !pe.message[0]) {
        abort();
    }
    /* the config's checks take C strings: the same bytes up to a NUL */
    if (!memchr(data, 0, size)) {
        char *s = malloc(size + 1);
        if (!s)
            abort();
        memcpy(s, data, size);
        s[size] = 0;
        char err[200];
        err[0] = 0;
        int check = settings_check_body(s, err, sizeof err);
        if ((check == 0) != applies || (check != 0 && !err[0]))
            abort();
        err[0] = 0;
        if (settings_check_models(s, err, sizeof err) != 0 && !err[0])
            abort();
        free(s);
    }
    free(in);
    free(scratch);
    return 0;
}
