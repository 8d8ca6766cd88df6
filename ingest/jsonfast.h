/* jsonfast.h — a fast path in front of cJSON for event bodies.
 *
 * Parses the common subset of JSON that clients send (objects, arrays,
 * valid UTF-8 strings without escapes, numbers, true/false/null) into cJSON
 * nodes that live in a scratch arena: no malloc per node, and numbers that
 * fit the exact fast path (at most 19 significant digits, |10^e| <= 22) are
 * converted without strtod, with the same correctly rounded result
 * (Clinger 1990: both operands exact, one IEEE operation).  Anything
 * outside the subset — an escape, a control byte or invalid UTF-8 in a
 * string, a number cJSON spells differently, nesting deeper than
 * DD_JSONFAST_DEPTH, trailing bytes — makes it return NULL, and the caller
 * checks the same bytes (ingest/utf8.h) and parses them with cJSON, which
 * also produces the error messages.  So the fast path can only
 * change speed, never what is accepted; tests/fuzz/fuzz_events.c checks
 * that by parsing every input both ways.
 *
 * The nodes are read-only cJSON values for the cJSON_Is* / ->child / ->next
 * walk of ingest/parse.c: never pass them to cJSON_Delete or any cJSON
 * function that allocates or frees.
 */
#ifndef DD_JSONFAST_H
#define DD_JSONFAST_H
#include <cjson/cJSON.h>
#include <stddef.h>

#include "base/arena.h"

#define DD_JSONFAST_DEPTH 16

/* The root value of s[0..len), or NULL when the input is outside the subset
 * (or not JSON at all).  Nodes and strings are allocated in scratch. */
cJSON *dd_jsonfast_parse(const char *s, size_t len, struct dd_arena *scratch);

#endif
