/* table.c - the lock-free counter table behind every rule.
 *
 * Concurrency scheme
 * ------------------
 * The table is one array of 128-byte slots, allocated once. Each slot's
 * first word is its state, changed only with atomic read-modify-writes:
 *
 *     bits 63..32  generation: +1 on every change of owner or state
 *     bits 31..18  label: key kind (8 bits) and 6 bits of the key's hash
 *     bits 17..16  EMPTY, BUSY, LIVE or TOMB
 *     bits 15..0   pins: threads currently updating the slot's counters
 *
 * Insert: a thread claims an EMPTY or TOMB slot (or evicts a LIVE one) with
 * one CAS to BUSY at the next generation, holding one pin. While BUSY only it
 * touches the slot: it writes the key and zeroes the counters, then
 * publishes LIVE with a release CAS that keeps the pin count (see below).
 *
 * Lookup: read the state (acquire), compare kind and key, then pin with
 * fetch_add(+1). fetch_add returns the state as it was at the pin: if
 * anything but the pin count changed since the first read (the generation
 * moves on every eviction), the key we compared may be gone, so we unpin
 * and look again. A pin therefore always belongs to the generation whose
 * key we matched.
 *
 * Evict and expire: only by CAS from LIVE with pins == 0 to BUSY at the next
 * generation. A pinned slot cannot be evicted, so an increment in flight can
 * never land in the next owner's counters; and a thread that pinned a slot
 * just after it was evicted sees the generation change and retries. Those
 * late pins only exist for a few instructions, which is why publishing LIVE
 * must keep the pin count rather than store it.
 *
 * Probe windows: a key lives within `probe` slots of its home. Lookups stop
 * at an EMPTY slot; expired keys become TOMB so chains stay intact, and the
 * sweep turns a TOMB back into EMPTY only when the next slot is EMPTY (no
 * chain can cross it). Eviction for room replaces a LIVE key in place (the
 * stalest one idle for at least evict_idle_ms); when every slot of the
 * window is busy and recent, the event is dropped and counted.
 *
 * Two threads inserting the same new key: both pick the first free slot
 * of the window, one CAS wins, the other looks again and finds the key
 * (BUSY, then LIVE). A thread meeting a BUSY slot whose label matches its
 * key's waits for it rather than insert a second copy further on; if the
 * owner stays preempted past the spin budget, the event is dropped and
 * counted. A BUSY slot with another label is passed at once.
 *
 * One race is left on purpose: a TOMB turned EMPTY by the sweep while an
 * insert is between its scan and its claim can split one key over two
 * slots. It needs an expiry, a sweep and an insert of a key of the same
 * chain within a few instructions, and it only lowers that key's counts,
 * never corrupts another's.
 *
 * No lock, allocation or system call is reachable from acquire/release. */
#include "engine/table.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ST_EMPTY 0u
#define ST_BUSY 1u
#define ST_LIVE 2u
#define ST_TOMB 3u

#define PIN_MASK 0xffffull
#define STATE_SHIFT 16
#define LABEL_SHIFT 18
#define LABEL_MASK 0x3fffu
#define GEN_SHIFT 32

/* How many slots ahead a sweep asks for. */
#define SWEEP_AHEAD 16

/* Spins per look at a BUSY slot, and looks before giving up. BUSY lasts a
 * few stores unless its owner was preempted. */
#define BUSY_SPINS 1024
#define ACQUIRE_ATTEMPTS 256

struct ag_table {
    struct ag_slot *slots;
    uint32_t mask;
    uint32_t probe;
    int64_t evict_idle_ms;
    uint64_t hash_key[2];
    struct ag_stats *stats;
    ag_table_evict_fn on_evict;
    void *evict_arg;
    uint32_t sweep_cursor; /* only the single sweeping thread touches it */
};

static inline unsigned st_state(uint64_t st) { return (unsigned)(st >> STATE_SHIFT) & 3u; }
/* label: the key kind in its low 8 bits, 6 bits of the key's hash above,
 * so a thread meeting a BUSY slot can tell whether its own key may be
 * the one being written there. */
static inline unsigned st_label(uint64_t st) { return (unsigned)(st >> LABEL_SHIFT) & LABEL_MASK; }
static inline unsigned st_kind(uint64_t st) { return st_label(st) & 0xffu; }
static inline uint32_t st_gen(uint64_t st) { return (uint32_t)(st >> GEN_SHIFT); }
static inline uint64_t st_pins(uint64_t st) { return st & PIN_MASK; }

unsigned ag_slot_kind(const struct ag_slot *s)
{
    return st_kind(atomic_load_explicit(&s->state, memory_order_acquire));
}

static inline uint64_t st_make(uint32_t gen, unsigned state, unsigned label, uint64_t pins)
{
    return ((uint64_t)gen << GEN_SHIFT) | ((uint64_t)(label & LABEL_MASK) << LABEL_SHIFT) |
           ((uint64_t)state << STATE_SHIFT) | pins;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---- SipHash ---------------------------------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                   \
    do {                                                           \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);  \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                     \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                     \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);  \
    } while (0)

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* SipHash with c compression and d finalization rounds, as specified by
 * Aumasson and Bernstein; outlen 8 or 16. Inlined into each wrapper below,
 * where c and d are constants and the round loops unroll. */
static inline __attribute__((always_inline)) void
siphash(const uint64_t key[2], const void *data, size_t len, uint64_t *out, int outlen, int c,
        int d)
{
    const uint8_t *in = data;
    uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
    uint64_t v1 = 0x646f72616e646f6dull ^ key[1];
    uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
    uint64_t v3 = 0x7465646279746573ull ^ key[1];
    if (outlen == 16)
        v1 ^= 0xee;
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(in + i);
        v3 ^= m;
        for (int r = 0; r < c; r++)
            SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= b;
    for (int r = 0; r < c; r++)
        SIPROUND;
    v0 ^= b;
    v2 ^= (outlen == 16) ? 0xee : 0xff;
    for (int r = 0; r < d; r++)
        SIPROUND;
    out[0] = v0 ^ v1 ^ v2 ^ v3;
    if (outlen == 16) {
        v1 ^= 0xdd;
        for (int r = 0; r < d; r++)
            SIPROUND;
        out[1] = v0 ^ v1 ^ v2 ^ v3;
    }
}

uint64_t ag_siphash64(const uint64_t key[2], const void *data, size_t len)
{
    uint64_t out;
    siphash(key, data, len, &out, 8, 2, 4);
    return out;
}

void ag_siphash128(const uint64_t key[2], const void *data, size_t len, uint64_t out[2])
{
    siphash(key, data, len, out, 16, 2, 4);
}

uint64_t ag_hash64(const uint64_t key[2], const void *data, size_t len)
{
    uint64_t out;
    siphash(key, data, len, &out, 8, 1, 3);
    return out;
}

void ag_hash128(const uint64_t key[2], const void *data, size_t len, uint64_t out[2])
{
    siphash(key, data, len, out, 16, 1, 3);
}

/* ---- stats ------------------------------------------------------------ */

uint64_t ag_stat_sum(const struct ag_stats *st, enum ag_stat which)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < AG_STRIPES; i++)
        sum += atomic_load_explicit(&st->s[i].v[which], memory_order_relaxed);
    return sum;
}

unsigned ag_thread_stripe(void)
{
    /* The CPU we run on: two threads running at once are on two CPUs, so
     * they never share a stripe's cache line. glibc answers from the rseq
     * area or the vDSO, without a system call. A thread that migrates
     * mid-update is harmless: every stripe operation is atomic. */
    int cpu = sched_getcpu();
    if (cpu >= 0)
        return (unsigned)cpu % AG_STRIPES;
    /* No CPU number: spread by thread id (a TCB address on glibc and musl). */
    uint64_t id = 0;
    pthread_t self = pthread_self();
    memcpy(&id, &self, sizeof(self) < sizeof(id) ? sizeof(self) : sizeof(id));
    id ^= id >> 29;
    id *= 0xbf58476d1ce4e5b9ull;
    id ^= id >> 32;
    return (unsigned)(id % AG_STRIPES);
}

/* ---- keys ------------------------------------------------------------- */

void ag_key_from_addr(struct ag_key *k, enum ag_key_kind kind, const struct ag_addr *a)
{
    uint8_t b[16];
    if (a->af == AG_AF_INET) {
        memset(b, 0, 10);
        b[10] = 0xff;
        b[11] = 0xff;
        memcpy(b + 12, a->b, 4);
    } else {
        memcpy(b, a->b, 16);
    }
    k->kind = (uint8_t)kind;
    k->hashed = 0;
    memcpy(&k->w[0], b, 8);
    memcpy(&k->w[1], b + 8, 8);
}

void ag_key_to_addr(const struct ag_key *k, struct ag_addr *a)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    uint8_t b[16];
    memcpy(b, &k->w[0], 8);
    memcpy(b + 8, &k->w[1], 8);
    memset(a, 0, sizeof(*a));
    if (memcmp(b, v4mapped, 12) == 0) {
        a->af = AG_AF_INET;
        memcpy(a->b, b + 12, 4);
    } else {
        a->af = AG_AF_INET6;
        memcpy(a->b, b, 16);
    }
}

void ag_key_from_text(const struct ag_table *t, struct ag_key *k, enum ag_key_kind kind,
                      const char *s, size_t len)
{
    k->kind = (uint8_t)kind;
    ag_hash128(t->hash_key, s, len, k->w);
    /* The 128 bits are already the table's keyed hash of the text: a
     * second SipHash over them would add nothing an attacker could not
     * predict less. The kind moves the home slot, so that one name as a
     * user and as a local user do not share a probe chain. */
    k->hash = k->w[0] ^ k->w[1] ^ ((uint64_t)k->kind * 0x9e3779b97f4a7c15ull);
    k->hashed = 1;
}

static uint64_t key_hash(const struct ag_table *t, const struct ag_key *k)
{
    if (k->hashed)
        return k->hash;
    uint64_t buf[3] = {k->kind, k->w[0], k->w[1]};
    return ag_hash64(t->hash_key, buf, sizeof(buf));
}

void ag_table_prefetch(const struct ag_table *t, struct ag_key *k)
{
    k->hash = key_hash(t, k);
    k->hashed = 1;
    const struct ag_slot *s = &t->slots[k->hash & t->mask];
    /* Both lines: the state and key, and the rings the event adds to. */
    __builtin_prefetch(s, 1);
    __builtin_prefetch(s->ring, 1);
}

void ag_slot_key(const struct ag_slot *s, struct ag_key *k)
{
    uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    k->kind = (uint8_t)st_kind(st);
    k->w[0] = atomic_load_explicit(&s->key[0], memory_order_relaxed);
    k->w[1] = atomic_load_explicit(&s->key[1], memory_order_relaxed);
}

/* ---- life cycle ------------------------------------------------------- */

int ag_table_new(struct ag_table **out, const struct ag_table_config *cfg)
{
    *out = NULL;
    if (cfg->slots < 64 || (cfg->slots & (cfg->slots - 1)) != 0 || cfg->probe < 1 ||
        cfg->probe > 64 || cfg->probe > cfg->slots || cfg->stats == NULL)
        return -EINVAL;
    struct ag_table *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    size_t bytes = (size_t)cfg->slots * sizeof(struct ag_slot);
    t->slots = ag_table_zalloc(bytes);
    if (t->slots == NULL) {
        free(t);
        return -ENOMEM;
    }
    t->mask = cfg->slots - 1;
    t->probe = cfg->probe;
    t->evict_idle_ms = cfg->evict_idle_ms;
    t->hash_key[0] = cfg->hash_key[0];
    t->hash_key[1] = cfg->hash_key[1];
    t->stats = cfg->stats;
    t->on_evict = cfg->on_evict;
    t->evict_arg = cfg->evict_arg;
    *out = t;
    return 0;
}

/* The slots' region, as ag_table_zalloc() was asked for it. */
static size_t slots_bytes(const struct ag_table *t)
{
    return (size_t)(t->mask + 1) * sizeof(struct ag_slot);
}

void ag_table_free(struct ag_table *t)
{
    if (t == NULL)
        return;
    ag_table_zfree(t->slots, slots_bytes(t));
    free(t);
}

/* Huge-page size on x86-64 and arm64 (4 KiB granule). Elsewhere only a
 * wasted alignment; the kernel still decides. */
#define HUGE_BYTES ((size_t)2 << 20)

size_t ag_table_zsize(size_t bytes)
{
    return bytes < HUGE_BYTES ? bytes : (bytes + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);
}

void *ag_table_zalloc(size_t bytes)
{
    size_t len = ag_table_zsize(bytes);
    /* A region of two huge pages or more is mapped on a huge-page boundary
     * and rounded up to whole huge pages: the kernel backs only the aligned
     * whole ones with huge pages, so an unaligned 24 MiB ring would fill
     * its first and last 2 MiB with a thousand 4 KiB faults. */
    size_t slack = len >= 2 * HUGE_BYTES ? HUGE_BYTES : 0;
    uint8_t *p = mmap(NULL, len + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (slack != 0) {
        uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
        if (a > p)
            munmap(p, (size_t)(a - p));
        if (p + slack > a)
            munmap(a + len, (size_t)(p + slack - a));
        p = a;
    }
    /* Huge pages where the kernel allows them: a probe into a 128 MiB table
     * then misses the TLB far less, and the first touch faults 512 times
     * less often. A refusal only costs speed. */
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    return p;
}

void ag_table_zprefault(void *p, size_t bytes)
{
    size_t len = ag_table_zsize(bytes);
#ifdef MADV_POPULATE_WRITE
    if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
        return;
#endif
    /* Older kernels: a write per page. The memory is still private to
     * the engine under construction, and zero is what it holds. */
    for (size_t off = 0; off < len; off += 4096)
        ((volatile uint8_t *)p)[off] = 0;
}

void ag_table_prefault(struct ag_table *t)
{
    ag_table_zprefault(t->slots, slots_bytes(t));
}

void ag_table_zfree(void *p, size_t bytes)
{
    if (p != NULL)
        munmap(p, ag_table_zsize(bytes));
}

size_t ag_table_memory(const struct ag_table *t)
{
    return sizeof(*t) + ag_table_zsize(slots_bytes(t));
}

uint32_t ag_table_slots(const struct ag_table *t) { return t->mask + 1; }

const uint64_t *ag_table_hash_key(const struct ag_table *t) { return t->hash_key; }

uint64_t ag_table_used(const struct ag_table *t)
{
    uint64_t in = ag_stat_sum(t->stats, AG_ST_INSERTS);
    uint64_t out = ag_stat_sum(t->stats, AG_ST_EXPIRED);
    return in > out ? in - out : 0;
}

/* ---- slot operations -------------------------------------------------- */

static int key_matches(const struct ag_slot *s, uint64_t st, const struct ag_key *k)
{
    return st_kind(st) == k->kind &&
           atomic_load_explicit(&s->key[0], memory_order_relaxed) == k->w[0] &&
           atomic_load_explicit(&s->key[1], memory_order_relaxed) == k->w[1];
}

/* Pins a slot we saw LIVE as st; fails if it changed hands since. */
static int pin(struct ag_slot *s, uint64_t st)
{
    uint64_t old = atomic_fetch_add_explicit(&s->state, 1, memory_order_acq_rel);
    if ((old & ~PIN_MASK) == (st & ~PIN_MASK))
        return 1;
    atomic_fetch_sub_explicit(&s->state, 1, memory_order_release);
    return 0;
}

void ag_table_release(struct ag_slot *s)
{
    atomic_fetch_sub_explicit(&s->state, 1, memory_order_release);
}

static uint64_t wait_not_busy(const struct ag_slot *s, uint64_t st)
{
    for (int i = 0; i < BUSY_SPINS && st_state(st) == ST_BUSY; i++) {
        cpu_relax();
        st = atomic_load_explicit(&s->state, memory_order_acquire);
    }
    return st;
}

/* Moves a slot from st to BUSY for us, adding our pins to any transient
 * ones (a thread that pinned a slot which had just left LIVE will unpin it
 * in a moment; dropping its pin would make that unpin underflow). */
static int claim(struct ag_slot *s, uint64_t st, unsigned label, uint64_t pins)
{
    uint64_t busy = st_make(st_gen(st) + 1, ST_BUSY, label, st_pins(st) + pins);
    return atomic_compare_exchange_strong_explicit(&s->state, &st, busy, memory_order_acq_rel,
                                                   memory_order_relaxed);
}

/* BUSY -> state, keeping any transient pins other threads added meanwhile. */
static void publish(struct ag_slot *s, unsigned state)
{
    uint64_t cur = atomic_load_explicit(&s->state, memory_order_relaxed);
    for (;;) {
        uint64_t next = st_make(st_gen(cur), state, st_label(cur), st_pins(cur));
        if (atomic_compare_exchange_weak_explicit(&s->state, &cur, next, memory_order_release,
                                                  memory_order_relaxed))
            return;
    }
}

static void reset_slot(struct ag_slot *s, const struct ag_key *k, int64_t now_ms)
{
    atomic_store_explicit(&s->key[0], k->w[0], memory_order_relaxed);
    atomic_store_explicit(&s->key[1], k->w[1], memory_order_relaxed);
    atomic_store_explicit(&s->first_ms, now_ms, memory_order_relaxed);
    atomic_store_explicit(&s->last_ms, now_ms, memory_order_relaxed);
    for (int i = 0; i < AG_CNT_COUNT; i++)
        atomic_store_explicit(&s->total[i], 0, memory_order_relaxed);
    atomic_store_explicit(&s->hosts, 0, memory_order_relaxed);
    for (int i = 0; i < AG_RING_SLOTS; i++)
        atomic_store_explicit(&s->ring[i], 0, memory_order_relaxed);
}

static void touch(struct ag_slot *s, int64_t now_ms)
{
    int64_t last = atomic_load_explicit(&s->last_ms, memory_order_relaxed);
    while (now_ms > last &&
           !atomic_compare_exchange_weak_explicit(&s->last_ms, &last, now_ms,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
    int64_t first = atomic_load_explicit(&s->first_ms, memory_order_relaxed);
    while (now_ms < first &&
           !atomic_compare_exchange_weak_explicit(&s->first_ms, &first, now_ms,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

/* What one pass over a probe window found. */
struct probe_result {
    struct ag_slot *found;   /* pinned, or NULL */
    struct ag_slot *reuse;   /* first EMPTY/TOMB */
    uint64_t reuse_st;
    struct ag_slot *victim;  /* stalest idle unpinned LIVE slot */
    uint64_t victim_st;
    int retry;               /* something moved under us: scan again */
};

static unsigned key_label(const struct ag_key *k, uint64_t h)
{
    return (k->kind & 0xffu) | (unsigned)((h >> 58) << 8);
}

static void probe_window(struct ag_table *t, const struct ag_key *k, uint64_t h,
                         int64_t idle_before, int want_victim, struct probe_result *r)
{
    int64_t victim_last = INT64_MAX;
    unsigned label = key_label(k, h);
    memset(r, 0, sizeof(*r));
    for (uint32_t i = 0; i < t->probe; i++) {
        struct ag_slot *s = &t->slots[(h + i) & t->mask];
        uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
        if (st_state(st) == ST_BUSY)
            st = wait_not_busy(s, st);
        switch (st_state(st)) {
        case ST_EMPTY:
            /* Nothing was ever inserted past an EMPTY slot of this chain. */
            if (r->reuse == NULL) {
                r->reuse = s;
                r->reuse_st = st;
            }
            return;
        case ST_TOMB:
            if (r->reuse == NULL) {
                r->reuse = s;
                r->reuse_st = st;
            }
            break;
        case ST_LIVE:
            if (key_matches(s, st, k)) {
                if (pin(s, st)) {
                    r->found = s;
                } else {
                    r->retry = 1;
                }
                return;
            }
            if (want_victim && st_pins(st) == 0) {
                int64_t last = atomic_load_explicit(&s->last_ms, memory_order_relaxed);
                if (last <= idle_before && last < victim_last) {
                    victim_last = last;
                    r->victim = s;
                    r->victim_st = st;
                }
            }
            break;
        default:
            /* Still BUSY. If it may be our key being inserted, inserting it
             * again further on would split it in two: look again later.
             * Any other key cannot be ours: pass it. */
            if (st_label(st) == label) {
                r->retry = 1;
                return;
            }
            break;
        }
    }
}

struct ag_slot *ag_table_find(struct ag_table *t, const struct ag_key *k)
{
    uint64_t h = key_hash(t, k);
    for (int attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
        struct probe_result r;
        probe_window(t, k, h, 0, 0, &r);
        if (r.found != NULL || !r.retry)
            return r.found;
    }
    return NULL;
}

struct ag_slot *ag_table_acquire(struct ag_table *t, const struct ag_key *k, int64_t now_ms,
                                 unsigned stripe, int *inserted)
{
    uint64_t h = key_hash(t, k);
    int64_t idle_before = now_ms - t->evict_idle_ms;
    *inserted = 0;
    for (int attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
        struct probe_result r;
        probe_window(t, k, h, idle_before, 1, &r);
        if (r.found != NULL) {
            touch(r.found, now_ms);
            return r.found;
        }
        if (r.retry)
            continue;
        struct ag_slot *s = r.reuse != NULL ? r.reuse : r.victim;
        uint64_t st = r.reuse != NULL ? r.reuse_st : r.victim_st;
        if (s == NULL)
            break;
        if (!claim(s, st, key_label(k, h), 1))
            continue;
        if (r.reuse != NULL) {
            ag_stat_add(t->stats, stripe, AG_ST_INSERTS, 1);
        } else {
            ag_stat_add(t->stats, stripe, AG_ST_EVICTIONS, 1);
            if (t->on_evict != NULL)
                t->on_evict(t->evict_arg, s);
        }
        reset_slot(s, k, now_ms);
        publish(s, ST_LIVE);
        *inserted = 1;
        return s;
    }
    ag_stat_add(t->stats, stripe, AG_ST_DROPPED, 1);
    return NULL;
}

/* ---- sweeping --------------------------------------------------------- */

static void sweep_slot(struct ag_table *t, uint32_t idx, int64_t now_ms, int64_t ttl_ms,
                       ag_table_scrub_fn scrub, void *arg)
{
    struct ag_slot *s = &t->slots[idx];
    uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    if (st_state(st) == ST_TOMB) {
        struct ag_slot *next = &t->slots[(idx + 1) & t->mask];
        uint64_t nst = atomic_load_explicit(&next->state, memory_order_acquire);
        if (st_state(nst) == ST_EMPTY) {
            uint64_t empty = st_make(st_gen(st) + 1, ST_EMPTY, 0, st_pins(st));
            atomic_compare_exchange_strong_explicit(&s->state, &st, empty, memory_order_acq_rel,
                                                    memory_order_relaxed);
        }
        return;
    }
    if (st_state(st) != ST_LIVE || st_pins(st) != 0)
        return;
    int64_t last = atomic_load_explicit(&s->last_ms, memory_order_relaxed);
    if (now_ms - last > ttl_ms) {
        if (!claim(s, st, st_label(st), 0))
            return;
        if (t->on_evict != NULL)
            t->on_evict(t->evict_arg, s);
        ag_stat_add(t->stats, 0, AG_ST_EXPIRED, 1);
        publish(s, ST_TOMB);
        return;
    }
    if (scrub != NULL && pin(s, st)) {
        scrub(arg, s, now_ms);
        ag_table_release(s);
    }
}

void ag_table_sweep(struct ag_table *t, int64_t now_ms, int64_t ttl_ms, uint32_t n,
                    ag_table_scrub_fn scrub, void *arg)
{
    /* Walk downwards so a run of tombstones ending at an EMPTY slot
     * collapses in one pass. */
    if (n > t->mask + 1)
        n = t->mask + 1;
    uint32_t idx = t->sweep_cursor;
    for (uint32_t i = 0; i < n; i++) {
        /* Every slot's state is a cache miss of its own (two lines per
         * slot, walked downwards): ask for the ones ahead early. */
        __builtin_prefetch(&t->slots[(idx - SWEEP_AHEAD) & t->mask]);
        sweep_slot(t, idx, now_ms, ttl_ms, scrub, arg);
        idx = (idx - 1) & t->mask;
    }
    t->sweep_cursor = idx;
}
