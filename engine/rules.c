/* rules.c - rule definitions and the open-finding (cooldown) table.
 *
 * A rule that keeps tripping must not flood the sinks: the first trip of a
 * (rule, key) opens a finding, later trips within the cooldown update that
 * same finding at most once per cooldown (or when the count doubled). */
#include "engine/rules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COOLDOWN_DEFAULT (15u * 60u)

_Static_assert(AG_RULE_COUNT <= 16, "open-finding tags keep the rule in 4 bits");

static const struct ag_rule_info rule_info[AG_RULE_COUNT] = {
    [AG_RULE_BRUTEFORCE] = {
        "bruteforce", "Brute force: repeated authentication failures from one source",
        "T1110.001", "Password Guessing", "TA0006", "Credential Access",
        {1, 6, 60, COOLDOWN_DEFAULT, AG_SEV_MEDIUM}},
    [AG_RULE_SLOW_BRUTEFORCE] = {
        "slow_bruteforce", "Slow brute force: authentication failures from one source over hours",
        "T1110.001", "Password Guessing", "TA0006", "Credential Access",
        {1, 20, 6 * 3600, COOLDOWN_DEFAULT, AG_SEV_MEDIUM}},
    [AG_RULE_ENUMERATION] = {
        "enumeration", "User enumeration: many non-existent accounts tried from one source",
        "T1110", "Brute Force", "TA0006", "Credential Access",
        {1, 5, 600, COOLDOWN_DEFAULT, AG_SEV_MEDIUM}},
    [AG_RULE_SPRAYING] = {
        "spraying", "Password spraying: many sources failing against one account",
        "T1110.003", "Password Spraying", "TA0006", "Credential Access",
        {1, 20, 600, COOLDOWN_DEFAULT, AG_SEV_HIGH}},
    [AG_RULE_COMPROMISE] = {
        "compromise", "Possible compromise: successful login after repeated failures",
        "T1078", "Valid Accounts", "TA0001", "Initial Access",
        {1, 5, 1800, COOLDOWN_DEFAULT, AG_SEV_CRITICAL}},
    [AG_RULE_SCAN] = {
        "scan", "Scan: pre-authentication probing from one source",
        "T1595", "Active Scanning", "TA0043", "Reconnaissance",
        {1, 10, 300, COOLDOWN_DEFAULT, AG_SEV_LOW}},
    [AG_RULE_REGRESSHION] = {
        "regresshion",
        "CVE-2024-6387 (regreSSHion) pattern: MAC errors or pre-auth timeouts from one source",
        "T1190", "Exploit Public-Facing Application", "TA0001", "Initial Access",
        {1, 3, 180, COOLDOWN_DEFAULT, AG_SEV_HIGH}},
    [AG_RULE_PRIVILEGE] = {
        "privilege", "Privilege escalation attempts: sudo/su failures by one local user",
        "T1548.003", "Sudo and Sudo Caching", "TA0004", "Privilege Escalation",
        {1, 3, 600, COOLDOWN_DEFAULT, AG_SEV_HIGH}},
    /* Off on a host, which sees only itself; the aggregate tier turns it on. */
    [AG_RULE_FLEET_SOURCE] = {
        "fleet_source", "Fleet brute force: one source failing on many distinct hosts",
        "T1110", "Brute Force", "TA0006", "Credential Access",
        {0, 20, 3600, COOLDOWN_DEFAULT, AG_SEV_HIGH}},
};

const struct ag_rule_info *ag_rule_info(enum ag_rule rule)
{
    static const struct ag_rule_info unknown = {
        "unknown", "Unknown rule", "", "", "", "", {0, 0, 0, 0, AG_SEV_UNKNOWN}};
    if ((unsigned)rule >= AG_RULE_COUNT)
        return &unknown;
    return &rule_info[rule];
}

/* ---- open findings ---------------------------------------------------- */

/* tag: fingerprint of (rule, key) with the rule in its low 4 bits and bit 4
 * set so that no tag is 0 (empty).
 * times: open_s (Create) << 32 | emit_s (last report).
 * trip:  trip_s (last trip) << 32 | observed value at the last report.
 * Times are whole seconds of event time, 0 meaning never. */
struct open_entry {
    _Atomic uint64_t tag;
    _Atomic uint64_t times;
    _Atomic uint64_t trip;
    _Atomic uint32_t seq;
    uint32_t pad_;
};

#define OPEN_GROUP 8
/* An entry closed this long after its cooldown may be taken by another key;
 * the margin keeps a thread still deciding on the old key out of the way. */
#define OPEN_REUSE_MARGIN_S 60

struct ag_open {
    struct open_entry *e;
    uint32_t mask;
    uint64_t hash_key[2];
    uint32_t cooldown_s[AG_RULE_COUNT];
};

int ag_open_new(struct ag_open **out, uint32_t entries, const uint64_t hash_key[2],
                const uint32_t cooldown_s[AG_RULE_COUNT])
{
    *out = NULL;
    if (entries < OPEN_GROUP || (entries & (entries - 1)) != 0)
        return -EINVAL;
    struct ag_open *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return -ENOMEM;
    o->e = ag_table_zalloc((size_t)entries * sizeof(*o->e));
    if (o->e == NULL) {
        free(o);
        return -ENOMEM;
    }
    o->mask = entries - 1;
    o->hash_key[0] = hash_key[0] ^ 0x6f70656eull; /* distinct from the table's hash */
    o->hash_key[1] = hash_key[1];
    memcpy(o->cooldown_s, cooldown_s, sizeof(o->cooldown_s));
    *out = o;
    return 0;
}

/* The entries' region, as ag_table_zalloc() was asked for it. */
static size_t open_bytes(const struct ag_open *o)
{
    return (size_t)(o->mask + 1) * sizeof(*o->e);
}

void ag_open_free(struct ag_open *o)
{
    if (o == NULL)
        return;
    ag_table_zfree((void *)o->e, open_bytes(o));
    free(o);
}

void ag_open_prefault(struct ag_open *o)
{
    ag_table_zprefault((void *)o->e, open_bytes(o));
}

size_t ag_open_memory(const struct ag_open *o)
{
    return sizeof(*o) + ag_table_zsize(open_bytes(o));
}

static uint32_t secs(int64_t ms)
{
    int64_t s = ms / 1000;
    if (s < 1)
        return 1;
    if (s > (int64_t)UINT32_MAX)
        return UINT32_MAX;
    return (uint32_t)s;
}

static inline uint32_t hi32(uint64_t v) { return (uint32_t)(v >> 32); }
static inline uint32_t lo32(uint64_t v) { return (uint32_t)v; }
static inline uint64_t pack(uint32_t h, uint32_t l) { return ((uint64_t)h << 32) | l; }

static uint64_t open_tag(const struct ag_open *o, enum ag_rule rule, const struct ag_key *key,
                         uint64_t *hash)
{
    uint64_t buf[4] = {(uint64_t)rule, key->kind, key->w[0], key->w[1]};
    uint64_t h = ag_hash64(o->hash_key, buf, sizeof(buf));
    *hash = h;
    return (h & ~0x1full) | 0x10u | (uint64_t)rule;
}

/* Seconds since the last sign of life of an entry: its last trip or report
 * (the Create sets both, so a Create is never mistaken for a closed one). */
static int64_t quiet_for(const struct open_entry *e, uint32_t now_s)
{
    uint32_t trip_s = hi32(atomic_load_explicit(&e->trip, memory_order_acquire));
    uint32_t emit_s = lo32(atomic_load_explicit(&e->times, memory_order_acquire));
    uint32_t last = trip_s > emit_s ? trip_s : emit_s;
    return (int64_t)now_s - (int64_t)last;
}

static struct open_entry *open_find(const struct ag_open *o, uint64_t tag, uint64_t h)
{
    struct open_entry *g = &o->e[(uint32_t)h & o->mask & ~(uint32_t)(OPEN_GROUP - 1)];
    for (int i = 0; i < OPEN_GROUP; i++)
        if (atomic_load_explicit(&g[i].tag, memory_order_acquire) == tag)
            return &g[i];
    return NULL;
}

static struct open_entry *open_claim(struct ag_open *o, uint64_t tag, uint64_t h,
                                     uint32_t now_s)
{
    struct open_entry *g = &o->e[(uint32_t)h & o->mask & ~(uint32_t)(OPEN_GROUP - 1)];
    for (int attempt = 0; attempt < 4; attempt++) {
        int take = -1;
        uint64_t take_tag = 0;
        for (int i = 0; i < OPEN_GROUP; i++) {
            uint64_t t = atomic_load_explicit(&g[i].tag, memory_order_acquire);
            if (t == tag)
                return &g[i];
            if (take >= 0)
                continue;
            if (t == 0 ||
                quiet_for(&g[i], now_s) > (int64_t)o->cooldown_s[t & 15u] + OPEN_REUSE_MARGIN_S) {
                take = i;
                take_tag = t;
            }
        }
        if (take < 0)
            return NULL;
        /* A reused entry keeps the old key's times: they read as closed,
         * which is exactly the state a new key starts in. */
        if (atomic_compare_exchange_strong_explicit(&g[take].tag, &take_tag, tag,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed))
            return &g[take];
    }
    return NULL;
}

static int is_closed(const struct open_entry *e, uint64_t times, uint64_t trip,
                     uint32_t now_s, uint32_t cooldown)
{
    if (hi32(times) == 0)
        return 1;
    uint32_t last = hi32(trip) > lo32(times) ? hi32(trip) : lo32(times);
    (void)e;
    return (int64_t)now_s - (int64_t)last >= (int64_t)cooldown;
}

static void note_trip_time(struct open_entry *e, uint32_t now_s)
{
    uint64_t cur = atomic_load_explicit(&e->trip, memory_order_relaxed);
    while (hi32(cur) < now_s &&
           !atomic_compare_exchange_weak_explicit(&e->trip, &cur, pack(now_s, lo32(cur)),
                                                  memory_order_release, memory_order_relaxed))
        ;
}

static void note_reported(struct open_entry *e, uint32_t observed)
{
    uint64_t cur = atomic_load_explicit(&e->trip, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&e->trip, &cur, pack(hi32(cur), observed),
                                                  memory_order_release, memory_order_relaxed))
        ;
}

void ag_open_trip(struct ag_open *o, enum ag_rule rule, const struct ag_key *key,
                  int64_t now_ms, uint32_t observed, struct ag_trip_result *res)
{
    uint64_t h;
    uint64_t tag = open_tag(o, rule, key, &h);
    uint32_t now_s = secs(now_ms);
    uint32_t cooldown = o->cooldown_s[rule];
    memset(res, 0, sizeof(*res));
    struct open_entry *e = open_claim(o, tag, h, now_s);
    if (e == NULL) {
        res->what = AG_TRIP_FULL;
        return;
    }
    for (int attempt = 0; attempt < 16; attempt++) {
        uint64_t times = atomic_load_explicit(&e->times, memory_order_acquire);
        uint64_t trip = atomic_load_explicit(&e->trip, memory_order_acquire);
        if (is_closed(e, times, trip, now_s, cooldown)) {
            /* The CAS on times decides who reports the Create. */
            if (!atomic_compare_exchange_strong_explicit(&e->times, &times, pack(now_s, now_s),
                                                         memory_order_acq_rel,
                                                         memory_order_relaxed))
                continue;
            atomic_store_explicit(&e->seq, 0, memory_order_relaxed);
            atomic_store_explicit(&e->trip, pack(now_s, observed), memory_order_release);
            res->what = AG_TRIP_CREATE;
            res->created_ms = (int64_t)now_s * 1000;
            return;
        }
        note_trip_time(e, now_s);
        res->created_ms = (int64_t)hi32(times) * 1000;
        uint32_t emit_s = lo32(times);
        uint32_t reported = lo32(trip);
        int due_by_time = (int64_t)now_s - (int64_t)emit_s >= (int64_t)cooldown;
        int due_by_growth = reported > 0 && (uint64_t)observed >= 2ull * reported;
        if (!due_by_time && !due_by_growth) {
            res->what = AG_TRIP_SUPPRESSED;
            return;
        }
        if (!atomic_compare_exchange_strong_explicit(&e->times, &times,
                                                     pack(hi32(times), now_s),
                                                     memory_order_acq_rel,
                                                     memory_order_relaxed))
            continue;
        note_reported(e, observed);
        res->what = AG_TRIP_UPDATE;
        res->update_seq = atomic_fetch_add_explicit(&e->seq, 1, memory_order_relaxed) + 1;
        return;
    }
    res->what = AG_TRIP_SUPPRESSED;
}

int ag_open_is_open(const struct ag_open *o, enum ag_rule rule, const struct ag_key *key,
                    int64_t now_ms)
{
    uint64_t h;
    uint64_t tag = open_tag(o, rule, key, &h);
    const struct open_entry *e = open_find(o, tag, h);
    if (e == NULL)
        return 0;
    uint64_t times = atomic_load_explicit(&e->times, memory_order_acquire);
    uint64_t trip = atomic_load_explicit(&e->trip, memory_order_acquire);
    return !is_closed(e, times, trip, secs(now_ms), o->cooldown_s[rule]);
}
