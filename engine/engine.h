/* engine.h - the detection engine: events in, findings out.
 *
 * Many threads call ag_engine_feed() at once; it counts the event in a
 * lock-free table, evaluates the rules and hands results to one output
 * callback. The engine knows no sink, allocates only in ag_engine_new(), and
 * keeps all its state in struct ag_engine (no globals). */
#ifndef AG_ENGINE_H
#define AG_ENGINE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "filters/addr.h"
#include "filters/event.h"
#include "engine/finding.h"

struct ag_engine;

/* One rule's settings. Windows are counted in buckets of a third of the
 * window, so a window of W seconds counts every event of the last W seconds
 * and at most W/3 seconds more (never fewer). */
struct ag_rule_config {
    int enabled;            /* 0 disables the rule */
    uint32_t threshold;     /* trips when the windowed value reaches this; 1..4095 */
    uint32_t window_s;      /* 10 s .. 12 h (AG_ENGINE_WINDOW_MIN_S/MAX_S) */
    uint32_t cooldown_s;    /* between a Create and its Updates; 0 .. 7 days */
    uint8_t severity;       /* enum ag_severity, 1..6 */
};

#define AG_ENGINE_WINDOW_MIN_S 10
#define AG_ENGINE_WINDOW_MAX_S (12u * 3600u)
#define AG_ENGINE_COOLDOWN_MAX_S (7u * 86400u)
#define AG_ENGINE_THRESHOLD_MAX 4095

struct ag_engine_config {
    /* Counter table: slots is a power of two (default 1,048,576), allocated
     * once; a key is looked for in probe consecutive slots (default 16). */
    uint32_t table_slots;
    uint32_t probe;
    /* A key idle for less than this is never evicted to make room for
     * another (default 10 s of event time); the ticker drops keys idle for
     * longer than idle_ttl_s (default: longest enabled window + 10 min). */
    uint32_t evict_idle_s;
    uint32_t idle_ttl_s;
    /* Distinct-pair table for the enumeration and spraying counts
     * (default: table_slots entries of 8 bytes). */
    uint32_t pair_slots;
    /* Open findings (rule + key) tracked for cooldown (default 65536). */
    uint32_t open_findings;
    /* Finding requests waiting for the worker (default 1024). */
    uint32_t finding_queue;
    /* Recent events kept for context, per ring stripe x stripes (default
     * 2048 x 16 = 32768 events of ~800 bytes). */
    uint32_t recent_per_stripe;

    /* 1: no threads at all; findings are assembled and emitted inside
     * ag_engine_feed() in feed order, and the ticker runs on event time
     * from feed (deterministic replay). 0: a finding worker thread. */
    int synchronous;
    /* 1: a 1 Hz ticker thread (ignored when synchronous). 0: the host calls
     * ag_engine_tick() itself, or never (eviction on insert still works). */
    int ticker_thread;
    /* 1: per-source rules also run on the IPv6 /64 prefix (default 1). */
    int ipv6_prefix64;
    /* 1: the big tables are faulted in by ag_engine_new(), so the engine's
     * whole memory bound is resident from the start and no event waits for
     * the kernel to zero a page; what a daemon wants. 0: pages come as they
     * are first touched; what a one-shot scan of a small file wants. -1
     * (the default, "auto"): as 0, unless the host makes it 1 first
     * (ag_config_for_daemon()). */
    int prefault;

    struct ag_rule_config rules[AG_RULE_COUNT];

    /* Sources inside these never raise per-source findings (copied at
     * ag_engine_new; at most AG_ENGINE_ALLOWLIST_MAX entries). */
    const struct ag_cidr *allowlist;
    size_t n_allowlist;

    /* Key of the table's keyed hash. All zero (the default): drawn at random
     * in ag_engine_new(), so nobody outside can aim keys at one probe window. */
    uint64_t hash_key[2];
};

#define AG_ENGINE_ALLOWLIST_MAX 4096

/* Fills cfg with the defaults documented above and in the rule table:
 * bruteforce 6/60 s, slow_bruteforce 20/6 h, enumeration 5/10 min,
 * spraying 20/10 min, compromise 5/30 min (critical), scan 10/5 min,
 * regresshion 3/180 s, privilege 3/10 min; cooldown 15 min. */
void ag_engine_config_defaults(struct ag_engine_config *cfg);

/* Checks cfg; 0, or -EINVAL with a message naming the setting in err. */
int ag_engine_config_check(const struct ag_engine_config *cfg, char *err, size_t errlen);

/* Changes the rules of a running engine, keeping every counter: enabled,
 * threshold and severity take effect for the next event. Windows and
 * cooldowns shape the counters and the open findings, so a change to
 * them is kept for the next start: returns how many rules had one (0:
 * everything applied; err names the first), or -EINVAL for a bad rule
 * (nothing applied). The hot path reads rules without a lock: call it
 * only while no thread is inside ag_engine_feed(). */
int ag_engine_set_rules(struct ag_engine *eng, const struct ag_rule_config *rules,
                        char *err, size_t errlen);

/* What the output callback receives. */
enum ag_output_kind {
    AG_OUT_EVENT = 1,    /* every fed event, from the feeding thread, inside feed */
    AG_OUT_FINDING = 2   /* a Create or Update, from the finding worker (or from
                            feed in synchronous mode) */
};

struct ag_output {
    uint8_t kind;                     /* enum ag_output_kind */
    /* AG_OUT_EVENT: the event as fed (valid during the call only) and the
     * counts of its source at that moment (of its user when it has no
     * source; key_kind AG_KEY_NONE when nothing was counted). */
    const struct ag_event *event;
    const struct ag_counts *counts;
    /* AG_OUT_FINDING: valid during the call only; the callee may fill the
     * summary fields. Copy with ag_finding_dup() to keep it. */
    struct ag_finding *finding;
};

/* Must be thread-safe: events arrive from every feeding thread at once. */
typedef void (*ag_engine_output_fn)(void *userdata, const struct ag_output *out);

/* Creates an engine; NULL with a message in err on a bad config or when
 * memory or a thread cannot be had. cfg may be NULL for the defaults. */
struct ag_engine *ag_engine_new(const struct ag_engine_config *cfg,
                                ag_engine_output_fn out, void *userdata,
                                char *err, size_t errlen);

/* Counts one event, evaluates the rules, emits the event (and, in
 * synchronous mode, any finding). Safe from many threads at once; never
 * blocks, allocates or makes a system call. ev is read only during the call.
 * Returns 0, or -EINVAL for a NULL argument. */
int ag_engine_feed(struct ag_engine *eng, const struct ag_event *ev);

/* Waits until every finding requested before the call has been handed to
 * the output callback. Call from a thread that is not the callback. */
void ag_engine_flush(struct ag_engine *eng);

/* Ages and evicts idle keys on event time (the newest event time fed) and
 * refreshes the occupancy figure. Cheap; covers the table in slices, so call
 * it about once a second (the ticker thread does). */
void ag_engine_tick(struct ag_engine *eng);

struct ag_engine_stats {
    uint64_t events;             /* fed */
    uint64_t counted;            /* fed and aggregated into at least one key */
    uint64_t late;               /* older than the longest window: not aggregated */
    uint64_t dropped;            /* no room for a key in its probe window */
    uint64_t evictions;          /* keys evicted to make room */
    uint64_t expired;            /* keys removed by the ticker after idle_ttl_s */
    uint64_t findings;           /* Creates and Updates emitted */
    uint64_t findings_dropped;   /* finding queue or open-finding table full */
    uint64_t suppressed;         /* trips absorbed by a cooldown */
    uint64_t table_used;         /* live keys */
    uint64_t table_slots;
    uint64_t memory_bytes;       /* everything the engine allocated; never grows */
    int64_t max_event_ms;        /* newest event time seen (within a second) */
};

/* A snapshot of the metrics; safe from any thread. */
void ag_engine_stats(const struct ag_engine *eng, struct ag_engine_stats *st);

/* Bytes the engine allocated at creation: the bound its memory never exceeds. */
size_t ag_engine_memory(const struct ag_engine *eng);

/* Flushes, stops the threads and frees everything. NULL is fine. */
void ag_engine_free(struct ag_engine *eng);

/* Starts one of authguard's own threads (the engine's, a sink's), named
 * name for top -H (unless detached) and with every signal blocked but
 * SIGPIPE: a host that waits for SIGHUP or SIGTERM in a read() or a
 * poll() - rsyslog's program, fluent-bit, `authguard run` - must be the
 * thread that gets them, not one of ours that happened to be running.
 * SIGPIPE stays as the host set it: it goes to the thread that wrote to a
 * closed pipe, and `authguard scan | head` should end there. Returns
 * pthread_create's. */
int ag_thread_start(pthread_t *t, const pthread_attr_t *attr, const char *name,
                    void *(*fn)(void *), void *arg);

#endif
