/* test_demo.c — the demo bodies (server/demo.h) parse as ingest bodies and
 * carry the drift they promise: the README's demo shows real signals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/rng.h"
#include "base/buf.h"
#include "check.h"
#include "ingest/event.h"
#include "ingest/parse.h"
#include "server/demo.h"

#define N 4000

/* Parses a demo body of N events; the caller releases the batch. */
static void parse(const char *model, const char *version, int drifted, struct dd_rng *rng,
                  struct dd_batch *b)
{
    struct dd_buf body;
    dd_buf_init(&body);
    demo_body(&body, model, version, drifted, N, rng);
    struct dd_parse_error pe;
    CHECK_EQ_INT(dd_parse_events(body.data, body.len, DD_BODY_JSON, b, &pe), 0);
    CHECK_EQ_INT(b->n, N);
    dd_buf_release(&body);
}

static double mean_confidence(const struct dd_batch *b)
{
    double s = 0;
    for (size_t i = 0; i < b->n; i++)
        s += b->events[i].confidence;
    return s / (double)b->n;
}

static double accuracy(const struct dd_batch *b)
{
    size_t right = 0;
    for (size_t i = 0; i < b->n; i++)
        right += !strcmp(b->events[i].prediction, b->events[i].label);
    return (double)right / (double)b->n;
}

/* Cosine distance between the two batches' embedding centroids. */
static double centroid_cosine_distance(const struct dd_batch *a, const struct dd_batch *b)
{
    double ca[64] = {0}, cb[64] = {0};
    uint32_t dim = a->events[0].dim;
    for (size_t i = 0; i < N; i++)
        for (uint32_t j = 0; j < dim; j++) {
            ca[j] += a->events[i].embedding[j];
            cb[j] += b->events[i].embedding[j];
        }
    double dot = 0, na = 0, nb = 0;
    for (uint32_t j = 0; j < dim; j++) {
        dot += ca[j] * cb[j];
        na += ca[j] * ca[j];
        nb += cb[j] * cb[j];
    }
    return 1 - dot / sqrt(na * nb);
}

/* demo-classifier: right 90% of the time on undrifted data, ~70% after,
 * and less confident after */
TEST(classifier)
{
    struct dd_rng rng;
    dd_rng_seed(&rng, 7);
    struct dd_batch calm, drifted;
    parse("demo-classifier", "v2", 0, &rng, &calm);
    parse("demo-classifier", "v2", 1, &rng, &drifted);
    const struct dd_event *e = &calm.events[0];
    CHECK_EQ_STR(e->version, "v2");
    CHECK(e->prediction && e->label && e->features_len > 0);
    CHECK_EQ_INT(e->n_probabilities, 5);
    CHECK(e->has & DD_HAS_CONFIDENCE);
    CHECK(e->has & DD_HAS_LATENCY);
    CHECK(!(e->has & DD_HAS_TS)); /* timestamped on receipt */
    CHECK_CLOSE(accuracy(&calm), 0.90 + 0.10 / 5, 0, 0.02);
    CHECK_CLOSE(accuracy(&drifted), 0.70 + 0.30 / 5, 0, 0.02);
    CHECK(mean_confidence(&calm) > mean_confidence(&drifted) + 0.1);
    dd_batch_release(&calm);
    dd_batch_release(&drifted);
}

/* demo-embedder: the drifted centroid turns by ~39 degrees (cosine distance
 * 0.22, over the default threshold 0.1); two calm batches agree */
TEST(embedder)
{
    struct dd_rng rng;
    dd_rng_seed(&rng, 8);
    struct dd_batch calm, drifted, calm2;
    parse("demo-embedder", "v1", 0, &rng, &calm);
    parse("demo-embedder", "v1", 1, &rng, &drifted);
    CHECK_EQ_INT(calm.dim, 16);
    CHECK_EQ_INT(drifted.dim, 16);
    CHECK_CLOSE(centroid_cosine_distance(&calm, &drifted), 0.219, 0, 0.03);
    parse("demo-embedder", "v1", 0, &rng, &calm2);
    CHECK(centroid_cosine_distance(&calm, &calm2) < 0.01);
    dd_batch_release(&calm);
    dd_batch_release(&calm2);
    dd_batch_release(&drifted);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(classifier);
    RUN(embedder);
    CHECK_DONE();
}
