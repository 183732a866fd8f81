/* window.c - bucketed windows packed in one word, and the distinct-pair table.
 *
 * A whole window (four 12-bit buckets and the index of the newest) fits in
 * one 64-bit word, so rotating the window and counting an event are one CAS:
 * no writer can ever add into a bucket another is clearing. */
#include "engine/window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TAG_SHIFT 48
#define COUNTS_MASK 0xffffffffffffull
/* A ring whose newest bucket looks this far ahead of "now" wrapped. */
#define SCRUB_AHEAD 8192

int64_t ag_window_width_ms(uint32_t window_s)
{
    int64_t w = ((int64_t)window_s * 1000 + AG_RING_BUCKETS - 2) / (AG_RING_BUCKETS - 1);
    return w < 1 ? 1 : w;
}

static inline uint32_t ring_tag(uint64_t w) { return (uint32_t)(w >> TAG_SHIFT); }

static inline uint32_t ring_count(uint64_t w, unsigned i)
{
    return (uint32_t)(w >> (AG_RING_BITS * i)) & AG_RING_CAP;
}

/* j - tag as a signed distance in buckets (mod 2^16). */
static inline int32_t ring_dist(uint32_t j, uint64_t w)
{
    return (int16_t)(uint16_t)(j - ring_tag(w));
}

uint32_t ag_ring_sum(uint64_t word, uint32_t j)
{
    if (word == 0)
        return 0;
    int32_t d = ring_dist(j, word);
    uint32_t sum = 0;
    /* bucket i is (tag - i); it is inside the window ending at j when
     * 0 <= j - (tag - i) <= 3, i.e. -d <= i <= 3 - d. */
    for (int32_t i = 0; i < AG_RING_BUCKETS; i++) {
        int32_t e = d + i;
        if (e >= 0 && e < AG_RING_BUCKETS)
            sum += ring_count(word, (unsigned)i);
    }
    return sum;
}

static uint64_t ring_fresh(uint32_t j, uint32_t n)
{
    return ((uint64_t)(j & 0xffffu) << TAG_SHIFT) | n;
}

/* The word after adding n at bucket j, or old itself when nothing changes. */
static uint64_t ring_next(uint64_t old, uint32_t j, uint32_t n, uint32_t max_back)
{
    if (old == 0)
        return ring_fresh(j, n);
    int32_t d = ring_dist(j, old);
    if (d > 0) {
        uint64_t counts = d >= AG_RING_BUCKETS
                              ? 0
                              : ((old & COUNTS_MASK) << (AG_RING_BITS * (unsigned)d)) & COUNTS_MASK;
        return ((uint64_t)(j & 0xffffu) << TAG_SHIFT) | counts | n;
    }
    if (d > -AG_RING_BUCKETS) {
        unsigned i = (unsigned)-d;
        uint32_t c = ring_count(old, i);
        uint32_t c2 = c + n > AG_RING_CAP ? AG_RING_CAP : c + n;
        return (old & ~((uint64_t)AG_RING_CAP << (AG_RING_BITS * i))) |
               ((uint64_t)c2 << (AG_RING_BITS * i));
    }
    if ((uint32_t)-d > max_back)
        return ring_fresh(j, n);
    return old; /* late for this ring: its bucket has been reused */
}

uint32_t ag_ring_add(_Atomic uint64_t *ring, uint32_t j, uint32_t n, uint32_t max_back)
{
    if (n > AG_RING_CAP)
        n = AG_RING_CAP;
    uint64_t old = atomic_load_explicit(ring, memory_order_relaxed);
    for (;;) {
        uint64_t next = ring_next(old, j, n, max_back);
        if (next == old)
            return ag_ring_sum(old, j);
        if (atomic_compare_exchange_weak_explicit(ring, &old, next, memory_order_relaxed,
                                                  memory_order_relaxed))
            return ag_ring_sum(next, j);
    }
}

void ag_ring_scrub(_Atomic uint64_t *ring, uint32_t j)
{
    uint64_t old = atomic_load_explicit(ring, memory_order_relaxed);
    if (old == 0)
        return;
    int32_t d = ring_dist(j, old);
    /* A slightly negative d is a feeder that moved on after we read "now". */
    if (d >= AG_RING_BUCKETS || d < -SCRUB_AHEAD)
        atomic_compare_exchange_strong_explicit(ring, &old, 0, memory_order_relaxed,
                                                memory_order_relaxed);
}

/* ---- distinct pairs --------------------------------------------------- */

/* Entry: rule (4 bits) | fingerprint (36 bits, never 0) | bucket (24 bits). */
#define PAIR_BUCKET_BITS 24
#define PAIR_BUCKET_MASK 0xffffffull
#define PAIR_FP_BITS 36
#define PAIR_FP_MASK ((1ull << PAIR_FP_BITS) - 1)
#define PAIR_GROUP 8

struct ag_pairs {
    _Atomic uint64_t *e;
    uint32_t mask;
    uint64_t hash_key[2];
    int64_t width_ms[AG_RULE_COUNT];
};

_Static_assert(AG_RULE_COUNT <= 16, "pair entries keep the rule in 4 bits");

int ag_pairs_new(struct ag_pairs **out, uint32_t entries, const uint64_t hash_key[2],
                 const int64_t width_ms[AG_RULE_COUNT])
{
    *out = NULL;
    if (entries < PAIR_GROUP || (entries & (entries - 1)) != 0)
        return -EINVAL;
    struct ag_pairs *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    p->e = ag_table_zalloc((size_t)entries * sizeof(*p->e));
    if (p->e == NULL) {
        free(p);
        return -ENOMEM;
    }
    p->mask = entries - 1;
    p->hash_key[0] = hash_key[0] ^ 0x7061697273ull; /* distinct from the table's hash */
    p->hash_key[1] = hash_key[1];
    for (int i = 0; i < AG_RULE_COUNT; i++)
        p->width_ms[i] = width_ms[i] > 0 ? width_ms[i] : 1;
    *out = p;
    return 0;
}

/* The entries' region, as ag_table_zalloc() was asked for it. */
static size_t pairs_bytes(const struct ag_pairs *p)
{
    return (size_t)(p->mask + 1) * sizeof(*p->e);
}

void ag_pairs_free(struct ag_pairs *p)
{
    if (p == NULL)
        return;
    ag_table_zfree((void *)p->e, pairs_bytes(p));
    free(p);
}

void ag_pairs_prefault(struct ag_pairs *p)
{
    ag_table_zprefault((void *)p->e, pairs_bytes(p));
}

size_t ag_pairs_memory(const struct ag_pairs *p)
{
    return sizeof(*p) + ag_table_zsize(pairs_bytes(p));
}

static inline int32_t pair_dist(uint32_t j, uint64_t w)
{
    /* sign-extend a 24-bit difference */
    uint32_t d = (j - (uint32_t)(w & PAIR_BUCKET_MASK)) & PAIR_BUCKET_MASK;
    return d & 0x800000u ? (int32_t)d - 0x1000000 : (int32_t)d;
}

static inline uint64_t pair_make(unsigned rule, uint64_t fp, uint32_t j)
{
    return ((uint64_t)rule << 60) | (fp << PAIR_BUCKET_BITS) | (j & PAIR_BUCKET_MASK);
}

/* How long ago (ms) an entry was counted, judged on its own rule's buckets. */
static int64_t pair_age_ms(const struct ag_pairs *p, uint64_t w, int64_t now_ms)
{
    unsigned rule = (unsigned)(w >> 60);
    int64_t width = p->width_ms[rule];
    uint32_t j = ag_window_bucket(now_ms, width) & PAIR_BUCKET_MASK;
    return (int64_t)pair_dist(j, w) * width;
}

int ag_pairs_note(struct ag_pairs *p, enum ag_rule rule, const struct ag_key *key,
                  const uint64_t value[2], int64_t now_ms, struct ag_stats *stats,
                  unsigned stripe)
{
    uint64_t buf[6] = {(uint64_t)rule, key->kind, key->w[0], key->w[1], value[0], value[1]};
    uint64_t h = ag_hash64(p->hash_key, buf, sizeof(buf));
    uint64_t fp = ((h >> 27) & PAIR_FP_MASK) | 1;
    uint32_t j = ag_window_bucket(now_ms, p->width_ms[rule]) & PAIR_BUCKET_MASK;
    uint64_t mine = pair_make((unsigned)rule, fp, j);
    _Atomic uint64_t *group = &p->e[(uint32_t)h & p->mask & ~(uint32_t)(PAIR_GROUP - 1)];

    for (int attempt = 0; attempt < 4; attempt++) {
        int reuse = -1, oldest = -1;
        uint64_t reuse_w = 0, oldest_w = 0;
        int64_t oldest_age = INT64_MIN;
        int retry = 0;
        /* Look at the whole group for our pair before taking any entry, so
         * two threads noting the same pair find or race for one entry. */
        for (int i = 0; i < PAIR_GROUP && !retry; i++) {
            uint64_t w = atomic_load_explicit(&group[i], memory_order_acquire);
            if (w == 0) {
                if (reuse < 0) {
                    reuse = i;
                    reuse_w = 0;
                }
                continue;
            }
            if ((unsigned)(w >> 60) == (unsigned)rule &&
                ((w >> PAIR_BUCKET_BITS) & PAIR_FP_MASK) == fp) {
                if (pair_dist(j, w) < AG_RING_BUCKETS)
                    return 0; /* still counted in this window */
                if (atomic_compare_exchange_strong_explicit(&group[i], &w, mine,
                                                            memory_order_acq_rel,
                                                            memory_order_relaxed))
                    return 1; /* its earlier count has left the window */
                retry = 1;
                break;
            }
            int64_t age = pair_age_ms(p, w, now_ms);
            int64_t span = p->width_ms[w >> 60] * AG_RING_BUCKETS;
            if (age >= span && reuse < 0) {
                reuse = i;
                reuse_w = w;
            }
            if (age > oldest_age) {
                oldest_age = age;
                oldest = i;
                oldest_w = w;
            }
        }
        if (retry)
            continue;
        int take = reuse >= 0 ? reuse : oldest;
        uint64_t expect = reuse >= 0 ? reuse_w : oldest_w;
        if (take < 0)
            return 1;
        if (atomic_compare_exchange_strong_explicit(&group[take], &expect, mine,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed)) {
            if (reuse < 0)
                ag_stat_add(stats, stripe, AG_ST_PAIR_EVICTIONS, 1);
            return 1;
        }
    }
    /* Lost every race: count it rather than miss a distinct value. */
    return 1;
}

/* ---- distinct sets inline in a slot ------------------------------------ */

/* An inline entry has the pair entry's layout, with the top fingerprint bit
 * taken for a flag: the set spilled over into the pair table. From then on
 * a value the set does not hold is looked up there and never enters the
 * set, so a value lives in one place only and counts once per window. The
 * flag lives as long as the key's slot. */
#define INLINE_SPILLED (1ull << 59)
#define INLINE_FP_MASK ((1ull << (PAIR_FP_BITS - 1)) - 1)
#define INLINE_TRIES 4

/* The one rule whose values a kind keeps inline. */
static int inline_rule(unsigned kind, enum ag_rule rule)
{
    if (kind == AG_KEY_SRC || kind == AG_KEY_SRC64)
        return rule == AG_RULE_ENUMERATION;
    return kind == AG_KEY_USER && rule == AG_RULE_SPRAYING;
}

/* One look at the set: 0 or 1 decided, -1 to look again, 2 to go to the
 * pair table. */
static int inline_try(_Atomic uint64_t *ring, unsigned spare, uint64_t mine, uint32_t j)
{
    const uint64_t entry_mask = ~INLINE_SPILLED;
    int spilled = 0;
    _Atomic uint64_t *take = NULL, *first = NULL;
    uint64_t take_w = 0;
    for (unsigned i = 0; i < AG_RING_SLOTS; i++) {
        if ((spare & (1u << i)) == 0)
            continue;
        if (first == NULL)
            first = &ring[i];
        uint64_t w = atomic_load_explicit(&ring[i], memory_order_relaxed);
        spilled |= (w & INLINE_SPILLED) != 0;
        uint64_t e = w & entry_mask;
        if (e != 0 && (e >> PAIR_BUCKET_BITS) == (mine >> PAIR_BUCKET_BITS)) {
            if (pair_dist(j, e) < AG_RING_BUCKETS)
                return 0; /* still counted in this window */
            uint64_t next = mine | (w & INLINE_SPILLED);
            return atomic_compare_exchange_strong_explicit(&ring[i], &w, next,
                                                           memory_order_relaxed,
                                                           memory_order_relaxed)
                       ? 1
                       : -1;
        }
        /* Free, or counted so long ago that it left the window. */
        if (take == NULL && (e == 0 || pair_dist(j, e) >= AG_RING_BUCKETS)) {
            take = &ring[i];
            take_w = w;
        }
    }
    if (spilled)
        return 2;
    if (take != NULL)
        return atomic_compare_exchange_strong_explicit(take, &take_w, mine,
                                                       memory_order_relaxed,
                                                       memory_order_relaxed)
                   ? 1
                   : -1;
    atomic_fetch_or_explicit(first, INLINE_SPILLED, memory_order_relaxed);
    return 2;
}

int ag_distinct_note(struct ag_pairs *p, struct ag_slot *s, enum ag_rule rule,
                     const struct ag_key *key, const struct ag_key *value, int64_t now_ms,
                     struct ag_stats *stats, unsigned stripe)
{
    unsigned spare = ag_spare_rings(key->kind);
    if (spare == 0 || !inline_rule(key->kind, rule))
        return ag_pairs_note(p, rule, key, value->w, now_ms, stats, stripe);
    /* Only the slot's own values are compared: the fingerprint need not
     * cover the key, and 35 keyed bits never meet among a handful. A
     * value's table hash is keyed already (the feed has it from
     * ag_table_prefetch or ag_key_from_text): no need to hash again. */
    uint64_t h = value->hashed ? value->hash
                               : ag_hash64(p->hash_key, value->w, sizeof(value->w));
    uint64_t fp = ((h >> 27) & INLINE_FP_MASK) | 1;
    uint32_t j = ag_window_bucket(now_ms, p->width_ms[rule]) & PAIR_BUCKET_MASK;
    uint64_t mine = pair_make((unsigned)rule, fp, j);
    for (int attempt = 0; attempt < INLINE_TRIES; attempt++) {
        int r = inline_try(s->ring, spare, mine, j);
        if (r == 2)
            return ag_pairs_note(p, rule, key, value->w, now_ms, stats, stripe);
        if (r >= 0)
            return r;
    }
    /* Lost every race: count it rather than miss a distinct value. */
    return 1;
}
