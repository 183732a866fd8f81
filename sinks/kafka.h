/* kafka.h - the Kafka sink: every event (OCSF Authentication, keyed by its
 * source) and every finding (OCSF Detection Finding, keyed by the finding's
 * key) to a Kafka topic through librdkafka, idempotent, bounded, counted. */
#ifndef AG_KAFKA_H
#define AG_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sinks/sink.h"

#define AG_KAFKA_SECTION "sink.kafka"
#define AG_KAFKA_CONTENT_TYPE "application/json"

/* What happens when librdkafka's local queue is full. */
enum ag_kafka_full { AG_KAFKA_BLOCK = 0, AG_KAFKA_DROP };

struct ag_kafka_stats {
    uint64_t produced;     /* accepted by librdkafka */
    uint64_t delivered;    /* acknowledged by the broker */
    uint64_t failed;       /* delivery reports with an error, or never enqueued */
    uint64_t dropped;      /* queue full under the drop policy */
    uint64_t blocked_ms;   /* time event()/finding() waited for room (block policy) */
    uint64_t outstanding;  /* still in librdkafka's queue or in flight */
    int idempotent;        /* 1: librdkafka enabled IdempotentProducer on a broker */
};

/* From [sink.kafka] (see conf/authguard.conf). brokers, when not NULL,
 * replaces the section's `brokers` (authguard scan --kafka) and the section
 * may then be absent. Checks that a broker answers within start_timeout. */
struct ag_sink *ag_kafka_create_brokers(const struct ag_sink_env *env, const char *brokers,
                                        char *err, size_t errlen);
/* The sink_types[] entry: ag_kafka_create_brokers(env, NULL, ...). */
struct ag_sink *ag_kafka_create(const struct ag_sink_env *env, char *err, size_t errlen);

/* Counters so far; s must be a Kafka sink. */
void ag_kafka_stats(struct ag_sink *s, struct ag_kafka_stats *st);
/* One line: delivered, failed (with the reasons), dropped, outstanding. */
void ag_kafka_report(struct ag_sink *s, FILE *f);

/* The keys of [sink.kafka]: names, types, bounds, defaults, help. */
struct ag_conf_section;
extern const struct ag_conf_section ag_kafka_section;

#endif
