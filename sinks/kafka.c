/* kafka.c - the Kafka sink. Events are rendered on the feeding thread into a
 * stack buffer and handed to librdkafka (which copies them); one poll thread
 * serves delivery reports. librdkafka's queue is capped, so memory is
 * bounded: a full queue either blocks the caller or drops, as configured. */
#include "sinks/kafka.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "engine/engine.h"
#include "sinks/jsonl.h"
#include "sinks/ocsf.h"

#define KAFKA_EVENT_STACK 4096           /* a typical event renders to ~1 KiB */
#define KAFKA_EVENT_MAX (256u << 10)     /* an event's worst case */
#define KAFKA_FINDING_MAX (960u << 10)   /* under librdkafka's message.max.bytes */
#define KAFKA_REASONS 8                  /* distinct failure reasons kept */

struct reason {
    rd_kafka_resp_err_t err;
    uint64_t n;
};

struct kafka {
    struct ag_sink base;
    rd_kafka_t *rk;
    rd_kafka_topic_t *t_events, *t_findings;
    const struct ag_ocsf_ctx *ctx;
    struct ag_log log;
    enum ag_event_filter events;
    enum ag_kafka_full full;
    int flush_timeout_ms;
    int exit_flushed; /* the host's exit flush waited already */
    int user_debug;                      /* the user set kafka.debug */
    int want_idempotence;                /* enable.idempotence after kafka.* */
    pthread_t poller;
    int poller_running;
    atomic_int stop;
    atomic_int idempotent;
    _Atomic uint64_t produced, delivered, failed, dropped, blocked_us;
    pthread_mutex_t reasons_lock;        /* delivery reports may be served by two pollers */
    struct reason reasons[KAFKA_REASONS];
    uint64_t other_reasons;
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* ---- callbacks (librdkafka's threads and the poll thread) --------------- */

static void count_failure(struct kafka *k, rd_kafka_resp_err_t err)
{
    add(&k->failed, 1);
    pthread_mutex_lock(&k->reasons_lock);
    int i = 0;
    while (i < KAFKA_REASONS && k->reasons[i].n && k->reasons[i].err != err)
        i++;
    if (i < KAFKA_REASONS) {
        k->reasons[i].err = err;
        k->reasons[i].n++;
    } else {
        k->other_reasons++;
    }
    pthread_mutex_unlock(&k->reasons_lock);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct kafka *k = opaque;
    if (m->err)
        count_failure(k, m->err);
    else
        add(&k->delivered, 1);
}

/* librdkafka's debug lines say which protocol features it enabled per
 * broker: that is how to know idempotence is really on (before 2.8.0 it may
 * be turned off silently against Kafka 4.x). The sink always asks for them,
 * and shows debug lines only when the user set kafka.debug. The feature is
 * the broker's: it says nothing when the producer was told not to use it. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct kafka *k = rd_kafka_opaque(rk);
    if (level >= 7) {
        if (k->want_idempotence && strstr(buf, "Enabling feature IdempotentProducer"))
            atomic_store(&k->idempotent, 1);
        if (!k->user_debug)
            return;
    }
    ag_logf(&k->log, level <= 3 ? AG_LOG_ERROR : level == 4 ? AG_LOG_WARNING
                     : level <= 6 ? AG_LOG_INFO : AG_LOG_DEBUG, "kafka", "%s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct kafka *k = opaque;
    /* Transport errors while a broker is away are expected and retried;
     * fatal ones (e.g. idempotence broken) are not. */
    if (err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        ag_logf(&k->log, AG_LOG_ERROR, "kafka", "%s: %s", rd_kafka_err2name(err), reason);
}

static void *poll_loop(void *arg)
{
    struct kafka *k = arg;
    while (!atomic_load(&k->stop))
        rd_kafka_poll(k->rk, 100);
    return NULL;
}

/* ---- producing ----------------------------------------------------------- */

/* Hands one message to librdkafka, waiting for room or dropping as
 * configured. The value is copied, so the caller's buffer may go. */
static void produce(struct kafka *k, rd_kafka_topic_t *t, const char *key, size_t klen,
                    const char *val, size_t vlen, const char *schema)
{
    uint64_t waited_from = 0;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            k->rk, RD_KAFKA_V_RKT(t), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)val, vlen),
            RD_KAFKA_V_HEADER("content-type", AG_KAFKA_CONTENT_TYPE, -1),
            RD_KAFKA_V_HEADER("schema", schema, -1), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            add(&k->produced, 1);
            break;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            count_failure(k, err);
            break;
        }
        if (k->full == AG_KAFKA_DROP) {
            add(&k->dropped, 1);
            break;
        }
        if (!waited_from)
            waited_from = mono_us();
        rd_kafka_poll(k->rk, 10);
    }
    if (waited_from)
        add(&k->blocked_us, mono_us() - waited_from);
}

/* The event's key: its source address, else the source host name, else the
 * reporting host (local events), so one source's events stay in order. */
static size_t event_key(const struct ag_event *ev, char *out, const char **key)
{
    if (ev->src.af != AG_AF_NONE) {
        *key = out;
        return ag_addr_format(&ev->src, out);
    }
    struct ag_span sp = (ev->flags & AG_EVF_SRC_IS_NAME) ? ev->src_name : ev->host;
    *key = ag_span_ptr(ev, sp);
    return sp.len;
}

static void kafka_event(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c)
{
    struct kafka *k = (struct kafka *)s;
    char mem[KAFKA_EVENT_STACK], addr[AG_ADDR_STRLEN];
    const char *key;
    struct ag_buf b;
    if (!ag_event_filter_pass(k->events, (enum ag_kind)ev->kind))
        return;
    size_t klen = event_key(ev, addr, &key);
    ag_buf_init(&b, mem, sizeof mem);
    ag_ocsf_event(&b, ev, k->ctx, c);
    if (!b.overflow) {
        produce(k, k->t_events, key, klen, b.p, b.len, AG_OCSF_SCHEMA_EVENT);
        return;
    }
    /* Rare: long attacker-written lines, escaped. */
    char *big = malloc(KAFKA_EVENT_MAX);
    if (!big) {
        count_failure(k, RD_KAFKA_RESP_ERR__FAIL);
        return;
    }
    ag_buf_init(&b, big, KAFKA_EVENT_MAX);
    ag_ocsf_event(&b, ev, k->ctx, c);
    if (b.overflow)
        count_failure(k, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    else
        produce(k, k->t_events, key, klen, b.p, b.len, AG_OCSF_SCHEMA_EVENT);
    free(big);
}

static void kafka_finding(struct ag_sink *s, const struct ag_finding *f, const char *remediation)
{
    struct kafka *k = (struct kafka *)s;
    struct ag_buf b;
    char *mem = malloc(KAFKA_FINDING_MAX); /* findings are rare and can be large */
    if (!mem) {
        count_failure(k, RD_KAFKA_RESP_ERR__FAIL);
        return;
    }
    ag_buf_init(&b, mem, KAFKA_FINDING_MAX);
    ag_ocsf_finding(&b, f, k->ctx, remediation);
    if (b.overflow)
        count_failure(k, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    else
        produce(k, k->t_findings, f->key, strlen(f->key), b.p, b.len, AG_OCSF_SCHEMA_FINDING);
    free(mem);
}

static long kafka_flush(struct ag_sink *s, int timeout_ms)
{
    struct kafka *k = (struct kafka *)s;
    if (timeout_ms < 0) {
        timeout_ms = k->flush_timeout_ms;
        k->exit_flushed = 1;
    }
    rd_kafka_flush(k->rk, timeout_ms);
    /* Failed and dropped messages are not delivered either. */
    return (long)rd_kafka_outq_len(k->rk) + (long)get(&k->failed) + (long)get(&k->dropped);
}

void ag_kafka_stats(struct ag_sink *s, struct ag_kafka_stats *st)
{
    struct kafka *k = (struct kafka *)s;
    st->produced = get(&k->produced);
    st->delivered = get(&k->delivered);
    st->failed = get(&k->failed);
    st->dropped = get(&k->dropped);
    st->blocked_ms = get(&k->blocked_us) / 1000u;
    int q = rd_kafka_outq_len(k->rk);
    st->outstanding = q > 0 ? (uint64_t)q : 0;
    st->idempotent = atomic_load(&k->idempotent);
}

void ag_kafka_report(struct ag_sink *s, FILE *f)
{
    struct kafka *k = (struct kafka *)s;
    struct ag_kafka_stats st;
    ag_kafka_stats(s, &st);
    fprintf(f, "kafka: %llu delivered, %llu failed, %llu dropped, %llu not delivered "
               "(outstanding), blocked %llu ms; idempotence %s",
            (unsigned long long)st.delivered, (unsigned long long)st.failed,
            (unsigned long long)st.dropped, (unsigned long long)st.outstanding,
            (unsigned long long)st.blocked_ms,
            st.idempotent ? "on" : k->want_idempotence ? "not confirmed" : "off");
    pthread_mutex_lock(&k->reasons_lock);
    for (int i = 0; i < KAFKA_REASONS && k->reasons[i].n; i++)
        fprintf(f, "%s %s=%llu", i ? "," : "; failures:", rd_kafka_err2name(k->reasons[i].err),
                (unsigned long long)k->reasons[i].n);
    if (k->other_reasons)
        fprintf(f, ", other=%llu", (unsigned long long)k->other_reasons);
    pthread_mutex_unlock(&k->reasons_lock);
    fputc('\n', f);
}

static void kafka_free(struct kafka *k)
{
    if (k->poller_running) {
        atomic_store(&k->stop, 1);
        pthread_join(k->poller, NULL);
    }
    if (k->t_events)
        rd_kafka_topic_destroy(k->t_events);
    if (k->t_findings)
        rd_kafka_topic_destroy(k->t_findings);
    if (k->rk)
        rd_kafka_destroy(k->rk);
    pthread_mutex_destroy(&k->reasons_lock);
    free(k);
}

static void kafka_destroy(struct ag_sink *s)
{
    struct kafka *k = (struct kafka *)s;
    if (!k)
        return;
    /* Hosts that never flushed at exit get the wait here, others not twice. */
    kafka_flush(s, k->exit_flushed ? 0 : k->flush_timeout_ms);
    ag_kafka_report(s, stderr);
    kafka_free(k);
}

static const struct ag_sink_ops kafka_ops = {
    .name = "kafka",
    .event = kafka_event,
    .finding = kafka_finding,
    .flush = kafka_flush,
    .destroy = kafka_destroy,
};

/* ---- configuration ------------------------------------------------------- */

struct settings {
    const char *brokers;
    const char *topic_events, *topic_findings;
    int events, full, start_fail;
    int64_t flush_timeout_ms, start_timeout_ms;
};

struct pass {
    rd_kafka_conf_t *conf;
    const char *path;
    char *err;
    size_t errlen;
    char debug[256];
};

/* kafka.<property> = value, straight to librdkafka; its own message says
 * what is wrong. */
static int pass_property(void *ud, const char *key, const char *value, int line)
{
    struct pass *p = ud;
    char msg[256];
    if (strcmp(key, "debug") == 0) {
        snprintf(p->debug, sizeof p->debug, "%s", value);
        return 0;
    }
    if (rd_kafka_conf_set(p->conf, key, value, msg, sizeof msg) != RD_KAFKA_CONF_OK) {
        snprintf(p->err, p->errlen, "%s:%d: [%s] kafka.%s: %s", p->path, line,
                 AG_KAFKA_SECTION, key, msg);
        return -1;
    }
    return 0;
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err,
               size_t errlen)
{
    char msg[256];
    if (rd_kafka_conf_set(conf, key, value, msg, sizeof msg) == RD_KAFKA_CONF_OK)
        return 0;
    snprintf(err, errlen, "[%s] %s = %s: %s", AG_KAFKA_SECTION, key, value, msg);
    return -1;
}

#define KAFKA_FIELD(m) AG_CONF_FIELD(struct settings, m)
static const char *const event_modes[] = {"all", "failures", "none", NULL};
static const char *const full_modes[] = {"block", "drop", NULL}; /* enum ag_kafka_full */
static const char *const start_modes[] = {"buffer", "fail", NULL};
static const struct ag_conf_key kafka_keys[] = {
    {"brokers", AG_CONF_LIST, KAFKA_FIELD(brokers),
     .help = "Bootstrap brokers, required: host:port[,host:port...]."},
    {"topic_events", AG_CONF_STRING, KAFKA_FIELD(topic_events), .def = "authguard.events",
     .help = "Topic of the events."},
    {"topic_findings", AG_CONF_STRING, KAFKA_FIELD(topic_findings), .def = "authguard.findings",
     .help = "Topic of the findings."},
    {"events", AG_CONF_ENUM, KAFKA_FIELD(events), .choices = event_modes, .def = "all",
     .help = "Which events to send besides findings."},
    {"queue_full", AG_CONF_ENUM, KAFKA_FIELD(full), .choices = full_modes, .def = "block",
     .help = "When librdkafka's queue is full: the host waits, or drops and counts."},
    {"flush_timeout", AG_CONF_DURATION, KAFKA_FIELD(flush_timeout_ms), 0, 3600000,
     .def = "10s", .help = "How long flushing at exit waits before reporting what is undelivered."},
    {"start_timeout", AG_CONF_DURATION, KAFKA_FIELD(start_timeout_ms), 100, 600000,
     .def = "5s", .help = "At start a broker must answer within this."},
    {"unreachable_at_start", AG_CONF_ENUM, KAFKA_FIELD(start_fail), .choices = start_modes,
     .def = "fail", .help = "If no broker answers at start: fail, or buffer and retry."},
    {"kafka.*", AG_CONF_PREFIX, 0, 0,
     .help = "Any librdkafka property, e.g. kafka.security.protocol = SASL_SSL."},
    {.name = NULL}};

const struct ag_conf_section ag_kafka_section = {
    AG_KAFKA_SECTION, "Events and findings as OCSF JSON to Kafka; the section enables it.",
    kafka_keys};

static int read_settings(const struct ag_conf *c, struct settings *st, char *err,
                         size_t errlen)
{
    return ag_conf_read(c, AG_KAFKA_SECTION, kafka_keys, st, err, errlen);
}

/* Defaults first, so that kafka.<property> lines override them. */
static rd_kafka_conf_t *make_conf(struct kafka *k, const struct ag_conf *c,
                                  const struct settings *st, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct pass p = {conf, ag_conf_path(c), err, errlen, ""};
    if (set(conf, "bootstrap.servers", st->brokers, err, errlen) < 0 ||
        set(conf, "enable.idempotence", "true", err, errlen) < 0 ||
        set(conf, "acks", "all", err, errlen) < 0 ||
        set(conf, "compression.type", "zstd", err, errlen) < 0 ||
        set(conf, "linger.ms", "10", err, errlen) < 0 ||
        set(conf, "queue.buffering.max.messages", "100000", err, errlen) < 0 ||
        set(conf, "queue.buffering.max.kbytes", "65536", err, errlen) < 0 ||
        set(conf, "client.id", "authguard", err, errlen) < 0 ||
        /* librdkafka backs off up to 10 s between reconnects: a broker back
         * from a restart would wait that long for a log stream, and an exit
         * flush shorter than that would give up on it. */
        set(conf, "reconnect.backoff.max.ms", "2000", err, errlen) < 0 ||
        /* Log lines come through rd_kafka_poll() on our poll thread, never
         * from librdkafka's own threads (made with thrd_create, which thread
         * sanitizers and other pthread-based tools do not see). */
        set(conf, "log.queue", "true", err, errlen) < 0 ||
        ag_conf_each(c, AG_KAFKA_SECTION, "kafka.", pass_property, &p) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* feature: to know whether idempotence is really on (on_log). */
    k->user_debug = p.debug[0] != 0;
    char idem[16];
    size_t idem_len = sizeof idem;
    k->want_idempotence = rd_kafka_conf_get(conf, "enable.idempotence", idem, &idem_len) ==
                              RD_KAFKA_CONF_OK && strcmp(idem, "true") == 0;
    char debug[300];
    snprintf(debug, sizeof debug, "%s%sfeature", p.debug, p.debug[0] ? "," : "");
    if (set(conf, "debug", debug, err, errlen) < 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    return conf;
}

/* Metadata of the topics we write, within the start timeout: a wrong
 * address or a missing topic is said at start, not after the first
 * message times out. Returns 0, -1 (fail) with err set. */
static int check_reachable(struct kafka *k, const struct settings *st, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    int secs = (int)((st->start_timeout_ms + 999) / 1000);
    rd_kafka_resp_err_t e = rd_kafka_metadata(k->rk, 0, k->t_findings, &md,
                                              (int)st->start_timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errlen, "[%s] brokers = %s: no broker reachable in %d s (%s)",
                 AG_KAFKA_SECTION, st->brokers, secs, rd_kafka_err2str(e));
        return -1;
    }
    int bad = md->topic_cnt > 0 && md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR;
    if (bad)
        snprintf(err, errlen, "[%s] topic_findings = %s: %s", AG_KAFKA_SECTION,
                 st->topic_findings, rd_kafka_err2str(md->topics[0].err));
    rd_kafka_metadata_destroy(md);
    if (bad || st->events == AG_EVENTS_NONE)
        return bad ? -1 : 0;
    e = rd_kafka_metadata(k->rk, 0, k->t_events, &md, (int)st->start_timeout_ms);
    bad = e != RD_KAFKA_RESP_ERR_NO_ERROR ||
          (md->topic_cnt > 0 && md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR);
    if (bad)
        snprintf(err, errlen, "[%s] topic_events = %s: %s", AG_KAFKA_SECTION,
                 st->topic_events,
                 rd_kafka_err2str(e ? e : md->topics[0].err));
    if (md)
        rd_kafka_metadata_destroy(md);
    return bad ? -1 : 0;
}

static int start(struct kafka *k, const struct ag_conf *c, const struct settings *st,
                 char *err, size_t errlen)
{
    char msg[512];
    rd_kafka_conf_t *conf = make_conf(k, c, st, err, errlen);
    if (!conf)
        return -1;
    if (!(k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, msg, sizeof msg))) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "[%s] brokers = %s: %s", AG_KAFKA_SECTION, st->brokers, msg);
        return -1;
    }
    rd_kafka_set_log_queue(k->rk, NULL); /* the main queue: served by rd_kafka_poll() */
    k->t_events = rd_kafka_topic_new(k->rk, st->topic_events, NULL);
    k->t_findings = rd_kafka_topic_new(k->rk, st->topic_findings, NULL);
    if (!k->t_events || !k->t_findings) {
        snprintf(err, errlen, "[%s] topics %s, %s: %s", AG_KAFKA_SECTION, st->topic_events,
                 st->topic_findings, rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    if (check_reachable(k, st, err, errlen) < 0) {
        if (st->start_fail)
            return -1;
        ag_logf(&k->log, AG_LOG_WARNING, NULL, "%s; buffering until it is", err);
    } else if (k->want_idempotence) {
        /* The broker answered, so librdkafka has queued the lines saying
         * which features it enabled; they reach on_log only through
         * rd_kafka_poll(), and the poll thread is not running yet. */
        rd_kafka_poll(k->rk, 0);
        if (!atomic_load(&k->idempotent))
            ag_logf(&k->log, AG_LOG_WARNING, NULL, "[%s] brokers = %s: librdkafka %s did "
                    "not enable IdempotentProducer: retries may duplicate messages",
                    AG_KAFKA_SECTION, st->brokers, rd_kafka_version_str());
    }
    if (ag_thread_start(&k->poller, NULL, "ag-kafka", poll_loop, k) != 0) {
        snprintf(err, errlen, "[%s]: cannot start the poll thread", AG_KAFKA_SECTION);
        return -1;
    }
    k->poller_running = 1;
    return 0;
}

struct ag_sink *ag_kafka_create_brokers(const struct ag_sink_env *env, const char *brokers,
                                        char *err, size_t errlen)
{
    struct settings st = {0};
    if (read_settings(env->conf, &st, err, errlen) < 0)
        return NULL;
    if (brokers)
        st.brokers = brokers;
    if (!st.brokers || !st.brokers[0]) {
        snprintf(err, errlen, "%s: [%s] brokers: required (host:port,...)",
                 ag_conf_path(env->conf), AG_KAFKA_SECTION);
        return NULL;
    }
    struct kafka *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "kafka: out of memory");
        return NULL;
    }
    pthread_mutex_init(&k->reasons_lock, NULL);
    k->base.ops = &kafka_ops;
    k->ctx = env->ocsf;
    k->log = env->log;
    k->events = (enum ag_event_filter)st.events;
    k->full = (enum ag_kafka_full)st.full;
    k->flush_timeout_ms = (int)st.flush_timeout_ms;
    if (start(k, env->conf, &st, err, errlen) < 0) {
        kafka_free(k);
        return NULL;
    }
    return &k->base;
}

struct ag_sink *ag_kafka_create(const struct ag_sink_env *env, char *err, size_t errlen)
{
    return ag_kafka_create_brokers(env, NULL, err, errlen);
}
