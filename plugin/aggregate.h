/* aggregate.h - `authguard aggregate -c FILE`, the fleet tier: a Kafka
 * consumer group over the hosts' events topic, per-source rules on it and
 * per-user rules on a repartition topic keyed by user, fleet findings to a
 * findings topic and the configured summarizers. */
#ifndef AG_AGGREGATE_H
#define AG_AGGREGATE_H

#include <stddef.h>

int ag_aggregate_main(int argc, char **argv);

/* Checks [aggregate], when the file has it, as `authguard aggregate` reads
 * it: 0, or -1 with "FILE:LINE: [aggregate] key: ..." in err. */
struct ag_conf;
int ag_aggregate_check_config(const struct ag_conf *c, char *err, size_t errlen);

/* The keys of [aggregate]. */
struct ag_conf_section;
extern const struct ag_conf_section ag_aggregate_section;

#endif
