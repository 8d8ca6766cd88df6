/* event.c — batch lifetime and the feature encoding of event.h. */
#include "ingest/event.h"

#include <string.h>

#include "base/err.h"

void dd_batch_init(struct dd_batch *b)
{
    b->events = NULL;
    b->n = 0;
    b->dim = 0;
    dd_arena_init(&b->arena);
}

void dd_batch_release(struct dd_batch *b)
{
    if (!b)
        return;
    dd_arena_release(&b->arena);
    b->events = NULL;
    b->n = 0;
    b->dim = 0;
}

int dd_features_next(const uint8_t *p, size_t len, size_t *pos, struct dd_feature *f)
{
    size_t i = *pos;
    if (i >= len)
        return 0;
    if (len - i < 2)
        return DD_EINVAL;
    uint8_t type = p[i], nlen = p[i + 1];
    i += 2;
    if (type > 2 || len - i < nlen)
        return DD_EINVAL;
    f->name = (const char *)p + i;
    f->name_len = nlen;
    i += nlen;
    f->is_missing = 0;
    if (type == 2) {
        f->is_missing = 1;
        f->is_string = 0;
        f->num = 0;
        f->str = NULL;
        f->str_len = 0;
    } else if (type == 0) {
        if (len - i < 8)
            return DD_EINVAL;
        memcpy(&f->num, p + i, 8);
        i += 8;
        f->is_string = 0;
        f->str = NULL;
        f->str_len = 0;
    } else {
        if (len - i < 2)
            return DD_EINVAL;
        size_t slen = (size_t)p[i] | (size_t)p[i + 1] << 8;
        i += 2;
        if (len - i < slen)
            return DD_EINVAL;
        f->is_string = 1;
        f->str = (const char *)p + i;
        f->str_len = slen;
        f->num = 0;
        i += slen;
    }
    *pos = i;
    return 1;
}

int dd_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > DD_NAME_MAX || (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.'))))
        return 0; /* "." and ".." would read as paths */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}
