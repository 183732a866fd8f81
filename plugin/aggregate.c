/* aggregate.c - `authguard aggregate`: fleet-wide counts on Kafka consumer
 * groups. Stage "source" consumes the events topic (keyed by source) into
 * an engine running the per-source fleet rules and re-keys failures by user
 * into the repartition topic; stage "user" consumes that into an engine
 * running the per-user rules. Each key is owned by one consumer at a time. */
#include "plugin/aggregate.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "filters/jsonscan.h"
#include "filters/recognize.h"
#include "plugin/config.h"
#include "plugin/pipeline.h"
#include "sinks/kafka.h"
#include "sinks/outbox.h"

#define SEC "aggregate"
#define MAX_PARTITIONS (1 << 20) /* bookkeeping grows to the highest partition assigned */
#define NAME_MAX_LEN 250      /* Kafka's own limit on topic and group names */
#define POLL_BATCH 2000       /* messages taken from one stage before the other's turn */
#define IDLE_WAIT_MS 10       /* how long an idle loop waits for the source stage */
#define TXN_INIT_MS 30000     /* init_transactions: long enough for a first __transaction_state */
#define TXN_CALL_MS 10000     /* send offsets, commit, abort: each try */
#define TXN_TRIES 24          /* tries of a retriable call: 4 min, under max.poll.interval.ms */
#define OUTBOX_MAX 10000      /* findings waiting for the next transaction */

/* The documented exception to "no global mutable state": the signal flag. */
static volatile sig_atomic_t agg_stop;

static void on_stop(int sig)
{
    (void)sig;
    agg_stop = 1;
}

enum bad_kind { BAD_OVERSIZED = 0, BAD_JSON, BAD_SCHEMA, BAD_KINDS };
static const char *const bad_names[BAD_KINDS] = {"oversized", "not JSON", "wrong schema"};

enum txn_mode { TXN_AUTO = 0, TXN_ON, TXN_OFF };

struct settings {
    const char *brokers, *group, *topic_events, *topic_findings, *topic_repartition;
    const char *instance_id;          /* in the transactional.id; host-pid by default */
    uint64_t max_message, fleet_threshold, spray_threshold, table_slots;
    int64_t fleet_window_ms, spray_window_ms, commit_ms, session_ms, txn_timeout_ms;
    int transactions;                 /* enum txn_mode */
    char default_id[96];
};

struct agg;

/* What a stage keeps per partition of its topic; -1: nothing. */
struct part_state {
    int64_t warm_until;               /* offsets below are replayed quietly */
    int64_t next;                     /* next offset to commit */
    int64_t rewind;                   /* first offset handled in the open transaction */
};

struct stage {
    const char *name;                 /* "source" or "user" */
    struct agg *a;
    char group[NAME_MAX_LEN + 16];
    const char *topic;
    rd_kafka_t *rk;
    struct ag_config cfg;             /* the file's, with this stage's rules */
    struct ag_pipeline *pipe;
    struct ag_sink *kafka;            /* the findings topic; owned by pipe; NULL with txp */
    rd_kafka_t *txp;                  /* transactional producer; NULL: at least once */
    struct ag_sink *outbox;           /* findings waiting for txp; owned by pipe */
    struct ag_outbox_msg *in_txn;     /* findings produced in the open transaction */
    int txn_open, txn_broken;         /* broken: a produce failed, so it must abort */
    uint64_t txn_commits, txn_aborts;
    struct ag_parser *parser;
    json_tokener *tok;
    char *line;                       /* raw_data, decoded: AG_LINE_MAX bytes */
    char *scratch;                    /* the fast path's decoded strings: max_message bytes */
    struct part_state *part;          /* by partition number, n_part of them */
    int32_t n_part;
    uint64_t messages, events, replayed, repartitioned, bad[BAD_KINDS];
    int bad_logged[BAD_KINDS];
};

struct agg {
    struct settings st;
    struct ag_config base;
    struct ag_conf *sink_conf;        /* the generated [sink.kafka] of the findings */
    rd_kafka_t *producer;             /* the repartition topic, at least once (no txp) */
    struct stage src, usr;
    int64_t replay_ms;                /* the longest window, plus a bucket */
    uint64_t produce_failed;
    int64_t idle_exit_ms;             /* --idle-exit: leave after this long without input */
    int64_t first_ms, last_ms;        /* monotonic times of the first and last message */
    int fatal;                        /* a transactional producer broke: leave, non-zero */
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- settings ------------------------------------------------------------ */

static int name_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", v[i]))
            return 0;
    return 1;
}

static int load_names(const struct ag_conf *c, struct settings *s, char *err, size_t errlen)
{
    struct { const char *key; const char **out; } names[] = {
        {"group_id", &s->group}, {"topic_events", &s->topic_events},
        {"topic_findings", &s->topic_findings}, {"topic_repartition", &s->topic_repartition}};
    if (!s->brokers || !*s->brokers) {
        snprintf(err, errlen, "%s: [aggregate] brokers: required (host:port[,host:port...])",
                 ag_conf_path(c));
        return -1;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!name_ok(*names[i].out)) {
            snprintf(err, errlen, "%s: [aggregate] %s: expected a topic or group name "
                     "(letters, digits, '.', '_', '-'), got '%s'", ag_conf_path(c),
                     names[i].key, *names[i].out);
            return -1;
        }
    }
    return 0;
}

/* transactions, instance_id, transaction_timeout. A configured instance id
 * makes each aggregator's transactional.id its own and stable across
 * restarts, so a restarted aggregator fences its previous life and aborts
 * what that left open. Without one, host name and process id: never shared
 * by two aggregators running at once (two under one id would fence each
 * other in turn), at the price of a dead one's open transaction waiting for
 * transaction_timeout. */
static int load_txn(const struct ag_conf *c, struct settings *s, char *err, size_t errlen)
{
    if (s->instance_id && *s->instance_id) {
        if (name_ok(s->instance_id) && strlen(s->instance_id) <= 64)
            return 0;
        snprintf(err, errlen, "%s: [aggregate] instance_id: expected up to 64 letters, digits, "
                 "'.', '_', '-', got '%s'", ag_conf_path(c), s->instance_id);
        return -1;
    }
    char host[65] = "";
    if (gethostname(host, sizeof host - 1) < 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    snprintf(s->default_id, sizeof s->default_id, "%s-%ld", host, (long)getpid());
    s->instance_id = s->default_id;
    return 0;
}

#define AGG_FIELD(m) AG_CONF_FIELD(struct settings, m)
#define AGG_WINDOW AG_ENGINE_WINDOW_MIN_S * 1000ULL, AG_ENGINE_WINDOW_MAX_S * 1000ULL
static const char *const txn_modes[] = {"auto", "on", "off", NULL}; /* enum txn_mode */
static const struct ag_conf_key aggregate_keys[] = {
    {"brokers", AG_CONF_LIST, AGG_FIELD(brokers),
     .help = "Bootstrap brokers, required: host:port[,host:port...]."},
    {"group_id", AG_CONF_STRING, AGG_FIELD(group), .def = "authguard-aggregate",
     .help = "The consumer group; each stage adds its name."},
    {"topic_events", AG_CONF_STRING, AGG_FIELD(topic_events), .def = "authguard.events",
     .help = "The hosts' events topic."},
    {"topic_repartition", AG_CONF_STRING, AGG_FIELD(topic_repartition),
     .def = "authguard.events-by-user", .help = "The events re-keyed by user."},
    {"topic_findings", AG_CONF_STRING, AGG_FIELD(topic_findings),
     .def = "authguard.fleet-findings", .help = "Where the fleet findings go."},
    {"fleet_source_threshold", AG_CONF_UINT, AGG_FIELD(fleet_threshold), 1,
     AG_ENGINE_THRESHOLD_MAX, .def = "20",
     .help = "One source failing on this many distinct hosts within the window."},
    {"fleet_source_window", AG_CONF_DURATION, AGG_FIELD(fleet_window_ms), AGG_WINDOW,
     .def = "1h", .help = "The window of fleet_source."},
    {"spraying_threshold", AG_CONF_UINT, AGG_FIELD(spray_threshold), 1,
     AG_ENGINE_THRESHOLD_MAX, .def = "50",
     .help = "One user failing from this many distinct sources within the window."},
    {"spraying_window", AG_CONF_DURATION, AGG_FIELD(spray_window_ms), AGG_WINDOW,
     .def = "10m", .help = "The window of fleet spraying."},
    {"table_slots", AG_CONF_UINT, AGG_FIELD(table_slots), 1024, 1u << 30, .def = "262144",
     .help = "Counter table slots of each stage (a power of two; 128 bytes a slot)."},
    {"max_message", AG_CONF_UINT, AGG_FIELD(max_message), 1024, 1u << 20, .def = "65536",
     .help = "Larger messages are skipped and counted."},
    {"commit_interval", AG_CONF_DURATION, AGG_FIELD(commit_ms), 100, 60000, .def = "1s",
     .help = "Offsets are committed this often, after what they produced is delivered."},
    {"session_timeout", AG_CONF_DURATION, AGG_FIELD(session_ms), 6000, 300000, .def = "10s",
     .help = "A member silent this long leaves the group."},
    {"transactions", AG_CONF_ENUM, AGG_FIELD(transactions), .choices = txn_modes,
     .def = "auto", .help = "Exactly once with Kafka transactions: auto, on or off."},
    {"instance_id", AG_CONF_STRING, AGG_FIELD(instance_id),
     .help = "Part of each stage's transactional.id; default: host name and process id."},
    {"transaction_timeout", AG_CONF_DURATION, AGG_FIELD(txn_timeout_ms), 1000, 900000,
     .def = "1m", .help = "A transaction open this long is aborted by the broker."},
    {.name = NULL}};

const struct ag_conf_section ag_aggregate_section = {
    SEC, "`authguard aggregate`, the fleet tier: a Kafka consumer group on the events.",
    aggregate_keys};

static int load_settings(const struct ag_conf *c, struct settings *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (ag_conf_read(c, SEC, aggregate_keys, s, err, errlen) < 0 ||
        load_names(c, s, err, errlen) < 0 || load_txn(c, s, err, errlen) < 0)
        return -1;
    if (s->table_slots & (s->table_slots - 1)) {
        snprintf(err, errlen, "%s: [aggregate] table_slots: expected a power of two, got %" PRIu64,
                 ag_conf_path(c), s->table_slots);
        return -1;
    }
    return ag_conf_check_unused(c, SEC, err, errlen);
}

int ag_aggregate_check_config(const struct ag_conf *c, char *err, size_t errlen)
{
    struct settings s;
    if (!ag_conf_has_section(c, SEC))
        return 0;
    return load_settings(c, &s, err, errlen);
}

/* The file's engine settings with only this stage's fleet rule on. */
static void stage_rules(struct agg *a, struct stage *sg, enum ag_rule rule, uint64_t threshold,
                        int64_t window_ms)
{
    sg->cfg = a->base;
    struct ag_engine_config *ec = &sg->cfg.engine;
    ec->table_slots = (uint32_t)a->st.table_slots;
    ec->pair_slots = 0;
    for (int r = 0; r < AG_RULE_COUNT; r++)
        ec->rules[r].enabled = 0;
    ec->rules[rule].enabled = 1;
    ec->rules[rule].threshold = (uint32_t)threshold;
    ec->rules[rule].window_s = (uint32_t)(window_ms / 1000);
}

/* ---- Kafka clients ------------------------------------------------------- */

static int set(rd_kafka_conf_t *kc, const char *k, const char *v, char *err, size_t errlen)
{
    char why[256];
    if (rd_kafka_conf_set(kc, k, v, why, sizeof why) == RD_KAFKA_CONF_OK)
        return 0;
    snprintf(err, errlen, "librdkafka %.64s = %.128s: %.200s", k, v, why);
    return -1;
}

static void commit_stage(struct stage *sg, int leaving);

static void parts_clear(struct stage *sg)
{
    for (int32_t i = 0; i < sg->n_part; i++)
        sg->part[i].warm_until = sg->part[i].next = sg->part[i].rewind = -1;
}

/* Room for partition n (the table grows in powers of two, up to
 * MAX_PARTITIONS); -1 when n is out of range or memory is short, and the
 * partition is then consumed without replay or commits, as said once. */
static int parts_reserve(struct stage *sg, int32_t n)
{
    if (n >= 0 && n < sg->n_part)
        return 0;
    int32_t want = sg->n_part ? sg->n_part : 64;
    while (want <= n && want < MAX_PARTITIONS)
        want *= 2;
    struct part_state *p = n >= 0 && n < want ? realloc(sg->part, sizeof(*p) * (size_t)want) : NULL;
    if (!p) {
        fprintf(stderr, "aggregate: %s: partition %d: no bookkeeping for it (neither replayed "
                "nor committed)\n", sg->name, (int)n);
        return -1;
    }
    for (int32_t i = sg->n_part; i < want; i++)
        p[i].warm_until = p[i].next = p[i].rewind = -1;
    sg->part = p;
    sg->n_part = want;
    return 0;
}

/* Where a newly assigned partition starts: at its committed offset, after
 * a quiet replay from the longest window back (offsets for times), so the
 * windows of its keys are whole again; at the beginning if nothing was
 * ever committed there. */
static void plan_replay(struct stage *sg, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_t *rk = sg->rk;
    /* With transactions, a member that died inside one left its offsets
     * pending: the broker answers once that transaction is aborted (by a
     * restart of that member, or its timeout); waiting beats starting over,
     * within max.poll.interval.ms (5 min) of this member. */
    int64_t wait_ms = sg->txp ? sg->a->st.txn_timeout_ms + 10000 : 10000;
    if (wait_ms > 240000)
        wait_ms = 240000;
    rd_kafka_resp_err_t ce = rd_kafka_committed(rk, parts, (int)wait_ms);
    if (ce != RD_KAFKA_RESP_ERR_NO_ERROR)
        fprintf(stderr, "aggregate: %s: committed offsets: %s\n", sg->name, rd_kafka_err2str(ce));
    rd_kafka_topic_partition_list_t *back = rd_kafka_topic_partition_list_copy(parts);
    for (int i = 0; i < back->cnt; i++)
        back->elems[i].offset = wall_ms() - sg->a->replay_ms;
    if (rd_kafka_offsets_for_times(rk, back, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = 0; i < back->cnt; i++)
            back->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int32_t n = p->partition;
        int64_t committed = p->offset, from = back->elems[i].offset;
        int tracked = parts_reserve(sg, n) == 0;
        if (tracked)
            sg->part[n].warm_until = sg->part[n].next = sg->part[n].rewind = -1;
        if (committed < 0) {
            p->offset = RD_KAFKA_OFFSET_BEGINNING;
            continue;
        }
        if (from == RD_KAFKA_OFFSET_BEGINNING)
            from = 0;
        if (from >= 0 && from < committed && tracked) {
            p->offset = from;
            sg->part[n].warm_until = committed;
        }
        fprintf(stderr, "aggregate: %s: %s[%d] from offset %" PRId64 ", replaying up to %" PRId64
                "\n", sg->name, p->topic, n, p->offset, committed);
    }
    rd_kafka_topic_partition_list_destroy(back);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct stage *sg = opaque;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        char list[256];
        size_t used = 0;
        list[0] = '\0';
        for (int i = 0; i < parts->cnt && used < sizeof list - 16; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, " %d",
                                     (int)parts->elems[i].partition);
        plan_replay(sg, parts);
        rd_kafka_assign(rk, parts);
        fprintf(stderr, "aggregate: %s: %d partitions assigned:%s\n", sg->name, parts->cnt,
                list);
    } else {
        commit_stage(sg, 1);
        rd_kafka_assign(rk, NULL);
        parts_clear(sg);
        fprintf(stderr, "aggregate: %s: %d partitions revoked\n", sg->name, parts->cnt);
    }
}

static rd_kafka_t *new_consumer(struct stage *sg, char *err, size_t errlen)
{
    const struct settings *s = &sg->a->st;
    char why[512], session[32];
    snprintf(session, sizeof session, "%" PRId64, s->session_ms);
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (set(kc, "bootstrap.servers", s->brokers, err, errlen) < 0 ||
        set(kc, "group.id", sg->group, err, errlen) < 0 ||
        set(kc, "enable.auto.commit", "false", err, errlen) < 0 ||
        set(kc, "auto.offset.reset", "earliest", err, errlen) < 0 ||
        set(kc, "session.timeout.ms", session, err, errlen) < 0 ||
        set(kc, "heartbeat.interval.ms", "1000", err, errlen) < 0 ||
        set(kc, "partition.assignment.strategy", "range,roundrobin", err, errlen) < 0 ||
        /* librdkafka's default, said here because the user stage relies on
         * it: re-keyed events of an aborted transaction are never seen. */
        set(kc, "isolation.level", "read_committed", err, errlen) < 0 ||
        /* A consumer whose prefetch queue is over queued.max.messages.kbytes
         * (64 MiB) stops fetching for a whole second (librdkafka before 2.3
         * has no fetch.queue.backoff.ms): smaller fetch answers than the
         * default 50 MiB overshoot the bound less often, and the bound is
         * left at its default, since an 8 MiB one halved the throughput. */
        set(kc, "fetch.max.bytes", "4194304", err, errlen) < 0) {
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(kc, on_rebalance);
    rd_kafka_conf_set_opaque(kc, sg);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, why, sizeof why);
    if (!rk) {
        snprintf(err, errlen, "consumer: %.400s", why);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, sg->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    if (e) {
        snprintf(err, errlen, "subscribe %s: %s", sg->topic, rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

/* The aggregator's producers forward whole OCSF events (1.3 KB of JSON
 * each) to the repartition topic: compressed batches cost the broker, which
 * shares the machine in small setups, a fraction of the bytes to write and
 * serve. lz4, because the aggregator pays for compressing every event. */
static int set_batching(rd_kafka_conf_t *kc, char *err, size_t errlen)
{
    if (set(kc, "linger.ms", "10", err, errlen) < 0 ||
        set(kc, "compression.type", "lz4", err, errlen) < 0)
        return -1;
    return 0;
}

static rd_kafka_t *new_producer(const struct settings *s, char *err, size_t errlen)
{
    char why[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (set(kc, "bootstrap.servers", s->brokers, err, errlen) < 0 ||
        set(kc, "enable.idempotence", "true", err, errlen) < 0 ||
        set_batching(kc, err, errlen) < 0) {
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, why, sizeof why);
    if (!rk)
        snprintf(err, errlen, "producer: %.400s", why);
    return rk;
}

/* One stage's transactional producer; its transactional.id is the group's,
 * the stage's and the instance's, so a restart fences the previous life of
 * the same instance. Zombies of other instances are fenced by the consumer
 * group generation sent with the offsets (KIP-447), so the id need not
 * follow partitions. NULL, err set, if init_transactions fails. */
static rd_kafka_t *new_txn_producer(const struct settings *s, const char *stage, char *err,
                                    size_t errlen)
{
    char why[512], id[2 * NAME_MAX_LEN], timeout[32];
    snprintf(id, sizeof id, "%s.%s.%s", s->group, stage, s->instance_id);
    snprintf(timeout, sizeof timeout, "%" PRId64, s->txn_timeout_ms);
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (set(kc, "bootstrap.servers", s->brokers, err, errlen) < 0 ||
        set(kc, "transactional.id", id, err, errlen) < 0 ||
        set(kc, "transaction.timeout.ms", timeout, err, errlen) < 0 ||
        set_batching(kc, err, errlen) < 0) {
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, why, sizeof why);
    if (!rk) {
        snprintf(err, errlen, "producer: %.400s", why);
        return NULL;
    }
    rd_kafka_error_t *e = rd_kafka_init_transactions(rk, TXN_INIT_MS);
    if (!e)
        return rk;
    snprintf(err, errlen, "init_transactions: %.200s (transactional.id %.200s)",
             rd_kafka_error_string(e), id);
    rd_kafka_error_destroy(e);
    rd_kafka_destroy(rk);
    return NULL;
}

/* [aggregate] transactions: both stages transactional, or neither.
 * Returns 1 (transactions), 0 (at least once), -1 (err set). */
static int open_producers(struct agg *a, char *err, size_t errlen)
{
    const struct settings *s = &a->st;
    char why[AG_CONF_ERRLEN] = "";
    if (s->transactions != TXN_OFF &&
        (a->src.txp = new_txn_producer(s, "source", why, sizeof why)) &&
        (a->usr.txp = new_txn_producer(s, "user", why, sizeof why))) {
        fprintf(stderr, "aggregate: transactions on (exactly once): transactional.id "
                "%s.{source,user}.%s, transaction_timeout %" PRId64 " ms\n", s->group,
                s->instance_id, s->txn_timeout_ms);
        return 1;
    }
    if (a->src.txp)
        rd_kafka_destroy(a->src.txp);
    a->src.txp = NULL;
    if (s->transactions == TXN_ON) {
        snprintf(err, errlen, "[aggregate] transactions = on: %.450s", why);
        return -1;
    }
    if (s->transactions == TXN_OFF)
        fprintf(stderr, "aggregate: transactions off (at least once): set so in "
                "[aggregate]\n");
    else
        fprintf(stderr, "aggregate: transactions off (at least once): the brokers did not "
                "take them: %s\n", why);
    a->producer = new_producer(s, err, errlen);
    return a->producer ? 0 : -1;
}

/* ---- transactions -------------------------------------------------------- */

enum txn_op { TXN_SEND_OFFSETS, TXN_COMMIT, TXN_ABORT };

/* One transaction call, tried again while its error says that may work. */
static rd_kafka_error_t *txn_call(struct stage *sg, enum txn_op op,
                                  const rd_kafka_topic_partition_list_t *offsets)
{
    for (int tries = 1;; tries++) {
        rd_kafka_error_t *e;
        if (op == TXN_COMMIT) {
            e = rd_kafka_commit_transaction(sg->txp, TXN_CALL_MS);
        } else if (op == TXN_ABORT) {
            e = rd_kafka_abort_transaction(sg->txp, TXN_CALL_MS);
        } else {
            rd_kafka_consumer_group_metadata_t *g = rd_kafka_consumer_group_metadata(sg->rk);
            e = rd_kafka_send_offsets_to_transaction(sg->txp, offsets, g, TXN_CALL_MS);
            rd_kafka_consumer_group_metadata_destroy(g);
        }
        if (!e || !rd_kafka_error_is_retriable(e) || tries == TXN_TRIES || agg_stop)
            return e;
        rd_kafka_error_destroy(e);
    }
}

/* 0 when e is NULL; else logs it and returns -1. A fatal error (this
 * producer was fenced by a newer one with the same transactional.id, or it
 * broke) ends the process: the next life resumes at the committed offsets. */
static int txn_check(struct stage *sg, const char *what, rd_kafka_error_t *e, int always_fatal)
{
    if (!e)
        return 0;
    int fatal = always_fatal || rd_kafka_error_is_fatal(e);
    fprintf(stderr, "aggregate: %s: transaction %s: %s: %s%s\n", sg->name, what,
            rd_kafka_error_name(e), rd_kafka_error_string(e),
            fatal ? "; fatal, leaving (another aggregator with this instance_id?)" : "");
    if (fatal)
        sg->a->fatal = 1;
    rd_kafka_error_destroy(e);
    return -1;
}

/* Transactions begin when the first output or offset needs one. Begin
 * fails only on a producer in the wrong state, which nothing mends. */
static int txn_begin(struct stage *sg)
{
    if (sg->txn_open)
        return 0;
    if (sg->a->fatal || txn_check(sg, "begin", rd_kafka_begin_transaction(sg->txp), 1) < 0)
        return -1;
    sg->txn_open = 1;
    return 0;
}

/* Into the open transaction; waits while librdkafka's queue is full. */
static rd_kafka_resp_err_t txn_produce(struct stage *sg, const char *topic, const void *key,
                                       size_t klen, const void *val, size_t vlen, int64_t ts)
{
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__STATE;
    if (txn_begin(sg) < 0)
        return e;
    for (int tries = 0; tries < 1000; tries++) {
        e = rd_kafka_producev(sg->txp, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen),
                              RD_KAFKA_V_VALUE((void *)val, vlen),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(sg->txp, 10);
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        sg->txn_broken = 1;
    return e;
}

/* The findings the stage's engine raised (and summarizers' late updates)
 * go into the open transaction; the list stays in_txn until it commits, to
 * go out again if it aborts: the engine does not raise a finding twice. */
static int txn_produce_findings(struct stage *sg)
{
    struct ag_outbox_msg *list = ag_outbox_take(sg->outbox), **end = &sg->in_txn;
    while (*end)
        end = &(*end)->next;
    *end = list;
    for (struct ag_outbox_msg *m = list; m; m = m->next)
        if (txn_produce(sg, sg->a->st.topic_findings, m->key, m->klen, m->value, m->vlen, 0))
            return -1;
    return 0;
}

static int txn_send_offsets(struct stage *sg)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (int32_t i = 0; i < sg->n_part; i++)
        if (sg->part[i].next >= 0)
            rd_kafka_topic_partition_list_add(l, sg->topic, i)->offset = sg->part[i].next;
    int rc = 0;
    if (l->cnt > 0 && txn_begin(sg) == 0)
        rc = txn_check(sg, "send offsets", txn_call(sg, TXN_SEND_OFFSETS, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    return sg->a->fatal ? -1 : rc;
}

/* After an abort the consumer goes back to the first offset of each
 * partition the transaction handled, so those messages are handled again
 * in the next one. Feeding the engine an event twice changes nothing (the
 * fleet rules count distinct values). A failed seek would skip them: the
 * process leaves instead, and its next life resumes at the committed offsets. */
static void txn_rewind(struct stage *sg)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (int32_t i = 0; i < sg->n_part; i++) {
        if (sg->part[i].rewind >= 0)
            rd_kafka_topic_partition_list_add(l, sg->topic, i)->offset = sg->part[i].rewind;
        sg->part[i].rewind = sg->part[i].next = -1;
    }
    if (l->cnt > 0)
        txn_check(sg, "rewind", rd_kafka_seek_partitions(sg->rk, l, TXN_CALL_MS), 1);
    for (int i = 0; i < l->cnt && !sg->a->fatal; i++)
        if (l->elems[i].err)
            txn_check(sg, "rewind", rd_kafka_error_new(l->elems[i].err, "%s[%d]", sg->topic,
                                                       (int)l->elems[i].partition), 1);
    rd_kafka_topic_partition_list_destroy(l);
}

/* leaving: the partitions go (revoked, or the process leaves), so there is
 * nothing to rewind. */
static void txn_abort(struct stage *sg, int leaving)
{
    if (sg->txn_open &&
        txn_check(sg, "abort", txn_call(sg, TXN_ABORT, NULL), 1) < 0)
        return;
    sg->txn_open = sg->txn_broken = 0;
    sg->txn_aborts++;
    ag_outbox_put_back(sg->outbox, sg->in_txn);
    sg->in_txn = NULL;
    fprintf(stderr, "aggregate: %s: transaction aborted; its findings go into the next one%s\n",
            sg->name, leaving ? "" : ", its messages are handled again");
    if (leaving)
        for (int32_t i = 0; i < sg->n_part; i++)
            sg->part[i].rewind = sg->part[i].next = -1;
    else
        txn_rewind(sg);
}

/* Exactly once: the findings of what was handled, its re-keyed events and
 * its offsets are committed together, or none of them. */
static void txn_commit(struct stage *sg, int leaving)
{
    /* The stage's engine is synchronous: every finding of what was fed is
     * in the outbox once the engine has nothing pending. Summarizers' late
     * updates wait for a later transaction, unless this is the last one. */
    if (leaving)
        ag_pipeline_flush(sg->pipe, AG_FLUSH_AT_EXIT);
    else
        ag_engine_flush(ag_pipeline_engine(sg->pipe));
    if (sg->a->fatal)
        return;
    if (txn_produce_findings(sg) < 0 || sg->txn_broken || txn_send_offsets(sg) < 0 ||
        (sg->txn_open && txn_check(sg, "commit", txn_call(sg, TXN_COMMIT, NULL), 0) < 0)) {
        if (!sg->a->fatal)
            txn_abort(sg, leaving);
        return;
    }
    if (!sg->txn_open)
        return;
    sg->txn_open = 0;
    sg->txn_commits++;
    ag_outbox_free_list(sg->in_txn);
    sg->in_txn = NULL;
    for (int32_t i = 0; i < sg->n_part; i++)
        sg->part[i].rewind = sg->part[i].next = -1;
}

/* ---- offsets ------------------------------------------------------------- */

/* At least once: the offsets of what was handled are committed only after
 * its findings and its re-keyed events were delivered. */
static void commit_stage(struct stage *sg, int leaving)
{
    struct agg *a = sg->a;
    if (sg->txp) {
        txn_commit(sg, leaving);
        return;
    }
    long undelivered = ag_pipeline_flush(sg->pipe, AG_FLUSH_AT_EXIT);
    if (sg == &a->src && rd_kafka_flush(a->producer, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        undelivered++;
    if (undelivered > 0 || a->produce_failed > 0) {
        fprintf(stderr, "aggregate: %s: outputs not delivered; offsets not committed\n",
                sg->name);
        return;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (int32_t i = 0; i < sg->n_part; i++)
        if (sg->part[i].next >= 0)
            rd_kafka_topic_partition_list_add(l, sg->topic, i)->offset = sg->part[i].next;
    if (l->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_commit(sg->rk, l, 0);
        if (e)
            fprintf(stderr, "aggregate: %s: commit: %s\n", sg->name, rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* ---- messages ------------------------------------------------------------ */

static void report_bad(struct stage *sg, enum bad_kind k, const rd_kafka_message_t *m,
                       const char *why)
{
    sg->bad[k]++;
    if (sg->bad_logged[k]++)
        return;
    fprintf(stderr, "aggregate: %s: skipped a message (%s: %s) at %s[%d] offset %" PRId64
            "; further ones of this kind are only counted\n", sg->name, bad_names[k], why,
            rd_kafka_topic_name(m->rkt), (int)m->partition, m->offset);
}

static int field_int(json_object *o, const char *k, int64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
        return -1;
    *out = json_object_get_int64(v);
    return 0;
}

/* The value at a dotted path ("actor.process.pid"), or NULL. */
static json_object *field_at(json_object *o, const char *path)
{
    char key[32];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key || !json_object_is_type(o, json_type_object))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        if (!json_object_object_get_ex(o, key, &o))
            return NULL;
        path += n + (path[n] == '.');
    }
    return o;
}

static const char *field_str(json_object *o, const char *path, size_t *len)
{
    json_object *v = field_at(o, path);
    if (!v || !json_object_is_type(v, json_type_string))
        return NULL;
    *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

/* No raw_data (a producer that leaves it out): the event again from the
 * fields sinks/ocsf.c writes beside it (service.name, actor.process.pid,
 * dst_endpoint.hostname, message), through the same recognizers, as hosts
 * that get those fields apart (rsyslog JSON, journald) do. */
static const char *from_fields(struct stage *sg, json_object *o, int64_t t, struct ag_event *ev)
{
    size_t plen = 0, hlen = 0, mlen = 0;
    const char *prog = field_str(o, "service.name", &plen);
    const char *host = field_str(o, "dst_endpoint.hostname", &hlen);
    const char *msg = field_str(o, "message", &mlen);
    json_object *pid = field_at(o, "actor.process.pid");
    int64_t p = pid && json_object_is_type(pid, json_type_int) ? json_object_get_int64(pid) : 0;
    if (!prog || !plen || !msg || !mlen)
        return "no raw_data, nor service.name and message";
    if (p < 0 || p > UINT32_MAX)
        p = 0;
    if (ag_parse_message(sg->parser, prog, plen, (uint32_t)p, host ? host : "", host ? hlen : 0,
                         t, t, msg, mlen, ev) != AG_PARSE_EVENT)
        return "no raw_data, and its message is no authentication event";
    return NULL;
}

/* raw_data at time t, re-parsed by the host's own recognizers; NULL, or
 * why it is no event. */
static const char *from_raw(struct stage *sg, const char *raw, size_t n, int64_t t,
                            struct ag_event *ev)
{
    if (n > AG_LINE_MAX) /* the limit every input applies (plugin/lines.h) */
        return "raw_data longer than a line may be";
    memcpy(sg->line, raw, n);
    int rc = ag_parse_line(sg->parser, sg->line, n, t, ev);
    ev->time_ms = t;
    return rc == AG_PARSE_EVENT ? NULL : "raw_data is no authentication event";
}

/* The common case, as authguard's own Kafka sink writes it: class_uid,
 * time and raw_data found in one pass without building a tree (json-c's
 * allocations cost more than everything else an event takes here). 1 when
 * settled (*why says what is wrong, if anything), 0 to ask json-c. */
static int decode_fast(struct stage *sg, const rd_kafka_message_t *m, struct ag_event *ev,
                       const char **why)
{
    static const char *const names[] = {"class_uid", "time", "raw_data"};
    struct ag_json_val v[3];
    int64_t cls, t;
    if (ag_json_scan(m->payload, m->len, names, 3, v, sg->scratch) < 0 ||
        v[2].type != AG_JSON_STRING)
        return 0;
    if (ag_json_int(&v[0], &cls) < 0 || cls != 3002)
        *why = "class_uid is not 3002 (Authentication)";
    else if (ag_json_int(&v[1], &t) < 0 || t <= 0)
        *why = "no time";
    else
        *why = from_raw(sg, v[2].p, v[2].n, t, ev);
    return 1;
}

/* An OCSF Authentication event (sinks/ocsf.c) back into an event: its
 * raw_data re-parsed by the host's own recognizers, at the event's time;
 * without raw_data, its fields (from_fields). */
static int decode(struct stage *sg, const rd_kafka_message_t *m, struct ag_event *ev)
{
    const char *why = NULL;
    if (m->len > sg->a->st.max_message) {
        report_bad(sg, BAD_OVERSIZED, m, "longer than max_message");
        return -1;
    }
    if (decode_fast(sg, m, ev, &why)) {
        if (!why)
            return 0;
        report_bad(sg, BAD_SCHEMA, m, why);
        return -1;
    }
    json_tokener_reset(sg->tok);
    json_object *o = json_tokener_parse_ex(sg->tok, m->payload, (int)m->len);
    if (!o || json_tokener_get_error(sg->tok) != json_tokener_success ||
        !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        report_bad(sg, BAD_JSON, m, "no JSON object");
        return -1;
    }
    int64_t cls = 0, t = 0;
    json_object *raw;
    if (field_int(o, "class_uid", &cls) < 0 || cls != 3002)
        why = "class_uid is not 3002 (Authentication)";
    else if (field_int(o, "time", &t) < 0 || t <= 0)
        why = "no time";
    else if (!json_object_object_get_ex(o, "raw_data", &raw) ||
             !json_object_is_type(raw, json_type_string))
        why = from_fields(sg, o, t, ev);
    else
        why = from_raw(sg, json_object_get_string(raw), (size_t)json_object_get_string_len(raw),
                       t, ev);
    json_object_put(o);
    if (why) {
        report_bad(sg, BAD_SCHEMA, m, why);
        return -1;
    }
    return 0;
}

/* Stage "source": a failure naming a user goes to the repartition topic,
 * keyed by that user, with its original timestamp (replay seeks by time);
 * with transactions, inside the stage's open one. */
static void repartition(struct agg *a, const rd_kafka_message_t *m, const struct ag_event *ev)
{
    if (!ag_kind_is_failure((enum ag_kind)ev->kind) || ev->user.len == 0 ||
        ev->src.af == AG_AF_NONE)
        return;
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    if (a->src.txp) {
        if (txn_produce(&a->src, a->st.topic_repartition, ag_span_ptr(ev, ev->user),
                        ev->user.len, m->payload, m->len, ts > 0 ? ts : 0) == 0)
            a->src.repartitioned++;
        return;
    }
    for (int tries = 0; tries < 1000; tries++) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            a->producer, RD_KAFKA_V_TOPIC(a->st.topic_repartition),
            RD_KAFKA_V_KEY(ag_span_ptr(ev, ev->user), ev->user.len),
            RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            a->src.repartitioned++;
            return;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(a->producer, 10);
    }
    a->produce_failed++;
}

static void handle(struct stage *sg, const rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, "aggregate: %s: %s\n", sg->name, rd_kafka_message_errstr(m));
        return;
    }
    int32_t n = m->partition;
    int in_range = n >= 0 && n < sg->n_part;
    int warm = in_range && m->offset < sg->part[n].warm_until;
    struct ag_event ev;
    sg->messages++;
    if (decode(sg, m, &ev) == 0) {
        ag_pipeline_set_quiet(sg->pipe, warm);
        ag_pipeline_feed(sg->pipe, &ev);
        ag_pipeline_set_quiet(sg->pipe, 0);
        sg->events++;
        sg->replayed += (uint64_t)warm;
        if (!warm && sg == &sg->a->src)
            repartition(sg->a, m, &ev);
    }
    if (!warm && in_range) {
        sg->part[n].next = m->offset + 1;
        if (sg->part[n].rewind < 0)
            sg->part[n].rewind = m->offset;
    }
}

/* ---- life cycle ---------------------------------------------------------- */

/* With transactions the stage's loop produces the findings (an outbox
 * holds them); otherwise the Kafka sink does, with its own producer. */
static int add_findings_sink(struct agg *a, struct stage *sg, char *err, size_t errlen)
{
    struct ag_sink_env env = {.conf = a->sink_conf, .ocsf = ag_pipeline_ocsf_ctx(sg->pipe)};
    if (sg->txp) {
        sg->outbox = ag_outbox_create(&env, OUTBOX_MAX);
        if (!sg->outbox)
            snprintf(err, errlen, "out of memory");
    } else {
        sg->kafka = ag_kafka_create_brokers(&env, a->st.brokers, err, errlen);
    }
    struct ag_sink *s = sg->txp ? sg->outbox : sg->kafka;
    if (!s)
        return -1;
    ag_pipeline_add_sink(sg->pipe, s);
    return 0;
}

static int stage_open(struct agg *a, struct stage *sg, const char *name, const char *topic,
                      const char *group_suffix, char *err, size_t errlen)
{
    sg->a = a;
    sg->name = name;
    sg->topic = topic;
    snprintf(sg->group, sizeof sg->group, "%s%s", a->st.group, group_suffix);
    parts_clear(sg);
    sg->parser = malloc(sizeof *sg->parser);
    sg->line = malloc(AG_LINE_MAX);
    sg->scratch = malloc(a->st.max_message);
    sg->tok = json_tokener_new_ex(32);
    if (!sg->parser || !sg->line || !sg->scratch || !sg->tok) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ag_parser_init(sg->parser);
    if (a->base.have_tz)
        ag_tzcache_set_fixed(&sg->parser->tz, a->base.tz_offset_s);
    /* No prefault under auto: an aggregator joins its groups at once, and
     * a member that takes partitions over in a rebalance starts counting
     * without first waiting for the kernel to zero two tables. */
    sg->pipe = ag_pipeline_new(&sg->cfg, 1, err, errlen);
    if (!sg->pipe || add_findings_sink(a, sg, err, errlen) < 0 ||
        ag_pipeline_add_configured_sinks(sg->pipe, err, errlen) < 0)
        return -1;
    sg->rk = new_consumer(sg, err, errlen);
    return sg->rk ? 0 : -1;
}

static void stage_close(struct stage *sg)
{
    if (sg->rk) {
        /* Committed here, then destroyed without rd_kafka_consumer_close():
         * librdkafka 2.0.2 can hang in an assign that a rebalance racing
         * with the close asks for. The group then notices the departure
         * after session_timeout instead of at once. */
        if (!sg->a->fatal)
            commit_stage(sg, 1);
        rd_kafka_destroy_flags(sg->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    ag_pipeline_free(sg->pipe);
    ag_outbox_free_list(sg->in_txn);
    if (sg->txp)
        rd_kafka_destroy(sg->txp);
    if (sg->tok)
        json_tokener_free(sg->tok);
    free(sg->parser);
    free(sg->line);
    free(sg->scratch);
    free(sg->part);
}

static void stage_report(const struct stage *sg)
{
    struct ag_pipeline_stats ps;
    ag_pipeline_stats(sg->pipe, &ps);
    uint64_t creates = 0;
    for (int r = 0; r < AG_RULE_COUNT; r++)
        creates += ps.findings_by_rule[r];
    fprintf(stderr, "aggregate: %s: %" PRIu64 " messages, %" PRIu64 " events (%" PRIu64
            " replayed), %" PRIu64 " findings, %" PRIu64 " updates, %" PRIu64
            " re-keyed; skipped: %" PRIu64 " oversized, %" PRIu64 " not JSON, %" PRIu64
            " wrong schema\n", sg->name, sg->messages, sg->events, sg->replayed, creates,
            ps.updates, sg->repartitioned, sg->bad[BAD_OVERSIZED], sg->bad[BAD_JSON],
            sg->bad[BAD_SCHEMA]);
    if (sg->txp)
        fprintf(stderr, "aggregate: %s: %" PRIu64 " transactions committed, %" PRIu64
                " aborted\n", sg->name, sg->txn_commits, sg->txn_aborts);
}

static int agg_open(struct agg *a, const char *path, char *err, size_t errlen)
{
    char text[1024];
    if (ag_config_load(&a->base, path, err, errlen) < 0 ||
        load_settings(a->base.conf, &a->st, err, errlen) < 0)
        return -1;
    if (ag_conf_has_section(a->base.conf, AG_KAFKA_SECTION)) {
        snprintf(err, errlen, "%s: [%s]: the aggregator writes its findings to [aggregate] "
                 "topic_findings; remove the section", path, AG_KAFKA_SECTION);
        return -1;
    }
    snprintf(text, sizeof text, "[sink.kafka]\ntopic_findings = %s\nevents = none\n",
             a->st.topic_findings);
    if (ag_conf_load_string(&a->sink_conf, "aggregate findings", text, err, errlen) < 0)
        return -1;
    int64_t longest = a->st.fleet_window_ms > a->st.spray_window_ms ? a->st.fleet_window_ms
                                                                     : a->st.spray_window_ms;
    a->replay_ms = longest + longest / 3;
    stage_rules(a, &a->src, AG_RULE_FLEET_SOURCE, a->st.fleet_threshold, a->st.fleet_window_ms);
    stage_rules(a, &a->usr, AG_RULE_SPRAYING, a->st.spray_threshold, a->st.spray_window_ms);
    if (open_producers(a, err, errlen) < 0)
        return -1;
    if (stage_open(a, &a->src, "source", a->st.topic_events, "", err, errlen) < 0 ||
        stage_open(a, &a->usr, "user", a->st.topic_repartition, ".by-user", err, errlen) < 0)
        return -1;
    return 0;
}

static void agg_close(struct agg *a)
{
    stage_close(&a->src);
    stage_close(&a->usr);
    if (a->producer)
        rd_kafka_destroy(a->producer);
    ag_conf_free(a->sink_conf);
    ag_config_free(&a->base);
}

/* Handles up to POLL_BATCH messages of one stage; how many there were. */
static int poll_stage(struct stage *sg, int timeout_ms)
{
    int i;
    for (i = 0; i < POLL_BATCH && !agg_stop && !sg->a->fatal; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(sg->rk, i == 0 ? timeout_ms : 0);
        if (!m)
            break;
        sg->a->last_ms = mono_ms();
        if (sg->a->first_ms == 0)
            sg->a->first_ms = sg->a->last_ms;
        handle(sg, m);
        rd_kafka_message_destroy(m);
    }
    return i;
}

static void run_loop(struct agg *a)
{
    int64_t last_commit = mono_ms();
    while (!agg_stop && !a->fatal) {
        /* Neither stage waits while the other has messages: the user stage
         * is often empty for a while (with transactions it sees re-keyed
         * events only once their transaction commits). */
        if (poll_stage(&a->src, 0) + poll_stage(&a->usr, 0) == 0)
            poll_stage(&a->src, IDLE_WAIT_MS);
        rd_kafka_poll(a->src.txp ? a->src.txp : a->producer, 0);
        if (a->usr.txp)
            rd_kafka_poll(a->usr.txp, 0);
        if (mono_ms() - last_commit >= a->st.commit_ms) {
            commit_stage(&a->src, 0);
            commit_stage(&a->usr, 0);
            last_commit = mono_ms();
        }
        if (a->idle_exit_ms > 0 && a->first_ms > 0 && mono_ms() - a->last_ms >= a->idle_exit_ms)
            break;
    }
}

/* For the benchmark: what was consumed between the first and the last
 * message, and the peak resident memory. */
static void report_rate(const struct agg *a)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double s = (double)(a->last_ms - a->first_ms) / 1000.0;
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    fprintf(stderr, "aggregate: %" PRIu64 " source + %" PRIu64 " user messages in %.2f s "
            "(first to last), %.2f s of CPU: %.0f events/s; peak RSS %ld MiB\n",
            a->src.messages, a->usr.messages, s, cpu,
            s > 0 ? (double)a->src.messages / s : 0.0, ru.ru_maxrss / 1024);
}

static void usage(FILE *f)
{
    fputs("usage: authguard aggregate -c FILE [--idle-exit SECONDS]\n\n"
          "Joins the Kafka consumer group of [aggregate] on the hosts' events topic and\n"
          "raises fleet findings (fleet_source, spraying) into its findings topic and the\n"
          "configured summarizers. SIGTERM or SIGINT: commit, report the counts, leave.\n"
          "--idle-exit S: leave once no message came for S seconds (benchmarks).\n",
          f);
}

int ag_aggregate_main(int argc, char **argv)
{
    const char *path = NULL;
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"idle-exit", required_argument, NULL, 'i'},
                                         {NULL, 0, NULL, 0}};
    int c;
    long idle_s = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c')
            path = optarg;
        else if (c == 'i' && (idle_s = strtol(optarg, NULL, 10)) > 0 && idle_s <= 3600)
            continue;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (!path || optind != argc) {
        usage(stderr);
        return 2;
    }
    struct agg *a = calloc(1, sizeof *a);
    char err[AG_CONF_ERRLEN];
    err[0] = '\0';
    if (!a || agg_open(a, path, err, sizeof err) < 0) {
        fprintf(stderr, "authguard aggregate: %s\n", a ? err : "out of memory");
        if (a)
            agg_close(a);
        free(a);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "aggregate: group %s on %s, findings to %s\n", a->st.group,
            a->st.topic_events, a->st.topic_findings);
    a->idle_exit_ms = idle_s * 1000;
    run_loop(a);
    report_rate(a);
    stage_report(&a->src);
    stage_report(&a->usr);
    int fatal = a->fatal;
    agg_close(a);
    free(a);
    return fatal ? 1 : 0;
}
