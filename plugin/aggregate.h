/* aggregate.h - `authguard aggregate -c FILE`, the fleet tier: a Kafka
 * consumer group over the hosts' events topic, per-source rules on it and
 * per-user rules on a repartition topic keyed by user, fleet findings to a
 * findings topic and the configured summarizers. */
#ifndef AG_AGGREGATE_H
#define AG_AGGREGATE_H

int ag_aggregate_main(int argc, char **argv);

/* The keys of [aggregate]. */
struct ag_conf_section;
extern const struct ag_conf_section ag_aggregate_section;

#endif
