/* recent.c - striped rings of recent events, written by feeders without a
 * lock and read by the finding assembler as seqlocks.
 *
 * Every field is an atomic word (stored relaxed, loaded with acquire so the
 * closing sequence check is ordered after them), so a reader racing a
 * writer sees torn data at worst, which that check then discards; no data
 * race in the C11 sense. */
#include "engine/recent.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define LINE_WORDS (AG_RECENT_LINE / 8)
#define NAME_WORDS (AG_RECENT_NAME / 8)

struct entry {
    _Atomic uint64_t seq;   /* 0 never written; odd: being written; even: done */
    _Atomic uint64_t time_ms;
    _Atomic uint64_t meta;
    _Atomic uint64_t src[2];
    _Atomic uint64_t user_key[2];
    _Atomic uint64_t local_key[2];
    _Atomic uint64_t user[NAME_WORDS];
    _Atomic uint64_t host[NAME_WORDS];
    _Atomic uint64_t line[LINE_WORDS];
};

struct stripe {
    _Alignas(64) _Atomic uint64_t cursor;
    struct entry *e;
    /* The entries' times again, densely packed, and per role one byte per
     * entry (eight to a word) marking the key the entry has in that role:
     * a finding's scan looks at eight entries per load and touches the
     * entries of other keys not at all. Only a filter: read_entry() checks
     * time and keys again under the seqlock. */
    _Atomic int64_t *time_ms;
    _Atomic uint64_t *marks[AG_RECENT_ROLES];
};

/* How far back in event time feeders may write relative to each other. */
#define AG_RECENT_DISORDER_MS (10 * 60 * 1000)

#define ONES 0x0101010101010101ull
#define LOW7 0x7f7f7f7f7f7f7f7full

struct ag_recent {
    struct stripe *stripes;
    unsigned n_stripes;
    uint32_t per_stripe;
};

/* meta: kind 0-7, line_len 8-23, user_len 24-31, host_len 32-39, af 40-47,
 * flags 48-55 */
#define M_LINE_TRUNC 0x01u
#define M_USER_TRUNC 0x02u
#define M_HAS_USER 0x04u
#define M_HAS_LOCAL 0x08u

static size_t mark_words(uint32_t per_stripe) { return ((size_t)per_stripe + 7) / 8; }

/* One stripe's entries, as ag_table_zalloc() is asked for them. */
static size_t entries_bytes(uint32_t per_stripe)
{
    return (size_t)per_stripe * sizeof(struct entry);
}

int ag_recent_new(struct ag_recent **out, unsigned stripes, uint32_t per_stripe)
{
    *out = NULL;
    if (stripes == 0 || (stripes & (stripes - 1)) != 0 || per_stripe == 0)
        return -EINVAL;
    struct ag_recent *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -ENOMEM;
    r->stripes = aligned_alloc(64, sizeof(struct stripe) * stripes);
    if (r->stripes == NULL) {
        free(r);
        return -ENOMEM;
    }
    memset(r->stripes, 0, sizeof(struct stripe) * stripes);
    r->n_stripes = stripes;
    r->per_stripe = per_stripe;
    for (unsigned i = 0; i < stripes; i++) {
        struct stripe *st = &r->stripes[i];
        /* The entries are most of the ring's memory: from the kernel in
         * huge pages like the counter table, or a ring of tens of MiB costs
         * thousands of page faults as it fills. */
        st->e = ag_table_zalloc(entries_bytes(per_stripe));
        st->time_ms = calloc(per_stripe, sizeof(*st->time_ms));
        int ok = st->e != NULL && st->time_ms != NULL;
        for (unsigned k = 0; k < AG_RECENT_ROLES; k++)
            ok &= (st->marks[k] = calloc(mark_words(per_stripe), 8)) != NULL;
        if (!ok) {
            ag_recent_free(r);
            return -ENOMEM;
        }
    }
    *out = r;
    return 0;
}

void ag_recent_free(struct ag_recent *r)
{
    if (r == NULL)
        return;
    for (unsigned i = 0; i < r->n_stripes; i++) {
        ag_table_zfree(r->stripes[i].e, entries_bytes(r->per_stripe));
        free(r->stripes[i].time_ms);
        for (unsigned k = 0; k < AG_RECENT_ROLES; k++)
            free(r->stripes[i].marks[k]);
    }
    free(r->stripes);
    free(r);
}

void ag_recent_prefault(struct ag_recent *r)
{
    for (unsigned i = 0; i < r->n_stripes; i++)
        ag_table_zprefault(r->stripes[i].e, entries_bytes(r->per_stripe));
}

size_t ag_recent_memory(const struct ag_recent *r)
{
    size_t per = ag_table_zsize(entries_bytes(r->per_stripe)) +
                 (size_t)r->per_stripe * sizeof(int64_t) +
                 (size_t)mark_words(r->per_stripe) * 8 * AG_RECENT_ROLES;
    return sizeof(*r) + sizeof(struct stripe) * r->n_stripes + r->n_stripes * per;
}

/* Whole words with fixed-size copies, then the tail: a copy of a variable
 * size per word became a byte loop, the most of an event's cost here.
 * Readers never look past len. */
static void put_text(_Atomic uint64_t *words, size_t nwords, const char *s, size_t len)
{
    size_t full = len / 8 < nwords ? len / 8 : nwords;
    for (size_t i = 0; i < full; i++) {
        uint64_t w;
        memcpy(&w, s + i * 8, 8);
        atomic_store_explicit(&words[i], w, memory_order_relaxed);
    }
    size_t rest = len - full * 8;
    if (full < nwords && rest > 0) {
        uint64_t w = 0;
        memcpy(&w, s + full * 8, rest < 8 ? rest : 8);
        atomic_store_explicit(&words[full], w, memory_order_relaxed);
    }
}

/* Asks for the lines the next put will write (header, names and a line's
 * first 200 bytes), so that it does not wait for each in turn. */
static void prefetch_entry(const struct entry *e)
{
    for (size_t off = 0; off < offsetof(struct entry, line) + 200; off += 64)
        __builtin_prefetch((const char *)e + off, 1);
}

static void get_text(_Atomic uint64_t *words, size_t len, char *out)
{
    for (size_t off = 0; off < len; off += 8) {
        uint64_t w = atomic_load_explicit(&words[off / 8], memory_order_acquire);
        memcpy(out + off, &w, len - off < 8 ? len - off : 8);
    }
    out[len] = '\0';
}

/* A span that does not lie inside the line is treated as absent: spans
 * come from parsers, and a wrong one must not make us read past the line. */
static size_t span_len_capped(const struct ag_event *ev, struct ag_span s, size_t cap,
                              int *trunc)
{
    *trunc = 0;
    if ((uint32_t)s.off + s.len > ev->line_len)
        return 0;
    *trunc = s.len > cap;
    return s.len > cap ? cap : s.len;
}

static uint64_t make_meta(const struct ag_event *ev, const struct ag_recent_keys *keys,
                          size_t line_len, size_t user_len, size_t host_len, unsigned flags)
{
    if (keys->has_user)
        flags |= M_HAS_USER;
    if (keys->has_local_user)
        flags |= M_HAS_LOCAL;
    return (uint64_t)ev->kind | ((uint64_t)line_len << 8) | ((uint64_t)user_len << 24) |
           ((uint64_t)host_len << 32) | ((uint64_t)keys->src.af << 40) |
           ((uint64_t)flags << 48);
}

static uint8_t mark_of(uint64_t x)
{
    uint8_t m = (uint8_t)((x * 0x9e3779b97f4a7c15ull) >> 56);
    return m != 0 ? m : 1;
}

uint8_t ag_recent_mark_addr(const struct ag_addr *a, int prefix64)
{
    uint64_t w[2];
    memcpy(w, a->b, 16);
    return mark_of(w[0] ^ (prefix64 && a->af == AG_AF_INET6 ? 0 : w[1] * 31) ^ a->af);
}

uint8_t ag_recent_mark_key(const uint64_t w[2])
{
    return mark_of(w[0] ^ w[1] * 31);
}

/* An entry's mark in each role; 0 where it has no such key. */
static void keys_marks(const struct ag_recent_keys *k, uint8_t m[AG_RECENT_ROLES])
{
    memset(m, 0, AG_RECENT_ROLES);
    if (k->src.af != AG_AF_NONE)
        m[AG_RECENT_SRC] = ag_recent_mark_addr(&k->src, 0);
    if (k->src.af == AG_AF_INET6)
        m[AG_RECENT_SRC64] = ag_recent_mark_addr(&k->src, 1);
    if (k->has_user)
        m[AG_RECENT_USER] = ag_recent_mark_key(k->user);
    if (k->has_local_user)
        m[AG_RECENT_LOCAL] = ag_recent_mark_key(k->local_user);
}

/* Sets entry i's byte in each role's mark words. A plain load and store,
 * not a read-modify-write: two feeders share a stripe only when one
 * migrated CPUs, and a byte lost to that race only hides one entry from the
 * filter (one sample fewer), which is cheaper than a locked instruction on
 * every event. */
static void put_marks(struct stripe *st, uint32_t i, const struct ag_recent_keys *keys)
{
    uint8_t m[AG_RECENT_ROLES];
    keys_marks(keys, m);
    unsigned shift = (i % 8) * 8;
    for (unsigned k = 0; k < AG_RECENT_ROLES; k++) {
        _Atomic uint64_t *w = &st->marks[k][i / 8];
        uint64_t v = atomic_load_explicit(w, memory_order_relaxed);
        v = (v & ~(0xffull << shift)) | ((uint64_t)m[k] << shift);
        atomic_store_explicit(w, v, memory_order_relaxed);
    }
}

uint64_t ag_recent_put(struct ag_recent *r, unsigned stripe, const struct ag_event *ev,
                       const struct ag_recent_keys *keys)
{
    unsigned si = stripe & (r->n_stripes - 1);
    struct stripe *st = &r->stripes[si];
    uint64_t n = atomic_fetch_add_explicit(&st->cursor, 1, memory_order_relaxed);
    struct entry *e = &st->e[n % r->per_stripe];
    uint64_t old = atomic_load_explicit(&e->seq, memory_order_relaxed);
    /* Another writer a whole lap behind still holds it: give up this one. */
    if ((old & 1) != 0 ||
        !atomic_compare_exchange_strong_explicit(&e->seq, &old, 2 * n + 1, memory_order_acquire,
                                                 memory_order_relaxed))
        return 0;

    int lt = 0, ut = 0, ht = 0;
    size_t line_len = ev->line_len > AG_RECENT_LINE ? AG_RECENT_LINE : ev->line_len;
    lt = ev->line_len > AG_RECENT_LINE;
    size_t user_len = span_len_capped(ev, ev->user, AG_RECENT_NAME, &ut);
    size_t host_len = span_len_capped(ev, ev->host, AG_RECENT_NAME, &ht);
    unsigned flags = (lt ? M_LINE_TRUNC : 0) | (ut ? M_USER_TRUNC : 0);

    atomic_store_explicit(&e->time_ms, (uint64_t)ev->time_ms, memory_order_relaxed);
    atomic_store_explicit(&e->meta, make_meta(ev, keys, line_len, user_len, host_len, flags),
                          memory_order_relaxed);
    uint64_t src[2];
    memcpy(src, keys->src.b, 16);
    for (int i = 0; i < 2; i++) {
        atomic_store_explicit(&e->src[i], src[i], memory_order_relaxed);
        atomic_store_explicit(&e->user_key[i], keys->user[i], memory_order_relaxed);
        atomic_store_explicit(&e->local_key[i], keys->local_user[i], memory_order_relaxed);
    }
    put_text(e->user, NAME_WORDS, ag_span_ptr(ev, ev->user), user_len);
    put_text(e->host, NAME_WORDS, ag_span_ptr(ev, ev->host), host_len);
    put_text(e->line, LINE_WORDS, ev->line, line_len);
    atomic_store_explicit(&e->seq, 2 * n + 2, memory_order_release);
    uint32_t i = (uint32_t)(n % r->per_stripe);
    atomic_store_explicit(&st->time_ms[i], ev->time_ms, memory_order_relaxed);
    put_marks(st, i, keys);
    prefetch_entry(&st->e[(n + 1) % r->per_stripe]);
    return ((uint64_t)si << 48) | ((n + 1) & 0xffffffffffffull);
}

/* Reads time and keys; the texts only for entries that match. */
static int read_entry(struct entry *e, unsigned si, int64_t from_ms, int64_t to_ms,
                      ag_recent_match_fn match, void *arg, struct ag_recent_item *it)
{
    uint64_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
    if (s1 == 0 || (s1 & 1) != 0)
        return 0;
    it->time_ms = (int64_t)atomic_load_explicit(&e->time_ms, memory_order_acquire);
    if (it->time_ms < from_ms || it->time_ms > to_ms)
        return 0;
    uint64_t meta = atomic_load_explicit(&e->meta, memory_order_acquire);
    it->id = ((uint64_t)si << 48) | ((s1 / 2) & 0xffffffffffffull);
    it->kind = (uint8_t)meta;
    it->line_len = (uint16_t)(meta >> 8);
    it->user_len = (uint8_t)(meta >> 24);
    it->host_len = (uint8_t)(meta >> 32);
    unsigned flags = (unsigned)(meta >> 48) & 0xffu;
    it->line_truncated = (flags & M_LINE_TRUNC) != 0;
    it->user_truncated = (flags & M_USER_TRUNC) != 0;
    memset(&it->keys, 0, sizeof(it->keys));
    it->keys.src.af = (uint8_t)(meta >> 40);
    it->keys.has_user = (flags & M_HAS_USER) != 0;
    it->keys.has_local_user = (flags & M_HAS_LOCAL) != 0;
    uint64_t src[2];
    for (int i = 0; i < 2; i++) {
        src[i] = atomic_load_explicit(&e->src[i], memory_order_acquire);
        it->keys.user[i] = atomic_load_explicit(&e->user_key[i], memory_order_acquire);
        it->keys.local_user[i] = atomic_load_explicit(&e->local_key[i], memory_order_acquire);
    }
    memcpy(it->keys.src.b, src, 16);
    /* Lengths from a torn read could be anything: clamp before copying. */
    if (it->line_len > AG_RECENT_LINE || it->user_len > AG_RECENT_NAME ||
        it->host_len > AG_RECENT_NAME)
        return 0;
    unsigned take = match(arg, it);
    if (take == 0)
        return 0;
    if (take & AG_RECENT_NO_LINE)
        it->line_len = 0;
    if (take & AG_RECENT_NO_USER)
        it->user_len = 0;
    if (take & AG_RECENT_NO_HOST)
        it->host_len = 0;
    get_text(e->line, it->line_len, it->line);
    get_text(e->user, it->user_len, it->user);
    get_text(e->host, it->host_len, it->host);
    /* Every load above was an acquire, so none can drift past this one:
     * if seq is unchanged, no writer touched the entry meanwhile. */
    return atomic_load_explicit(&e->seq, memory_order_acquire) == s1;
}

struct scan {
    struct ag_recent *r;
    unsigned si;
    int64_t from_ms, to_ms;
    ag_recent_match_fn match;
    ag_recent_visit_fn fn;
    void *arg;
    struct ag_recent_item *scratch;
};

/* One candidate entry; 0 once entries are well before the window (beyond
 * what feeders' disorder could explain): the rest of the stripe, written
 * in feed order, is older still. */
static int visit(const struct scan *sc, struct stripe *st, uint32_t i)
{
    int64_t t = atomic_load_explicit(&st->time_ms[i], memory_order_relaxed);
    if (t < sc->from_ms - AG_RECENT_DISORDER_MS)
        return 0;
    if (t >= sc->from_ms && t <= sc->to_ms &&
        read_entry(&st->e[i], sc->si, sc->from_ms, sc->to_ms, sc->match, sc->arg, sc->scratch))
        sc->fn(sc->arg, sc->scratch);
    return 1;
}

/* Bytes of w equal to mark: the high bit of each such byte (exact: no
 * borrow crosses bytes). */
static uint64_t bytes_equal(uint64_t w, uint8_t mark)
{
    uint64_t x = w ^ (ONES * mark);
    return ~(((x & LOW7) + LOW7) | x | LOW7);
}

/* Entries hi down to lo whose mark in marks matches (all when mark is 0),
 * newest first; 0 when visit() said stop. */
static int scan_range(const struct scan *sc, struct stripe *st, const _Atomic uint64_t *marks,
                      uint8_t mark, uint32_t lo, uint32_t hi)
{
    for (uint32_t wi = hi / 8 + 1; wi-- > lo / 8;) {
        uint64_t hit = 0x8080808080808080ull;
        if (mark != 0)
            hit = bytes_equal(atomic_load_explicit(&marks[wi], memory_order_relaxed), mark);
        if (wi == hi / 8 && hi % 8 != 7)
            hit &= (1ull << ((hi % 8) * 8 + 8)) - 1;
        if (wi == lo / 8)
            hit &= ~0ull << ((lo % 8) * 8);
        while (hit != 0) {
            unsigned b = 63 - (unsigned)__builtin_clzll(hit);
            if (!visit(sc, st, wi * 8 + b / 8))
                return 0;
            hit &= ~(1ull << b);
        }
    }
    return 1;
}

void ag_recent_scan(struct ag_recent *r, int64_t from_ms, int64_t to_ms,
                    enum ag_recent_role role, uint8_t mark, ag_recent_match_fn match,
                    ag_recent_visit_fn fn, void *arg, struct ag_recent_item *scratch)
{
    struct scan sc = {r, 0, from_ms, to_ms, match, fn, arg, scratch};
    if ((unsigned)role >= AG_RECENT_ROLES)
        return;
    for (unsigned si = 0; si < r->n_stripes; si++) {
        struct stripe *st = &r->stripes[si];
        uint64_t n = atomic_load_explicit(&st->cursor, memory_order_relaxed);
        if (n == 0)
            continue;
        sc.si = si;
        /* Newest first: from the last written entry down to the start of
         * the array, then (once the ring has wrapped) from its end down. */
        uint32_t last = (uint32_t)((n - 1) % r->per_stripe);
        if (scan_range(&sc, st, st->marks[role], mark, 0, last) && n > r->per_stripe &&
            last + 1 < r->per_stripe)
            scan_range(&sc, st, st->marks[role], mark, last + 1, r->per_stripe - 1);
    }
}
