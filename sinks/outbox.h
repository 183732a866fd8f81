/* outbox.h - a sink that keeps findings, rendered as OCSF Detection
 * Findings, for a host that produces them itself: the aggregator, inside
 * the Kafka transaction that also commits the offsets they came from. */
#ifndef AG_OUTBOX_H
#define AG_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "sinks/sink.h"

/* One rendered finding: key (the finding's key) and value (its JSON). */
struct ag_outbox_msg {
    struct ag_outbox_msg *next;
    size_t klen, vlen;
    const char *key, *value;   /* both inside the same allocation */
};

/* Holds at most max_held findings; beyond that they are counted as lost
 * and the first loss is logged. env->ocsf renders them. */
struct ag_sink *ag_outbox_create(const struct ag_sink_env *env, size_t max_held);

/* Every finding held, oldest first; the caller owns the list. Thread-safe
 * against finding(), which summarizers call from their own threads. */
struct ag_outbox_msg *ag_outbox_take(struct ag_sink *s);

/* Puts a list taken before back in front of what arrived since, in order
 * (its transaction was aborted, so it goes out in the next one). */
void ag_outbox_put_back(struct ag_sink *s, struct ag_outbox_msg *list);

void ag_outbox_free_list(struct ag_outbox_msg *list);

#endif
