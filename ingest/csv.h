/* csv.h — a CSV body (text/csv, RFC 4180) to a validated event batch.
 *
 * Training sets are mostly exported as CSV, so `driftd check` and the
 * reference PUT take it beside JSON and NDJSON.  dd_parse_csv() gives
 * exactly the batch dd_parse_events() (parse.h) gives for the same events
 * written as JSON, so everything downstream is shared.
 *
 * The text: comma-separated fields, lines ending in LF or CRLF, fields
 * quoted with '"' ("" for a quote inside; quoted fields may hold commas and
 * line breaks), the last line with or without its line end, a UTF-8 BOM at
 * the start skipped, blank lines at the end ignored (a blank line before
 * other lines is an error).  The first row is the header: unique column
 * names, one per field; every row has as many fields as the header.
 *
 * Columns (names are case-sensitive, as JSON members are):
 *   id, ts, version, prediction, confidence, label, latency_ms
 *       the EVENT members of docs/api.md, same rules;
 *   probability:0 .. probability:K-1
 *       the probabilities array, in the order of k (the columns may come in
 *       any order but must count from 0 without gaps); a row gives all of
 *       them or none;
 *   embedding, embedding_b64, probabilities
 *       refused: CSV cannot carry an embedding (send NDJSON), and
 *       probabilities are the probability:<k> columns;
 *   any other column
 *       a feature of that name (the name rules of docs/api.md).
 * An empty cell (quoted or not) is an absent member, and a missing feature
 * (type 2 of event.h).  Each row needs a prediction, a confidence or a
 * feature column, like a JSON event.
 *
 * Cells as values:
 *   numbers (confidence, latency_ms, probabilities, numeric features): what
 *       strtod() reads in the whole cell, finite, written with digits,
 *       sign, point and exponent only (no space, hex, inf or nan);
 *   prediction: written as a JSON integer below 2^53 -> its decimal text;
 *       as a JSON number with a fraction or exponent -> a numeric
 *       prediction (DD_HAS_PREDICTION_NUM, text "%.17g"); else the string;
 *   label: written as a JSON number with an integral value below 2^53 ->
 *       its decimal text ("1.0" -> "1", as JSON's 1.0); else the string;
 *   ts: written as a JSON number with an integral value -> epoch ms; else
 *       RFC 3339 (base/timefmt.h);
 *   feature: a number as above (type 0), else a string of at most
 *       DD_VALUE_MAX bytes (type 1).
 * So an integer-looking code that is not a JSON number ("007", "+1")
 * stays text for prediction and label.
 *
 * Every cell and name must be valid UTF-8 without U+0000 (ingest/utf8.h);
 * that is checked on the whole text before any other rule, so the first
 * bad string is the one reported.
 *
 * Errors: DD_EINVAL and *err: code "invalid_body" for the header and the
 * text's shape (quotes, field counts; index -1 in the header, else the
 * row's), "invalid_event" for a value (index: the data row, from 0).  The
 * message names the physical line (the header is line 1; a field is on the
 * line it starts on) and, for a cell, its column from 1 and its name:
 *   "line 7, column 3 (confidence): 1.5 is not in [0, 1]"
 *   "line 9: 5 fields, but the header has 7"
 * showing the value (cut to 40 bytes) and what was expected.
 *
 * One pass over the text after the UTF-8 check; events, strings and
 * features go into the batch's arena.  Thread-safe (no shared state).
 */
#ifndef DD_CSV_H
#define DD_CSV_H
#include <stddef.h>

#include "ingest/event.h"

struct dd_parse_error; /* parse.h */

/* Parses and validates a CSV batch.  0 or DD_EINVAL (with *err); out is
 * initialised either way and must be released by the caller
 * (dd_batch_release), like dd_parse_events()'s.  A header without data
 * rows is an empty batch; an empty text (no header) is an error. */
int dd_parse_csv(const char *body, size_t len, struct dd_batch *out, struct dd_parse_error *err);

#endif
