/* sink.h - the interface every sink implements: where events and findings
 * leave authguard (Kafka, JSON lines, mail, a terminal).
 *
 * A sink embeds struct ag_sink first in its own struct and fills ops. The
 * pipeline calls event() from every feeding thread at once (keep it short:
 * render, enqueue, return) and finding() from the engine's finding worker
 * and from summarizers' threads (their updates): both must be thread-safe. */
#ifndef AG_SINK_H
#define AG_SINK_H

#include <stddef.h>

#include "engine/finding.h"
#include "filters/event.h"
#include "sinks/log.h"

struct ag_sink;

/* The flush at exit: each sink waits as long as its configuration says. */
#define AG_FLUSH_AT_EXIT (-1)
#define AG_FLUSH_EXIT_MS 10000

struct ag_sink_ops {
    const char *name;
    /* Every event with its source's counts; NULL to receive none. */
    void (*event)(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c);
    /* A finding Create or Update, summary attached; remediation may be NULL. */
    void (*finding)(struct ag_sink *s, const struct ag_finding *f, const char *remediation);
    /* Delivers what is pending, waiting at most timeout_ms; a negative
     * timeout_ms (AG_FLUSH_AT_EXIT) is the sink's own flush_timeout, or
     * AG_FLUSH_EXIT_MS for a sink without one. Returns the number of
     * items not delivered (0: all out), or a negative errno. A
     * sink that holds what it could not deliver (env->hold_undelivered)
     * counts it in every flush until it is out, so that a host never moves
     * its positions past it. */
    long (*flush)(struct ag_sink *s, int timeout_ms);
    /* The host is stopping: from now on nothing may wait for room that a
     * failing destination would free; such an output is dropped and counted
     * as undelivered. May be NULL. */
    void (*stop_waiting)(struct ag_sink *s);
    void (*destroy)(struct ag_sink *s);
};

struct ag_sink {
    const struct ag_sink_ops *ops;
    struct ag_sink *next; /* the pipeline's list */
};

struct ag_conf;
struct ag_ocsf_ctx;
struct ag_summary_config;

/* What a sink may use of the running authguard; valid for the sink's life. */
struct ag_sink_env {
    const struct ag_conf *conf;                /* the whole file: read your section */
    const struct ag_ocsf_ctx *ocsf;            /* product, instance, region */
    const struct ag_summary_config *summary;   /* allowlist, trusted range, instance */
    /* A summarizer hands a finding with a better summary back here; the
     * pipeline sends it, as an OCSF Update, to every sink but `from`. */
    void (*publish_update)(void *pipe, struct ag_sink *from, struct ag_finding *f,
                           const char *remediation);
    void *pipe;
    /* 1: the host keeps positions and never sends an output again (run):
     * what cannot be delivered yet is held and retried, and the feeding
     * thread waits when the room for it is full. 0: the host sends again
     * what a flush reports undelivered (rsyslog, fluent-bit), or reports
     * it lost (scan). */
    int hold_undelivered;
    /* Where the sink's messages go: the host's log (ag_logf). */
    struct ag_log log;
};

/* Creates a sink from its [sink.NAME] section; NULL with err filled. */
typedef struct ag_sink *(*ag_sink_create_fn)(const struct ag_sink_env *env, char *err,
                                             size_t errlen);

#endif
