/* parse_int.h — what ingest/parse.c and ingest/csv.c share, and nobody else:
 * the error setter and the bound of an exact integer.  The public API is
 * parse.h and csv.h.
 *
 * Threading: no state; any thread.
 */
#ifndef DD_PARSE_INT_H
#define DD_PARSE_INT_H

/* parse.h's; not included: parse.c includes this header, and the two
 * would be an include cycle for scripts/check_includes.py */
struct dd_parse_error;

/* Integers are exact in a double below this (2^53). */
#define DD__INT_EXACT 9007199254740992.0

/* Sets *err: its code, event index and printf-style message (cut to the
 * message's size). */
void dd__seterr(struct dd_parse_error *err, const char *code, long index, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
