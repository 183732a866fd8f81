/* aggregate.h - `authguard aggregate -c FILE`, the fleet tier: a Kafka
 * consumer group over the hosts' events topic, per-source rules on it and
 * per-user rules on a repartition topic keyed by user, fleet findings to a
 * findings topic and the configured summarizers. */
#ifndef AG_AGGREGATE_H
#define AG_AGGREGATE_H

int ag_aggregate_main(int argc, char **argv);

#endif
