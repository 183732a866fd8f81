/* test_engine.c - the engine as a host uses it: the worker thread and flush,
 * per-event counts, many feeding threads with exact totals, and the memory
 * bound under a flood of distinct sources with attackers mixed in.
 *
 * AG_TEST_SCALE (default 1, or 0.05 in a ThreadSanitizer build) scales the
 * concurrency and flood sizes. */
#include "ag_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "engine/engine.h"
#include "tests/unit/thread_check.h"

#if defined(__SANITIZE_THREAD__)
#define AG_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AG_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define AG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AG_ASAN 1
#endif
#endif

#define T0 1700000000000LL
#define SEC 1000LL

static double test_scale(void)
{
    const char *s = getenv("AG_TEST_SCALE");
    if (s != NULL && atof(s) > 0)
        return atof(s);
#ifdef AG_TSAN
    return 0.05;
#else
    return 1.0;
#endif
}

/* ---- capture ------------------------------------------------------------ */

#define MAX_KEPT 256

struct capture {
    _Atomic uint64_t events;
    pthread_mutex_t lock; /* the test's own, around the kept findings */
    int n;
    struct ag_finding *f;
    pthread_t feeder;
    int from_other_thread;
};

static void on_output(void *ud, const struct ag_output *o)
{
    struct capture *c = ud;
    if (o->kind == AG_OUT_EVENT) {
        atomic_fetch_add(&c->events, 1);
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (!pthread_equal(pthread_self(), c->feeder))
        c->from_other_thread = 1;
    if (c->n < MAX_KEPT)
        c->f[c->n++] = *o->finding;
    pthread_mutex_unlock(&c->lock);
}

static void capture_init(struct capture *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    c->f = calloc(MAX_KEPT, sizeof(*c->f));
    ck_assert_ptr_nonnull(c->f);
    c->feeder = pthread_self();
}

static void capture_free(struct capture *c)
{
    pthread_mutex_destroy(&c->lock);
    free(c->f);
}

/* ---- events ------------------------------------------------------------- */

struct line {
    char buf[256];
    struct ag_event ev;
};

static void mk(struct line *l, int64_t t, enum ag_kind kind, const struct ag_addr *src,
               const char *user)
{
    memset(&l->ev, 0, sizeof(l->ev));
    char addr[AG_ADDR_STRLEN] = "";
    if (src != NULL)
        ag_addr_format(src, addr);
    int n = snprintf(l->buf, sizeof(l->buf), "edge1 sshd[9]: %s for %s from %s port 22",
                     ag_kind_name(kind), user ? user : "-", addr);
    l->ev.time_ms = t;
    l->ev.line = l->buf;
    l->ev.line_len = (uint32_t)n;
    l->ev.kind = (uint8_t)kind;
    l->ev.count = 1;
    l->ev.host = (struct ag_span){0, 5};
    if (user != NULL) {
        const char *p = strstr(l->buf, " for ") + 5;
        l->ev.user = (struct ag_span){(uint16_t)(p - l->buf), (uint16_t)strlen(user)};
    }
    if (src != NULL)
        l->ev.src = *src;
}

static struct ag_addr v4(uint32_t x)
{
    struct ag_addr a = {.af = AG_AF_INET};
    a.b[0] = (uint8_t)(x >> 24);
    a.b[1] = (uint8_t)(x >> 16);
    a.b[2] = (uint8_t)(x >> 8);
    a.b[3] = (uint8_t)x;
    return a;
}

static struct ag_engine *new_engine(struct ag_engine_config *cfg, struct capture *c)
{
    char err[256] = "";
    struct ag_engine *e = ag_engine_new(cfg, on_output, c, err, sizeof(err));
    ck_assert_msg(e != NULL, "engine: %s", err);
    return e;
}

static void small_config(struct ag_engine_config *cfg)
{
    ag_engine_config_defaults(cfg);
    cfg->table_slots = 1u << 16;
    cfg->recent_per_stripe = 256;
    cfg->hash_key[0] = 7;
    cfg->hash_key[1] = 8;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(worker_delivers_findings_with_context_after_flush)
{
    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    small_config(&cfg);
    struct ag_engine *e = new_engine(&cfg, &c);
    struct ag_addr a = v4(0xcb007105); /* 203.0.113.5 */
    const char *users[] = {"root", "admin", "oracle"};
    for (int i = 0; i < 8; i++) {
        struct line l;
        mk(&l, T0 + i * 2 * SEC, AG_EV_AUTH_FAILURE, &a, users[i % 3]);
        ck_assert_int_eq(ag_engine_feed(e, &l.ev), 0);
    }
    ag_engine_flush(e);
    pthread_mutex_lock(&c.lock);
    ck_assert_int_eq(c.n, 1);
    ck_assert_int_eq(c.from_other_thread, 1);
    const struct ag_finding *f = &c.f[0];
    ck_assert_str_eq(f->rule_name, "bruteforce");
    ck_assert_str_eq(f->key, "203.0.113.5");
    ck_assert_uint_eq(f->n_users, 3);
    ck_assert_uint_eq(f->n_hosts, 1);
    ck_assert_str_eq(f->hosts[0], "edge1");
    ck_assert_uint_eq(f->n_samples, 6);
    for (uint32_t i = 1; i < f->n_samples; i++)
        ck_assert_int_le(f->samples[i - 1].time_ms, f->samples[i].time_ms);
    ck_assert_ptr_null(f->summary);
    pthread_mutex_unlock(&c.lock);
    ck_assert_uint_eq(atomic_load(&c.events), 8);
    struct ag_engine_stats st;
    ag_engine_stats(e, &st);
    ck_assert_uint_eq(st.events, 8);
    ck_assert_uint_eq(st.counted, 8);
    ck_assert_uint_eq(st.findings, 1);
    ck_assert_uint_eq(st.table_used, 4); /* the source and three users */
    ag_engine_free(e);
    capture_free(&c);
}
END_TEST

/* Per-event counts as a host sees them in the callback. */
struct counts_seen {
    struct ag_counts last;
    int events;
};

static void on_counts(void *ud, const struct ag_output *o)
{
    struct counts_seen *cs = ud;
    if (o->kind == AG_OUT_EVENT) {
        cs->last = *o->counts;
        cs->events++;
    }
}

START_TEST(every_event_carries_its_source_counts)
{
    struct ag_engine_config cfg;
    small_config(&cfg);
    cfg.synchronous = 1;
    struct counts_seen cs = {0};
    char err[128];
    struct ag_engine *e = ag_engine_new(&cfg, on_counts, &cs, err, sizeof(err));
    ck_assert_ptr_nonnull(e);
    struct ag_addr a = v4(0xc0000201);
    struct line l;
    mk(&l, T0, AG_EV_AUTH_FAILURE, &a, "x");
    ag_engine_feed(e, &l.ev);
    ck_assert_int_eq(cs.last.key_kind, AG_KEY_SRC);
    ck_assert_uint_eq(cs.last.failures, 1);
    ck_assert_uint_eq(cs.last.failures_short, 1);
    mk(&l, T0 + SEC, AG_EV_INVALID_USER, &a, "y");
    ag_engine_feed(e, &l.ev);
    ck_assert_uint_eq(cs.last.failures, 2);
    ck_assert_uint_eq(cs.last.invalid_users, 1);
    ck_assert_uint_eq(cs.last.distinct_users, 1);
    mk(&l, T0 + 2 * SEC, AG_EV_PREAUTH_DISCONNECT, &a, NULL);
    ag_engine_feed(e, &l.ev);
    ck_assert_uint_eq(cs.last.preauth, 1);
    ck_assert_int_eq(cs.last.first_seen_ms, T0);
    ck_assert_int_eq(cs.last.last_seen_ms, T0 + 2 * SEC);
    /* no source: the user's counts */
    mk(&l, T0 + 3 * SEC, AG_EV_PAM_FAILURE, NULL, "z");
    ag_engine_feed(e, &l.ev);
    ck_assert_int_eq(cs.last.key_kind, AG_KEY_USER);
    ck_assert_uint_eq(cs.last.failures, 1);
    /* not an auth event: passed through, nothing counted */
    mk(&l, T0 + 4 * SEC, AG_EV_NONE, &a, NULL);
    ag_engine_feed(e, &l.ev);
    ck_assert_int_eq(cs.last.key_kind, AG_KEY_NONE);
    ck_assert_int_eq(cs.events, 5);
    /* spans pointing past the line (a parser bug) are ignored, not read */
    mk(&l, T0 + 5 * SEC, AG_EV_AUTH_FAILURE, &a, "w");
    l.ev.user = (struct ag_span){(uint16_t)(l.ev.line_len - 1), 200};
    l.ev.host = (struct ag_span){60000, 10};
    ck_assert_int_eq(ag_engine_feed(e, &l.ev), 0);
    ck_assert_uint_eq(cs.last.failures, 3);
    ck_assert_int_eq(ag_engine_feed(e, NULL), -EINVAL);
    ck_assert_int_eq(ag_engine_feed(NULL, &l.ev), -EINVAL);
    ag_engine_free(e);
}
END_TEST

/* ---- many feeders ------------------------------------------------------- */

struct feeder {
    struct ag_engine *e;
    int id;
    uint64_t events;
    _Atomic int *go;
};

#define SOURCES 512

static void *feed_many(void *arg)
{
    struct feeder *f = arg;
    while (!atomic_load(f->go))
        ;
    struct line l;
    for (uint64_t n = 0; n < f->events; n++) {
        struct ag_addr a = v4(0x0b000000u + (uint32_t)((n * 5 + (uint64_t)f->id) % SOURCES));
        enum ag_kind k = (n % 4 == 3) ? AG_EV_PREAUTH_DISCONNECT : AG_EV_AUTH_FAILURE;
        mk(&l, T0 + (int64_t)(n / 64), k, &a, k == AG_EV_AUTH_FAILURE ? "root" : NULL);
        ag_engine_feed(f->e, &l.ev);
    }
    return NULL;
}

static void run_feeders(int threads)
{
    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    small_config(&cfg);
    cfg.finding_queue = 4096;
    struct ag_engine *e = new_engine(&cfg, &c);
    uint64_t events = (uint64_t)(250000 * test_scale());
    if (events < 4000)
        events = 4000;
    pthread_t th[8];
    struct feeder f[8];
    _Atomic int go = 0;
    for (int i = 0; i < threads; i++) {
        f[i] = (struct feeder){e, i, events, &go};
        ck_assert_int_eq(pthread_create(&th[i], NULL, feed_many, &f[i]), 0);
    }
    atomic_store(&go, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    ag_engine_flush(e);

    struct ag_engine_stats st;
    ag_engine_stats(e, &st);
    ck_assert_uint_eq(st.events, events * (uint64_t)threads);
    ck_assert_uint_eq(st.counted, events * (uint64_t)threads);
    /* a key is refused only when its inserter stays preempted past the
     * spin budget: rare even with 8 threads on 2 cores */
    ck_assert_uint_le(st.dropped * 1000, events * (uint64_t)threads);
    ck_assert_uint_eq(atomic_load(&c.events), events * (uint64_t)threads);
    ck_assert_uint_eq(st.table_used, SOURCES + 1); /* sources and "root" */
    /* every source failed "root" far past every threshold: its findings
     * came out once each (Create), not once per feeder */
    pthread_mutex_lock(&c.lock);
    int root_spray = 0;
    for (int i = 0; i < c.n; i++)
        root_spray += c.f[i].rule == AG_RULE_SPRAYING && c.f[i].activity == AG_ACTIVITY_CREATE;
    pthread_mutex_unlock(&c.lock);
    ck_assert_int_eq(root_spray, 1);
    ag_engine_free(e);
    capture_free(&c);
}

START_TEST(two_feeders_exact_totals) { run_feeders(2); }
END_TEST

START_TEST(eight_feeders_exact_totals) { run_feeders(8); }
END_TEST

/* Exact per-key counts after concurrent feeding, read through a success
 * event per source whose callback carries the source's totals. */
struct exact {
    uint32_t failures[SOURCES];
    uint32_t preauth[SOURCES];
    int seen;
};

static void on_exact(void *ud, const struct ag_output *o)
{
    struct exact *x = ud;
    if (o->kind != AG_OUT_EVENT || o->event->kind != AG_EV_AUTH_SUCCESS)
        return;
    uint32_t idx = (uint32_t)o->event->src.b[2] << 8 | o->event->src.b[3];
    if (idx < SOURCES) {
        x->failures[idx] = o->counts->failures;
        x->preauth[idx] = o->counts->preauth;
        x->seen++;
    }
}

START_TEST(concurrent_counts_are_exact_per_source)
{
    struct ag_engine_config cfg;
    small_config(&cfg);
    cfg.finding_queue = 4096;
    struct exact *x = calloc(1, sizeof(*x));
    char err[128];
    struct ag_engine *e = ag_engine_new(&cfg, on_exact, x, err, sizeof(err));
    ck_assert_ptr_nonnull(e);
    const int threads = 4;
    uint64_t events = (uint64_t)(250000 * test_scale());
    if (events < 4000)
        events = 4000;
    pthread_t th[4];
    struct feeder f[4];
    _Atomic int go = 0;
    for (int i = 0; i < threads; i++) {
        f[i] = (struct feeder){e, i, events, &go};
        ck_assert_int_eq(pthread_create(&th[i], NULL, feed_many, &f[i]), 0);
    }
    atomic_store(&go, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    for (uint32_t s = 0; s < SOURCES; s++) {
        struct ag_addr a = v4(0x0b000000u + s);
        struct line l;
        mk(&l, T0 + (int64_t)(events / 64), AG_EV_AUTH_SUCCESS, &a, "root");
        ag_engine_feed(e, &l.ev);
    }
    ck_assert_int_eq(x->seen, SOURCES);
    struct ag_engine_stats st;
    ag_engine_stats(e, &st);
    uint64_t missing = 0;
    for (uint32_t s = 0; s < SOURCES; s++) {
        uint32_t ef = 0, ep = 0;
        for (int i = 0; i < threads; i++)
            for (uint64_t n = 0; n < events; n++)
                if ((n * 5 + (uint64_t)i) % SOURCES == s) {
                    if (n % 4 == 3)
                        ep++;
                    else
                        ef++;
                }
        /* exact, unless the table reported dropping some (never more) */
        ck_assert_msg(x->failures[s] <= ef && x->preauth[s] <= ep,
                      "source %u: %u/%u failures/preauth, expected %u/%u", s,
                      x->failures[s], x->preauth[s], ef, ep);
        missing += (ef - x->failures[s]) + (ep - x->preauth[s]);
        if (st.dropped == 0)
            ck_assert_msg(x->failures[s] == ef, "source %u: %u failures, expected %u", s,
                          x->failures[s], ef);
    }
    ck_assert_uint_le(missing, st.dropped);
    ag_engine_free(e);
    free(x);
}
END_TEST

/* ---- memory bound ------------------------------------------------------- */

static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%lu %lu", &size, &resident), 2);
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

struct flood {
    struct ag_engine *e;
    int id, threads;
    uint64_t sources;
    _Atomic int *go;
};

#define HEAVY 16

/* Flood source i sends one line at T0 + i ms (1000 new sources per second
 * of event time). From 60% of the flood on, when the table is full and
 * evicting, 16 heavy hitters each fail once every 2 s. */
static void *flood_main(void *arg)
{
    struct flood *fl = arg;
    while (!atomic_load(fl->go))
        ;
    struct line l;
    uint64_t heavy_from = fl->sources * 6 / 10;
    for (uint64_t i = (uint64_t)fl->id; i < fl->sources; i += (uint64_t)fl->threads) {
        struct ag_addr a = v4(0x20000000u + (uint32_t)i);
        int64_t t = T0 + (int64_t)i;
        mk(&l, t, (i & 1) ? AG_EV_PREAUTH_DISCONNECT : AG_EV_PAM_FAILURE, &a, NULL);
        ag_engine_feed(fl->e, &l.ev);
        if (i >= heavy_from && i % 2000 < HEAVY) {
            struct ag_addr h = v4(0xc6336400u + (uint32_t)(i % 2000)); /* 198.51.100.x */
            mk(&l, t, AG_EV_AUTH_FAILURE, &h, NULL);
            ag_engine_feed(fl->e, &l.ev);
        }
    }
    return NULL;
}

START_TEST(memory_stays_bounded_and_heavy_hitters_are_found)
{
    double scale = test_scale();
    uint32_t slots = 1u << 20;
    while (slots > 4096 && (double)slots > (1u << 20) * scale * 1.5)
        slots >>= 1;
    uint64_t sources = (uint64_t)(5000000 * scale);
    if (sources < 100000)
        sources = 100000;
    uint64_t rss_before = rss_bytes();

    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    ag_engine_config_defaults(&cfg);
    cfg.table_slots = slots;
    cfg.hash_key[0] = 99;
    cfg.hash_key[1] = 100;
    struct ag_engine *e = new_engine(&cfg, &c);
    size_t bound = ag_engine_memory(e);

    const int threads = 2;
    pthread_t th[2];
    struct flood fl[2];
    _Atomic int go = 0;
    for (int i = 0; i < threads; i++) {
        fl[i] = (struct flood){e, i, threads, sources, &go};
        ck_assert_int_eq(pthread_create(&th[i], NULL, flood_main, &fl[i]), 0);
    }
    atomic_store(&go, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    ag_engine_flush(e);

    uint64_t rss = rss_bytes();
    struct ag_engine_stats st;
    ag_engine_stats(e, &st);
    ck_assert_uint_eq(st.memory_bytes, bound);
    ck_assert_uint_le(st.table_used, slots);
    ck_assert_uint_gt(st.evictions, sources / 2);
    const uint64_t slack = 64ull << 20;
#if defined(AG_TSAN)
    /* ThreadSanitizer shadows each application byte with several more and
     * keeps metadata for every atomic it has seen. */
    ck_assert_uint_le(rss - rss_before, (uint64_t)bound * 8 + slack);
#elif defined(AG_ASAN)
    ck_assert_uint_le(rss - rss_before, (uint64_t)bound * 9 / 8 + slack);
#else
    ck_assert_msg(rss <= bound + slack, "RSS %llu MiB > bound %llu MiB + 64 MiB",
                  (unsigned long long)(rss >> 20), (unsigned long long)(bound >> 20));
    (void)rss_before;
#endif
    fprintf(stderr, "# memory: %u slots, %llu sources, bound %.1f MiB, RSS %.1f MiB, "
                    "evictions %llu, dropped %llu\n",
            slots, (unsigned long long)sources, bound / 1048576.0, rss / 1048576.0,
            (unsigned long long)st.evictions, (unsigned long long)st.dropped);

    int found[HEAVY] = {0};
    pthread_mutex_lock(&c.lock);
    for (int i = 0; i < c.n; i++) {
        if (c.f[i].rule != AG_RULE_BRUTEFORCE || c.f[i].activity != AG_ACTIVITY_CREATE)
            continue;
        unsigned a, b, x, y;
        if (sscanf(c.f[i].key, "%u.%u.%u.%u", &a, &b, &x, &y) == 4 && a == 198 && b == 51 &&
            x == 100 && y < HEAVY)
            found[y]++;
    }
    pthread_mutex_unlock(&c.lock);
    for (int i = 0; i < HEAVY; i++)
        ck_assert_msg(found[i] == 1, "heavy hitter 198.51.100.%d: %d bruteforce Creates", i,
                      found[i]);
    ag_engine_free(e);
    capture_free(&c);
}
END_TEST

/* How much resident memory creating an engine adds, and its bound. */
static void rss_of_new_engine(int prefault, uint64_t *grew, uint64_t *bound)
{
    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    ag_engine_config_defaults(&cfg);
    cfg.table_slots = 1u << 18;  /* 32 MiB of slots */
    cfg.prefault = prefault;
    uint64_t before = rss_bytes();
    struct ag_engine *e = new_engine(&cfg, &c);
    *grew = rss_bytes() - before;
    *bound = ag_engine_memory(e);
    ag_engine_free(e);
    capture_free(&c);
}

START_TEST(prefault_makes_the_bound_resident_at_start)
{
    uint64_t grew_on, bound_on, grew_off, bound_off;
    rss_of_new_engine(1, &grew_on, &bound_on);
    rss_of_new_engine(0, &grew_off, &bound_off);
    ck_assert_uint_eq(bound_on, bound_off);
    ck_assert_msg(grew_on >= bound_on * 9 / 10, "prefault: RSS grew %llu KiB of a %llu KiB bound",
                  (unsigned long long)(grew_on >> 10), (unsigned long long)(bound_on >> 10));
    ck_assert_msg(grew_off < bound_off / 4, "no prefault: RSS grew %llu KiB of %llu KiB",
                  (unsigned long long)(grew_off >> 10), (unsigned long long)(bound_off >> 10));
}
END_TEST

START_TEST(free_with_findings_pending_delivers_them)
{
    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    small_config(&cfg);
    struct ag_engine *e = new_engine(&cfg, &c);
    for (uint32_t s = 0; s < 20; s++) {
        struct ag_addr a = v4(0xc0a80000u + s);
        for (int i = 0; i < 6; i++) {
            struct line l;
            mk(&l, T0 + i * SEC, AG_EV_AUTH_FAILURE, &a, "root");
            ag_engine_feed(e, &l.ev);
        }
    }
    ag_engine_free(e); /* no flush: free drains */
    ck_assert_int_ge(c.n, 20);
    capture_free(&c);
}
END_TEST

START_TEST(tick_expires_idle_keys_on_event_time)
{
    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    small_config(&cfg);
    cfg.table_slots = 1024;
    cfg.ticker_thread = 0;
    cfg.idle_ttl_s = 3600;
    struct ag_engine *e = new_engine(&cfg, &c);
    for (uint32_t s = 0; s < 100; s++) {
        struct ag_addr a = v4(0x0a000000u + s);
        struct line l;
        mk(&l, T0, AG_EV_NO_IDENT, &a, NULL);
        ag_engine_feed(e, &l.ev);
    }
    struct ag_engine_stats st;
    ag_engine_stats(e, &st);
    ck_assert_uint_eq(st.table_used, 100);
    struct ag_addr late = v4(0x0b000001);
    struct line l;
    mk(&l, T0 + 2 * 3600 * SEC, AG_EV_NO_IDENT, &late, NULL);
    ag_engine_feed(e, &l.ev);
    ag_engine_tick(e); /* 1024 slots: one tick covers the table */
    ag_engine_stats(e, &st);
    ck_assert_uint_eq(st.expired, 100);
    ck_assert_uint_eq(st.table_used, 1);
    ck_assert_int_eq(st.max_event_ms, T0 + 2 * 3600 * SEC);
    ag_engine_free(e);
    capture_free(&c);
}
END_TEST

/* A botnet's thin spread of failures (a new source at a new user, every
 * time) floods the distinct-pair table. That must not make one source's
 * repeats of one name look like distinct names, nor hide a real
 * enumeration or spraying among the noise. */
static int count_rule(struct capture *c, const char *rule, const char *key)
{
    int n = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->f[i].rule_name, rule) == 0 && (key == NULL || strcmp(c->f[i].key, key) == 0))
            n++;
    pthread_mutex_unlock(&c->lock);
    return n;
}

START_TEST(botnet_noise_makes_no_distinct_values)
{
    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    small_config(&cfg);
    cfg.pair_slots = 1024; /* the smallest: the noise overflows it many times */
    struct ag_engine *e = new_engine(&cfg, &c);
    struct ag_addr repeat = v4(0xc6336401);   /* 198.51.100.1: one name, six times */
    struct ag_addr enumer = v4(0xc6336402);   /* 198.51.100.2: six names */
    uint32_t bot = 0x0b000000;
    for (int round = 0; round < 6; round++) {
        int64_t t = T0 + round * 100 * SEC;
        struct line l;
        char name[32];
        mk(&l, t, AG_EV_INVALID_USER, &repeat, "ghost");
        ag_engine_feed(e, &l.ev);
        snprintf(name, sizeof(name), "enum%d", round);
        mk(&l, t, AG_EV_INVALID_USER, &enumer, name);
        ag_engine_feed(e, &l.ev);
        for (int k = 0; k < 5; k++) {
            struct ag_addr sprayer = v4(0xcb007100u + (uint32_t)(round * 5 + k));
            mk(&l, t + SEC, AG_EV_AUTH_FAILURE, &sprayer, "deploy");
            ag_engine_feed(e, &l.ev);
        }
        /* Then the noise, in the next buckets: the pairs noted above are
         * the oldest of their groups. */
        for (int k = 0; k < 1500; k++) {
            struct ag_addr a = v4(++bot);
            snprintf(name, sizeof(name), "u%u", bot);
            mk(&l, t + 50 * SEC + k * 30, AG_EV_INVALID_USER, &a, name);
            ag_engine_feed(e, &l.ev);
        }
    }
    ag_engine_flush(e);
    ck_assert_int_eq(count_rule(&c, "enumeration", "198.51.100.1"), 0);
    ck_assert_int_eq(count_rule(&c, "enumeration", "198.51.100.2"), 1);
    ck_assert_int_eq(count_rule(&c, "enumeration", NULL), 1);
    ck_assert_int_eq(count_rule(&c, "spraying", "deploy"), 1);
    ck_assert_int_eq(count_rule(&c, "spraying", NULL), 1);
    struct ag_engine_stats st;
    ag_engine_stats(e, &st);
    ck_assert_uint_eq(st.dropped, 0);
    ag_engine_free(e);
    capture_free(&c);
}
END_TEST

/* A replay sweeps its table in slices per minute of event time, once it is
 * an eighth full: keys idle past the ttl still expire within a pass, and
 * none before. */
START_TEST(replay_expires_idle_keys_once_the_table_fills)
{
    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    small_config(&cfg);
    cfg.table_slots = 1u << 17;
    cfg.synchronous = 1;
    struct ag_engine *e = new_engine(&cfg, &c);
    const uint32_t keys = (1u << 17) / 8 + 100; /* enough to be swept */
    struct line l;
    for (uint32_t i = 0; i < keys; i++) {
        struct ag_addr a = v4(0x0a000000u + i);
        mk(&l, T0, AG_EV_NO_IDENT, &a, NULL);
        ag_engine_feed(e, &l.ev);
    }
    /* One other source keeps the clock going, a line a minute. */
    const int64_t ttl = (6 * 3600 + 600) * SEC;
    struct ag_addr clock = v4(0xc0000201);
    struct ag_engine_stats st;
    int64_t t = T0;
    for (; t < T0 + ttl - 60 * SEC; t += 60 * SEC) {
        mk(&l, t, AG_EV_NO_IDENT, &clock, NULL);
        ag_engine_feed(e, &l.ev);
    }
    ag_engine_stats(e, &st);
    ck_assert_uint_eq(st.expired, 0);
    for (; t < T0 + ttl + ttl / 2; t += 60 * SEC) {
        mk(&l, t, AG_EV_NO_IDENT, &clock, NULL);
        ag_engine_feed(e, &l.ev);
    }
    /* Swept back under an eighth full, where a replay stops sweeping. */
    ag_engine_stats(e, &st);
    ck_assert_uint_ge(st.expired, 100);
    ck_assert_uint_le(st.table_used, (1u << 17) / 8);
    ag_engine_free(e);
    capture_free(&c);
}
END_TEST

/* The finding worker and the ticker take none of the host's signals. */
START_TEST(threads_take_no_host_signal)
{
    struct capture c;
    capture_init(&c);
    struct ag_engine_config cfg;
    small_config(&cfg);
    cfg.ticker_thread = 1;
    struct ag_engine *e = new_engine(&cfg, &c);
    ck_assert_int_eq(tc_check_thread_signals("ag-findings"), 1);
    ck_assert_int_eq(tc_check_thread_signals("ag-ticker"), 1);
    ag_engine_free(e);
    capture_free(&c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, worker_delivers_findings_with_context_after_flush);
    tcase_add_test(tc, every_event_carries_its_source_counts);
    tcase_add_test(tc, two_feeders_exact_totals);
    tcase_add_test(tc, eight_feeders_exact_totals);
    tcase_add_test(tc, concurrent_counts_are_exact_per_source);
    tcase_add_test(tc, memory_stays_bounded_and_heavy_hitters_are_found);
    tcase_add_test(tc, prefault_makes_the_bound_resident_at_start);
    tcase_add_test(tc, free_with_findings_pending_delivers_them);
    tcase_add_test(tc, tick_expires_idle_keys_on_event_time);
    tcase_add_test(tc, threads_take_no_host_signal);
    tcase_add_test(tc, botnet_noise_makes_no_distinct_values);
    tcase_add_test(tc, replay_expires_idle_keys_once_the_table_fills);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
