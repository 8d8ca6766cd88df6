/* bytes.c — the bounds-checked byte reader of bytes.h. */
#include "bytes.h"

#include <string.h>

void dd_reader_init(struct dd_reader *r, const void *bytes, size_t len)
{
    r->p = bytes;
    r->left = bytes ? len : 0;
    r->bad = 0;
}

const void *dd_read(struct dd_reader *r, size_t n)
{
    if (r->bad || n > r->left) {
        r->bad = 1;
        return NULL;
    }
    const void *q = r->p;
    r->p += n;
    r->left -= n;
    return q;
}

int dd_read_copy(struct dd_reader *r, void *dst, size_t n)
{
    const void *q = dd_read(r, n);
    if (!q)
        return -1;
    if (n)
        memcpy(dst, q, n);
    return 0;
}

uint64_t dd_read_u64(struct dd_reader *r)
{
    uint64_t v = 0;
    dd_read_copy(r, &v, sizeof v);
    return v;
}

int dd_reader_fits(const struct dd_reader *r, uint64_t count, size_t size)
{
    return !r->bad && size && count <= r->left / size;
}
