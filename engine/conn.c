/* conn.c - one attempt per connection (conn.h). */
#include "engine/conn.h"

#include <stdatomic.h>
#include <stdlib.h>

/* An entry: tag (40 bits of the id) | minute of the event (22 bits) |
 * state (2 bits). Zero is an empty entry. */
#define STATE_BITS 2
#define MIN_BITS 22
#define TAG_SHIFT (STATE_BITS + MIN_BITS)
#define MIN_MASK ((1u << MIN_BITS) - 1)

enum {
    ST_EMPTY = 0,
    ST_ANNOUNCED = 1, /* counted by a folding line: the first Failed folds in */
    ST_GUESSED = 2,   /* counted by a Failed line (or one folded in) */
};

struct ag_conns {
    uint32_t mask;
    _Atomic uint64_t *slot;
};

int ag_conns_new(struct ag_conns **out, uint32_t slots)
{
    struct ag_conns *c = calloc(1, sizeof(*c));
    if (c != NULL)
        c->slot = calloc(slots, sizeof(*c->slot));
    if (c == NULL || c->slot == NULL) {
        ag_conns_free(c);
        return -1;
    }
    c->mask = slots - 1;
    *out = c;
    return 0;
}

void ag_conns_free(struct ag_conns *c)
{
    if (c == NULL)
        return;
    free(c->slot);
    free(c);
}

size_t ag_conns_memory(const struct ag_conns *c)
{
    if (c == NULL)
        return 0;
    return sizeof(*c) + ((size_t)c->mask + 1) * sizeof(*c->slot);
}

static uint64_t word(uint64_t tag, uint32_t minute, unsigned state)
{
    return tag << TAG_SHIFT | (uint64_t)(minute & MIN_MASK) << STATE_BITS | state;
}

/* The entry's state for this connection, ST_EMPTY when it holds another
 * one or is too old. */
static unsigned state_of(uint64_t w, uint64_t tag, uint32_t minute)
{
    if (w == 0 || w >> TAG_SHIFT != tag)
        return ST_EMPTY;
    uint32_t then = (uint32_t)(w >> STATE_BITS) & MIN_MASK;
    /* the distance either way (lines of a connection may arrive a little
     * out of order), modulo the field, which wraps every ~8 years */
    uint32_t d = (minute - then) & MIN_MASK;
    uint32_t age = d < (MIN_MASK + 1) / 2 ? d : (MIN_MASK + 1) - d;
    return (uint64_t)age * 60000u > AG_CONN_TTL_MS ? ST_EMPTY : (unsigned)(w & 3);
}

int ag_conns_counts(struct ag_conns *c, uint64_t id, enum ag_conn_line what, int64_t t_ms)
{
    uint64_t tag = (id >> 24) | 1; /* 40 bits, never 0: an entry is never 0 */
    uint32_t minute = (uint32_t)((t_ms > 0 ? t_ms : 0) / 60000);
    _Atomic uint64_t *s = &c->slot[id & c->mask];
    uint64_t old = atomic_load_explicit(s, memory_order_relaxed);
    for (;;) {
        unsigned st = state_of(old, tag, minute);
        unsigned next;
        int counts;
        if (what == AG_CONN_FOLDS) {
            if (st != ST_EMPTY)
                return 0; /* the attempt is already counted */
            next = ST_ANNOUNCED;
            counts = 1;
        } else {
            counts = st != ST_ANNOUNCED; /* the announced attempt, made */
            next = ST_GUESSED;
            if (st == ST_GUESSED)
                return 1;
        }
        if (atomic_compare_exchange_weak_explicit(s, &old, word(tag, minute, next),
                                                  memory_order_relaxed, memory_order_relaxed))
            return counts;
    }
}
