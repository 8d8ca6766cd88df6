/* bytes.h — reading a byte string front to back: the stored forms of a
 * prepared reference (server/monitor/reference.c, server/monitor/signals.c) and of a PCA
 * (analysis/embed.c).
 *
 * Every read is bounds-checked.  The first read past the end marks the
 * reader bad and every later read fails too, so a decoder can read a run of
 * fields and check once.  Counts read from the bytes are checked with
 * dd_reader_fits() before anything is allocated for them, so damaged bytes
 * can never ask for more memory than they could hold.
 *
 * Byte order is the host's (the writers use dd_buf_append() of the values).
 */
#ifndef DD_BYTES_H
#define DD_BYTES_H
#include <stddef.h>
#include <stdint.h>

struct dd_reader {
    const unsigned char *p;
    size_t left;
    int bad;
};

void dd_reader_init(struct dd_reader *r, const void *bytes, size_t len);
/* The next n bytes, or NULL (and bad) past the end. */
const void *dd_read(struct dd_reader *r, size_t n);
/* Copies the next n bytes to dst: 0, or -1 past the end (dst untouched). */
int dd_read_copy(struct dd_reader *r, void *dst, size_t n);
/* The next uint64_t, 0 past the end. */
uint64_t dd_read_u64(struct dd_reader *r);
/* 1 if count items of size bytes are left to read, else 0. */
int dd_reader_fits(const struct dd_reader *r, uint64_t count, size_t size);

#endif
