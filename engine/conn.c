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
    uint32_t set_mask; /* sets - 1 */
    _Atomic uint64_t *slot; /* sets x AG_CONN_WAYS, each set one cache line */
};

int ag_conns_new(struct ag_conns **out, uint32_t slots)
{
    struct ag_conns *c = calloc(1, sizeof(*c));
    size_t bytes = (size_t)slots * sizeof(*c->slot);
    if (c != NULL && slots >= AG_CONN_WAYS) {
        c->slot = aligned_alloc(64, bytes);
        if (c->slot != NULL)
            for (uint32_t i = 0; i < slots; i++)
                atomic_init(&c->slot[i], 0);
    }
    if (c == NULL || c->slot == NULL) {
        ag_conns_free(c);
        return -1;
    }
    c->set_mask = slots / AG_CONN_WAYS - 1;
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
    return sizeof(*c) + ((size_t)c->set_mask + 1) * AG_CONN_WAYS * sizeof(*c->slot);
}

static uint64_t word(uint64_t tag, uint32_t minute, unsigned state)
{
    return tag << TAG_SHIFT | (uint64_t)(minute & MIN_MASK) << STATE_BITS | state;
}

/* Minutes between an entry and now, either way (lines of a connection may
 * arrive a little out of order), modulo the field, which wraps every ~8
 * years. */
static uint32_t age_of(uint64_t w, uint32_t minute)
{
    uint32_t then = (uint32_t)(w >> STATE_BITS) & MIN_MASK;
    uint32_t d = (minute - then) & MIN_MASK;
    return d < (MIN_MASK + 1) / 2 ? d : (MIN_MASK + 1) - d;
}

static int expired(uint64_t w, uint32_t minute)
{
    return w == 0 || (uint64_t)age_of(w, minute) * 60000u > AG_CONN_TTL_MS;
}

/* The entry's state for this connection, ST_EMPTY when it holds another
 * one or is too old. */
static unsigned state_of(uint64_t w, uint64_t tag, uint32_t minute)
{
    if (w >> TAG_SHIFT != tag || expired(w, minute))
        return ST_EMPTY;
    return (unsigned)(w & 3);
}

/* The way of the set that holds this connection; else the one it takes:
 * the first empty or expired one, else the oldest. *seen is its word. */
static unsigned pick_way(_Atomic uint64_t *set, uint64_t tag, uint32_t minute, uint64_t *seen)
{
    unsigned victim = 0;
    uint32_t victim_age = 0;
    int victim_free = 0;
    for (unsigned i = 0; i < AG_CONN_WAYS; i++) {
        uint64_t w = atomic_load_explicit(&set[i], memory_order_relaxed);
        if (state_of(w, tag, minute) != ST_EMPTY) {
            *seen = w;
            return i;
        }
        if (victim_free)
            continue;
        if (expired(w, minute)) {
            victim = i;
            victim_free = 1;
        } else if (age_of(w, minute) >= victim_age) {
            victim = i;
            victim_age = age_of(w, minute);
        }
    }
    *seen = atomic_load_explicit(&set[victim], memory_order_relaxed);
    return victim;
}

int ag_conns_counts(struct ag_conns *c, uint64_t id, enum ag_conn_line what, int64_t t_ms)
{
    uint64_t tag = (id >> 24) | 1; /* 40 bits, never 0: an entry is never 0 */
    uint32_t minute = (uint32_t)((t_ms > 0 ? t_ms : 0) / 60000);
    _Atomic uint64_t *set = &c->slot[(size_t)(id & c->set_mask) * AG_CONN_WAYS];
    for (;;) {
        uint64_t old;
        unsigned way = pick_way(set, tag, minute, &old);
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
        /* Another thread changed the entry: look at the set again. */
        if (atomic_compare_exchange_strong_explicit(&set[way], &old, word(tag, minute, next),
                                                    memory_order_relaxed, memory_order_relaxed))
            return counts;
    }
}
