/* engine.c - feed, rule evaluation, finding queue and worker, ticker.
 *
 * ag_engine_feed() is the hot path: it counts an event under its keys
 * (source, IPv6 /64, user, local user) with the lock-free table, compares
 * the windows with the rules while the slots are pinned, and reserves a
 * finding request in a bounded queue when a rule trips. Everything slow
 * (context gathering, the output of findings) happens on the worker. */
#include "engine/engine.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine/conn.h"
#include "engine/recent.h"
#include "engine/rules.h"
#include "engine/table.h"
#include "engine/window.h"

#define DEFAULT_SLOTS (1u << 20)
#define DEFAULT_PROBE 16
#define DEFAULT_EVICT_IDLE_S 10
#define DEFAULT_OPEN 65536
#define DEFAULT_QUEUE 1024
#define DEFAULT_RECENT_PER_STRIPE 2048
#define RECENT_STRIPES 16
/* The sweep covers the table in this many ticks. */
#define SWEEP_SLICES 64
/* In synchronous mode the ticker runs every this many seconds of event time. */
#define SYNC_TICK_S 60
/* Findings one event can raise in synchronous mode before some are dropped. */
#define MAX_TRIPS_PER_EVENT 8
/* Connections whose attempt is remembered (conn.h): 8 bytes each. */
#define CONN_SLOTS (1u << 16)

struct qcell {
    _Atomic uint64_t seq;
    struct ag_finding_req req;
};

struct ag_engine {
    struct ag_engine_config cfg; /* allowlist points at our own copy */
    ag_engine_output_fn out;
    void *userdata;

    struct ag_stats *stats;
    struct ag_table *table;
    struct ag_pairs *pairs;
    struct ag_open *open;
    struct ag_recent *recent;
    struct ag_conns *conns;
    struct ag_cidr *allow;

    int64_t width_ms[AG_RULE_COUNT];
    uint32_t max_back[AG_RULE_COUNT];
    int64_t late_ms;   /* events older than newest - late_ms are late */
    int64_t ttl_ms;
    uint32_t sweep_n;
    uint32_t sync_sweep_n;  /* a replay's tick (see derive_limits) */

    struct qcell *q;
    uint32_t qmask;
    uint64_t q_tail;   /* the worker's alone */
    struct ag_finding *wf;

    pthread_t worker, ticker;
    int has_worker, has_ticker;

    _Alignas(64) _Atomic int64_t max_ms;
    _Alignas(64) _Atomic uint64_t q_head;
    _Alignas(64) _Atomic uint64_t q_done;
    _Atomic int stop;
    _Atomic int64_t last_tick_s;
    atomic_flag ticking;
};

/* ---- config ----------------------------------------------------------- */

void ag_engine_config_defaults(struct ag_engine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->table_slots = DEFAULT_SLOTS;
    cfg->probe = DEFAULT_PROBE;
    cfg->evict_idle_s = DEFAULT_EVICT_IDLE_S;
    cfg->idle_ttl_s = 0;
    cfg->pair_slots = 0;
    cfg->open_findings = DEFAULT_OPEN;
    cfg->finding_queue = DEFAULT_QUEUE;
    cfg->recent_per_stripe = DEFAULT_RECENT_PER_STRIPE;
    cfg->synchronous = 0;
    cfg->ticker_thread = 1;
    cfg->ipv6_prefix64 = 1;
    cfg->prefault = -1;
    for (int r = 0; r < AG_RULE_COUNT; r++)
        cfg->rules[r] = ag_rule_info((enum ag_rule)r)->defaults;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int pow2(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

static int check_rule(const struct ag_rule_config *rc, const char *name, char *err,
                      size_t errlen)
{
    if (!rc->enabled)
        return 0;
    if (rc->threshold < 1 || rc->threshold > AG_ENGINE_THRESHOLD_MAX)
        return fail(err, errlen, "rule %s: threshold %u is not within 1..%u", name,
                    rc->threshold, AG_ENGINE_THRESHOLD_MAX);
    if (rc->window_s < AG_ENGINE_WINDOW_MIN_S || rc->window_s > AG_ENGINE_WINDOW_MAX_S)
        return fail(err, errlen, "rule %s: window %u s is not within %u..%u s", name,
                    rc->window_s, AG_ENGINE_WINDOW_MIN_S, AG_ENGINE_WINDOW_MAX_S);
    if (rc->cooldown_s > AG_ENGINE_COOLDOWN_MAX_S)
        return fail(err, errlen, "rule %s: cooldown %u s is longer than %u s", name,
                    rc->cooldown_s, AG_ENGINE_COOLDOWN_MAX_S);
    if (rc->severity < AG_SEV_INFORMATIONAL || rc->severity > AG_SEV_FATAL)
        return fail(err, errlen, "rule %s: severity %u is not within 1..6", name,
                    rc->severity);
    return 0;
}

int ag_engine_config_check(const struct ag_engine_config *cfg, char *err, size_t errlen)
{
    if (!pow2(cfg->table_slots) || cfg->table_slots < 1024 || cfg->table_slots > (1u << 30))
        return fail(err, errlen, "table_slots %u must be a power of two in 1024..2^30",
                    cfg->table_slots);
    if (cfg->probe < 1 || cfg->probe > 64)
        return fail(err, errlen, "probe %u is not within 1..64", cfg->probe);
    if (cfg->pair_slots != 0 && (!pow2(cfg->pair_slots) || cfg->pair_slots < 1024))
        return fail(err, errlen, "pair_slots %u must be 0 or a power of two >= 1024",
                    cfg->pair_slots);
    if (!pow2(cfg->open_findings) || cfg->open_findings < 64)
        return fail(err, errlen, "open_findings %u must be a power of two >= 64",
                    cfg->open_findings);
    if (!pow2(cfg->finding_queue) || cfg->finding_queue < 2 || cfg->finding_queue > 65536)
        return fail(err, errlen, "finding_queue %u must be a power of two in 2..65536",
                    cfg->finding_queue);
    if (cfg->recent_per_stripe < 1 || cfg->recent_per_stripe > (1u << 20))
        return fail(err, errlen, "recent_per_stripe %u is not within 1..2^20",
                    cfg->recent_per_stripe);
    if (cfg->n_allowlist > AG_ENGINE_ALLOWLIST_MAX ||
        (cfg->n_allowlist > 0 && cfg->allowlist == NULL))
        return fail(err, errlen, "allowlist: %zu entries (at most %u)", cfg->n_allowlist,
                    AG_ENGINE_ALLOWLIST_MAX);
    for (int r = 0; r < AG_RULE_COUNT; r++) {
        int rc = check_rule(&cfg->rules[r], ag_rule_name((enum ag_rule)r), err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int ag_engine_set_rules(struct ag_engine *e, const struct ag_rule_config *rules,
                        char *err, size_t errlen)
{
    int kept = 0;
    for (int r = 0; r < AG_RULE_COUNT; r++) {
        int rc = check_rule(&rules[r], ag_rule_name((enum ag_rule)r), err, errlen);
        if (rc != 0)
            return rc;
    }
    for (int r = 0; r < AG_RULE_COUNT; r++) {
        struct ag_rule_config *cur = &e->cfg.rules[r];
        if (rules[r].window_s != cur->window_s || rules[r].cooldown_s != cur->cooldown_s) {
            if (kept++ == 0)
                fail(err, errlen, "rule %s: window and cooldown changes apply at the next "
                     "start", ag_rule_name((enum ag_rule)r));
        }
        cur->enabled = rules[r].enabled;
        cur->threshold = rules[r].threshold;
        cur->severity = rules[r].severity;
    }
    return kept;
}

/* ---- life cycle ------------------------------------------------------- */

static void *worker_main(void *arg);
static void *ticker_main(void *arg);

static void derive_limits(struct ag_engine *e)
{
    uint32_t longest_s = 0;
    for (int r = 0; r < AG_RULE_COUNT; r++) {
        const struct ag_rule_config *rc = &e->cfg.rules[r];
        uint32_t w = rc->window_s ? rc->window_s : ag_rule_info((enum ag_rule)r)->defaults.window_s;
        if (w < AG_ENGINE_WINDOW_MIN_S)
            w = AG_ENGINE_WINDOW_MIN_S;
        e->width_ms[r] = ag_window_width_ms(w);
        if (rc->enabled && w > longest_s)
            longest_s = w;
    }
    if (longest_s == 0)
        longest_s = AG_ENGINE_WINDOW_MIN_S;
    e->late_ms = (int64_t)longest_s * 1000;
    for (int r = 0; r < AG_RULE_COUNT; r++)
        e->max_back[r] = (uint32_t)(e->late_ms / e->width_ms[r]) + 2 * AG_RING_BUCKETS;
    uint32_t ttl = e->cfg.idle_ttl_s ? e->cfg.idle_ttl_s : longest_s + 600;
    e->ttl_ms = (int64_t)ttl * 1000;
    e->sweep_n = e->cfg.table_slots / SWEEP_SLICES;
    if (e->sweep_n < 1024)
        e->sweep_n = 1024;
    /* A replay ticks once per SYNC_TICK_S of event time. At sweep_n a tick
     * it would walk the table every hour of log, which a botnet's log (many
     * keys, so the table fills enough to be swept) paid for in time; once
     * per half a ttl is all that expiry needs. */
    uint64_t n = (uint64_t)e->cfg.table_slots * SYNC_TICK_S * 2 / ttl;
    e->sync_sweep_n = n < 1024 ? 1024 : n > e->sweep_n ? e->sweep_n : (uint32_t)n;
}

static void random_key(uint64_t key[2])
{
    if (getrandom(key, 2 * sizeof(uint64_t), 0) == (ssize_t)(2 * sizeof(uint64_t)))
        return;
    /* No entropy source: still differ per process and run. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)key;
    key[1] = (uint64_t)ts.tv_sec * 0xc2b2ae3d27d4eb4full ^ (uint64_t)getpid();
}


static size_t queue_bytes(const struct ag_engine *e)
{
    return (size_t)(e->qmask + 1) * sizeof(struct qcell);
}

size_t ag_engine_memory(const struct ag_engine *e)
{
    size_t n = sizeof(*e) + sizeof(*e->stats) + ag_table_memory(e->table) +
               ag_pairs_memory(e->pairs) + ag_open_memory(e->open) +
               ag_recent_memory(e->recent) + ag_conns_memory(e->conns) +
               e->cfg.n_allowlist * sizeof(struct ag_cidr);
    if (e->q != NULL)
        n += queue_bytes(e);
    if (e->wf != NULL)
        n += sizeof(*e->wf);
    return n;
}

static int build_parts(struct ag_engine *e, char *err, size_t errlen)
{
    struct ag_table_config tc = {
        .slots = e->cfg.table_slots,
        .probe = e->cfg.probe,
        .evict_idle_ms = (int64_t)e->cfg.evict_idle_s * 1000,
        .hash_key = {e->cfg.hash_key[0], e->cfg.hash_key[1]},
        .stats = e->stats,
    };
    if (ag_table_new(&e->table, &tc) != 0)
        return fail(err, errlen, "counter table: cannot allocate %u slots", tc.slots);
    uint32_t pairs = e->cfg.pair_slots ? e->cfg.pair_slots : e->cfg.table_slots;
    if (ag_pairs_new(&e->pairs, pairs, e->cfg.hash_key, e->width_ms) != 0)
        return fail(err, errlen, "distinct-pair table: cannot allocate %u entries", pairs);
    uint32_t cooldown[AG_RULE_COUNT];
    for (int r = 0; r < AG_RULE_COUNT; r++)
        cooldown[r] = e->cfg.rules[r].cooldown_s;
    if (ag_open_new(&e->open, e->cfg.open_findings, e->cfg.hash_key, cooldown) != 0)
        return fail(err, errlen, "open findings: cannot allocate %u entries",
                    e->cfg.open_findings);
    unsigned stripes = e->cfg.synchronous ? 1 : RECENT_STRIPES;
    uint32_t per = e->cfg.synchronous ? e->cfg.recent_per_stripe * RECENT_STRIPES
                                      : e->cfg.recent_per_stripe;
    if (ag_recent_new(&e->recent, stripes, per) != 0)
        return fail(err, errlen, "recent events: cannot allocate %u x %u", stripes, per);
    if (ag_conns_new(&e->conns, CONN_SLOTS) != 0)
        return fail(err, errlen, "connections: cannot allocate %u entries", CONN_SLOTS);
    if (e->cfg.synchronous)
        return 0;
    e->qmask = e->cfg.finding_queue - 1;
    e->q = aligned_alloc(64, ((queue_bytes(e) + 63) / 64) * 64);
    e->wf = calloc(1, sizeof(*e->wf));
    if (e->q == NULL || e->wf == NULL)
        return fail(err, errlen, "finding queue: out of memory");
    for (uint32_t i = 0; i <= e->qmask; i++)
        atomic_init(&e->q[i].seq, i);
    return 0;
}

int ag_thread_start(pthread_t *t, const pthread_attr_t *attr, const char *name,
                    void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGPIPE);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, attr, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* A detached thread may be gone before it could be named. */
    int state = PTHREAD_CREATE_JOINABLE;
    if (attr != NULL)
        pthread_attr_getdetachstate(attr, &state);
    if (rc == 0 && state == PTHREAD_CREATE_JOINABLE)
        pthread_setname_np(*t, name); /* a refusal costs nothing */
    return rc;
}

static int start_threads(struct ag_engine *e, char *err, size_t errlen)
{
    if (e->cfg.synchronous)
        return 0;
    if (ag_thread_start(&e->worker, NULL, "ag-findings", worker_main, e) != 0)
        return fail(err, errlen, "cannot start the finding worker thread");
    e->has_worker = 1;
    if (e->cfg.ticker_thread) {
        if (ag_thread_start(&e->ticker, NULL, "ag-ticker", ticker_main, e) != 0)
            return fail(err, errlen, "cannot start the ticker thread");
        e->has_ticker = 1;
    }
    return 0;
}

static void prefault(struct ag_engine *e)
{
    ag_table_prefault(e->table);
    ag_pairs_prefault(e->pairs);
    ag_open_prefault(e->open);
    ag_recent_prefault(e->recent);
}

struct ag_engine *ag_engine_new(const struct ag_engine_config *cfg, ag_engine_output_fn out,
                                void *userdata, char *err, size_t errlen)
{
    struct ag_engine_config defaults;
    if (cfg == NULL) {
        ag_engine_config_defaults(&defaults);
        cfg = &defaults;
    }
    if (ag_engine_config_check(cfg, err, errlen) != 0)
        return NULL;
    struct ag_engine *e = aligned_alloc(64, ((sizeof(*e) + 63) / 64) * 64);
    if (e == NULL) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    memset(e, 0, sizeof(*e));
    atomic_flag_clear(&e->ticking);
    e->cfg = *cfg;
    e->out = out;
    e->userdata = userdata;
    if (e->cfg.hash_key[0] == 0 && e->cfg.hash_key[1] == 0)
        random_key(e->cfg.hash_key);
    derive_limits(e);
    e->stats = aligned_alloc(64, sizeof(*e->stats));
    if (e->stats != NULL)
        memset(e->stats, 0, sizeof(*e->stats));
    if (cfg->n_allowlist > 0) {
        e->allow = malloc(cfg->n_allowlist * sizeof(*e->allow));
        if (e->allow != NULL)
            memcpy(e->allow, cfg->allowlist, cfg->n_allowlist * sizeof(*e->allow));
    }
    e->cfg.allowlist = e->allow;
    if (e->stats == NULL || (cfg->n_allowlist > 0 && e->allow == NULL)) {
        fail(err, errlen, "out of memory");
        ag_engine_free(e);
        return NULL;
    }
    if (build_parts(e, err, errlen) != 0) {
        ag_engine_free(e);
        return NULL;
    }
    if (e->cfg.prefault == 1)
        prefault(e);
    if (start_threads(e, err, errlen) != 0) {
        ag_engine_free(e);
        return NULL;
    }
    return e;
}

void ag_engine_free(struct ag_engine *e)
{
    if (e == NULL)
        return;
    atomic_store(&e->stop, 1);
    if (e->has_ticker)
        pthread_join(e->ticker, NULL);
    if (e->has_worker)
        pthread_join(e->worker, NULL); /* it drains the queue before leaving */
    ag_table_free(e->table);
    ag_pairs_free(e->pairs);
    ag_open_free(e->open);
    ag_recent_free(e->recent);
    ag_conns_free(e->conns);
    free(e->q);
    free(e->wf);
    free(e->allow);
    free(e->stats);
    free(e);
}

/* ---- the finding queue (bounded MPSC, per-cell sequence numbers) ------ */

static struct ag_finding_req *queue_reserve(struct ag_engine *e, struct qcell **cellp)
{
    uint64_t pos = atomic_load_explicit(&e->q_head, memory_order_relaxed);
    for (;;) {
        struct qcell *c = &e->q[pos & e->qmask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&e->q_head, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *cellp = c;
                return &c->req;
            }
        } else if (dif < 0) {
            return NULL; /* full: the worker is a whole queue behind */
        } else {
            pos = atomic_load_explicit(&e->q_head, memory_order_relaxed);
        }
    }
}

static void queue_commit(struct qcell *c)
{
    uint64_t seq = atomic_load_explicit(&c->seq, memory_order_relaxed);
    atomic_store_explicit(&c->seq, seq + 1, memory_order_release);
}

static struct qcell *queue_peek(struct ag_engine *e)
{
    struct qcell *c = &e->q[e->q_tail & e->qmask];
    uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
    return seq == e->q_tail + 1 ? c : NULL;
}

static void queue_pop(struct ag_engine *e, struct qcell *c)
{
    atomic_store_explicit(&c->seq, e->q_tail + e->qmask + 1, memory_order_release);
    e->q_tail++;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void emit_finding(struct ag_engine *e, struct ag_finding *f)
{
    if (e->out != NULL) {
        struct ag_output o = {.kind = AG_OUT_FINDING, .finding = f};
        e->out(e->userdata, &o);
    }
    ag_finding_release(f);
}

/* Polls rather than waits on a condition: a feeder never makes a system
 * call to wake us, and findings are rare enough that a few milliseconds of
 * latency cost nothing. */
static void *worker_main(void *arg)
{
    struct ag_engine *e = arg;
    long idle_ms = 1;
    for (;;) {
        struct qcell *c = queue_peek(e);
        if (c == NULL) {
            if (atomic_load(&e->stop) &&
                atomic_load(&e->q_head) == atomic_load_explicit(&e->q_done, memory_order_relaxed))
                break;
            sleep_ms(idle_ms);
            if (idle_ms < 16)
                idle_ms *= 2;
            continue;
        }
        idle_ms = 1;
        ag_finding_assemble(e->wf, &c->req, e->recent);
        queue_pop(e, c);
        emit_finding(e, e->wf);
        atomic_fetch_add_explicit(&e->q_done, 1, memory_order_release);
    }
    return NULL;
}

void ag_engine_flush(struct ag_engine *e)
{
    if (e == NULL || e->cfg.synchronous)
        return;
    uint64_t target = atomic_load(&e->q_head);
    while (atomic_load_explicit(&e->q_done, memory_order_acquire) < target)
        sleep_ms(1);
}

/* ---- ticker ----------------------------------------------------------- */

static void scrub_slot(void *arg, struct ag_slot *slot, int64_t now_ms)
{
    struct ag_engine *e = arg;
    unsigned kind = ag_slot_kind(slot);
    int source = kind == AG_KEY_SRC || kind == AG_KEY_SRC64;
    unsigned spare = ag_spare_rings(kind); /* a distinct set, not a ring */
    for (int i = 0; i < AG_RING_SLOTS; i++) {
        if (spare & (1u << i))
            continue;
        /* A shared ring ages on the width of the rule that uses it here. */
        enum ag_rule r = (enum ag_rule)i;
        if (source && ag_rule_ring(AG_RULE_FLEET_SOURCE) == (unsigned)i)
            r = AG_RULE_FLEET_SOURCE;
        ag_ring_scrub(&slot->ring[i], ag_window_bucket(now_ms, e->width_ms[r]));
    }
}

static void tick(struct ag_engine *e, uint32_t sweep_n)
{
    if (atomic_flag_test_and_set(&e->ticking))
        return; /* another tick is running: this one adds nothing */
    int64_t now = atomic_load_explicit(&e->max_ms, memory_order_relaxed);
    if (now > 0)
        ag_table_sweep(e->table, now, e->ttl_ms, sweep_n, scrub_slot, e);
    atomic_flag_clear(&e->ticking);
}

void ag_engine_tick(struct ag_engine *e)
{
    if (e != NULL)
        tick(e, e->sweep_n);
}

static void *ticker_main(void *arg)
{
    struct ag_engine *e = arg;
    while (!atomic_load(&e->stop)) {
        for (int i = 0; i < 10 && !atomic_load(&e->stop); i++)
            sleep_ms(100);
        ag_engine_tick(e);
    }
    return NULL;
}

static void maybe_tick_sync(struct ag_engine *e, int64_t t_ms)
{
    int64_t s = t_ms / 1000;
    int64_t last = atomic_load_explicit(&e->last_tick_s, memory_order_relaxed);
    if (s - last < SYNC_TICK_S)
        return;
    /* A replay compresses hours of event time into seconds, so a sweep per
     * minute of event time would walk the whole table many times over.
     * Expiry only frees slots early (an insert evicts stale keys anyway)
     * and windows age by bucket index, so a replay sweeps only once the
     * table is filling up. */
    if (ag_table_used(e->table) < e->cfg.table_slots / 8) {
        atomic_store_explicit(&e->last_tick_s, s, memory_order_relaxed);
        return;
    }
    if (atomic_compare_exchange_strong(&e->last_tick_s, &last, s))
        tick(e, e->sync_sweep_n);
}

/* ---- stats ------------------------------------------------------------ */

void ag_engine_stats(const struct ag_engine *e, struct ag_engine_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->events = ag_stat_sum(e->stats, AG_ST_EVENTS);
    st->counted = ag_stat_sum(e->stats, AG_ST_COUNTED);
    st->late = ag_stat_sum(e->stats, AG_ST_LATE);
    st->dropped = ag_stat_sum(e->stats, AG_ST_DROPPED);
    st->evictions = ag_stat_sum(e->stats, AG_ST_EVICTIONS);
    st->expired = ag_stat_sum(e->stats, AG_ST_EXPIRED);
    st->findings = ag_stat_sum(e->stats, AG_ST_FINDINGS);
    st->findings_dropped = ag_stat_sum(e->stats, AG_ST_FINDINGS_DROPPED);
    st->suppressed = ag_stat_sum(e->stats, AG_ST_SUPPRESSED);
    st->table_used = ag_table_used(e->table);
    st->table_slots = ag_table_slots(e->table);
    st->memory_bytes = ag_engine_memory(e);
    st->max_event_ms = atomic_load_explicit(&e->max_ms, memory_order_relaxed);
}

/* ---- feed ------------------------------------------------------------- */

/* Everything one call of feed works with. */
struct feed {
    struct ag_engine *e;
    const struct ag_event *ev;
    unsigned stripe;
    int64_t t;
    uint32_t n;                 /* count weight of the line */
    int failure, invalid, preauth, regress, privilege, success;
    int echo;                   /* another line of the same attempt is counted */
    int tally;                  /* a failure that adds to the counts */
    int guess;                  /* a tallied failure that could be a guessed secret */
    uint32_t host_bit;
    int src_ok;                 /* a source, not allowlisted */
    struct ag_key src, src64, user, local, host;
    int has_src64, has_user, has_local, has_host;
    struct ag_span local_span;
    int compromise_done;
    uint64_t evidence_id;
    struct ag_counts counts;    /* for the event output */
    /* synchronous mode: requests emitted after the event */
    uint32_t n_reqs;
    struct ag_finding_req *reqs;
};

static int rule_on(const struct feed *f, enum ag_rule r) { return f->e->cfg.rules[r].enabled; }

static uint32_t bucket(const struct feed *f, enum ag_rule r)
{
    return ag_window_bucket(f->t, f->e->width_ms[r]);
}

static uint32_t ring_add(struct feed *f, struct ag_slot *s, enum ag_rule r, uint32_t n)
{
    if (!rule_on(f, r))
        return 0;
    return ag_ring_add(&s->ring[ag_rule_ring(r)], bucket(f, r), n, f->e->max_back[r]);
}

static uint32_t ring_read(const struct feed *f, struct ag_slot *s, enum ag_rule r)
{
    return ag_ring_read(&s->ring[ag_rule_ring(r)], bucket(f, r));
}

static void add_total(struct ag_slot *s, enum ag_counter c, uint32_t n)
{
    atomic_fetch_add_explicit(&s->total[c], n, memory_order_relaxed);
}

static void snapshot(const struct feed *f, struct ag_slot *s, enum ag_key_kind kind,
                     struct ag_counts *c)
{
    c->key_kind = (uint8_t)kind;
    c->failures = atomic_load_explicit(&s->total[AG_CNT_FAILURES], memory_order_relaxed);
    c->invalid_users = atomic_load_explicit(&s->total[AG_CNT_INVALID], memory_order_relaxed);
    c->successes = atomic_load_explicit(&s->total[AG_CNT_SUCCESSES], memory_order_relaxed);
    c->preauth = atomic_load_explicit(&s->total[AG_CNT_PREAUTH], memory_order_relaxed);
    c->privilege = atomic_load_explicit(&s->total[AG_CNT_PRIVILEGE], memory_order_relaxed);
    c->first_seen_ms = atomic_load_explicit(&s->first_ms, memory_order_relaxed);
    c->last_seen_ms = atomic_load_explicit(&s->last_ms, memory_order_relaxed);
    if (kind == AG_KEY_SRC || kind == AG_KEY_SRC64) {
        c->failures_short = ring_read(f, s, AG_RULE_BRUTEFORCE);
        c->failures_long = ring_read(f, s, AG_RULE_SLOW_BRUTEFORCE);
        c->distinct_users = ring_read(f, s, AG_RULE_ENUMERATION);
        if (rule_on(f, AG_RULE_FLEET_SOURCE))
            c->distinct_hosts = ring_read(f, s, AG_RULE_FLEET_SOURCE);
    } else if (kind == AG_KEY_USER) {
        c->failures_short = ring_read(f, s, AG_RULE_COMPROMISE);
        c->distinct_sources = ring_read(f, s, AG_RULE_SPRAYING);
    } else if (kind == AG_KEY_LOCAL_USER) {
        c->failures_short = ring_read(f, s, AG_RULE_PRIVILEGE);
    }
}

static void key_text(const struct feed *f, enum ag_key_kind kind, struct ag_finding_req *q)
{
    const struct ag_event *ev = f->ev;
    q->key_text[0] = '\0';
    memset(&q->key_addr, 0, sizeof(q->key_addr));
    if (kind == AG_KEY_SRC) {
        q->key_addr = ev->src;
        ag_addr_format(&ev->src, q->key_text);
    } else if (kind == AG_KEY_SRC64) {
        ag_addr_prefix64(&ev->src, &q->key_addr);
        size_t n = ag_addr_format(&q->key_addr, q->key_text);
        memcpy(q->key_text + n, "/64", 4);
    } else if (kind == AG_KEY_USER) {
        ag_finding_copy_text(q->key_text, sizeof(q->key_text), ag_span_ptr(ev, ev->user),
                             ev->user.len, NULL);
    } else if (kind == AG_KEY_LOCAL_USER) {
        ag_finding_copy_text(q->key_text, sizeof(q->key_text),
                             ag_span_ptr(ev, f->local_span), f->local_span.len, NULL);
    }
}

static void fill_evidence(const struct feed *f, struct ag_finding_sample *s)
{
    int cut = 0;
    s->time_ms = f->t;
    s->kind = f->ev->kind;
    s->len = (uint16_t)ag_finding_copy_text(s->text, sizeof(s->text), f->ev->line,
                                            f->ev->line_len, &cut);
    s->truncated = (uint8_t)cut;
}

static int span_ok(const struct ag_event *ev, struct ag_span s)
{
    return s.len > 0 && (uint32_t)s.off + s.len <= ev->line_len;
}

/* A compromise trips on the success: its user is the account that got in,
 * whatever names the failures before it tried. */
static void login_user(const struct feed *f, enum ag_rule r, struct ag_finding_req *q)
{
    const struct ag_event *ev = f->ev;
    q->login_user[0] = '\0';
    if (r == AG_RULE_COMPROMISE && f->success && span_ok(ev, ev->user))
        ag_finding_copy_text(q->login_user, sizeof(q->login_user), ag_span_ptr(ev, ev->user),
                             ev->user.len, NULL);
}

static struct ag_finding_req *reserve(struct feed *f, struct qcell **cell)
{
    *cell = NULL;
    if (!f->e->cfg.synchronous)
        return queue_reserve(f->e, cell);
    if (f->n_reqs >= MAX_TRIPS_PER_EVENT)
        return NULL;
    return &f->reqs[f->n_reqs++];
}

/* A rule held on key: decide Create/Update/nothing and queue the request. */
static void trip(struct feed *f, enum ag_rule r, const struct ag_key *key,
                 enum ag_key_kind kind, struct ag_slot *s, uint32_t observed)
{
    struct ag_trip_result res;
    ag_open_trip(f->e->open, r, key, f->t, observed, &res);
    if (res.what == AG_TRIP_SUPPRESSED) {
        ag_stat_add(f->e->stats, f->stripe, AG_ST_SUPPRESSED, 1);
        return;
    }
    struct qcell *cell;
    struct ag_finding_req *q = res.what == AG_TRIP_FULL ? NULL : reserve(f, &cell);
    if (q == NULL) {
        ag_stat_add(f->e->stats, f->stripe, AG_ST_FINDINGS_DROPPED, 1);
        return;
    }
    const struct ag_rule_config *rc = &f->e->cfg.rules[r];
    q->rule = (uint8_t)r;
    q->key_kind = (uint8_t)kind;
    q->activity = res.what == AG_TRIP_CREATE ? AG_ACTIVITY_CREATE : AG_ACTIVITY_UPDATE;
    q->severity = rc->severity;
    q->update_seq = res.update_seq;
    q->threshold = rc->threshold;
    q->observed = observed;
    q->window_s = rc->window_s;
    q->time_ms = f->t;
    q->created_ms = res.created_ms;
    q->key_w[0] = key->w[0];
    q->key_w[1] = key->w[1];
    key_text(f, kind, q);
    memset(&q->counts, 0, sizeof(q->counts));
    snapshot(f, s, kind, &q->counts);
    q->evidence_id = f->evidence_id;
    fill_evidence(f, &q->evidence);
    login_user(f, r, q);
    if (cell != NULL)
        queue_commit(cell);
    ag_stat_add(f->e->stats, f->stripe, AG_ST_FINDINGS, 1);
}

/* For the /64: a rule already open on the event's own address says it all. */
static int covered(const struct feed *f, enum ag_key_kind kind, enum ag_rule r)
{
    return kind == AG_KEY_SRC64 && f->src_ok && ag_open_is_open(f->e->open, r, &f->src, f->t);
}

static void check(struct feed *f, enum ag_rule r, const struct ag_key *key,
                  enum ag_key_kind kind, struct ag_slot *s, uint32_t value)
{
    if (rule_on(f, r) && value >= f->e->cfg.rules[r].threshold && !covered(f, kind, r))
        trip(f, r, key, kind, s, value);
}

static struct ag_slot *acquire(struct feed *f, const struct ag_key *key)
{
    int inserted;
    struct ag_slot *s = ag_table_acquire(f->e->table, key, f->t, f->stripe, &inserted);
    /* Read before writing: the bit is nearly always set already. */
    if (s != NULL && f->host_bit != 0 &&
        (atomic_load_explicit(&s->hosts, memory_order_relaxed) & f->host_bit) == 0)
        atomic_fetch_or_explicit(&s->hosts, f->host_bit, memory_order_relaxed);
    return s;
}

/* fleet_source: distinct reporting hosts with failures from this source.
 * An echo notes its host too (distinct counting is idempotent). */
static uint32_t count_hosts(struct feed *f, const struct ag_key *key, struct ag_slot *s)
{
    if (!f->failure || !f->has_host || !rule_on(f, AG_RULE_FLEET_SOURCE))
        return 0;
    int fresh = ag_pairs_note(f->e->pairs, AG_RULE_FLEET_SOURCE, key, f->host.w, f->t,
                              f->e->stats, f->stripe);
    return fresh ? ring_add(f, s, AG_RULE_FLEET_SOURCE, 1)
                 : ring_read(f, s, AG_RULE_FLEET_SOURCE);
}

/* Source and /64 keys: brute force, enumeration, scans, regreSSHion, and
 * the source side of compromise. */
static void count_source(struct feed *f, const struct ag_key *key, enum ag_key_kind kind)
{
    struct ag_slot *s = acquire(f, key);
    if (s == NULL)
        return;
    uint32_t bf = 0, slow = 0, distinct = 0, scan = 0, regress = 0;
    uint32_t hosts = count_hosts(f, key, s);
    if (f->tally) {
        add_total(s, AG_CNT_FAILURES, f->n);
        bf = ring_add(f, s, AG_RULE_BRUTEFORCE, f->n);
        slow = ring_add(f, s, AG_RULE_SLOW_BRUTEFORCE, f->n);
        if (f->guess)
            ring_add(f, s, AG_RULE_COMPROMISE, f->n);
    }
    if (f->invalid) {
        if (f->tally)
            add_total(s, AG_CNT_INVALID, f->n);
        /* Distinct counting is idempotent, so an echo ("Invalid user X",
         * announcing the attempt) may note the user too: it is all there
         * is when the client leaves before trying a password. */
        if (f->has_user && rule_on(f, AG_RULE_ENUMERATION)) {
            int fresh = ag_distinct_note(f->e->pairs, s, AG_RULE_ENUMERATION, key, &f->user,
                                         f->t, f->e->stats, f->stripe);
            distinct = fresh ? ring_add(f, s, AG_RULE_ENUMERATION, 1)
                             : ring_read(f, s, AG_RULE_ENUMERATION);
        }
    }
    if (f->preauth) {
        add_total(s, AG_CNT_PREAUTH, f->n);
        scan = ring_add(f, s, AG_RULE_SCAN, f->n);
    }
    if (f->regress)
        regress = ring_add(f, s, AG_RULE_REGRESSHION, f->n);
    if (f->success)
        add_total(s, AG_CNT_SUCCESSES, 1);

    if (f->tally) {
        check(f, AG_RULE_BRUTEFORCE, key, kind, s, bf);
        /* A fast brute force also fills the slow window: one finding is
         * enough. The open-findings lookup (a cache miss) only once the
         * slow count is there at all, which most sources never reach. */
        if (slow >= f->e->cfg.rules[AG_RULE_SLOW_BRUTEFORCE].threshold &&
            !ag_open_is_open(f->e->open, AG_RULE_BRUTEFORCE, key, f->t))
            check(f, AG_RULE_SLOW_BRUTEFORCE, key, kind, s, slow);
    }
    if (distinct)
        check(f, AG_RULE_ENUMERATION, key, kind, s, distinct);
    if (hosts)
        check(f, AG_RULE_FLEET_SOURCE, key, kind, s, hosts);
    if (f->preauth)
        check(f, AG_RULE_SCAN, key, kind, s, scan);
    if (f->regress)
        check(f, AG_RULE_REGRESSHION, key, kind, s, regress);
    if (f->success && !f->compromise_done && rule_on(f, AG_RULE_COMPROMISE)) {
        uint32_t before = ring_read(f, s, AG_RULE_COMPROMISE);
        if (before >= f->e->cfg.rules[AG_RULE_COMPROMISE].threshold) {
            f->compromise_done = 1;
            if (!covered(f, kind, AG_RULE_COMPROMISE))
                trip(f, AG_RULE_COMPROMISE, key, kind, s, before);
        }
    }
    if (kind == AG_KEY_SRC)
        snapshot(f, s, kind, &f->counts);
    ag_table_release(s);
}

/* User keys: spraying (distinct failing sources) and the user side of
 * compromise. */
static void count_user(struct feed *f)
{
    struct ag_slot *s = acquire(f, &f->user);
    if (s == NULL)
        return;
    uint32_t sources = 0;
    if (f->tally) {
        add_total(s, AG_CNT_FAILURES, f->n);
        if (f->invalid)
            add_total(s, AG_CNT_INVALID, f->n);
        /* Only remote guesses lead up to a remote login: a mistyped
         * console or screen-lock password is another channel. */
        if (f->guess && f->ev->src.af != AG_AF_NONE)
            ring_add(f, s, AG_RULE_COMPROMISE, f->n);
    }
    if (f->failure) {
        if (f->ev->src.af != AG_AF_NONE && rule_on(f, AG_RULE_SPRAYING)) {
            struct ag_key own;
            const struct ag_key *src = &f->src;
            if (!f->src_ok) { /* allowlisted: no source key was made */
                ag_key_from_addr(&own, AG_KEY_SRC, &f->ev->src);
                src = &own;
            }
            int fresh = ag_distinct_note(f->e->pairs, s, AG_RULE_SPRAYING, &f->user, src,
                                         f->t, f->e->stats, f->stripe);
            sources = fresh ? ring_add(f, s, AG_RULE_SPRAYING, 1)
                            : ring_read(f, s, AG_RULE_SPRAYING);
            check(f, AG_RULE_SPRAYING, &f->user, AG_KEY_USER, s, sources);
        }
    }
    if (f->success) {
        add_total(s, AG_CNT_SUCCESSES, 1);
        /* Bots guess the names of real accounts (deploy, git, backup) all day;
         * the owner's key login afterwards says nothing about the password.
         * Only a success with a secret that could have been guessed counts
         * here (the source side still catches a key login from a guesser). */
        if (!f->compromise_done && f->ev->method != AG_M_PUBLICKEY &&
            f->ev->method != AG_M_HOSTBASED && f->ev->method != AG_M_GSSAPI &&
            rule_on(f, AG_RULE_COMPROMISE)) {
            uint32_t before = ring_read(f, s, AG_RULE_COMPROMISE);
            if (before >= f->e->cfg.rules[AG_RULE_COMPROMISE].threshold) {
                f->compromise_done = 1;
                trip(f, AG_RULE_COMPROMISE, &f->user, AG_KEY_USER, s, before);
            }
        }
    }
    if (f->counts.key_kind == AG_KEY_NONE)
        snapshot(f, s, AG_KEY_USER, &f->counts);
    ag_table_release(s);
}

/* Local users: sudo and su failures, sudoers denials. */
static void count_local(struct feed *f)
{
    struct ag_slot *s = acquire(f, &f->local);
    if (s == NULL)
        return;
    add_total(s, AG_CNT_PRIVILEGE, f->n);
    uint32_t fails = ring_add(f, s, AG_RULE_PRIVILEGE, f->n);
    if (rule_on(f, AG_RULE_PRIVILEGE)) {
        /* Not being in sudoers is never a typo. */
        if (f->ev->kind == AG_EV_SUDO_DENIED)
            trip(f, AG_RULE_PRIVILEGE, &f->local, AG_KEY_LOCAL_USER, s,
                 fails > f->n ? fails : f->n);
        else
            check(f, AG_RULE_PRIVILEGE, &f->local, AG_KEY_LOCAL_USER, s, fails);
    }
    if (f->counts.key_kind == AG_KEY_NONE)
        snapshot(f, s, AG_KEY_LOCAL_USER, &f->counts);
    ag_table_release(s);
}

/* The newest event time, moved in steps of at least MAX_STEP_MS: feeders
 * share this word, and writing it for every millisecond would bounce its
 * cache line between them on every event. */
#define MAX_STEP_MS 1000

static int64_t advance_max(struct ag_engine *e, int64_t t)
{
    int64_t cur = atomic_load_explicit(&e->max_ms, memory_order_relaxed);
    while (t >= cur + MAX_STEP_MS &&
           !atomic_compare_exchange_weak_explicit(&e->max_ms, &cur, t, memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
    return t > cur ? t : cur;
}

static int allowlisted(const struct ag_engine *e, const struct ag_addr *a)
{
    for (size_t i = 0; i < e->cfg.n_allowlist; i++)
        if (ag_cidr_contains(&e->allow[i], a))
            return 1;
    return 0;
}

/* The connection a line belongs to: a keyed hash of the reporting host,
 * the sshd pid, the source address and port. 0 when the line lacks one
 * (old sshd forms without a port, lines without a pid). */
static uint64_t connection_id(const struct feed *f)
{
    const struct ag_event *ev = f->ev;
    if (ev->pid == 0 || ev->src_port == 0 || ev->src.af == AG_AF_NONE)
        return 0;
    const uint64_t *k = ag_table_hash_key(f->e->table);
    struct {
        uint64_t host;
        uint32_t pid;
        uint16_t port;
        uint8_t af;
        uint8_t b[16];
    } c;
    memset(&c, 0, sizeof(c));
    c.host = ev->host.len > 0 && (uint32_t)ev->host.off + ev->host.len <= ev->line_len
                 ? ag_hash64(k, ag_span_ptr(ev, ev->host), ev->host.len)
                 : 0;
    c.pid = ev->pid;
    c.port = ev->src_port;
    c.af = ev->src.af;
    memcpy(c.b, ev->src.b, sizeof(c.b));
    uint64_t id = ag_hash64(k, &c, sizeof(c));
    return id ? id : 1;
}

/* An attempt counts once, whichever of its connection's lines arrive
 * (conn.h): a line that announces or closes it ("Invalid user", "Connection
 * closed by invalid user ... [preauth]", AG_EVF_ANNOUNCE) counts when it is
 * the first, and the first Failed line after an announcing one folds into
 * it. Every further Failed line is another guess. Lines without a
 * connection keep their flags: an announcement is then an echo. */
static void one_per_connection(struct feed *f)
{
    const struct ag_event *ev = f->ev;
    int announce = (ev->flags & AG_EVF_ANNOUNCE) != 0;
    int guess = f->failure && !f->echo;
    if (!announce && !guess)
        return;
    uint64_t id = connection_id(f);
    if (id == 0) {
        /* no connection to fold into: an announcement stays an echo, a
         * closing line the probe it was */
        if (announce && !f->failure)
            f->echo = (ev->flags & AG_EVF_ECHO) != 0;
        return;
    }
    if (announce) {
        /* a line of an attempt (a closing one too, of a probe kind): the
         * attempt itself when first, else an echo of it, context either way */
        f->echo = !ag_conns_counts(f->e->conns, id, AG_CONN_FOLDS, f->t);
        f->failure = 1;
        f->preauth = 0;
        f->invalid = (ev->flags & AG_EVF_INVALID_USER) || ev->kind == AG_EV_INVALID_USER;
        return;
    }
    f->echo = !ag_conns_counts(f->e->conns, id, AG_CONN_GUESS, f->t);
}

static void classify(struct feed *f)
{
    const struct ag_event *ev = f->ev;
    enum ag_kind k = (enum ag_kind)ev->kind;
    f->n = ev->count ? ev->count : 1;
    f->failure = ag_kind_is_failure(k);
    f->invalid = f->failure && (k == AG_EV_INVALID_USER || (ev->flags & AG_EVF_INVALID_USER));
    f->preauth = ag_kind_is_preauth(k);
    f->regress = k == AG_EV_MAC_ERROR || k == AG_EV_TIMEOUT_PREAUTH;
    f->privilege = ag_kind_is_privilege(k);
    f->success = k == AG_EV_AUTH_SUCCESS;
    /* An echo repeats an attempt another line already stands for (PAM's
     * line before sshd's, "PAM N more", sudo's PAM line before its own):
     * it goes into the context and the distinct counts, never the tallies. */
    f->echo = (ev->flags & (AG_EVF_ECHO | AG_EVF_ANNOUNCE)) != 0;
    one_per_connection(f);
    f->tally = f->failure && !f->echo;
    /* A key cannot be guessed, and clients offer several before the one
     * that works ("Failed publickey" then "Accepted publickey"): such
     * failures count as brute force but are no sign of a guessed password
     * before a success. */
    f->guess = f->tally && ev->method != AG_M_PUBLICKEY && ev->method != AG_M_HOSTBASED;
    if (f->echo) {
        f->preauth = 0;
        f->regress = 0;
        f->privilege = 0;
    }
}

static void make_keys(struct feed *f)
{
    struct ag_engine *e = f->e;
    const struct ag_event *ev = f->ev;
    /* Each key's slot is asked for as soon as the key is made: hashing
     * the next key and copying the event into the recent ring then hide
     * the cache misses that nearly every acquire of a new key would be. */
    f->src_ok = ev->src.af != AG_AF_NONE && !allowlisted(e, &ev->src);
    if (f->src_ok) {
        ag_key_from_addr(&f->src, AG_KEY_SRC, &ev->src);
        ag_table_prefetch(e->table, &f->src);
        if (ev->src.af == AG_AF_INET6 && e->cfg.ipv6_prefix64) {
            struct ag_addr p;
            ag_addr_prefix64(&ev->src, &p);
            ag_key_from_addr(&f->src64, AG_KEY_SRC64, &p);
            ag_table_prefetch(e->table, &f->src64);
            f->has_src64 = 1;
        }
    }
    if (span_ok(ev, ev->user) && (f->failure || f->success)) {
        ag_key_from_text(e->table, &f->user, AG_KEY_USER, ag_span_ptr(ev, ev->user),
                         ev->user.len);
        ag_table_prefetch(e->table, &f->user);
        f->has_user = 1;
    }
    if (f->privilege) {
        f->local_span = span_ok(ev, ev->ruser) ? ev->ruser : ev->user;
        if (span_ok(ev, f->local_span)) {
            ag_key_from_text(e->table, &f->local, AG_KEY_LOCAL_USER,
                             ag_span_ptr(ev, f->local_span), f->local_span.len);
            f->has_local = 1;
        }
    }
    if (span_ok(ev, ev->host)) {
        uint64_t h = ag_hash64(ag_table_hash_key(e->table), ag_span_ptr(ev, ev->host),
                                  ev->host.len);
        f->host_bit = 1u << (h & 31);
        if (rule_on(f, AG_RULE_FLEET_SOURCE)) {
            ag_key_from_text(e->table, &f->host, AG_KEY_HOST, ag_span_ptr(ev, ev->host),
                             ev->host.len);
            f->has_host = 1;
        }
    }
}

static void remember(struct feed *f)
{
    struct ag_recent_keys rk;
    memset(&rk, 0, sizeof(rk));
    rk.src = f->ev->src;
    if (f->has_user) {
        rk.user[0] = f->user.w[0];
        rk.user[1] = f->user.w[1];
        rk.has_user = 1;
    }
    if (f->has_local) {
        rk.local_user[0] = f->local.w[0];
        rk.local_user[1] = f->local.w[1];
        rk.has_local_user = 1;
    }
    f->evidence_id = ag_recent_put(f->e->recent, f->stripe, f->ev, &rk);
}

static void emit_event(struct feed *f)
{
    if (f->e->out != NULL) {
        struct ag_output o = {.kind = AG_OUT_EVENT, .event = f->ev, .counts = &f->counts};
        f->e->out(f->e->userdata, &o);
    }
}

__attribute__((noinline)) static void emit_sync_findings(struct feed *f)
{
    if (f->n_reqs == 0)
        return;
    struct ag_finding fd; /* ~15 KiB on the stack: synchronous mode allocates nothing */
    for (uint32_t i = 0; i < f->n_reqs; i++) {
        ag_finding_assemble(&fd, &f->reqs[i], f->e->recent);
        emit_finding(f->e, &fd);
    }
}

static void count_event(struct feed *f)
{
    make_keys(f);
    if (!f->src_ok && !f->has_user && !f->has_local)
        return;
    remember(f);
    if (f->src_ok)
        count_source(f, &f->src, AG_KEY_SRC);
    if (f->has_src64)
        count_source(f, &f->src64, AG_KEY_SRC64);
    if (f->has_user)
        count_user(f);
    if (f->has_local)
        count_local(f);
    ag_stat_add(f->e->stats, f->stripe, AG_ST_COUNTED, 1);
}

/* Synchronous mode keeps its finding requests (about 20 KiB) and the
 * finding it assembles on the stack, since it may not allocate. Out of line,
 * so that the threaded feed - which fluent-bit may run on a 24 KiB coroutine
 * stack - does not reserve that space too. */
__attribute__((noinline)) static void feed_synchronous(struct feed *f, int counted,
                                                       int64_t newest)
{
    struct ag_finding_req reqs[MAX_TRIPS_PER_EVENT];
    f->reqs = reqs;
    if (counted)
        count_event(f);
    emit_event(f);
    emit_sync_findings(f);
    maybe_tick_sync(f->e, newest);
}

int ag_engine_feed(struct ag_engine *e, const struct ag_event *ev)
{
    if (e == NULL || ev == NULL)
        return -EINVAL;
    struct feed f;
    memset(&f, 0, sizeof(f));
    f.e = e;
    f.ev = ev;
    f.stripe = ag_thread_stripe();
    f.t = ev->time_ms;
    ag_stat_add(e->stats, f.stripe, AG_ST_EVENTS, 1);

    int64_t newest = advance_max(e, f.t);
    if (f.t < newest - e->late_ms) {
        ag_stat_add(e->stats, f.stripe, AG_ST_LATE, 1);
        emit_event(&f);
        return 0;
    }
    classify(&f);
    int counted = f.failure || f.preauth || f.regress || f.privilege || f.success;
    if (e->cfg.synchronous) {
        feed_synchronous(&f, counted, newest);
        return 0;
    }
    if (counted)
        count_event(&f);
    emit_event(&f);
    return 0;
}
