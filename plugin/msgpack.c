/* msgpack.c - the bounded MessagePack reader and writer of msgpack.h.
 * Multi-byte numbers are big-endian on the wire; every read checks the bytes
 * it needs are there before touching them. */
#include "plugin/msgpack.h"

#include <stdlib.h>
#include <string.h>

static uint64_t be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v = v << 8 | p[k];
    return v;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
    unsigned shift = 64 - 8 * bytes;
    return (int64_t)(v << shift) >> shift;
}

/* Sizes of the length field (str/bin/array/map/ext) or value for 0xc4-0xdf. */
static int var_len(uint8_t c, uint8_t *type, unsigned *lenb, unsigned *fixed, int8_t *ext)
{
    static const struct { uint8_t type; uint8_t lenb; uint8_t fixed; } tab[] = {
        [0x04] = {AG_MP_BIN, 1, 0},   [0x05] = {AG_MP_BIN, 2, 0},   [0x06] = {AG_MP_BIN, 4, 0},
        [0x07] = {AG_MP_EXT, 1, 0},   [0x08] = {AG_MP_EXT, 2, 0},   [0x09] = {AG_MP_EXT, 4, 0},
        [0x0a] = {AG_MP_FLOAT, 0, 4}, [0x0b] = {AG_MP_FLOAT, 0, 8},
        [0x0c] = {AG_MP_UINT, 0, 1},  [0x0d] = {AG_MP_UINT, 0, 2},
        [0x0e] = {AG_MP_UINT, 0, 4},  [0x0f] = {AG_MP_UINT, 0, 8},
        [0x10] = {AG_MP_INT, 0, 1},   [0x11] = {AG_MP_INT, 0, 2},
        [0x12] = {AG_MP_INT, 0, 4},   [0x13] = {AG_MP_INT, 0, 8},
        [0x14] = {AG_MP_EXT, 0, 1},   [0x15] = {AG_MP_EXT, 0, 2},   [0x16] = {AG_MP_EXT, 0, 4},
        [0x17] = {AG_MP_EXT, 0, 8},   [0x18] = {AG_MP_EXT, 0, 16},
        [0x19] = {AG_MP_STR, 1, 0},   [0x1a] = {AG_MP_STR, 2, 0},   [0x1b] = {AG_MP_STR, 4, 0},
        [0x1c] = {AG_MP_ARRAY, 2, 0}, [0x1d] = {AG_MP_ARRAY, 4, 0},
        [0x1e] = {AG_MP_MAP, 2, 0},   [0x1f] = {AG_MP_MAP, 4, 0},
    };
    unsigned k = (unsigned)c - 0xc0;
    if (c < 0xc4 || c > 0xdf)
        return -1;
    *type = tab[k].type;
    *lenb = tab[k].lenb;
    *fixed = tab[k].fixed;
    *ext = *type == AG_MP_EXT;
    return 0;
}

static void set_number(struct ag_mp_obj *o, const uint8_t *q, unsigned n)
{
    uint64_t v = be(q, n);
    if (o->type == AG_MP_UINT) {
        o->u = v;
    } else if (o->type == AG_MP_INT) {
        o->i = sext(v, n);
    } else if (n == 4) {
        uint32_t w = (uint32_t)v;
        float fl;
        memcpy(&fl, &w, 4);
        o->f = fl;
    } else {
        memcpy(&o->f, &v, 8);
    }
}

/* 0xc0-0xdf: everything with a length or a fixed-size payload. */
static int next_var(struct ag_mp_reader *r, uint8_t c, struct ag_mp_obj *o, size_t *used)
{
    const uint8_t *q = r->p + r->pos + 1;
    size_t left = r->len - r->pos - 1;
    unsigned lenb, fixed;
    int8_t has_ext;
    if (var_len(c, &o->type, &lenb, &fixed, &has_ext) < 0)
        return -1;
    if (o->type == AG_MP_UINT || o->type == AG_MP_INT || o->type == AG_MP_FLOAT) {
        if (left < fixed)
            return -1;
        set_number(o, q, fixed);
        *used = 1 + fixed;
        return 0;
    }
    if (left < lenb + (size_t)has_ext)
        return -1;
    uint64_t n = lenb ? be(q, lenb) : fixed;
    size_t hdr = lenb + (size_t)has_ext;
    if (has_ext)
        o->ext_type = (int8_t)q[lenb];
    o->n = (uint32_t)n;
    if (o->type == AG_MP_ARRAY || o->type == AG_MP_MAP) {
        *used = 1 + hdr;
        return 0;
    }
    if (left - hdr < n)
        return -1;
    o->p = q + hdr;
    *used = 1 + hdr + (size_t)n;
    return 0;
}

int ag_mp_next(struct ag_mp_reader *r, struct ag_mp_obj *o)
{
    size_t used = 1;
    memset(o, 0, sizeof *o);
    if (r->pos >= r->len)
        return -1;
    uint8_t c = r->p[r->pos];
    if (c <= 0x7f) {
        o->type = AG_MP_UINT;
        o->u = c;
    } else if (c >= 0xe0) {
        o->type = AG_MP_INT;
        o->i = (int8_t)c;
    } else if (c <= 0x8f || (c >= 0x90 && c <= 0x9f)) {
        o->type = c <= 0x8f ? AG_MP_MAP : AG_MP_ARRAY;
        o->n = c & 0x0f;
    } else if (c <= 0xbf) {
        o->type = AG_MP_STR;
        o->n = c & 0x1f;
        if (r->len - r->pos - 1 < o->n)
            return -1;
        o->p = r->p + r->pos + 1;
        used += o->n;
    } else if (c == 0xc0 || c == 0xc2 || c == 0xc3) {
        o->type = c == 0xc0 ? AG_MP_NIL : AG_MP_BOOL;
        o->boolean = c == 0xc3;
    } else if (next_var(r, c, o, &used) < 0) {
        return -1;
    }
    r->pos += used;
    return 0;
}

int ag_mp_skip(struct ag_mp_reader *r)
{
    size_t start = r->pos;
    uint64_t pending = 1; /* objects still to read; 64 bits cannot overflow
                             from 32-bit counts within one buffer */
    struct ag_mp_obj o;
    while (pending) {
        if (ag_mp_next(r, &o) < 0) {
            r->pos = start;
            return -1;
        }
        pending--;
        if (o.type == AG_MP_ARRAY)
            pending += o.n;
        else if (o.type == AG_MP_MAP)
            pending += 2 * (uint64_t)o.n;
        /* Each element needs at least one byte: a count larger than what
         * is left is truncated, and failing now stops a 4-billion loop. */
        if (pending > r->len - r->pos) {
            r->pos = start;
            return -1;
        }
    }
    return 0;
}

int ag_mp_read_str(struct ag_mp_reader *r, const char **s, size_t *n)
{
    size_t save = r->pos;
    struct ag_mp_obj o;
    if (ag_mp_next(r, &o) < 0 || o.type != AG_MP_STR) {
        r->pos = save;
        return -1;
    }
    *s = (const char *)o.p;
    *n = o.n;
    return 0;
}

/* ---- writer ---------------------------------------------------------- */

static int reserve(struct ag_mp_out *w, size_t n)
{
    if (w->oom)
        return -1;
    if (w->cap - w->len >= n)
        return 0;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->len < n) {
        if (cap > SIZE_MAX / 2) {
            w->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(w->p, cap);
    if (!p) {
        w->oom = 1;
        return -1;
    }
    w->p = p;
    w->cap = cap;
    return 0;
}

void ag_mp_out_raw(struct ag_mp_out *w, const void *p, size_t n)
{
    if (n && reserve(w, n) == 0) {
        memcpy(w->p + w->len, p, n);
        w->len += n;
    }
}

static void put_be(struct ag_mp_out *w, uint8_t code, uint64_t v, unsigned n)
{
    uint8_t b[9];
    b[0] = code;
    for (unsigned k = 0; k < n; k++)
        b[1 + k] = (uint8_t)(v >> (8 * (n - 1 - k)));
    ag_mp_out_raw(w, b, 1 + n);
}

static void put_count(struct ag_mp_out *w, uint32_t n, uint8_t fix, uint8_t c16, uint8_t c32)
{
    if (n < 16) {
        uint8_t b = (uint8_t)(fix | n);
        ag_mp_out_raw(w, &b, 1);
    } else if (n <= 0xffff) {
        put_be(w, c16, n, 2);
    } else {
        put_be(w, c32, n, 4);
    }
}

void ag_mp_out_array(struct ag_mp_out *w, uint32_t n)
{
    put_count(w, n, 0x90, 0xdc, 0xdd);
}

void ag_mp_out_map(struct ag_mp_out *w, uint32_t n)
{
    put_count(w, n, 0x80, 0xde, 0xdf);
}

void ag_mp_out_str(struct ag_mp_out *w, const char *s, size_t n)
{
    if (n > UINT32_MAX)
        n = 0;
    if (n < 32) {
        uint8_t b = (uint8_t)(0xa0 | n);
        ag_mp_out_raw(w, &b, 1);
    } else if (n <= 0xff) {
        put_be(w, 0xd9, n, 1);
    } else if (n <= 0xffff) {
        put_be(w, 0xda, n, 2);
    } else {
        put_be(w, 0xdb, n, 4);
    }
    ag_mp_out_raw(w, s, n);
}

void ag_mp_out_uint(struct ag_mp_out *w, uint64_t v)
{
    if (v <= 0x7f) {
        uint8_t b = (uint8_t)v;
        ag_mp_out_raw(w, &b, 1);
    } else if (v <= 0xff) {
        put_be(w, 0xcc, v, 1);
    } else if (v <= 0xffff) {
        put_be(w, 0xcd, v, 2);
    } else if (v <= 0xffffffffu) {
        put_be(w, 0xce, v, 4);
    } else {
        put_be(w, 0xcf, v, 8);
    }
}
