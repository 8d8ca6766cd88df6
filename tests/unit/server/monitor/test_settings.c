/* Tests server/monitor/settings.c: how a model's effective settings are
 * layered (built-in, monitor_defaults, its settings_json, models_json for
 * the model, what PUT stored through the writer), each layer changing only
 * what it names, and settings_parse_window(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ingest/parse.h"
#include "server/monitor/monitor.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"
#include "server/store/writer.h"
#include "check.h"
#include "server/fixture.h"

struct fixture {
    struct tmp_store db; /* with a writer */
    struct monitor_defaults d;
};

static void fixture_open(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    tmp_store_open(&f->db, "settings", 1);
    fixture_defaults(&f->d);
}

static void fixture_close(struct fixture *f)
{
    tmp_store_close(&f->db);
}

/* Stores a settings body for model, as PUT does (through the writer). */
static void store_settings(struct fixture *f, const char *model, const char *body)
{
    struct writer_result res;
    writer_submit_settings(f->db.w, model, body, &res);
    CHECK_EQ_INT(res.rc, 0);
}

/* What PUT .../settings does: the effective settings with body applied,
 * stored; out gets the JSON it answers. */
static void put_settings(struct fixture *f, const char *model, const char *body, struct dd_buf *out)
{
    struct dd_settings_input *in = calloc(1, sizeof *in);
    struct dd_parse_error pe;
    struct model_settings ms;
    char err[300];
    CHECK_EQ_INT(dd_parse_settings(body, strlen(body), in, &pe), 0);
    CHECK_EQ_INT(settings_load(f->db.st, &f->d, model, &ms), 0);
    CHECK_EQ_INT(settings_apply(&ms, in, err, sizeof err), 0);
    settings_json(&ms, out);
    dd_buf_putc(out, '\0');
    out->len--;
    store_settings(f, model, out->data);
    free(in);
}

static double threshold(const struct model_settings *s, unsigned method)
{
    return s->thresholds[__builtin_ctz(method)];
}

/* The methods set for a signal key; 0 when the key has none. */
static unsigned methods_of(const struct model_settings *s, const char *key)
{
    for (int i = 0; i < s->n_methods; i++)
        if (!strcmp(s->methods[i].signal, key))
            return s->methods[i].bits;
    return 0;
}

static void load(struct fixture *f, const char *model, struct model_settings *ms)
{
    memset(ms, 0x5a, sizeof *ms); /* nothing left from before */
    CHECK_EQ_INT(settings_load(f->db.st, &f->d, model, ms), 0);
}

/* Loads model's settings into ms and checks the members every layer may
 * set: alpha, window, reference_size, and how many signal keys have
 * methods of their own. */
static void load_check(struct fixture *f, const char *model, struct model_settings *ms,
                       double alpha, const char *window, long reference_size, int n_methods)
{
    int failures = check_failures;
    load(f, model, ms);
    CHECK_CLOSE(ms->alpha, alpha, 0, 0);
    CHECK_EQ_STR(ms->window, window);
    CHECK_EQ_INT(ms->reference_size, reference_size);
    CHECK_EQ_INT(ms->n_methods, n_methods);
    if (check_failures != failures)
        fprintf(stderr, "  in the settings of '%s'\n", model);
}

/* Nothing configured, nothing stored: the config's values, no methods or
 * thresholds of its own (the evaluator's built-in ones apply). */
TEST(defaults_only)
{
    struct fixture f;
    fixture_open(&f);
    struct model_settings ms;
    load_check(&f, "vit", &ms, 0.05, "1h", 1000, 0); /* a model the store does not know */
    for (int m = 0; m < DD_M_COUNT; m++)
        CHECK_CLOSE(ms.thresholds[m], 0, 0, 0);
    /* NULL strings are "unset" too */
    f.d.settings_json = NULL;
    f.d.models_json = NULL;
    load(&f, "vit", &ms);
    CHECK_EQ_STR(ms.window, "1h");
    /* settings_defaults() is the same without the per-model layers */
    struct model_settings d;
    settings_defaults(&f.d, &d);
    CHECK(!memcmp(&d, &ms, sizeof d));
    fixture_close(&f);
}

TEST(monitor_defaults_layer)
{
    struct fixture f;
    fixture_open(&f);
    f.d.alpha = 0.01;
    snprintf(f.d.window, sizeof f.d.window, "15m");
    f.d.reference_size = 500;
    struct model_settings ms;
    load_check(&f, "vit", &ms, 0.01, "15m", 500, 0);
    fixture_close(&f);
}

/* The config's "settings" object: over monitor_defaults, for every model. */
TEST(settings_json_layer)
{
    struct fixture f;
    fixture_open(&f);
    snprintf(f.d.window, sizeof f.d.window, "15m");
    f.d.settings_json = "{\"alpha\":0.02,\"thresholds\":{\"psi\":0.3},"
                        "\"methods\":{\"numeric\":[\"ks\",\"psi\"]}}";
    struct model_settings ms;
    const char *models[] = {"vit", "bert"};
    for (int i = 0; i < 2; i++) {
        /* window not named: monitor_defaults' */
        load_check(&f, models[i], &ms, 0.02, "15m", 1000, 1);
        CHECK_CLOSE(threshold(&ms, DD_M_PSI), 0.3, 0, 0);
        CHECK_CLOSE(threshold(&ms, DD_M_JS), 0, 0, 0);
        CHECK_EQ_INT(methods_of(&ms, "numeric"), DD_M_KS | DD_M_PSI);
    }
    fixture_close(&f);
}

/* The config's "models"."<model>": over "settings", for that model only. */
TEST(models_json_layer)
{
    struct fixture f;
    fixture_open(&f);
    f.d.settings_json = "{\"alpha\":0.02,\"thresholds\":{\"psi\":0.3},"
                        "\"methods\":{\"numeric\":[\"ks\"]}}";
    f.d.models_json = "{\"vit\":{\"window\":\"24h\",\"methods\":{\"confidence\":[\"psi\"],"
                      "\"numeric\":[\"wasserstein\"]}},"
                      "\"bert\":{\"alpha\":0.2,\"thresholds\":{\"psi\":0.5}}}";
    struct model_settings ms;
    /* a key named again is replaced; a new key is added */
    load_check(&f, "vit", &ms, 0.02, "24h", 1000, 2);
    CHECK_CLOSE(threshold(&ms, DD_M_PSI), 0.3, 0, 0);
    CHECK_EQ_INT(methods_of(&ms, "numeric"), DD_M_WASSERSTEIN);
    CHECK_EQ_INT(methods_of(&ms, "confidence"), DD_M_PSI);
    load(&f, "bert", &ms);
    CHECK_CLOSE(ms.alpha, 0.2, 0, 0);
    CHECK_EQ_STR(ms.window, "1h");
    CHECK_CLOSE(threshold(&ms, DD_M_PSI), 0.5, 0, 0);
    CHECK_EQ_INT(methods_of(&ms, "numeric"), DD_M_KS);
    /* a model the object does not name: "settings" only */
    load(&f, "other", &ms);
    CHECK_CLOSE(ms.alpha, 0.02, 0, 0);
    CHECK_EQ_STR(ms.window, "1h");
    CHECK_EQ_INT(ms.n_methods, 1);
    /* a name that only starts like one in the object is another model */
    load(&f, "vi", &ms);
    CHECK_EQ_STR(ms.window, "1h");
    fixture_close(&f);
}

/* What the store holds for the model is applied last, member by member. */
TEST(stored_layer)
{
    struct fixture f;
    fixture_open(&f);
    f.d.settings_json = "{\"alpha\":0.02}";
    f.d.models_json = "{\"vit\":{\"window\":\"24h\",\"methods\":{\"confidence\":[\"psi\"]}}}";
    store_settings(&f, "vit",
                   "{\"reference_size\":200,\"methods\":{\"prediction\":[\"chi2\"]},"
                   "\"thresholds\":{\"jensen_shannon\":0.2}}");
    store_settings(&f, "bert", "{\"window\":\"last:5000\"}");
    struct model_settings ms;
    load_check(&f, "vit", &ms, 0.02, "24h", 200, 2);
    CHECK_EQ_INT(methods_of(&ms, "confidence"), DD_M_PSI);
    CHECK_EQ_INT(methods_of(&ms, "prediction"), DD_M_CHI2);
    CHECK_CLOSE(threshold(&ms, DD_M_JS), 0.2, 0, 0);
    load_check(&f, "bert", &ms, 0.02, "last:5000", 1000, 0);
    /* stored again: the new body replaces the old one */
    store_settings(&f, "bert", "{\"alpha\":0.1}");
    load(&f, "bert", &ms);
    CHECK_CLOSE(ms.alpha, 0.1, 0, 0);
    CHECK_EQ_STR(ms.window, "1h");
    /* a stored body that no longer parses is an error, not silent defaults */
    store_settings(&f, "bert", "{\"alpha\":7}");
    CHECK_EQ_INT(settings_load(f.db.st, &f.d, "bert", &ms), DD_EIO);
    fixture_close(&f);
}

/* PUT stores the effective settings (API notes): GET answers what PUT
 * answered, and later config changes no longer reach the members stored. */
TEST(put_stores_effective_settings)
{
    struct fixture f;
    fixture_open(&f);
    f.d.settings_json = "{\"thresholds\":{\"psi\":0.3}}";
    struct dd_buf put, get;
    dd_buf_init(&put);
    dd_buf_init(&get);
    put_settings(&f, "vit", "{\"window\":\"30m\"}", &put);
    struct model_settings ms;
    load(&f, "vit", &ms);
    settings_json(&ms, &get);
    dd_buf_putc(&get, '\0');
    CHECK_EQ_STR(get.data, put.data);
    CHECK_EQ_STR(get.data,
                 "{\"alpha\":0.05,\"window\":\"30m\",\"reference_size\":1000,"
                 "\"min_samples\":20,\"methods\":{},\"thresholds\":{\"psi\":0.3},\"types\":{}}");
    /* a second PUT keeps what the first stored */
    dd_buf_reset(&put);
    put_settings(&f, "vit", "{\"alpha\":0.01,\"methods\":{\"embedding\":[\"mmd\"]}}", &put);
    load(&f, "vit", &ms);
    CHECK_CLOSE(ms.alpha, 0.01, 0, 0);
    CHECK_EQ_STR(ms.window, "30m");
    CHECK_EQ_INT(methods_of(&ms, "embedding"), DD_M_MMD);
    f.d.alpha = 0.04;
    f.d.reference_size = 300;
    load(&f, "vit", &ms);
    CHECK_CLOSE(ms.alpha, 0.01, 0, 0);
    CHECK_EQ_INT(ms.reference_size, 1000);
    dd_buf_release(&put);
    dd_buf_release(&get);
    fixture_close(&f);
}

/* settings_apply() is all or nothing. */
TEST(apply_refuses_whole)
{
    struct model_settings ms, before;
    struct monitor_defaults d = {.alpha = 0.05, .window = "1h", .reference_size = 1000};
    settings_defaults(&d, &ms);
    before = ms;
    const char *bad[] = {
        "{\"alpha\":0.01,\"methods\":{\"confidence\":[\"chi2\"]}}",
        "{\"alpha\":0.01,\"methods\":{\"colour\":[\"ks\"]}}",
        "{\"alpha\":0.01,\"window\":\"soon\"}",
        "{\"alpha\":0.01,\"thresholds\":{\"ks\":0.1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dd_settings_input *in = calloc(1, sizeof *in);
        struct dd_parse_error pe;
        char err[300] = "";
        CHECK_EQ_INT(dd_parse_settings(bad[i], strlen(bad[i]), in, &pe), 0);
        CHECK_EQ_INT(settings_apply(&ms, in, err, sizeof err), DD_EINVAL);
        CHECK(err[0] != '\0');
        CHECK(!memcmp(&ms, &before, sizeof ms));
        free(in);
    }
}

TEST(parse_window)
{
    struct store_window w;
    CHECK_EQ_INT(settings_parse_window("15m", 1000000, &w), 0);
    CHECK_EQ_INT(w.to_ms, 1000000);
    CHECK_EQ_INT(w.from_ms, 1000000 - 15 * 60000);
    CHECK_EQ_INT(w.last_n, 0);
    CHECK_EQ_INT(settings_parse_window("1h", 5000000, &w), 0);
    CHECK_EQ_INT(w.to_ms - w.from_ms, 3600000);
    CHECK_EQ_INT(settings_parse_window("24h", 0, &w), 0);
    CHECK_EQ_INT(w.from_ms, -86400000);
    CHECK_EQ_INT(settings_parse_window("7d", 0, &w), 0);
    CHECK_EQ_INT(settings_parse_window("last:5000", 1000000, &w), 0);
    CHECK_EQ_INT(w.last_n, 5000);
    CHECK(w.from_ms == 0 && w.to_ms == 0);
    CHECK_EQ_INT(settings_parse_window("last:1", 0, &w), 0);
    CHECK_EQ_INT(settings_parse_window("last:10000000", 0, &w), 0);
    const char *bad[] = {"",        "junk",          "0",     "0m",     "-5m",
                         "15",      "15 m",          "15m ",  "m",      "1.5h",
                         "1y",      "last:0",        "last:", "last:x", "last:5x",
                         "last:-1", "last:10000001", "last",  "LAST:5", "15m,1h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        w.last_n = 77;
        int rc = settings_parse_window(bad[i], 1000, &w);
        if (rc != DD_EINVAL)
            fprintf(stderr, "  window '%s' accepted\n", bad[i]);
        CHECK_EQ_INT(rc, DD_EINVAL);
    }
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(defaults_only);
    RUN(monitor_defaults_layer);
    RUN(settings_json_layer);
    RUN(models_json_layer);
    RUN(stored_layer);
    RUN(put_stores_effective_settings);
    RUN(apply_refuses_whole);
    RUN(parse_window);
    CHECK_DONE();
}
