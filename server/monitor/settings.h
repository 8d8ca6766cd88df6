/* settings.h — per-model evaluation settings (docs/api.md "settings").
 *
 * Effective settings, each layer over the one before: built-in defaults;
 * the config's alpha, window, reference_size; the config's "settings"
 * object (every model); the config's "models"."<model>" object; what PUT
 * /api/v1/models/{model}/settings stored.  methods map a signal ("confidence", "feature:age") or a kind
 * ("numeric", "categorical", "embedding") to methods; thresholds map an
 * effect-size method to its threshold.  Plain values; no threading concerns.
 */
#ifndef DD_SETTINGS_H
#define DD_SETTINGS_H
#include <stddef.h>
#include <stdint.h>

#include "analysis/eval.h"
#include "base/buf.h"
#include "ingest/parse.h"

/* min_samples when no layer sets it: analysis/'s default (eval.h). */
#define SETTINGS_MIN_SAMPLES 20

struct monitor_defaults;
struct store_window;

/* "15m", "1h", "24h" ... or "last:N" into the window ending at now_ms.
 * 0 or DD_EINVAL. */
int settings_parse_window(const char *s, int64_t now_ms, struct store_window *w);
struct store;
struct signal_set;

/* A signal's declared type (the "types" setting). */
enum settings_type { SETTINGS_TYPE_NUMERIC = 1, SETTINGS_TYPE_CATEGORICAL = 2 };

struct model_settings {
    double alpha;
    char window[32];
    long reference_size;
    long min_samples; /* rows each side needs for a test (dd_eval_options) */
    struct {
        char signal[160];
        unsigned bits;
    } methods[DD_SETTINGS_MAX];
    int n_methods;
    double thresholds[DD_M_COUNT]; /* 0 = the built-in default */
    struct {
        char signal[160]; /* "feature:age", "prediction" */
        enum settings_type type;
    } types[DD_SETTINGS_MAX]; /* declared types, used before any guess */
    int n_types;
};

/* Every model's defaults: the config's keys and its "settings" object. */
void settings_defaults(const struct monitor_defaults *cfg, struct model_settings *out);
/* Checks a settings object (the PUT body schema) / a {"<model>": object}
 * map, for the config; 0 or DD_EINVAL with a message naming the member. */
int settings_check_body(const char *json, char *err, size_t errlen);
int settings_check_models(const char *json, char *err, size_t errlen);
/* Applies a PUT body's members; DD_EINVAL with a message naming the member
 * for an unknown method, a method that fits no kind of that key, a bad window
 * or a threshold for a method without one. */
int settings_apply(struct model_settings *s, const struct dd_settings_input *in, char *err,
                   size_t errlen);
/* The same, where a member given as null (in->unset, an entry without a
 * value) takes base's value back, or is removed when base has none: base is
 * the layers under what PUT stored (settings_load_base()).  A declared type
 * ("types": only prediction and feature:NAME) fixes its signal's kind, and
 * the methods of that signal must fit it. */
int settings_apply_over(struct model_settings *s, const struct model_settings *base,
                        const struct dd_settings_input *in, char *err, size_t errlen);
/* The JSON of GET .../settings (also what is stored). */
void settings_json(const struct model_settings *s, struct dd_buf *out);
/* The entry of the signal or kind key in s->methods / s->types, -1 if none. */
int settings_find_methods(const struct model_settings *s, const char *key);
int settings_find_types(const struct model_settings *s, const char *key);
/* The layers under what PUT stored: defaults and the config's. */
void settings_load_base(const struct monitor_defaults *cfg, const char *model,
                        struct model_settings *out);
/* The model's effective settings (defaults when none stored). */
int settings_load(struct store *st, const struct monitor_defaults *cfg, const char *model,
                  struct model_settings *out);
/* Options and per-signal methods for one evaluation. */
void settings_to_eval(const struct model_settings *s, struct dd_eval_options *o,
                      struct dd_signal_input *inputs, size_t n);

#endif
