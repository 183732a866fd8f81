/* window.h - time-bucketed counts in one atomic word, and exact-enough
 * distinct counting: a few values in the key's own slot, the rest through a
 * bounded table of (key, value) pairs.
 *
 * Both run on event time and update with a single CAS, so many threads can
 * count into the same key without a lock. */
#ifndef AG_WINDOW_H
#define AG_WINDOW_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/table.h"

/* A ring word: bits 63..48 hold the index (mod 2^16) of its newest bucket;
 * bits 12i..12i+11 the count of bucket (newest - i), i = 0..3, saturating at
 * AG_RING_CAP. A window of W is counted in buckets of W/3, so the four
 * buckets that end at an instant cover between W and 4W/3 before it. */
#define AG_RING_BUCKETS 4
#define AG_RING_BITS 12
#define AG_RING_CAP 4095u

/* Bucket width for a window (ms); at least 1. */
int64_t ag_window_width_ms(uint32_t window_s);

/* Index of the bucket holding time t (t < 0 counts as 0). */
static inline uint32_t ag_window_bucket(int64_t t_ms, int64_t width_ms)
{
    return t_ms <= 0 ? 0 : (uint32_t)((uint64_t)t_ms / (uint64_t)width_ms);
}

/* Adds n at bucket j and returns the windowed sum ending at j after the add.
 * An event older than the ring's four buckets is not added (its bucket is
 * gone) and the sum is of what remains. max_back is how many buckets an
 * accepted event can lie behind the ring's newest one (the engine's late
 * limit); a ring whose newest bucket seems further ahead than that went
 * stale long ago and wrapped, so it is restarted. */
uint32_t ag_ring_add(_Atomic uint64_t *ring, uint32_t j, uint32_t n, uint32_t max_back);

/* The windowed sum ending at bucket j. */
uint32_t ag_ring_sum(uint64_t word, uint32_t j);
static inline uint32_t ag_ring_read(_Atomic uint64_t *ring, uint32_t j)
{
    return ag_ring_sum(atomic_load_explicit(ring, memory_order_relaxed), j);
}

/* Clears a ring whose buckets all lie before bucket j (or that wrapped); a
 * ring untouched for 2^15 buckets would otherwise alias. */
void ag_ring_scrub(_Atomic uint64_t *ring, uint32_t j);

/* Distinct counting. A pair (rule, key, value) is recorded with the bucket
 * in which it was last counted; it counts again (returns 1) only once that
 * count has left the rule's window, so the rule's ring holds each distinct
 * value at most once per window. Entries are 8 bytes, grouped eight to a
 * cache line; a full group gives up its oldest entry. */
struct ag_pairs;

int ag_pairs_new(struct ag_pairs **out, uint32_t entries, const uint64_t hash_key[2],
                 const int64_t width_ms[AG_RULE_COUNT]);
void ag_pairs_free(struct ag_pairs *p);
size_t ag_pairs_memory(const struct ag_pairs *p);
void ag_pairs_prefault(struct ag_pairs *p);

/* 1 if value is new for (rule, key) in the window ending at now_ms. */
int ag_pairs_note(struct ag_pairs *p, enum ag_rule rule, const struct ag_key *key,
                  const uint64_t value[2], int64_t now_ms, struct ag_stats *stats,
                  unsigned stripe);

/* Distinct counting with the key's slot at hand (pinned). The first values
 * of a source's enumeration and a user's spraying are kept in the slot's
 * spare rings (ag_spare_rings), so that a key with one or a few values -
 * nearly every key of a botnet - never looks at the pair table; a value the
 * full set cannot take goes to the pair table, and from then on every value
 * the set does not hold. Same answer as ag_pairs_note otherwise, which it
 * calls for the other rules. The value is a key too (the user a source
 * tried, the source that tried a user): the table hash it carries, when it
 * has one, is its fingerprint, and it is hashed here otherwise. */
int ag_distinct_note(struct ag_pairs *p, struct ag_slot *s, enum ag_rule rule,
                     const struct ag_key *key, const struct ag_key *value, int64_t now_ms,
                     struct ag_stats *stats, unsigned stripe);

#endif
