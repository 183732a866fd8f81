/* pipeline.h - a running authguard: the engine built from the
 * configuration, the sinks it names, and the routing between them. Every
 * host (scan, run, rsyslog, fluent-bit, aggregate) creates one. */
#ifndef AG_PIPELINE_H
#define AG_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "plugin/config.h"
#include "sinks/ocsf.h"
#include "sinks/sink.h"

struct ag_pipeline;

struct ag_pipeline_stats {
    struct ag_engine_stats engine;
    uint64_t findings_by_rule[AG_RULE_COUNT];  /* Creates */
    uint64_t updates;
};

/* cfg must outlive the pipeline. synchronous: findings are emitted inside
 * the feed call, in order (replay); otherwise a worker thread emits them. */
struct ag_pipeline *ag_pipeline_new(const struct ag_config *cfg, int synchronous,
                                    char *err, size_t errlen);

/* Takes ownership of s; sinks receive output in the order they were added.
 * Add every sink before the first feed. */
void ag_pipeline_add_sink(struct ag_pipeline *p, struct ag_sink *s);

/* Creates every sink whose [sink.NAME] section the configuration has, in
 * a fixed order (summarizers first, so their updates reach the others).
 * 0, or -1 with "[sink.NAME] ..." in err. */
/* Where the sinks created from now on send their messages (the host's
 * log); by default standard error (see sinks/log.h). */
void ag_pipeline_set_log(struct ag_pipeline *p, ag_log_fn fn, void *ud);
int ag_pipeline_add_configured_sinks(struct ag_pipeline *p, char *err, size_t errlen);

/* What OCSF output says about this host; the pipeline owns it. */
struct ag_ocsf_ctx *ag_pipeline_ocsf_ctx(struct ag_pipeline *p);

/* The engine, for a host that changes rules while running
 * (ag_engine_set_rules); the pipeline owns it. */
struct ag_engine *ag_pipeline_engine(struct ag_pipeline *p);

/* Quiet (1): events are counted but neither they nor the findings they
 * raise reach a sink; for a host rebuilding windows by replaying events
 * it already handled (the aggregator after a rebalance). */
void ag_pipeline_set_quiet(struct ag_pipeline *p, int quiet);

/* Thread-safe: counts the event and fans it and any finding out. */
int ag_pipeline_feed(struct ag_pipeline *p, const struct ag_event *ev);

/* Hands an event to every sink without counting it: for a host that
 * re-delivers an event it already fed (rsyslog re-sending a batch whose
 * delivery failed), with the counts the first feed produced (may be NULL).
 * Thread-safe like ag_pipeline_feed(). */
void ag_pipeline_emit_event(struct ag_pipeline *p, const struct ag_event *ev,
                            const struct ag_counts *counts);

/* Waits for pending findings, then flushes every sink for at most
 * timeout_ms, or at exit (AG_FLUSH_AT_EXIT, sink.h) as long as each sink's
 * own flush_timeout. Returns the number of items the sinks could not deliver. */
long ag_pipeline_flush(struct ag_pipeline *p, int timeout_ms);

/* For a host that keeps positions and never sends an output again (run):
 * sinks created after this hold what they cannot deliver yet and retry it,
 * and flush reports it until it is out (sink.h, hold_undelivered). */
void ag_pipeline_hold_undelivered(struct ag_pipeline *p);

/* The host is stopping: no sink waits any longer for room a failing
 * destination would free (such outputs are dropped and counted). */
void ag_pipeline_stop_waiting(struct ag_pipeline *p);

void ag_pipeline_stats(const struct ag_pipeline *p, struct ag_pipeline_stats *st);

/* Flushes, then frees the engine and every sink; nothing waits for room
 * any more (ag_pipeline_stop_waiting). */
void ag_pipeline_free(struct ag_pipeline *p);

#endif
