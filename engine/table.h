/* table.h - the lock-free counter table: fixed slots keyed by kind + 16 bytes.
 *
 * Feeding threads find or insert a key and get its slot pinned; they update
 * the slot's counters with atomics and release it. A pinned slot is never
 * evicted, so an update can never land in another key's counters. */
#ifndef AG_TABLE_H
#define AG_TABLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/finding.h"
#include "filters/addr.h"

/* Lifetime counters of a key (since it entered the table). */
enum ag_counter {
    AG_CNT_FAILURES = 0,
    AG_CNT_INVALID,
    AG_CNT_SUCCESSES,
    AG_CNT_PREAUTH,
    AG_CNT_PRIVILEGE,
    AG_CNT_COUNT
};

/* One key: its kind and 16 bytes (an address, or a keyed hash of a text).
 * hash, once set (ag_key_from_text, ag_table_prefetch), places the key in
 * the table: make a text key only with ag_key_from_text, so that every copy
 * of it lands in the same slot, and never change w of a hashed key. */
struct ag_key {
    uint8_t kind;          /* enum ag_key_kind */
    uint8_t hashed;        /* hash below is set */
    uint64_t w[2];
    uint64_t hash;
};

#define AG_RING_SLOTS 8
_Static_assert(AG_RULE_COUNT <= AG_RING_SLOTS + 1, "one rule shares a ring");

/* 128 bytes, two cache lines: the state word, key, times, lifetime totals
 * and host bitmap in the first; one windowed ring per rule in the second
 * (see window.h; which rings a key uses depends on its kind). */
struct ag_slot {
    _Alignas(64) _Atomic uint64_t state;
    _Atomic uint64_t key[2];
    _Atomic int64_t first_ms;
    _Atomic int64_t last_ms;
    _Atomic uint32_t total[AG_CNT_COUNT];
    _Atomic uint32_t hosts;  /* one bit per reporting host (hashed) */
    _Alignas(64) _Atomic uint64_t ring[AG_RING_SLOTS];
};

/* Which ring of a slot a rule counts in. A key uses only the rings of its
 * kind's rules, so fleet_source (source keys) shares the ring of privilege
 * (local-user keys) and a slot stays two cache lines. */
static inline unsigned ag_rule_ring(enum ag_rule r)
{
    return r == AG_RULE_FLEET_SOURCE ? (unsigned)AG_RULE_PRIVILEGE : (unsigned)r;
}

/* The rings a key's kind never counts in (see engine.c's count_*), a bit
 * per ring: they hold the key's small distinct set instead (window.h).
 * Sources count in every ring but spraying's; users only in compromise's
 * and spraying's. */
static inline unsigned ag_spare_rings(unsigned kind)
{
    if (kind == AG_KEY_SRC || kind == AG_KEY_SRC64)
        return 1u << AG_RULE_SPRAYING;
    if (kind == AG_KEY_USER)
        return ((1u << AG_RING_SLOTS) - 1) & ~(1u << AG_RULE_SPRAYING) &
               ~(1u << AG_RULE_COMPROMISE);
    return 0;
}

/* The key kind of a live slot (read with exclusive access, as a sweep has). */
unsigned ag_slot_kind(const struct ag_slot *s);

/* Metrics, striped so that threads never share a counter's cache line. */
enum ag_stat {
    AG_ST_EVENTS = 0,
    AG_ST_COUNTED,
    AG_ST_LATE,
    AG_ST_DROPPED,
    AG_ST_EVICTIONS,
    AG_ST_EXPIRED,
    AG_ST_INSERTS,
    AG_ST_FINDINGS,
    AG_ST_FINDINGS_DROPPED,
    AG_ST_SUPPRESSED,
    AG_ST_PAIR_EVICTIONS,
    AG_ST_COUNT
};

#define AG_STRIPES 64

struct ag_stripe {
    _Alignas(64) _Atomic uint64_t v[AG_ST_COUNT];
};

struct ag_stats {
    struct ag_stripe s[AG_STRIPES];
};

static inline void ag_stat_add(struct ag_stats *st, unsigned stripe, enum ag_stat which,
                               uint64_t n)
{
    atomic_fetch_add_explicit(&st->s[stripe % AG_STRIPES].v[which], n, memory_order_relaxed);
}

uint64_t ag_stat_sum(const struct ag_stats *st, enum ag_stat which);

/* A stripe number for the calling thread: the CPU it runs on (no system
 * call, no thread-local state), so threads running at once never share. */
unsigned ag_thread_stripe(void);

/* SipHash-2-4, 64- and 128-bit outputs: for ids that must stay the same
 * across versions and hosts (finding uids). */
uint64_t ag_siphash64(const uint64_t key[2], const void *data, size_t len);
void ag_siphash128(const uint64_t key[2], const void *data, size_t len, uint64_t out[2]);

/* SipHash-1-3: the keyed hash of the feed path (table slots, text keys,
 * distinct pairs, open findings). Half the rounds of 2-4 and still keyed,
 * so an attacker who cannot learn the key cannot aim keys at one probe
 * window; the strength Python and Rust choose for their hash tables. The
 * values live only as long as the engine, so they may change between
 * versions. */
uint64_t ag_hash64(const uint64_t key[2], const void *data, size_t len);
void ag_hash128(const uint64_t key[2], const void *data, size_t len, uint64_t out[2]);

struct ag_table;

/* Called with exclusive access to a slot just before its key is dropped
 * (evicted for room or expired by age); for tests and accounting. */
typedef void (*ag_table_evict_fn)(void *arg, const struct ag_slot *slot);

struct ag_table_config {
    uint32_t slots;            /* power of two */
    uint32_t probe;            /* slots looked at per key, 1..64 */
    int64_t evict_idle_ms;     /* a key idle for less is never evicted for room */
    uint64_t hash_key[2];
    struct ag_stats *stats;    /* where metrics go; must outlive the table */
    ag_table_evict_fn on_evict;
    void *evict_arg;
};

int ag_table_new(struct ag_table **out, const struct ag_table_config *cfg);
void ag_table_free(struct ag_table *t);
size_t ag_table_memory(const struct ag_table *t);
uint32_t ag_table_slots(const struct ag_table *t);
const uint64_t *ag_table_hash_key(const struct ag_table *t);

/* Keys. Addresses are stored as IPv6 (IPv4 as ::ffff:a.b.c.d) so the two
 * families never collide; texts are hashed with the table's key. */
void ag_key_from_addr(struct ag_key *k, enum ag_key_kind kind, const struct ag_addr *a);
void ag_key_from_text(const struct ag_table *t, struct ag_key *k, enum ag_key_kind kind,
                      const char *s, size_t len);
/* The address a SRC/SRC64 key was made from. */
void ag_key_to_addr(const struct ag_key *k, struct ag_addr *a);

/* Finds key, inserting it (evicting the stalest idle key of its probe
 * window if needed) and returns its slot pinned; NULL when there is no room
 * (counted as dropped). now_ms is the event time: it updates last seen.
 * *inserted tells whether the key is new. */
struct ag_slot *ag_table_acquire(struct ag_table *t, const struct ag_key *k, int64_t now_ms,
                                 unsigned stripe, int *inserted);
/* Hashes key (kept in it for the acquire that follows) and starts loading
 * its home slot, so that work done meanwhile hides the cache miss: with
 * many distinct keys, nearly every acquire misses. */
void ag_table_prefetch(const struct ag_table *t, struct ag_key *k);

/* Finds key without inserting; pinned slot or NULL. */
struct ag_slot *ag_table_find(struct ag_table *t, const struct ag_key *k);
/* Unpins a slot from acquire or find. */
void ag_table_release(struct ag_slot *s);

/* Reads a slot's key (valid while pinned). */
void ag_slot_key(const struct ag_slot *s, struct ag_key *k);

/* Called for every live, unpinned slot a sweep visits, with exclusive
 * access; may reset rings that went stale. */
typedef void (*ag_table_scrub_fn)(void *arg, struct ag_slot *slot, int64_t now_ms);

/* Visits n slots from the table's sweep cursor: expires keys idle for more
 * than ttl_ms of event time, lets scrub tidy the rest, and turns tombstones
 * back into empty slots where no probe chain needs them. Single caller. */
void ag_table_sweep(struct ag_table *t, int64_t now_ms, int64_t ttl_ms, uint32_t n,
                    ag_table_scrub_fn scrub, void *arg);

/* Live keys right now (inserts minus expiries). */
uint64_t ag_table_used(const struct ag_table *t);

/* Zeroed memory for the big fixed tables, straight from the kernel (so
 * untouched pages cost nothing) and in huge pages where allowed; 64-byte
 * aligned. NULL when out of memory. */
void *ag_table_zalloc(size_t bytes);
void ag_table_zfree(void *p, size_t bytes);
/* The memory a zalloc of bytes may take once touched (whole huge pages). */
size_t ag_table_zsize(size_t bytes);
/* Faults a zalloc'd region in now (writable, in huge pages where allowed),
 * so that nothing later waits for the kernel to zero a page; and the
 * table's slots. Only before the memory is shared with other threads. */
void ag_table_zprefault(void *p, size_t bytes);
void ag_table_prefault(struct ag_table *t);

#endif
