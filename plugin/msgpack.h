/* msgpack.h - a small bounded MessagePack reader and growable writer for the
 * fluent-bit plugins: just the types fluent-bit records use. Every length
 * comes from the data and is checked against the buffer; nothing recurses,
 * so a hostile chunk can neither read out of bounds nor exhaust the stack. */
#ifndef AG_MSGPACK_H
#define AG_MSGPACK_H

#include <stddef.h>
#include <stdint.h>

enum ag_mp_type {
    AG_MP_NIL = 1, AG_MP_BOOL, AG_MP_UINT, AG_MP_INT, AG_MP_FLOAT,
    AG_MP_STR, AG_MP_BIN, AG_MP_ARRAY, AG_MP_MAP, AG_MP_EXT
};

/* One object's header. For str/bin/ext, p/n is the payload (in the buffer);
 * for array/map, n is the element (pair) count and the elements follow. */
struct ag_mp_obj {
    uint8_t type;        /* enum ag_mp_type */
    int8_t ext_type;
    int boolean;
    uint64_t u;
    int64_t i;
    double f;
    const uint8_t *p;
    uint32_t n;
};

struct ag_mp_reader {
    const uint8_t *p;
    size_t len;
    size_t pos;
};

static inline void ag_mp_reader_init(struct ag_mp_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
}

/* Reads the header of the next object. 0, or -1 (truncated or an unused
 * code 0xc1) with pos unchanged. */
int ag_mp_next(struct ag_mp_reader *r, struct ag_mp_obj *o);

/* Skips one whole object, nested ones included, without recursion. 0 or -1. */
int ag_mp_skip(struct ag_mp_reader *r);

/* Reads a str header: 0 with the text in s and n; -1 when the next object
 * is not a str (pos unchanged). */
int ag_mp_read_str(struct ag_mp_reader *r, const char **s, size_t *n);

/* A growable output buffer; a failed allocation sets oom and drops writes. */
struct ag_mp_out {
    uint8_t *p;
    size_t len;
    size_t cap;
    int oom;
};

void ag_mp_out_raw(struct ag_mp_out *w, const void *p, size_t n);
void ag_mp_out_array(struct ag_mp_out *w, uint32_t n);
void ag_mp_out_map(struct ag_mp_out *w, uint32_t n);
void ag_mp_out_str(struct ag_mp_out *w, const char *s, size_t n);
void ag_mp_out_uint(struct ag_mp_out *w, uint64_t v);

#endif
