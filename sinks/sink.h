/* sink.h - the interface every sink implements: where events and findings
 * leave authguard (Kafka, JSON lines, mail, a terminal).
 *
 * A sink embeds struct ag_sink first in its own struct and fills ops. The
 * pipeline calls event() from every feeding thread at once (keep it short:
 * render, enqueue, return) and finding() from one thread at a time. */
#ifndef AG_SINK_H
#define AG_SINK_H

#include "engine/finding.h"
#include "filters/event.h"

struct ag_sink;

struct ag_sink_ops {
    const char *name;
    /* Every event with its source's counts; NULL to receive none. */
    void (*event)(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c);
    /* A finding Create or Update, summary attached; remediation may be NULL. */
    void (*finding)(struct ag_sink *s, const struct ag_finding *f, const char *remediation);
    /* Delivers what is pending, waiting at most timeout_ms. Returns the
     * number of items not delivered (0: all out), or a negative errno. */
    long (*flush)(struct ag_sink *s, int timeout_ms);
    void (*destroy)(struct ag_sink *s);
};

struct ag_sink {
    const struct ag_sink_ops *ops;
    struct ag_sink *next; /* the pipeline's list */
};

#endif
