/* test_kafka_mock.c - the Kafka sink through its own API against librdkafka's
 * mock cluster: retriable produce errors, a leader change and a broker
 * down still deliver every event exactly once; the drop policy counts what
 * a full queue drops. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>

#include "conf/conf.h"
#include "filters/recognize.h"
#include "sinks/kafka.h"
#include "sinks/ocsf.h"
#include "tests/unit/ag_test.h"

struct mock {
    rd_kafka_t *rk; /* owns the cluster */
    rd_kafka_mock_cluster_t *mc;
};

static void mock_start(struct mock *m)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ck_assert_ptr_nonnull(m->rk);
    m->mc = rd_kafka_mock_cluster_new(m->rk, 3);
    ck_assert_ptr_nonnull(m->mc);
    ck_assert_int_eq(rd_kafka_mock_topic_create(m->mc, "ev", 3, 3), 0);
    ck_assert_int_eq(rd_kafka_mock_topic_create(m->mc, "fi", 1, 3), 0);
}

static void mock_stop(struct mock *m)
{
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
}

static struct ag_sink *sink_new(struct mock *m, const char *extra, struct ag_conf **conf)
{
    static const struct ag_ocsf_ctx ctx = {.product_version = "test"};
    char text[1024], err[AG_CONF_ERRLEN];
    snprintf(text, sizeof text,
             "[sink.kafka]\nbrokers = %s\ntopic_events = ev\ntopic_findings = fi\n%s",
             rd_kafka_mock_cluster_bootstraps(m->mc), extra);
    ck_assert_int_eq(ag_conf_load_string(conf, "mock.conf", text, err, sizeof err), 0);
    struct ag_sink_env env = {.conf = *conf, .ocsf = &ctx};
    struct ag_sink *s = ag_kafka_create(&env, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    return s;
}

/* Event i: user u<i> (unique) from one of 8 sources. */
static void send_event(struct ag_sink *s, struct ag_parser *p, int i)
{
    char line[256];
    struct ag_event ev;
    int n = snprintf(line, sizeof line,
                     "2026-11-01T00:00:%02d.%06d+00:00 web1 sshd[7]: Failed password for "
                     "invalid user u%d from 10.9.0.%d port %d ssh2",
                     i / 1000 % 60, i % 1000000, i, i % 8 + 1, 20000 + i);
    ck_assert_int_eq(ag_parse_line(p, line, (size_t)n, 1793491200000, &ev), AG_PARSE_EVENT);
    s->ops->event(s, &ev, NULL);
}

/* Reads every message of topic ev; returns how many, and how many users
 * were seen more than once in *dups. */
static int consume_all(struct mock *m, int *dups, int expect)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(m->mc), err,
                      sizeof err);
    rd_kafka_conf_set(conf, "group.id", "check", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(3);
    for (int p = 0; p < 3; p++)
        rd_kafka_topic_partition_list_add(parts, "ev", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    ck_assert_int_eq(rd_kafka_assign(c, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);
    unsigned char *seen = calloc((size_t)expect, 1);
    int n = 0, eofs = 0, idle = 0;
    *dups = 0;
    /* An end of partition can be reported early (a leader change makes the
     * consumer fetch again), so read on until every message is in or the
     * topic has been idle for 10 s. */
    while ((eofs != 7 || n < expect) && idle < 100) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 100);
        if (!msg) {
            idle++;
            continue;
        }
        idle = 0;
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs |= 1 << (msg->partition & 7);
        } else if (!msg->err) {
            const char *u = memmem(msg->payload, msg->len, "\"user\":{\"name\":\"u", 17);
            int id = u ? atoi(u + 17) : -1;
            if (id >= 0 && id < expect && seen[id]++)
                (*dups)++;
            n++;
        }
        rd_kafka_message_destroy(msg);
    }
    free(seen);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return n;
}

START_TEST(faults_still_deliver_every_event_once)
{
    struct mock m;
    struct ag_conf *conf;
    struct ag_parser p;
    struct ag_kafka_stats st;
    int dups, n = 600;
    mock_start(&m);
    struct ag_sink *s = sink_new(&m, "", &conf);
    ag_parser_init(&p);
    rd_kafka_mock_push_request_errors(m.mc, 0 /* Produce */, 4,
                                      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
    for (int i = 0; i < n; i++) {
        send_event(s, &p, i);
        if (i == 200)
            rd_kafka_mock_partition_set_leader(m.mc, "ev", 0, 2);
        if (i == 300)
            rd_kafka_mock_broker_set_down(m.mc, 3);
        if (i == 450)
            rd_kafka_mock_broker_set_up(m.mc, 3);
    }
    ck_assert_int_eq(s->ops->flush(s, 20000), 0);
    ag_kafka_stats(s, &st);
    ck_assert_uint_eq(st.delivered, (uint64_t)n);
    ck_assert_uint_eq(st.failed, 0);
    ck_assert_uint_eq(st.dropped, 0);
    ck_assert_int_eq(st.idempotent, 1);
    ck_assert_int_eq(consume_all(&m, &dups, n), n);
    ck_assert_int_eq(dups, 0);
    s->ops->destroy(s);
    ag_conf_free(conf);
    mock_stop(&m);
}
END_TEST

START_TEST(drop_policy_counts_what_a_full_queue_drops)
{
    struct mock m;
    struct ag_conf *conf;
    struct ag_parser p;
    struct ag_kafka_stats st;
    int n = 200;
    mock_start(&m);
    struct ag_sink *s = sink_new(&m, "queue_full = drop\nkafka.queue.buffering.max.messages = 20\n",
                                 &conf);
    ag_parser_init(&p);
    for (int b = 1; b <= 3; b++)
        rd_kafka_mock_broker_set_down(m.mc, b);
    for (int i = 0; i < n; i++)
        send_event(s, &p, i);
    ag_kafka_stats(s, &st);
    ck_assert_uint_le(st.produced, 20);
    ck_assert_uint_eq(st.produced + st.dropped, (uint64_t)n);
    for (int b = 1; b <= 3; b++)
        rd_kafka_mock_broker_set_up(m.mc, b);
    /* Not delivered = the dropped ones: the queued ones all go out. */
    ck_assert_int_eq(s->ops->flush(s, 20000), (long)st.dropped);
    ag_kafka_stats(s, &st);
    ck_assert_uint_eq(st.delivered, st.produced);
    ck_assert_uint_eq(st.failed, 0);
    s->ops->destroy(s);
    ag_conf_free(conf);
    mock_stop(&m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kafka_mock");
    TCase *tc = tcase_create("kafka_mock");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, faults_still_deliver_every_event_once);
    tcase_add_test(tc, drop_policy_counts_what_a_full_queue_drops);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
